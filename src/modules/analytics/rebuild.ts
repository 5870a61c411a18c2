import { sql, type RawBuilder } from 'kysely';
import { localDate, zoneOffsetMinutes } from '../../core/time.js';
import type { Dialect } from '../../db/connect.js';
import { localDaySql } from '../../db/dates.js';
import { orderCountsAsPurchase, purchaseRule } from '../customers/stats.js';
import { chunks, nowIso, type AppContext } from '../context.js';
import type { Executor } from '../../jobs/queue.js';
import { applyDayPairs, buildDayPairs } from './pairs.js';
import { buildRangeSnapshots, rangeBandsBack, rangeBandsOut } from './snapshots.js';
import { workspaceTimezone } from '../workspaces/service.js';

/**
 * Rebuilds a workspace's analytics pre-aggregates from its orders in one pass of INSERT … SELECT
 * per table, in one transaction (readers see the old figures or the new, never half). Run by the
 * `analytics.rebuild` job queued after every import, by the nightly stats job, by
 * `huike recompute` and after the demo shop is generated. Days and hours are local to the
 * workspace's time zone (its offset now: exact for Asia/Shanghai, which has no daylight saving).
 */

/** An order paid at least this long after it was created counts as 催付挽回 (unpaid, recovered). */
export const RECOVERED_AFTER_MINUTES = 60;

export function localHourSql(dialect: Dialect, column: RawBuilder<unknown>, offsetMinutes: number): RawBuilder<number> {
  const m = Math.trunc(offsetMinutes);
  if (dialect === 'postgres')
    return sql<number>`CAST(EXTRACT(HOUR FROM (${column} AT TIME ZONE 'UTC')
      + make_interval(mins => ${sql.lit(m)})) AS integer)`;
  const shift = sql.lit(`${m >= 0 ? '+' : ''}${m} minutes`);
  return sql<number>`CAST(substr(datetime(${column}, ${shift}), 12, 2) AS integer)`;
}

function paidLate(dialect: Dialect): RawBuilder<boolean> {
  if (dialect === 'postgres')
    return sql<boolean>`o.paid_at - o.created_at >= make_interval(mins => ${sql.lit(RECOVERED_AFTER_MINUTES)})`;
  // Rounded to the millisecond: julianday's floating point makes exactly an hour 59.99999… minutes.
  return sql<boolean>`ROUND((julianday(o.paid_at) - julianday(o.created_at)) * 86400000)
    >= ${sql.lit(RECOVERED_AFTER_MINUTES * 60_000)}`;
}

const BUYER_DAY_COLUMNS = sql.raw(
  '(workspace_id, store_id, customer_id, day, orders, revenue_fen, store_first_day, currency_first_day)',
);

/** The buyer-day rows of the workspace's purchases (or of these customers' only), first days included. */
function buyerDaysOf(ws: string, paidDay: RawBuilder<string>, purchase: RawBuilder<unknown>, ids?: readonly string[]) {
  const only = ids ? sql`AND o.customer_id IN (${sql.join(ids)})` : sql``;
  return sql`
      SELECT ${ws}, x.store_id, x.customer_id, x.day, x.orders, x.revenue_fen,
        MIN(x.day) OVER (PARTITION BY x.store_id, x.customer_id),
        MIN(x.day) OVER (PARTITION BY s.currency, x.customer_id)
      FROM (
        SELECT o.store_id, o.customer_id, ${paidDay} AS day, COUNT(*) AS orders,
          SUM(o.paid_fen - o.refunded_fen) AS revenue_fen
        FROM orders o
        WHERE o.workspace_id = ${ws} AND o.customer_id IS NOT NULL AND ${purchase} ${only}
        GROUP BY o.store_id, o.customer_id, ${paidDay}
      ) x
      JOIN stores s ON s.workspace_id = ${ws} AND s.id = x.store_id`;
}

/**
 * Keeps the buyer-day rows and the day pairs of these customers in step with their orders, in the caller's
 * transaction: called wherever their stats are refreshed (orders written by an import or the order API, a
 * merge and its undo). A customer whose orders are gone (merged away) loses their rows. Hours, products and
 * cohorts wait for the next rebuild (queued after every import, nightly).
 */
export async function refreshBuyerRows(
  db: Executor,
  dialect: Dialect,
  ws: string,
  customerIds: Iterable<string>,
  now: string,
): Promise<void> {
  const ids = [...new Set(customerIds)];
  if (!ids.length) return;
  // Nothing to keep in step before the first build (the build reads the orders as they are then).
  const built = await db.selectFrom('analytics_builds').select('workspace_id').where('workspace_id', '=', ws).execute();
  if (!built.length) return;
  const tz = await workspaceTimezone(db, ws);
  const offset = zoneOffsetMinutes(tz, Date.parse(now));
  const purchase = orderCountsAsPurchase(await purchaseRule(db, ws));
  const paidDay = localDaySql(dialect, sql.ref('o.paid_at'), offset);
  for (const part of chunks(ids, 400)) {
    const keeping = await rangeBandsOut(db, ws, part);
    await applyDayPairs(db, ws, part, -1);
    await db
      .deleteFrom('analytics_buyer_days')
      .where('workspace_id', '=', ws)
      .where('customer_id', 'in', part)
      .execute();
    await sql`INSERT INTO analytics_buyer_days ${BUYER_DAY_COLUMNS}
      ${buyerDaysOf(ws, paidDay, purchase, part)}`.execute(db);
    await applyDayPairs(db, ws, part, 1);
    if (keeping) await rangeBandsBack(db, ws, part);
  }
}

export async function rebuildAnalytics(ctx: AppContext, ws: string): Promise<{ orders: number; ms: number }> {
  const t0 = Date.now();
  const k = ctx.db.kysely;
  const d = ctx.db.dialect;
  const tz = await workspaceTimezone(k, ws);
  const offset = zoneOffsetMinutes(tz, ctx.now().getTime());
  const purchase = orderCountsAsPurchase(await purchaseRule(k, ws));
  const paidDay = localDaySql(d, sql.ref('o.paid_at'), offset);
  const paidHour = localHourSql(d, sql.ref('o.paid_at'), offset);
  const createdDay = localDaySql(d, sql.ref('o.created_at'), offset);
  const createdHour = localHourSql(d, sql.ref('o.created_at'), offset);
  const late = paidLate(d);
  const product = sql`COALESCE(NULLIF(i.title, ''), NULLIF(i.sku, ''), NULLIF(i.external_item_id, ''))`;
  return k.transaction().execute(async (trx) => {
    for (const t of [
      'analytics_buyer_days',
      'analytics_hours',
      'analytics_product_days',
      'analytics_product_firsts',
      'analytics_cohorts',
    ] as const)
      await trx.deleteFrom(t).where('workspace_id', '=', ws).execute();
    await sql`INSERT INTO analytics_buyer_days ${BUYER_DAY_COLUMNS} ${buyerDaysOf(ws, paidDay, purchase)}`.execute(trx);
    await buildDayPairs(trx, ws);
    await sql`
      INSERT INTO analytics_hours (workspace_id, store_id, day, hour, created_orders, created_paid, recovered_orders,
        recovered_fen, paid_orders, revenue_fen)
      SELECT ${ws}, x.store_id, x.day, x.hour, SUM(x.co), SUM(x.cp), SUM(x.ro), SUM(x.rf), SUM(x.po), SUM(x.rv)
      FROM (
        SELECT o.store_id, ${createdDay} AS day, ${createdHour} AS hour, 1 AS co,
               CASE WHEN o.paid_at IS NOT NULL THEN 1 ELSE 0 END AS cp,
               CASE WHEN o.paid_at IS NOT NULL AND ${late} THEN 1 ELSE 0 END AS ro,
               CASE WHEN o.paid_at IS NOT NULL AND ${late} THEN o.paid_fen ELSE 0 END AS rf,
               0 AS po, 0 AS rv
        FROM orders o
        WHERE o.workspace_id = ${ws} AND o.kind <> 'credit'
        UNION ALL
        SELECT o.store_id, ${paidDay} AS day, ${paidHour} AS hour, 0, 0, 0, 0, 1, o.paid_fen - o.refunded_fen
        FROM orders o
        WHERE o.workspace_id = ${ws} AND o.customer_id IS NOT NULL AND ${purchase}
      ) x
      GROUP BY x.store_id, x.day, x.hour`.execute(trx);
    await sql`
      INSERT INTO analytics_product_days (workspace_id, store_id, day, product, customer_id, orders, units, revenue_fen)
      SELECT ${ws}, o.store_id, ${paidDay}, ${product}, o.customer_id, COUNT(DISTINCT o.id), SUM(i.quantity),
             SUM(COALESCE(i.paid_fen, i.price_fen * i.quantity))
      FROM orders o
      JOIN order_items i ON i.workspace_id = o.workspace_id AND i.order_id = o.id
      WHERE o.workspace_id = ${ws} AND o.customer_id IS NOT NULL AND ${purchase} AND ${product} IS NOT NULL
      GROUP BY o.store_id, ${paidDay}, ${product}, o.customer_id`.execute(trx);
    await sql`
      INSERT INTO analytics_product_firsts (workspace_id, store_id, product, first_day)
      SELECT ${ws}, store_id, product, MIN(day) FROM analytics_product_days
      WHERE workspace_id = ${ws}
      GROUP BY store_id, product`.execute(trx);
    // The per-buyer answers of the ranges sellers use, as of today (snapshots.ts).
    await buildRangeSnapshots(trx, ws, localDate(ctx.now().toISOString(), tz));
    // Cohorts per store and for all stores together ('').
    await sql`
      INSERT INTO analytics_cohorts (workspace_id, store_id, cohort_month, active_month, buyers)
      SELECT ${ws}, b.store_id, f.cohort, substr(b.day, 1, 7), COUNT(DISTINCT b.customer_id)
      FROM analytics_buyer_days b
      JOIN (SELECT store_id, customer_id, substr(MIN(day), 1, 7) AS cohort FROM analytics_buyer_days
            WHERE workspace_id = ${ws} GROUP BY store_id, customer_id) f
        ON f.store_id = b.store_id AND f.customer_id = b.customer_id
      WHERE b.workspace_id = ${ws}
      GROUP BY b.store_id, f.cohort, substr(b.day, 1, 7)`.execute(trx);
    await sql`
      INSERT INTO analytics_cohorts (workspace_id, store_id, cohort_month, active_month, buyers)
      SELECT ${ws}, '', f.cohort, substr(b.day, 1, 7), COUNT(DISTINCT b.customer_id)
      FROM analytics_buyer_days b
      JOIN (SELECT customer_id, substr(MIN(day), 1, 7) AS cohort FROM analytics_buyer_days
            WHERE workspace_id = ${ws} GROUP BY customer_id) f
        ON f.customer_id = b.customer_id
      WHERE b.workspace_id = ${ws}
      GROUP BY f.cohort, substr(b.day, 1, 7)`.execute(trx);
    const n = await trx
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    const orders = Number(n.n);
    const ms = Date.now() - t0;
    const row = { workspace_id: ws, built_at: nowIso(ctx), orders, build_ms: ms };
    await trx
      .insertInto('analytics_builds')
      .values(row)
      .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ built_at: row.built_at, orders, build_ms: ms }))
      .execute();
    return { orders, ms };
  });
}
