import { reason } from '../core/reasons.js';
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Conflict, Invalid, Unprocessable } from '../core/errors.js';
import type { Executor } from '../jobs/queue.js';
import type { AppContext } from './context.js';

/**
 * Idempotency-Key, checked for every state-changing request that carries one. The first request with a key records a
 * fingerprint of what it asked (who, route, path parameters, body) and, once answered, the answer. The same key with
 * the same request is answered with that answer again (header `Idempotent-Replayed: true`) without running anything;
 * while the first still runs, 409 (retry a moment later). The same key with a different request — another body,
 * route or user — answers 422. A request that failed (4xx/5xx) gives its key back. An answer too large or not JSON is
 * not kept: the retry runs the handler, whose service deduplicates by key where it can.
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

/** Answers kept for replay at most this large (a list of created rows, not an export). */
const MAX_KEPT_BODY = 256 * 1024;
/** The first request with this key is still being answered (or another took over an abandoned one): 409. */
const inFlight = (key: string) =>
  new Conflict(
    `a request with Idempotency-Key "${key}" is still being answered: retry in a moment`,
    reason('idempotency.inFlight', { key }),
    { key },
  );

/** Keys and their answers are kept this long: a retry comes within minutes, a week covers a client offline. */
export const KEPT_KEYS_MS = 7 * 24 * 3600_000;
/** A first request without an answer after this long died with its process: a retry may run it again. */
const ABANDONED_MS = 2 * 60_000;

/** A kept answer as a replay: one that says whether it is a replay (`replayed`, points and redemptions) says so. */
function asReplay(body: string): string {
  if (!body.includes('"replayed":false')) return body;
  const parsed: unknown = JSON.parse(body);
  if (parsed && typeof parsed === 'object' && !Array.isArray(parsed) && 'replayed' in parsed)
    return JSON.stringify({ ...parsed, replayed: true });
  return body;
}

const CLAIMED = Symbol('idempotencyKeyClaimed');
type Claimed = FastifyRequest & { [CLAIMED]?: { workspaceId: string; key: string } };

export function registerIdempotency(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('preHandler', async (req: Claimed, reply) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return;
    const header = req.headers['idempotency-key'];
    if (header === undefined || !req.principal) return;
    const key = Array.isArray(header) ? header[0] : header;
    if (!key || key.length > 200)
      throw new Invalid('Idempotency-Key must be 1 to 200 characters', reason('idempotency.keyLength'));
    const route = `${req.method} ${req.routeOptions.url ?? req.url}`;
    // The user is part of the request: another user's retry is not this one's (and the answer may be masked for them).
    const fingerprint = createHash('sha256')
      .update(canonical([req.principal.userId, route, req.params, req.body ?? null]))
      .digest('hex');
    const workspaceId = req.principal.workspaceId;
    const db = ctx.db.kysely;
    const now = ctx.now();
    const inserted = await db
      .insertInto('idempotency_keys')
      .values({
        workspace_id: workspaceId,
        key,
        route,
        fingerprint,
        created_at: now.toISOString(),
        response_status: null,
        response_body: null,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
      req[CLAIMED] = { workspaceId, key };
      return;
    }
    const first = await db
      .selectFrom('idempotency_keys')
      .select(['route', 'fingerprint', 'created_at', 'response_status', 'response_body'])
      .where('workspace_id', '=', workspaceId)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!first) return; // given back meanwhile (the first failed): this one runs as a first
    if (first.fingerprint !== fingerprint)
      throw new Unprocessable(
        `Idempotency-Key "${key}" was already used for a different request (${first.route}): ` +
          'a retry must send exactly the same request; a new operation needs a new key',
        reason('idempotency.reused', { key }),
        { key, firstRoute: first.route },
      );
    if (first.response_status !== null && first.response_body !== null)
      return reply
        .code(first.response_status)
        .header('idempotent-replayed', 'true')
        .type('application/json; charset=utf-8')
        .send(asReplay(first.response_body));
    if (first.response_status !== null) return; // answered, not kept: the handler's service replays by key
    if (now.getTime() - Date.parse(String(first.created_at)) < ABANDONED_MS) throw inFlight(key);
    // The first never answered (its process died): this one runs in its place.
    const took = await db
      .updateTable('idempotency_keys')
      .set({ created_at: now.toISOString() })
      .where('workspace_id', '=', workspaceId)
      .where('key', '=', key)
      .where('created_at', '=', first.created_at)
      .where('response_status', 'is', null)
      .executeTakeFirst();
    if (Number(took.numUpdatedRows) !== 1) throw inFlight(key);
    req[CLAIMED] = { workspaceId, key };
  });
  // The answer is kept before it is sent, so a retry that follows it finds it.
  app.addHook('onSend', async (req: Claimed, reply, payload) => {
    const claimed = req[CLAIMED];
    if (!claimed || reply.statusCode >= 400) return payload;
    const json = String(reply.getHeader('content-type') ?? '').startsWith('application/json');
    const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : null;
    const kept = json && text !== null && text.length <= MAX_KEPT_BODY ? text : null;
    await ctx.db.kysely
      .updateTable('idempotency_keys')
      .set({ response_status: reply.statusCode, response_body: kept })
      .where('workspace_id', '=', claimed.workspaceId)
      .where('key', '=', claimed.key)
      .execute();
    return payload;
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

/** Drops a workspace's keys (and kept answers) older than KEPT_KEYS_MS; run nightly with the stats. */
export async function pruneIdempotencyKeys(db: Executor, ws: string, now: Date): Promise<number> {
  const r = await db
    .deleteFrom('idempotency_keys')
    .where('workspace_id', '=', ws)
    .where('created_at', '<', new Date(now.getTime() - KEPT_KEYS_MS).toISOString())
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
