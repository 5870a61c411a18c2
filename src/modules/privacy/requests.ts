import { readJson } from '../../db/json.js';
import type { AppContext } from '../context.js';

/** The PIPL requests carried out for one customer, newest first. */
export async function piplRequests(ctx: AppContext, ws: string, customerId: string) {
  const rows = await ctx.db.kysely
    .selectFrom('pipl_requests')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', customerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind as 'export' | 'erase',
    by: r.requested_by_login,
    reason: r.reason,
    summary: readJson<Record<string, unknown>>(r.summary),
    at: r.created_at,
  }));
}
