import { sql } from 'kysely';
import { zoneOffsetMinutes } from '../../core/time.js';
import { dayNumber, summarisePurchases, type CustomerSummary, type PurchaseDay } from '../../core/clv/summary.js';
import { orderCountsAsPurchase, purchaseRule } from '../customers/stats.js';
import type { AppContext } from '../context.js';
import { yieldToEventLoop } from '../event-loop.js';

const PAGE = 2000;

/**
 * Every buyer's purchase summary, read a page of customers at a time (keyset on customer id over
 * customer_stats, then their orders that count as purchases under the workspace's rule, net of refunds), with
 * purchase days in the workspace's time zone.
 */
export async function* purchaseSummaries(
  ctx: AppContext,
  workspaceId: string,
  timezone: string,
  today: number,
  calibrationEnd: number,
): AsyncGenerator<{ customerId: string; summary: CustomerSummary }[]> {
  const counts = orderCountsAsPurchase(await purchaseRule(ctx.db.kysely, workspaceId));
  let after = '';
  for (;;) {
    const ids = (
      await ctx.db.kysely
        .selectFrom('customer_stats')
        .select('customer_id')
        .where('workspace_id', '=', workspaceId)
        .where('paid_orders', '>', 0)
        .where('customer_id', '>', after)
        .orderBy('customer_id')
        .limit(PAGE)
        .execute()
    ).map((r) => r.customer_id);
    if (ids.length === 0) return;
    after = ids[ids.length - 1]!;
    const orders = await ctx.db.kysely
      .selectFrom('orders as o')
      .select(['o.customer_id', 'o.paid_at', 'o.paid_fen', 'o.refunded_fen'])
      .where('o.workspace_id', '=', workspaceId)
      .where('o.customer_id', 'in', ids)
      .where(counts)
      .execute();
    const byCustomer = new Map<string, PurchaseDay[]>();
    for (const o of orders) {
      const ms = Date.parse(o.paid_at!);
      let list = byCustomer.get(o.customer_id!);
      if (!list) byCustomer.set(o.customer_id!, (list = []));
      list.push({
        day: dayNumber(ms, zoneOffsetMinutes(timezone, ms)),
        fen: Number(o.paid_fen) - Number(o.refunded_fen),
      });
    }
    const page: { customerId: string; summary: CustomerSummary }[] = [];
    for (const [customerId, purchases] of byCustomer) {
      const summary = summarisePurchases(purchases, today, calibrationEnd);
      if (summary) page.push({ customerId, summary });
    }
    yield page;
    await yieldToEventLoop();
  }
}

export type PredictionRow = {
  workspace_id: string;
  customer_id: string;
  frequency: number;
  recency_days: number;
  age_days: number;
  expected_orders_30d: number;
  expected_orders_90d: number;
  expected_orders_365d: number;
  p_alive: number;
  expected_order_value_fen: number;
  clv_fen: number;
  churn_band: string;
  next_order_date: string | null;
  fitted_at: string;
};

const UPDATED = [
  'frequency',
  'recency_days',
  'age_days',
  'expected_orders_30d',
  'expected_orders_90d',
  'expected_orders_365d',
  'p_alive',
  'expected_order_value_fen',
  'clv_fen',
  'churn_band',
  'next_order_date',
  'fitted_at',
] as const;

/** One short transaction per batch, so readers and writers get their turn in between. */
export async function writePredictions(ctx: AppContext, rows: PredictionRow[]): Promise<void> {
  if (rows.length === 0) return;
  await ctx.db.kysely.transaction().execute(async (trx) => {
    await trx
      .insertInto('customer_predictions')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['workspace_id', 'customer_id'])
          .doUpdateSet(Object.fromEntries(UPDATED.map((c) => [c, sql.ref(`excluded.${c}`)]))),
      )
      .execute();
  });
}
