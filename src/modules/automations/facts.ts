import { sql } from 'kysely';
import type { Facts } from '../../core/automations/engine.js';
import type { OrderStatus } from '../../core/order-status.js';
import { readJson } from '../../db/json.js';
import { timestampCast } from '../../db/dates.js';
import type { AppContext } from '../context.js';
import { freshenStats } from '../customers/stats-pending.js';

export interface RunRef {
  customer_id: string;
  order_id: string | null;
  trigger_at: string;
}

/** What the conditions of a run look at, as the database says now. */
export async function loadFacts(ctx: AppContext, ws: string, run: RunRef): Promise<Facts> {
  const k = ctx.db.kysely;
  const ts = timestampCast(ctx.db.dialect);
  let order: Facts['order'] = null;
  if (run.order_id) {
    const o = await k
      .selectFrom('orders')
      .select(['status', 'total_fen', 'activity', 'raw', 'province', 'balance_due_at'])
      .where('workspace_id', '=', ws)
      .where('id', '=', run.order_id)
      .executeTakeFirst();
    if (o) {
      const items = await k
        .selectFrom('order_items')
        .select('category')
        .where('workspace_id', '=', ws)
        .where('order_id', '=', run.order_id)
        .execute();
      const raw = readJson<Record<string, string>>(o.raw) ?? {};
      const photoReview = await k
        .selectFrom('reviews')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('order_id', '=', run.order_id)
        .where('has_photo', '=', 1)
        .where(sql<boolean>`reviewed_at >= ${run.trigger_at}${ts}`)
        .limit(1)
        .execute();
      order = {
        status: o.status as OrderStatus,
        totalFen: o.total_fen,
        categories: [...new Set(items.flatMap((i) => (i.category ? [i.category] : [])))],
        presale: o.activity === '预售' || raw.预售 === '是' || o.balance_due_at !== null,
        province: o.province,
        balanceDueAt: o.balance_due_at,
        photoReviewSince: photoReview.length > 0,
      };
    }
  }
  // A buyer of an import still running: their stats are refreshed now rather than at the import's end.
  await freshenStats(ctx.db, ws, [run.customer_id], () => ctx.now().toISOString());
  const stats = await k
    .selectFrom('customer_stats')
    .select(['paid_orders', 'last_order_at'])
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', run.customer_id)
    .executeTakeFirst();
  const tags = await k
    .selectFrom('customer_tags as ct')
    .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'ct.workspace_id').onRef('t.id', '=', 'ct.tag_id'))
    .select('t.name')
    .where('ct.workspace_id', '=', ws)
    .where('ct.customer_id', '=', run.customer_id)
    .execute();
  const other = (col: 'paid_at' | 'created_at') =>
    k
      .selectFrom('orders')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', run.customer_id)
      .where('id', '!=', run.order_id ?? '')
      .where(sql<boolean>`${sql.ref(col)} > ${run.trigger_at}${ts}`)
      .limit(1)
      .execute();
  const now = ctx.now().getTime();
  return {
    order,
    customer: {
      paidOrders: stats?.paid_orders ?? 0,
      tags: tags.map((t) => t.name),
      paidOtherSince: (await other('paid_at')).length > 0,
      orderedSince: (await other('created_at')).length > 0,
      daysSinceLastOrder: stats?.last_order_at
        ? Math.floor((now - Date.parse(stats.last_order_at)) / 86_400_000)
        : null,
    },
  };
}

/** Template values from the run's order: its number, title, courier and tracking number. */
export async function orderValues(ctx: AppContext, ws: string, orderId: string | null) {
  if (!orderId) return {};
  const o = await ctx.db.kysely
    .selectFrom('orders')
    .select(['external_id', 'title', 'raw'])
    .where('workspace_id', '=', ws)
    .where('id', '=', orderId)
    .executeTakeFirst();
  if (!o) return {};
  const raw = readJson<Record<string, string>>(o.raw) ?? {};
  return {
    订单号: o.external_id,
    商品名: o.title,
    物流公司: raw.物流公司 ?? raw.物流公司名称 ?? null,
    运单号: raw.运单号 ?? raw.物流单号 ?? null,
  };
}
