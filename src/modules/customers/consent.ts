import type { Kysely, Transaction } from 'kysely';
import { consentChanges, type ConsentChange, type ConsentSource, type ConsentState } from '../../core/consent.js';
import { newId } from '../../core/ids.js';
import type { Database } from '../../db/types.js';
import { bulkInsert } from '../../db/bulk.js';
import type { Dialect } from '../../db/connect.js';
import { chunks, type AppContext } from '../context.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Who or what changed a consent: the source, a detail (an import's format, a reply's text) and the user. */
export interface ConsentOrigin {
  source: ConsentSource;
  detail?: string | null;
  actorId?: string | null;
}

/** The consent columns of some customers, read inside the caller's transaction before a change. */
export async function consentStates(k: Db, ws: string, ids: readonly string[]): Promise<Map<string, ConsentState>> {
  const out = new Map<string, ConsentState>();
  for (const part of chunks([...new Set(ids)], 900)) {
    const rows = await k
      .selectFrom('customers')
      .select(['id', 'marketing_consent', 'opt_out_sms', 'opt_out_email', 'opt_out_wechat'])
      .where('workspace_id', '=', ws)
      .where('id', 'in', part)
      .execute();
    for (const { id, ...state } of rows) out.set(id, state);
  }
  return out;
}

/**
 * Writes the consent events of customers whose state moved from `before` (null: a new customer) to
 * `after`, in the caller's transaction, so a change and its record are one.
 */
export async function recordConsent(
  k: Db,
  dialect: Dialect,
  ws: string,
  changes: { customerId: string; before: ConsentState | null; after: Partial<ConsentState> }[],
  origin: ConsentOrigin,
  at: string,
): Promise<number> {
  const rows = changes.flatMap((c) =>
    consentChanges(c.before, c.after).map((ch: ConsentChange) => ({
      workspace_id: ws,
      id: newId(),
      customer_id: c.customerId,
      channel: ch.channel,
      old_value: ch.oldValue,
      new_value: ch.newValue,
      source: origin.source,
      detail: origin.detail?.slice(0, 500) ?? null,
      actor_id: origin.actorId ?? null,
      created_at: at,
    })),
  );
  if (rows.length) await bulkInsert(k, dialect, 'consent_events', rows);
  return rows.length;
}

/** A customer's consent history, newest first. */
export async function consentHistory(ctx: AppContext, ws: string, customerId: string, limit = 200) {
  const rows = await ctx.db.kysely
    .selectFrom('consent_events as e')
    .leftJoin('users as u', (j) => j.onRef('u.workspace_id', '=', 'e.workspace_id').onRef('u.id', '=', 'e.actor_id'))
    .select([
      'e.id',
      'e.channel',
      'e.old_value',
      'e.new_value',
      'e.source',
      'e.detail',
      'e.created_at',
      'u.login as actor_login',
    ])
    .where('e.workspace_id', '=', ws)
    .where('e.customer_id', '=', customerId)
    .orderBy('e.created_at', 'desc')
    .orderBy('e.id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    channel: r.channel,
    oldValue: r.old_value,
    newValue: r.new_value,
    source: r.source,
    detail: r.detail,
    by: r.actor_login ?? null,
    at: r.created_at,
  }));
}
