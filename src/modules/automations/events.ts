import type { Transaction } from 'kysely';
import { HISTORY_MINUTES } from '../../core/automations/engine.js';
import type { OrderEventKind } from '../../core/automations/order-events.js';
import { newId } from '../../core/ids.js';
import { bulkInsert } from '../../db/bulk.js';
import type { Database } from '../../db/types.js';
import { JOB } from '../../jobs/kinds.js';
import { enqueue } from '../../jobs/queue.js';
import { chunks, type AppContext } from '../context.js';

export interface NewOrderEvent {
  orderId: string;
  storeId: string;
  customerId: string | null;
  kind: OrderEventKind;
  happenedAt: string;
}

/**
 * Stores the events of changed orders that are new (each kind once per order) in the ingest's
 * transaction, and queues them for the automations they trigger when any automation listens to
 * order events. Events that happened long ago (an old export) are kept but trigger nothing.
 * Returns how many events were new.
 */
export async function recordOrderEvents(
  ctx: AppContext,
  trx: Transaction<Database>,
  ws: string,
  events: NewOrderEvent[],
  source: string,
  /** Orders inserted by this transaction: they have no stored events to look up. */
  newOrders: ReadonlySet<string> = new Set(),
): Promise<number> {
  if (events.length === 0) return 0;
  const seen = new Set<string>();
  const known = new Set<string>();
  for (const e of events) if (!newOrders.has(e.orderId)) known.add(e.orderId);
  for (const part of chunks([...known], 900)) {
    const rows = await trx
      .selectFrom('order_events')
      .select(['order_id', 'kind'])
      .where('workspace_id', '=', ws)
      .where('order_id', 'in', part)
      .execute();
    for (const r of rows) seen.add(`${r.order_id}:${r.kind}`);
  }
  const now = ctx.now();
  const at = now.toISOString();
  const fresh = events
    .filter((e) => {
      const k = `${e.orderId}:${e.kind}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .map((e) => ({
      workspace_id: ws,
      id: newId(),
      order_id: e.orderId,
      store_id: e.storeId,
      customer_id: e.customerId,
      kind: e.kind,
      happened_at: e.happenedAt,
      observed_at: at,
      source,
    }));
  await bulkInsert(trx, ctx.db.dialect, 'order_events', fresh);
  const horizon = now.getTime() - HISTORY_MINUTES * 60_000;
  const triggering = fresh.filter((e) => e.customer_id && Date.parse(e.happened_at) >= horizon).map((e) => e.id);
  if (triggering.length > 0) {
    const listening = await trx
      .selectFrom('automations')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('enabled', '=', 1)
      .limit(1)
      .execute();
    if (listening.length > 0)
      for (const part of chunks(triggering, 500))
        await enqueue(trx, { workspaceId: ws, kind: JOB.automationEvents, payload: { eventIds: part } }, at);
  }
  return fresh.length;
}

/** An order's events, oldest first. */
export async function orderEvents(ctx: AppContext, ws: string, orderId: string) {
  const rows = await ctx.db.kysely
    .selectFrom('order_events')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('order_id', '=', orderId)
    .orderBy('happened_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ kind: r.kind, happenedAt: r.happened_at, observedAt: r.observed_at, source: r.source }));
}
