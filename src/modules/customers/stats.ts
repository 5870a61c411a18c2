import { type Expression, sql, type Kysely, type SqlBool, type Transaction } from 'kysely';
import { z } from 'zod';
import { DEFAULT_PURCHASE_RULE, twelveMonthCutoff, type PurchaseRule } from '../../core/stats.js';
import { readSetting, writeSetting } from '../settings.js';
import { newId } from '../../core/ids.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import type { AppContext } from '../context.js';
import { letWritersIn, type Db, type Dialect } from '../../db/connect.js';
import type { Database } from '../../db/types.js';
import { andInIds } from '../../db/in-list.js';
import { linesOf, rebuildOrderFacts } from './order-facts.js';
import { timestampCast } from '../../db/dates.js';
import { resetFileCounts } from './file-counts.js';

type Executor = Kysely<Database> | Transaction<Database>;

export const purchaseSettings = z
  .object({
    /** Orders with nothing paid (gifts, samples, 0-yuan trials) count as purchases. Default: they do not. */
    zeroPaidCounts: z.boolean().default(DEFAULT_PURCHASE_RULE.zeroPaidCounts),
  })
  .strict();

/** The workspace's purchase rule (read through a transaction when given one: it sees the transaction's own writes). */
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
  await writeStatsAndFacts(db, dialect, workspaceId, ids, asOf, purchase);
}

/** The stats, then the order facts, of these customers (null: all of the workspace's); the stats rows written. */
async function writeStatsAndFacts(
  db: Executor,
  dialect: Dialect,
  workspaceId: string,
  customerIds: readonly string[] | null,
  asOf: string,
  purchase: Expression<SqlBool>,
): Promise<number> {
  const written = await writeStats(db, dialect, workspaceId, customerIds, asOf, purchase);
  await rebuildOrderFacts(db, dialect, workspaceId, purchase, customerIds);
  return written;
}

/** Options of the full recompute (the tests and the bench use them). */
export interface RecomputeOptions {
  /**
   * Customers per write transaction. Default: STATS_CHUNK_CUSTOMERS on SQLite; on PostgreSQL one transaction
   * for the whole workspace (its set-wise difference of the facts), unless a size is given.
   */
  chunkCustomers?: number;
  /** Called after each chunk's transaction is committed, with the chunk's number (the tests write there). */
  afterChunk?: (chunk: number) => Promise<void> | void;
}

/** SQLite: customers per write transaction of the full recompute. */
export const STATS_CHUNK_CUSTOMERS = 2_000;

/**
 * Full path (`huike recompute`, nightly, after new purchase settings): every customer's stats and order facts.
 *
 * On SQLite in short write transactions of a range of customers each (STATS_CHUNK_CUSTOMERS, by id): each
 * transaction takes the range's next ids, drops the stats and facts of customers gone from it, and runs the
 * incremental path (refreshCustomerStats' two statements) for those ids — so a request that writes meanwhile
 * waits for one chunk, not for the pass (one transaction held SQLite's write lock for ~530 s at 1M customers).
 * Each chunk reads and writes in the same transaction: an import or order change committed between two chunks
 * is never overwritten by stats computed before it. A pass stopped midway (the process killed) leaves the
 * ranges it wrote recomputed and the others as the incremental path kept them; the next pass rewrites all.
 *
 * On PostgreSQL, one transaction by default: the delete of every stats row, the statement over all customers
 * and the facts' difference found by one join (writeFactChanges); writers of other rows do not wait for it.
 *
 * Either way it ends by setting the kept file totals (customer_file_counts) to the counted ones.
 */
export async function recomputeAllStats(
  db: Db,
  workspaceId: string,
  asOf: string,
  opts: RecomputeOptions = {},
): Promise<number> {
  const purchase = orderCountsAsPurchase(await purchaseRule(db.kysely, workspaceId));
  if (db.dialect === 'postgres' && opts.chunkCustomers === undefined) {
    const written = await db.kysely.transaction().execute(async (trx) => {
      await trx.deleteFrom('customer_stats').where('workspace_id', '=', workspaceId).execute();
      const n = await writeStatsAndFacts(trx, db.dialect, workspaceId, null, asOf, purchase);
      await resetFileCounts(trx, db.dialect, workspaceId);
      return n;
    });
    await opts.afterChunk?.(1);
    return written;
  }
  const size = Math.max(1, opts.chunkCustomers ?? STATS_CHUNK_CUSTOMERS);
  let from: string | null = null;
  let written = 0;
  for (let n = 1; ; n++) {
    const after: string | null = from;
    const last: string | null = await db.kysely.transaction().execute(async (trx): Promise<string | null> => {
      const ids: string[] = (
        await trx
          .selectFrom('customers')
          .select('id')
          .where('workspace_id', '=', workspaceId)
          .$if(after !== null, (q) => q.where('id', '>', after!))
          .orderBy('id')
          .limit(size)
          .execute()
      ).map((r) => r.id);
      // The range (after, its last id] — up to the end for the last chunk: rows of customers no longer there go.
      const end: string | null = ids.length === size ? ids[ids.length - 1]! : null;
      for (const table of ['customer_stats', 'customer_order_facts'] as const)
        await sql`DELETE FROM ${sql.table(table)} AS t WHERE t.workspace_id = ${workspaceId}
          ${after === null ? sql`` : sql`AND t.customer_id > ${after}`}
          ${end === null ? sql`` : sql`AND t.customer_id <= ${end}`}
          AND NOT EXISTS (
            SELECT 1 FROM customers c WHERE c.workspace_id = t.workspace_id AND c.id = t.customer_id
          )`.execute(trx);
      if (ids.length > 0) written += await writeStatsAndFacts(trx, db.dialect, workspaceId, ids, asOf, purchase);
      return end;
    });
    await opts.afterChunk?.(n);
    if (last === null) {
      await resetFileCounts(db.kysely, db.dialect, workspaceId);
      return written;
    }
    from = last;
    await letWritersIn(db.dialect);
  }
}
