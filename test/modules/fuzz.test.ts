import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FIELDS, OPERATORS } from '../../src/core/segments/fields.js';
import { createUser } from '../../src/modules/auth/service.js';
import { loadDemo } from '../../src/modules/demo/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { listenLocal, loginCookie } from '../support/http.js';

/**
 * Property: whatever a client sends to any route of the API, the answer is never a 5xx and always
 * the error shape { error: { code, message } }; the server is alive afterwards. Routes come from
 * the OpenAPI document of a real server; values are generated from each route's schema, mixed
 * with hostile ones (prototype keys, numbers past safe ranges, impossible dates, forged cursors).
 */

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  format?: string;
  minimum?: number;
  maximum?: number;
  nullable?: boolean;
};
type Param = { in: string; name: string; required?: boolean; schema?: Schema };
type Operation = { parameters?: Param[]; requestBody?: { content: Record<string, { schema: Schema }> } };

const HOSTILE_TEXT = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '1e308',
  '-1e308',
  'NaN',
  'Infinity',
  '-0',
  '9007199254740993',
  '99999999999999999999999999',
  '2026-02-30',
  '2026-13-01',
  '2026-02-30T25:61:00Z',
  '0000-00-00',
  '',
  ' ',
  'null',
  'true',
  '[]',
  '{}',
  '%00',
  '\u0000',
  '\uD800',
  "'; DROP TABLE customers; --",
  '../../../../etc/passwd',
  '=HYPERLINK("http://x")',
  '🙂'.repeat(50),
  'a'.repeat(5000),
  'WyJfX3Byb3RvX18iLHsieCI6MX1d', // base64url of ["__proto__",{"x":1}]
  'W3t9LCJpZCJd', // [{},"id"]
  'WzFlMzA4LCJ6enoiXQ', // [1e308,"zzz"]
  'WyIyMDI2LTAyLTMwIiwiaWQiXQ', // ["2026-02-30","id"]
  Buffer.from(JSON.stringify([{ a: 1 }, 'x'])).toString('base64url'),
  Buffer.from(JSON.stringify([null, null])).toString('base64url'),
  Buffer.from('not json').toString('base64url'),
];
/** Cursors as a client could forge them: wrong types, out-of-range numbers, impossible times. */
const CURSORS = [
  [{}, 'x'],
  [[1], 'x'],
  [1e308, 'x'],
  [-1e308, 'x'],
  ['2026-02-30T00:00:00.000Z', 'x'],
  ['not a time', 'x'],
  [null, 'x'],
  [null, null],
  ['2026-11-11T00:00:00.000Z', { a: 1 }],
  'not an array',
  [1, 'x', 3],
].map((v) => Buffer.from(JSON.stringify(v)).toString('base64url'));
const HOSTILE_NUMBERS = [
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  2 ** 31,
  -(2 ** 31) - 1,
  0,
  -1,
  0.5,
  -0,
  5e-324,
];

const hostileText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_TEXT) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
);
const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  hostileText,
  fc.constantFrom(...HOSTILE_NUMBERS),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
);
const hostileAny: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileScalar },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 4 }) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'a', 'id', 'value'), hostileScalar),
  },
);

const FIELD_NAMES = [...Object.keys(FIELDS), '__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];
const OPS = [...new Set(Object.values(OPERATORS).flat()), '__proto__', 'constructor', '>=', 'toString'];
/** Segment rules: real fields and operators with hostile values, and prototype names as fields. */
const ruleArb: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  rule: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('cond'),
    fc.record({ all: fc.array(tie('rule'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie('rule'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie('rule') }),
  ),
  cond: fc.record(
    {
      field: fc.constantFrom(...FIELD_NAMES),
      op: fc.constantFrom(...OPS),
      value: fc.oneof(
        hostileAny,
        fc.tuple(hostileScalar, hostileScalar),
        fc.constantFrom(1e308, '2026-02-30', ['2026-02-30', '2026-03-01'], [1, 1e308]),
      ),
      where: fc.dictionary(
        fc.constantFrom('from', 'to', 'status', 'category', 'storeId', 'paid', '__proto__', 'constructor'),
        hostileAny,
      ),
    },
    { requiredKeys: ['field', 'op'] },
  ),
})).rule;

/** Values for a JSON schema: mostly of the right shape, often hostile. */
function arb(schema: Schema | undefined, name: string, depth = 0): fc.Arbitrary<unknown> {
  if (name === 'rule') return ruleArb;
  if (name === 'cursor') return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...CURSORS) }, hostileText);
  if (!schema || depth > 4) return hostileAny;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants?.length) return fc.oneof(...variants.map((s) => arb(s, name, depth + 1)), hostileAny);
  if (schema.allOf?.length) return arb(schema.allOf[0], name, depth + 1);
  if (schema.enum) return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...schema.enum) }, hostileAny);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  let good: fc.Arbitrary<unknown>;
  switch (type) {
    case 'object': {
      const props = Object.entries(schema.properties ?? {});
      good = fc
        .tuple(
          fc.record(Object.fromEntries(props.map(([k, s]) => [k, arb(s, k, depth + 1)])), {
            requiredKeys: (schema.required ?? []).filter((k) => schema.properties?.[k]),
          }),
          fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra'), hostileAny, { maxKeys: 2 }),
        )
        .map(([known, extra]) => {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(extra)) Object.defineProperty(out, k, { value: v, enumerable: true });
          return Object.assign(out, known);
        });
      break;
    }
    case 'array':
      good = fc.array(arb(schema.items, name, depth + 1), { maxLength: 5 });
      break;
    case 'integer':
    case 'number':
      good = fc.oneof(
        fc.integer({
          min: Math.max(Math.ceil(schema.minimum ?? -1000), -1_000_000),
          max: Math.max(
            Math.min(Math.floor(schema.maximum ?? 1_000_000), 1_000_000),
            Math.ceil(schema.minimum ?? -1000),
          ),
        }),
        fc.constantFrom(...HOSTILE_NUMBERS),
        fc.double({ noNaN: true }),
      );
      break;
    case 'boolean':
      good = fc.boolean();
      break;
    case 'string':
      good =
        schema.format === 'date' || /date|from|to|At$/i.test(name)
          ? fc.oneof(
              fc.constantFrom('2026-02-30', '2026-11-11', '2026-13-01', '2026-02-29', '1969-12-31', '+275760-09-13'),
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
              hostileText,
            )
          : hostileText;
      break;
    default:
      good = hostileAny;
  }
  return fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: hostileAny });
}

/** A query string value as a client could send it (arrays repeat the key). */
function queryValue(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : (JSON.stringify(x) ?? '')));
  if (v === undefined) return [];
  return [typeof v === 'string' ? v : (JSON.stringify(v) ?? '')];
}

/** Routes the walk leaves alone: ending its own session. */
const SKIP = new Set(['POST /api/v1/auth/logout']);
const RUNS_PER_ROUTE = Number(process.env.HUIKE_FUZZ_RUNS ?? 25);

describeBothDatabases('hostile input never gives a 500', (env) => {
  let app: FastifyInstance;
  let base = '';
  let cookie = '';
  const ids: string[] = [];
  const serverErrors: string[] = [];

  beforeAll(async () => {
    const { ctx, workspaceId, db } = env();
    await createUser(ctx, workspaceId, { login: 'fuzz', password: 'fuzz-pass-1', role: 'owner' });
    await loadDemo(ctx, workspaceId, { customers: 60, seed: 7 });
    for (const t of ['customers', 'stores', 'segments', 'orders', 'coupon_templates', 'point_rewards'] as const) {
      const rows = await db.kysely
        .selectFrom(t as 'customers')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .limit(2)
        .execute()
        .catch(() => []);
      ids.push(...rows.map((r) => r.id));
    }
    app = await buildServer(ctx, {
      dataDir: scratchDir('huike-fuzz-'),
      logger: { level: 'error', stream: { write: (line: string) => serverErrors.push(line) } },
    });
    base = await listenLocal(app);
    cookie = await loginCookie(base, 'fuzz', 'fuzz-pass-1');
  }, 120_000);
  afterAll(async () => {
    await app?.close();
  });

  it('every route of the OpenAPI document answers hostile values with a 4xx error body, never a 5xx', async () => {
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const failures: string[] = [];
    let requests = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const route = `${method.toUpperCase()} ${path}`;
        if (SKIP.has(route)) continue;
        const params = op.parameters ?? [];
        const bodySchema = op.requestBody?.content['application/json']?.schema;
        const request = fc.record({
          path: fc.record(
            Object.fromEntries(
              params
                .filter((p) => p.in === 'path')
                // Mostly real ids, so the walk gets past "not found" into the handlers.
                .map((p) => [
                  p.name,
                  fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...(ids.length ? ids : ['x'])) }, hostileText),
                ]),
            ),
          ),
          query: fc.record(
            Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, arb(p.schema, p.name)])),
            { requiredKeys: [] },
          ),
          headers: fc.record(
            Object.fromEntries(
              params
                .filter((p) => p.in === 'header')
                .map((p) => [p.name, fc.oneof(fc.uuid(), fc.constantFrom('k1', ''))]),
            ),
            { requiredKeys: [] },
          ),
          body: bodySchema ? arb(bodySchema, 'body') : fc.constantFrom(undefined, '{"__proto__":{"polluted":1}}', '{'),
        });
        await fc
          .assert(
            fc.asyncProperty(request, async (r) => {
              let url = path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(String(r.path[k] ?? 'x')));
              const qs = new URLSearchParams();
              for (const [k, v] of Object.entries(r.query)) for (const s of queryValue(v)) qs.append(k, s);
              if ([...qs].length) url += `?${qs}`;
              const headers: Record<string, string> = { cookie, 'x-huike-client': 'test' };
              for (const [k, v] of Object.entries(r.headers)) if (typeof v === 'string' && v) headers[k] = v;
              let body: string | undefined;
              if (typeof r.body === 'string') body = r.body;
              else if (r.body !== undefined) body = JSON.stringify(r.body);
              if (body !== undefined) headers['content-type'] = 'application/json';
              requests += 1;
              const res = await fetch(base + url, { method: method.toUpperCase(), headers, body });
              const text = await res.text();
              if (res.status >= 500) {
                const logged = (JSON.parse(serverErrors.at(-1) ?? '{}') as { err?: { stack?: string } }).err?.stack;
                failures.push(
                  `${route} → ${res.status} ${url} ${body?.slice(0, 300) ?? ''} :: ${logged?.slice(0, 600)}`,
                );
                return false;
              }
              if (res.status >= 400) {
                const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
                if (
                  typeof parsed.error?.code !== 'string' ||
                  typeof parsed.error.message !== 'string' ||
                  !('details' in parsed.error)
                ) {
                  failures.push(`${route} → ${res.status} without the error shape: ${text.slice(0, 200)}`);
                  return false;
                }
              }
              return true;
            }),
            { numRuns: RUNS_PER_ROUTE, seed: Number(process.env.HUIKE_FUZZ_SEED ?? 20261128), endOnFailure: true },
          )
          .catch(() => {});
      }
    }
    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const health = await fetch(`${base}/api/v1/health`);
    expect(health.status).toBe(200);
  }, 180_000);
});
