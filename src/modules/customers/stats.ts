import { type Expression, sql, type Kysely, type SqlBool, type Transaction } from 'kysely';
import { z } from 'zod';
import { DEFAULT_PURCHASE_RULE, twelveMonthCutoff, type PurchaseRule } from '../../core/stats.js';
import { readSetting, writeSetting } from '../settings.js';
import { newId } from '../../core/ids.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import type { AppContext } from '../context.js';
import type { Db, Dialect } from '../../db/connect.js';
import type { Database } from '../../db/types.js';
import { andInIds } from '../../db/in-list.js';
import { linesOf, rebuildOrderFacts } from './order-facts.js';
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

/**
 * The stats of a workspace's customers — all of them (`customerIds` null) or the given ones — in one
 * `INSERT … SELECT … ON CONFLICT DO UPDATE`: the definitions of core/stats.ts written in SQL that runs
 * on both dialects. The recompute and every incremental refresh (an import batch, a merge, an order
 * change) run this one statement, so the two cannot disagree; a test holds it to core/stats.ts.
 * A customer with no orders gets a row of zeros; an id with no customer row gets none.
 */
async function writeStats(
  db: Executor,
  dialect: Dialect,
  workspaceId: string,
  customerIds: readonly string[] | null,
  asOf: string,
  purchase: Expression<SqlBool>,
): Promise<number> {
  const cutoff = twelveMonthCutoff(asOf);
  const c = dialect === 'postgres' ? sql.raw(' COLLATE "C"') : sql.raw('');
  const ts = timestampCast(dialect);
  const scope = (column: string) => andInIds(dialect, column, customerIds);
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
        COALESCE(a.spent_12m, 0), COALESCE(a.orders_12m, 0), f.category,
        -- The province of the latest order that has one, found on the customer's index: a joined window
        -- over the batch's orders was scanned once per customer by SQLite (no automatic index on it).
        (SELECT o.province FROM orders o
          WHERE o.workspace_id = c.workspace_id AND o.customer_id = c.id AND o.kind <> 'credit'
            AND o.province IS NOT NULL AND o.province <> ''
          ORDER BY o.created_at DESC, o.id${c} DESC LIMIT 1),
        ${asOf}${ts}
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
        WHERE o.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL${scope('o.customer_id')}
        GROUP BY o.customer_id
      ) a ON a.customer_id = c.id
      LEFT JOIN (
        SELECT customer_id, category FROM (
          SELECT o.customer_id, i.category,
            ROW_NUMBER() OVER (PARTITION BY o.customer_id ORDER BY SUM(i.quantity) DESC, i.category${c} ASC) AS rn
          FROM orders o ${linesOf(dialect, customerIds)}
          WHERE o.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL${scope('o.customer_id')} AND ${purchase}
            AND i.category IS NOT NULL AND i.category <> ''
          GROUP BY o.customer_id, i.category
        ) ranked WHERE rn = 1
      ) f ON f.customer_id = c.id
      WHERE c.workspace_id = ${workspaceId}${scope('c.id')}
      ON CONFLICT (workspace_id, customer_id) DO UPDATE SET
        orders_count = excluded.orders_count, paid_orders = excluded.paid_orders,
        first_order_at = excluded.first_order_at, last_order_at = excluded.last_order_at,
        first_paid_at = excluded.first_paid_at, last_paid_at = excluded.last_paid_at,
        total_spent_fen = excluded.total_spent_fen, refund_fen = excluded.refund_fen,
        refund_orders = excluded.refund_orders, aov_fen = excluded.aov_fen, spent_12m_fen = excluded.spent_12m_fen,
        orders_12m = excluded.orders_12m, favourite_category = excluded.favourite_category,
        province = excluded.province, as_of = excluded.as_of
    `.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

/**
 * Incremental path: the stats and order facts of the customers an import batch, merge or order change
 * touched, in the caller's transaction — the recompute's statements restricted to these customers
 * (a few statements per batch, whatever its size).
 */
export async function refreshCustomerStats(
  db: Executor,
  dialect: Dialect,
  workspaceId: string,
  customerIds: Iterable<string>,
  asOf: string,
): Promise<void> {
  const ids = [...new Set(customerIds)];
  if (ids.length === 0) return;
  const purchase = orderCountsAsPurchase(await purchaseRule(db, workspaceId));
  await writeStats(db, dialect, workspaceId, ids, asOf, purchase);
  await rebuildOrderFacts(db, dialect, workspaceId, purchase, ids);
}

/**
 * Full path (`huike recompute`, nightly): every customer's stats in one SQL pass (the statement the
 * incremental path runs for its customers) and the order facts rebuilt.
 */
export async function recomputeAllStats(db: Db, workspaceId: string, asOf: string): Promise<number> {
  const purchase = orderCountsAsPurchase(await purchaseRule(db.kysely, workspaceId));
  return db.kysely.transaction().execute(async (trx) => {
    await trx.deleteFrom('customer_stats').where('workspace_id', '=', workspaceId).execute();
    const written = await writeStats(trx, db.dialect, workspaceId, null, asOf, purchase);
    await rebuildOrderFacts(trx, db.dialect, workspaceId, purchase, null);
    return written;
  });
}
