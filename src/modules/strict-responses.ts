import { createSerializerCompiler } from 'fastify-type-provider-zod';

/** Paths (a.b[0].c) of fields present in `sent` that are missing from `kept`. */
export function droppedFields(sent: unknown, kept: unknown, path = ''): string[] {
  if (Array.isArray(sent) && Array.isArray(kept))
    return sent.flatMap((v, i) => droppedFields(v, kept[i], `${path}[${i}]`));
  if (!isPlainObject(sent) || !isPlainObject(kept)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(sent)) {
    if (v === undefined) continue;
    const at = path ? `${path}.${k}` : k;
    if (!(k in kept)) out.push(at);
    else out.push(...droppedFields(v, kept[k], at));
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const plain = createSerializerCompiler({});

/**
 * The zod serializer, plus a failure when the handler's answer had a field the response schema
 * drops: the schema is the API contract (and the console's generated types), so a field the
 * server computes but the schema forgets is a bug to fix in the schema.
 */
export const strictSerializerCompiler: typeof plain = (route) => {
  const serialize = plain(route);
  return (data: unknown) => {
    const json = serialize(data);
    const dropped = droppedFields(JSON.parse(JSON.stringify(data)), JSON.parse(json));
    if (dropped.length > 0)
      throw new Error(
        `${route.method} ${route.url}: the response schema drops ${dropped.slice(0, 5).join(', ')}` +
          (dropped.length > 5 ? ` and ${dropped.length - 5} more` : ''),
      );
    return json;
  };
};
