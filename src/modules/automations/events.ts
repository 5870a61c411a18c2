import type { Transaction } from 'kysely';
import { DRY_RUN_DAYS, HISTORY_MINUTES } from '../../core/automations/engine.js';
import { eventsOf, type OrderEventKind } from '../../core/automations/order-events.js';
import type { OrderStatus } from '../../core/order-status.js';
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
 * An imported event that happened longer ago than this is not stored: it triggers nothing (the
 * automations' history is 7 days) and the dry run replays 30 days. The order's own times keep it, and
 * `orderEvents` reads it from them. An old export (every event months old) so writes no event rows:
 * they were half an import's database and a third of its SQL time.
 */
export const STORED_EVENTS_MS = Math.max(HISTORY_MINUTES * 60_000, DRY_RUN_DAYS * 86_400_000);

/**
 * Stores the events of changed orders that are new (each kind once per order) in the ingest's
 * transaction, and queues them for the automations they trigger when any automation listens to
 * order events. Events that happened long ago (an old export) are kept but trigger nothing; of an
 * import, those older than STORED_EVENTS_MS are left to the orders' own times.
 * Returns how many events were new.
 */
export async function recordOrderEvents(
  ctx: AppContext,
  trx: Transaction<Database>,
  ws: string,
  changes: NewOrderEvent[],
  source: string,
  /** Orders inserted by this transaction: they have no stored events to look up. */
  newOrders: ReadonlySet<string> = new Set(),
): Promise<number> {
  const now = ctx.now();
  const from = now.getTime() - STORED_EVENTS_MS;
  const events = source === 'import' ? changes.filter((e) => Date.parse(e.happenedAt) >= from) : changes;
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

/**
 * An order's events, oldest first: the stored ones, and of an imported order those its times show
 * that were too old to be stored when it was imported (STORED_EVENTS_MS).
 */
export async function orderEvents(ctx: AppContext, ws: string, orderId: string) {
  const k = ctx.db.kysely;
  const order = await k
    .selectFrom('orders')
    .select(['status', 'created_at', 'paid_at', 'shipped_at', 'signed_at', 'closed_at', 'refunded_fen'])
    .select(['import_run_id', 'imported_at'])
    .where('workspace_id', '=', ws)
    .where('id', '=', orderId)
    .executeTakeFirst();
  const rows = await k
    .selectFrom('order_events')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('order_id', '=', orderId)
    .orderBy('happened_at')
    .orderBy('id')
    .execute();
  const out = rows.map((r) => ({
    kind: r.kind,
    happenedAt: r.happened_at,
    observedAt: r.observed_at,
    source: r.source,
  }));
  if (order && order.import_run_id !== null) {
    const stored = new Set(rows.map((r) => r.kind));
    const derived = eventsOf(
      {
        status: order.status as OrderStatus,
        createdAt: order.created_at,
        paidAt: order.paid_at,
        shippedAt: order.shipped_at,
        signedAt: order.signed_at,
        closedAt: order.closed_at,
        refundedFen: order.refunded_fen,
      },
      order.imported_at,
    );
    for (const e of derived)
      if (!stored.has(e.kind))
        out.push({ kind: e.kind, happenedAt: e.at, observedAt: order.imported_at, source: 'import' });
    out.sort((a, b) => a.happenedAt.localeCompare(b.happenedAt));
  }
  return out;
}
