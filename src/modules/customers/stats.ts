import { sql, type Kysely, type SqlBool, type Transaction } from 'kysely';
import { z } from 'zod';
import {
  computeCustomerStats,
  DEFAULT_PURCHASE_RULE,
  twelveMonthCutoff,
  type CustomerStats,
  type PurchaseRule,
  type StatsOrder,
} from '../../core/stats.js';
import { readSetting, writeSetting } from '../settings.js';
import { newId } from '../../core/ids.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import type { AppContext } from '../context.js';
import type { OrderStatus } from '../../core/order-status.js';
import type { Db, Dialect } from '../../db/connect.js';
import { bulkInsert } from '../../db/bulk.js';
import type { Database } from '../../db/types.js';
import { chunks } from '../context.js';
import type { FactOrder } from '../../core/order-facts.js';
import { rebuildOrderFacts, writeCustomerOrderFacts } from './order-facts.js';
import { timestampCast } from '../../db/dates.js';

type Executor = Kysely<Database> | Transaction<Database>;

export const purchaseSettings = z
  .object({
    /** Orders with nothing paid (gifts, samples, 0-yuan trials) count as purchases. Default: they do not. */
    zeroPaidCounts: z.boolean().default(DEFAULT_PURCHASE_RULE.zeroPaidCounts),
  })
  .strict();

/** The workspace's purchase rule (read through a transaction when given one: SQLite has one connection). */
export async function purchaseRule(db: Executor, workspaceId: string): Promise<PurchaseRule> {
  return readSetting(db, workspaceId, 'purchases', purchaseSettings);
}

export async function setPurchaseRule(ctx: AppContext, workspaceId: string, input: unknown): Promise<PurchaseRule> {
  return writeSetting(ctx, workspaceId, 'purchases', purchaseSettings, input, 'The purchase settings');
}

/** Changes what counts as a purchase and queues the recompute of every customer's stats (and RFM on them). */
export async function changePurchaseRule(ctx: AppContext, workspaceId: string, input: unknown): Promise<PurchaseRule> {
  const rule = await setPurchaseRule(ctx, workspaceId, input);
  await enqueue(
    ctx.db.kysely,
    { workspaceId, kind: JOB.statsRecompute, dedupeKey: `purchases:${newId()}` },
    ctx.now().toISOString(),
  );
  return rule;
}

/**
 * countsAsPurchase (core/stats.ts) in SQL, for orders aliased `o`: paid, something paid (unless
 * the rule counts 0-yuan orders), and not fully refunded. Stats, segment order facts, analytics,
 * tiers and order points all use this one definition.
 */
export function orderCountsAsPurchase(rule: PurchaseRule) {
  const somethingPaid = rule.zeroPaidCounts ? sql`` : sql` AND o.paid_fen > 0`;
  return sql<SqlBool>`(o.paid_at IS NOT NULL AND o.status <> 'refunded'${somethingPaid}
    AND NOT (o.refunded_fen > 0 AND o.refunded_fen >= o.paid_fen))`;
}

function toRow(workspaceId: string, customerId: string, s: CustomerStats, asOf: string) {
  return {
    workspace_id: workspaceId,
    customer_id: customerId,
    orders_count: s.ordersCount,
    paid_orders: s.paidOrders,
    first_order_at: s.firstOrderAt,
    last_order_at: s.lastOrderAt,
    first_paid_at: s.firstPaidAt,
    last_paid_at: s.lastPaidAt,
    total_spent_fen: s.totalSpentFen,
    refund_fen: s.refundFen,
    refund_orders: s.refundOrders,
    aov_fen: s.aovFen,
    spent_12m_fen: s.spent12mFen,
    orders_12m: s.orders12m,
    favourite_category: s.favouriteCategory,
    province: s.province,
    as_of: asOf,
  };
}

/**
 * Incremental path: the stats of the customers an import or order change touched, from their
 * orders, computed by core/stats.ts (the definition) and written in the same transaction.
 */
export async function refreshCustomerStats(
  db: Executor,
  dialect: Dialect,
  workspaceId: string,
  customerIds: Iterable<string>,
  asOf: string,
): Promise<void> {
  const ids = [...new Set(customerIds)];
  const rule = await purchaseRule(db, workspaceId);
  for (const part of chunks(ids, 500)) {
    const orders = await db
      .selectFrom('orders')
      .select([
        'id',
        'customer_id',
        'kind',
        'status',
        'created_at',
        'paid_at',
        'paid_fen',
        'refunded_fen',
        'province',
        'activity',
        'source',
        'store_id',
      ])
      .where('workspace_id', '=', workspaceId)
      .where('customer_id', 'in', part)
      .execute();
    const items = await db
      .selectFrom('order_items as i')
      .innerJoin('orders as o', (j) =>
        j.onRef('o.workspace_id', '=', 'i.workspace_id').onRef('o.id', '=', 'i.order_id'),
      )
      .select(['i.order_id', 'i.category', 'i.quantity'])
      .where('o.workspace_id', '=', workspaceId)
      .where('o.customer_id', 'in', part)
      .execute();
    const itemsByOrder = new Map<string, StatsOrder['items']>();
    for (const it of items) {
      let list = itemsByOrder.get(it.order_id);
      if (!list) itemsByOrder.set(it.order_id, (list = []));
      list.push({ category: it.category, quantity: it.quantity });
    }
    // One record per order serves both definitions: the stats and the order facts.
    const byCustomer = new Map<string, (StatsOrder & FactOrder)[]>(part.map((id) => [id, []]));
    for (const o of orders) {
      byCustomer.get(o.customer_id!)!.push({
        id: o.id,
        status: o.status as OrderStatus,
        activity: o.activity,
        source: o.source,
        storeId: o.store_id,
        createdAt: o.created_at,
        paidAt: o.paid_at,
        paidFen: o.paid_fen,
        refundedFen: o.refunded_fen,
        kind: o.kind,
        province: o.province,
        items: itemsByOrder.get(o.id) ?? [],
      });
    }
    const rows = [...byCustomer].map(([id, list]) =>
      toRow(workspaceId, id, computeCustomerStats(list, asOf, rule), asOf),
    );
    await bulkInsert(db, dialect, 'customer_stats', rows, { onConflict: { key: ['workspace_id', 'customer_id'] } });
    await writeCustomerOrderFacts(db, dialect, workspaceId, byCustomer, rule);
  }
}

/**
 * Full path (`huike recompute`, nightly): every customer's stats in one SQL pass, the same
 * definitions as core/stats.ts written in SQL that runs on both dialects.
 */
export async function recomputeAllStats(db: Db, workspaceId: string, asOf: string): Promise<number> {
  const cutoff = twelveMonthCutoff(asOf);
  const c = db.dialect === 'postgres' ? sql.raw(' COLLATE "C"') : sql.raw('');
  const ts = timestampCast(db.dialect);
  const purchase = orderCountsAsPurchase(await purchaseRule(db.kysely, workspaceId));
  return db.kysely.transaction().execute(async (trx) => {
    await trx.deleteFrom('customer_stats').where('workspace_id', '=', workspaceId).execute();
    const result = await sql`
      INSERT INTO customer_stats (workspace_id, customer_id, orders_count, paid_orders, first_order_at, last_order_at,
        first_paid_at, last_paid_at, total_spent_fen, refund_fen, refund_orders, aov_fen, spent_12m_fen, orders_12m,
        favourite_category, province, as_of)
      SELECT c.workspace_id, c.id,
        COALESCE(a.orders_count, 0), COALESCE(a.paid_orders, 0), a.first_order_at, a.last_order_at,
        a.first_paid_at, a.last_paid_at, COALESCE(a.total_spent, 0), COALESCE(a.refund_fen, 0),
        COALESCE(a.refund_orders, 0),
        CASE WHEN COALESCE(a.paid_orders, 0) = 0 OR COALESCE(a.total_spent, 0) <= 0 THEN 0
          ELSE (2 * a.total_spent + a.paid_orders) / (2 * a.paid_orders) END,
        COALESCE(a.spent_12m, 0), COALESCE(a.orders_12m, 0), f.category, p.province, ${asOf}${ts}
      FROM customers c
      LEFT JOIN (
        SELECT o.customer_id,
          CAST(SUM(CASE WHEN o.kind = 'credit' THEN 0 ELSE 1 END) AS BIGINT) AS orders_count,
          CAST(SUM(CASE WHEN ${purchase} THEN 1 ELSE 0 END) AS BIGINT) AS paid_orders,
          MIN(CASE WHEN o.kind <> 'credit' THEN o.created_at END) AS first_order_at,
          MAX(CASE WHEN o.kind <> 'credit' THEN o.created_at END) AS last_order_at,
          MIN(CASE WHEN ${purchase} THEN o.paid_at END) AS first_paid_at,
          MAX(CASE WHEN ${purchase} THEN o.paid_at END) AS last_paid_at,
          CAST(SUM(CASE WHEN ${purchase} THEN o.paid_fen - o.refunded_fen
            WHEN o.kind = 'credit' THEN -o.refunded_fen ELSE 0 END) AS BIGINT) AS total_spent,
          CAST(SUM(o.refunded_fen) AS BIGINT) AS refund_fen,
          CAST(SUM(CASE WHEN o.refunded_fen > 0 OR o.status = 'refunded' THEN 1 ELSE 0 END) AS BIGINT) AS refund_orders,
          CAST(SUM(CASE WHEN ${purchase} AND o.paid_at >= ${cutoff}${ts} THEN o.paid_fen - o.refunded_fen
            WHEN o.kind = 'credit' AND o.created_at >= ${cutoff}${ts} THEN -o.refunded_fen ELSE 0 END)
            AS BIGINT) AS spent_12m,
          CAST(SUM(CASE WHEN ${purchase} AND o.paid_at >= ${cutoff}${ts} THEN 1 ELSE 0 END) AS BIGINT) AS orders_12m
        FROM orders o
        WHERE o.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL
        GROUP BY o.customer_id
      ) a ON a.customer_id = c.id
      LEFT JOIN (
        SELECT customer_id, category FROM (
          SELECT o.customer_id, i.category,
            ROW_NUMBER() OVER (PARTITION BY o.customer_id ORDER BY SUM(i.quantity) DESC, i.category${c} ASC) AS rn
          FROM order_items i
          JOIN orders o ON o.workspace_id = i.workspace_id AND o.id = i.order_id
          WHERE i.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL AND ${purchase}
            AND i.category IS NOT NULL AND i.category <> ''
          GROUP BY o.customer_id, i.category
        ) ranked WHERE rn = 1
      ) f ON f.customer_id = c.id
      LEFT JOIN (
        SELECT customer_id, province FROM (
          SELECT o.customer_id, o.province,
            ROW_NUMBER() OVER (PARTITION BY o.customer_id ORDER BY o.created_at DESC, o.id${c} DESC) AS rn
          FROM orders o
          WHERE o.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL AND o.kind <> 'credit'
            AND o.province IS NOT NULL AND o.province <> ''
        ) latest WHERE rn = 1
      ) p ON p.customer_id = c.id
      WHERE c.workspace_id = ${workspaceId}
    `.execute(trx);
    await rebuildOrderFacts(trx, db.dialect, workspaceId, purchase);
    return Number(result.numAffectedRows ?? 0);
  });
}
