import { reason } from '../core/reasons.js';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Invalid, Unprocessable } from '../core/errors.js';
import type { AppContext } from './context.js';

/**
 * Idempotency-Key, checked for every state-changing request that carries one: the first request
 * with a key records a fingerprint of what it asked (route, path parameters, body); the same key
 * with the same request goes on to the handler (whose service replays the first result), the same
 * key with a different request answers 422. A request that failed (4xx/5xx) gives its key back.
 */

/** JSON with object keys sorted, so {"a":1,"b":2} and {"b":2,"a":1} are the same request. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

const CLAIMED = Symbol('idempotencyKeyClaimed');
type Claimed = FastifyRequest & { [CLAIMED]?: { workspaceId: string; key: string } };

export function registerIdempotency(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('preHandler', async (req: Claimed) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    const header = req.headers['idempotency-key'];
    if (header === undefined || !req.principal) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (!key || key.length > 200)
      throw new Invalid('Idempotency-Key must be 1 to 200 characters', reason('idempotency.keyLength'));
    const route = `${req.method} ${req.routeOptions.url ?? req.url}`;
    const fingerprint = createHash('sha256')
      .update(canonical([route, req.params, req.body ?? null]))
      .digest('hex');
    const workspaceId = req.principal.workspaceId;
    const db = ctx.db.kysely;
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({ workspace_id: workspaceId, key, route, fingerprint, created_at: ctx.now().toISOString() })
      .onConflict((oc) => oc.columns(['workspace_id', 'key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
      req[CLAIMED] = { workspaceId, key };
      return;
    }
    const first = await db
      .selectFrom('idempotency_keys')
      .select(['route', 'fingerprint'])
      .where('workspace_id', '=', workspaceId)
      .where('key', '=', key)
      .executeTakeFirst();
    if (first && first.fingerprint !== fingerprint)
      throw new Unprocessable(
        `Idempotency-Key "${key}" was already used for a different request (${first.route}): ` +
          'a retry must send exactly the same request; a new operation needs a new key',
        reason('idempotency.reused', { key }),
        { key, firstRoute: first.route },
      );
  });
  app.addHook('onResponse', async (req: Claimed, reply) => {
    const claimed = req[CLAIMED];
    if (!claimed || reply.statusCode < 400) return;
    await ctx.db.kysely
      .deleteFrom('idempotency_keys')
      .where('workspace_id', '=', claimed.workspaceId)
      .where('key', '=', claimed.key)
      .execute()
      .catch(() => {});
  });
}
