import { sql, type RawBuilder } from 'kysely';
import { DEFAULT_CURRENCY } from '../../core/money.js';
import { dayWindow, fillDays, share, shortProvinceName } from '../../core/analytics.js';
import type { Dialect } from '../../db/connect.js';
import { localDaySql, timestampCast } from '../../db/dates.js';
import { orderCountsAsPurchase, purchaseRule } from '../customers/stats.js';
import { nowIso, type AppContext } from '../context.js';
import { offLoop } from '../heavy/run.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { currencyScope, dailyCountsSql, rangeCounts } from './pairs.js';
import { groupingOf, regrouped } from './rebuild.js';
import { keptFileTotals } from '../customers/file-counts.js';

/**
 * Member metrics for the dashboard and the analytics pages. A buyer is a customer with a paid,
 * not fully refunded order (the same rule as the customer stats); a returning buyer (老会员) is
 * one whose first purchase was before the period.
 */

export interface PeriodKpis {
  orders: number;
  revenueFen: number;
  buyers: number;
  newBuyers: number;
  returningBuyers: number;
  /** 老会员占比: returning buyers / buyers. */
  returningShare: number;
  /** Revenue from returning buyers / revenue. */
  returningRevenueShare: number;
  /** Buyers with two or more purchases in the period / buyers. */
  repurchaseRate: number;
  aovFen: number;
  /** Customers whose first order (paid or not) falls in the period. */
  newCustomers: number;
}

/** Orders, revenue and AOV in one currency. */
export interface CurrencyRevenue {
  currency: string;
  orders: number;
  revenueFen: number;
  aovFen: number;
}

/**
 * The currencies of the workspace's stores, the main one first (the one with the most orders;
 * CNY on a tie). Amounts in different currencies are never added: the dashboard's money figures
 * are in the main currency, and every currency has its own line in revenueByCurrency.
 */
export async function workspaceCurrencies(ctx: AppContext, workspaceId: string): Promise<string[]> {
  const k = ctx.db.kysely;
  const stores = await k.selectFrom('stores').select('currency').where('workspace_id', '=', workspaceId).execute();
  const set = [...new Set(stores.map((r) => r.currency))];
  if (set.length <= 1) return set.length ? set : [DEFAULT_CURRENCY];
  const counts = await k
    .selectFrom('orders as o')
    .innerJoin('stores as st', (j) =>
      j.onRef('st.workspace_id', '=', 'o.workspace_id').onRef('st.id', '=', 'o.store_id'),
    )
    .select(['st.currency', (eb) => eb.fn.countAll<number>().as('n')])
    .where('o.workspace_id', '=', workspaceId)
    .groupBy('st.currency')
    .execute();
  const n = new Map(counts.map((r) => [r.currency, Number(r.n)]));
  return set.sort(
    (a, b) =>
      (n.get(b) ?? 0) - (n.get(a) ?? 0) ||
      Number(b === DEFAULT_CURRENCY) - Number(a === DEFAULT_CURRENCY) ||
      a.localeCompare(b),
  );
}

/**
 * New to the shop = first order of any kind (paid or not) in the period; an import's own date says nothing about
 * when a buyer arrived. Read by customer_stats_first_order_idx (migration 0074).
 */
async function newCustomersOf(ctx: AppContext, workspaceId: string, from: string, to: string): Promise<number> {
  const r = await ctx.db.kysely
    .selectFrom('customer_stats')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('first_order_at', '>=', from)
    .where('first_order_at', '<', to)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * The day-pair scope (pairs.ts) the dashboard's period and daily trend are read from, or null to read them from
 * the orders. The pre-aggregates serve when the workspace's stores share one currency (their 'c:' scope is then every
 * store, as the orders path counts them), a build is there (none while a first build or one from scratch runs:
 * views.ts's rule), its grouping still holds (no store changed its currency) and it was read under the workspace's
 * purchase rule and zone offset as they are now (recorded by the build since 2026-11; an older build, or one before a
 * rule or zone change is rebuilt, is not read). Between builds the order upkeep (refreshBuyerRows) keeps the rows
 * in step with every order written, so the figures are those of the orders, by local day.
 */
export async function dashboardPairScope(
  ctx: AppContext,
  workspaceId: string,
  currencies: readonly string[],
  offsetMinutes: number,
): Promise<string | null> {
  if (currencies.length !== 1) return null;
  const k = ctx.db.kysely;
  const built = await k
    .selectFrom('analytics_builds')
    .select('stores')
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirst();
  if (!built?.stores) return null;
  let under: { rule?: unknown; offset?: unknown };
  try {
    under = JSON.parse(built.stores) as { rule?: unknown; offset?: unknown };
  } catch {
    return null;
  }
  const stores = await k
    .selectFrom('stores')
    .select(['id', 'currency'])
    .where('workspace_id', '=', workspaceId)
    .execute();
  if (regrouped(built.stores, groupingOf(stores))) return null;
  const rule = await purchaseRule(k, workspaceId);
  if (under.offset !== offsetMinutes || JSON.stringify(under.rule) !== JSON.stringify(rule)) return null;
  return currencyScope(currencies[0]!);
}

/**
 * The period KPIs from the day pairs: the same figures as periodKpis over whole local days (one currency: every
 * order is in it). A buyer is new when their first purchase is in the range — before it, they are 老会员.
 */
async function pairKpis(
  ctx: AppContext,
  workspaceId: string,
  scope: string,
  days: readonly string[],
  from: string,
  to: string,
  currency: string,
): Promise<PeriodKpis & { revenueByCurrency: CurrencyRevenue[] }> {
  const c = await rangeCounts(ctx.db.kysely, workspaceId, scope, days[0]!, days[days.length - 1]!);
  const aovFen = c.orders > 0 ? Math.round(c.revenueFen / c.orders) : 0;
  return {
    orders: c.orders,
    revenueFen: c.revenueFen,
    buyers: c.buyers,
    newBuyers: c.newBuyers,
    returningBuyers: c.buyers - c.newBuyers,
    returningShare: share(c.buyers - c.newBuyers, c.buyers),
    returningRevenueShare: share(c.revenueFen - c.newRevenueFen, c.revenueFen),
    repurchaseRate: share(c.repeatBuyers, c.buyers),
    aovFen,
    newCustomers: await newCustomersOf(ctx, workspaceId, from, to),
    revenueByCurrency: c.orders > 0 ? [{ currency, orders: c.orders, revenueFen: c.revenueFen, aovFen }] : [],
  };
}

/**
 * Orders `o` paid in [from, to). On SQLite the same window also as the hours it spans, which the paid-hour index
 * (migration 0075) serves: a plain paid_at index would be taken for every purchase test `paid_at IS NOT NULL`.
 * The exact bounds still decide; the hours only narrow the read (times are stored as ISO text in UTC).
 */
function paidWithin(dialect: Dialect, from: string, to: string): RawBuilder<boolean> {
  const ts = timestampCast(dialect);
  const exact = sql<boolean>`o.paid_at >= ${from}${ts} AND o.paid_at < ${to}${ts}`;
  if (dialect !== 'sqlite') return exact;
  return sql<boolean>`${exact} AND substr(o.paid_at, 1, 13) BETWEEN ${from.slice(0, 13)} AND ${to.slice(0, 13)}`;
}

async function periodKpis(
  ctx: AppContext,
  workspaceId: string,
  from: string,
  to: string,
  currency: string,
): Promise<PeriodKpis & { revenueByCurrency: CurrencyRevenue[] }> {
  const k = ctx.db.kysely;
  const purchase = orderCountsAsPurchase(await purchaseRule(k, workspaceId));
  const ts = timestampCast(ctx.db.dialect);
  const paid = paidWithin(ctx.db.dialect, from, to);
  const r = await sql<{
    orders: number | null;
    main_orders: number | null;
    revenue: number | null;
    buyers: number | null;
    new_buyers: number | null;
    returning_revenue: number | null;
    repeaters: number | null;
  }>`
    SELECT COUNT(*) AS orders,
           SUM(CASE WHEN per.currency = ${currency} THEN 1 ELSE 0 END) AS main_orders,
           SUM(CASE WHEN per.currency = ${currency} THEN per.revenue ELSE 0 END) AS revenue,
           COUNT(DISTINCT per.customer_id) AS buyers,
           COUNT(DISTINCT CASE WHEN s.first_paid_at >= ${from}${ts} THEN per.customer_id END) AS new_buyers,
           SUM(CASE WHEN s.first_paid_at < ${from}${ts} AND per.currency = ${currency} THEN per.revenue ELSE 0 END)
             AS returning_revenue,
           COUNT(DISTINCT CASE WHEN per.n >= 2 THEN per.customer_id END) AS repeaters
    FROM (
      SELECT o.customer_id, o.paid_fen - o.refunded_fen AS revenue, st.currency,
             COUNT(*) OVER (PARTITION BY o.customer_id) AS n
      FROM orders o
      JOIN stores st ON st.workspace_id = o.workspace_id AND st.id = o.store_id
      WHERE o.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL AND ${purchase}
        AND ${paid}
    ) per
    LEFT JOIN customer_stats s ON s.workspace_id = ${workspaceId} AND s.customer_id = per.customer_id
  `.execute(k);
  const byCurrency = await sql<{ currency: string; orders: number; revenue: number | null }>`
    SELECT st.currency, COUNT(*) AS orders, SUM(o.paid_fen - o.refunded_fen) AS revenue
    FROM orders o
    JOIN stores st ON st.workspace_id = o.workspace_id AND st.id = o.store_id
    WHERE o.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL AND ${purchase}
      AND ${paid}
    GROUP BY st.currency`.execute(k);
  const row = r.rows[0]!;
  const newCustomers = await newCustomersOf(ctx, workspaceId, from, to);
  const orders = Number(row.orders ?? 0);
  const mainOrders = Number(row.main_orders ?? 0);
  const revenueFen = Number(row.revenue ?? 0);
  const buyers = Number(row.buyers ?? 0);
  const newBuyers = Number(row.new_buyers ?? 0);
  return {
    orders,
    revenueFen,
    buyers,
    newBuyers,
    returningBuyers: buyers - newBuyers,
    returningShare: share(buyers - newBuyers, buyers),
    returningRevenueShare: share(Number(row.returning_revenue ?? 0), revenueFen),
    repurchaseRate: share(Number(row.repeaters ?? 0), buyers),
    aovFen: mainOrders > 0 ? Math.round(revenueFen / mainOrders) : 0,
    newCustomers,
    revenueByCurrency: byCurrency.rows
      .map((c) => ({
        currency: c.currency,
        orders: Number(c.orders),
        revenueFen: Number(c.revenue ?? 0),
        aovFen: Number(c.orders) > 0 ? Math.round(Number(c.revenue ?? 0) / Number(c.orders)) : 0,
      }))
      .sort((a, b) => Number(b.currency === currency) - Number(a.currency === currency) || b.orders - a.orders),
  };
}

export async function dashboardHere(
  ctx: AppContext,
  workspaceId: string,
  days: number,
  opts: { preAggregates?: boolean } = {},
) {
  const k = ctx.db.kysely;
  const purchase = orderCountsAsPurchase(await purchaseRule(k, workspaceId));
  const tz = await workspaceTimezone(k, workspaceId);
  const now = nowIso(ctx);
  const w = dayWindow(now, tz, days);
  const ts = timestampCast(ctx.db.dialect);
  const paidDay = localDaySql(ctx.db.dialect, sql.ref('o.paid_at'), w.offsetMinutes);
  const firstDay = localDaySql(ctx.db.dialect, sql.ref('s.first_paid_at'), w.offsetMinutes);

  const currencies = await workspaceCurrencies(ctx, workspaceId);
  const currency = currencies[0]!;
  // The period and the trend from the analytics pre-aggregates when they are built and current (a read of the
  // window's days, not of its orders), else from the orders; today's figures from the orders either way (by
  // orders_paid_idx on PostgreSQL, the paid-hour index on SQLite: today's orders only).
  const scope =
    opts.preAggregates === false ? null : await dashboardPairScope(ctx, workspaceId, currencies, w.offsetMinutes);
  const [today, period, daily, firsts, totals] = await Promise.all([
    periodKpis(ctx, workspaceId, w.todayStart, now, currency),
    scope
      ? pairKpis(ctx, workspaceId, scope, w.days, w.since, now, currency)
      : periodKpis(ctx, workspaceId, w.since, now, currency),
    scope
      ? dailyCountsSql(workspaceId, scope, w.days[0]!, w.days[w.days.length - 1]!).execute(k)
      : sql<{ day: string; orders: number; revenue: number; buyers: number }>`
      SELECT ${paidDay} AS day, COUNT(*) AS orders,
             SUM(CASE WHEN st.currency = ${currency} THEN o.paid_fen - o.refunded_fen ELSE 0 END) AS revenue,
             COUNT(DISTINCT o.customer_id) AS buyers
      FROM orders o
      JOIN stores st ON st.workspace_id = o.workspace_id AND st.id = o.store_id
      WHERE o.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL AND ${purchase}
        AND ${paidWithin(ctx.db.dialect, w.since, now)}
      GROUP BY ${paidDay}`.execute(k),
    sql<{ day: string; newBuyers: number }>`
      SELECT ${firstDay} AS day, COUNT(*) AS "newBuyers"
      FROM customer_stats s
      WHERE s.workspace_id = ${workspaceId} AND s.first_paid_at >= ${w.since}${ts} AND s.first_paid_at < ${now}${ts}
      GROUP BY ${firstDay}`.execute(k),
    keptFileTotals(k, ctx.db.dialect, workspaceId),
  ]);
  const newByDay = new Map(firsts.rows.map((r) => [r.day, Number(r.newBuyers)]));
  const trend = fillDays(
    w.days,
    daily.rows.map((r) => ({
      day: r.day,
      orders: Number(r.orders ?? 0),
      revenueFen: Number(r.revenue ?? 0),
      buyers: Number(r.buyers ?? 0),
      newBuyers: newByDay.get(r.day) ?? 0,
    })),
    ['orders', 'revenueFen', 'buyers', 'newBuyers'] as const,
  );
  const { buyers } = totals;
  return {
    timezone: tz,
    /** The currency of every money figure below (revenueByCurrency has the others). */
    currency,
    currencies,
    days: w.days.length,
    today,
    period,
    totals: {
      customers: totals.customers,
      buyers,
      repeatBuyers: totals.repeatBuyers,
      /** 复购率 over the whole customer file. */
      repurchaseRate: share(totals.repeatBuyers, buyers),
      consented: totals.consented,
    },
    trend,
  };
}

/** Buyers and their spend per province (customer stats), with the short names the China map uses. */
export async function provincesHere(ctx: AppContext, workspaceId: string) {
  const currencies = await workspaceCurrencies(ctx, workspaceId);
  const currency = currencies[0]!;
  // One currency: the stats say it all. Several: spend comes from the orders in the main
  // currency only, so pounds and yuan are never added.
  const rows =
    currencies.length === 1
      ? await ctx.db.kysely
          .selectFrom('customer_stats')
          .select((eb) => [
            'province',
            eb.fn.countAll<number>().as('buyers'),
            eb.fn.sum<number>('total_spent_fen').as('spent'),
            eb.fn.sum<number>('paid_orders').as('orders'),
          ])
          .where('workspace_id', '=', workspaceId)
          .where('paid_orders', '>=', 1)
          .groupBy('province')
          .execute()
      : (
          await sql<{ province: string | null; buyers: number; spent: number | null; orders: number | null }>`
            SELECT s.province, COUNT(DISTINCT o.customer_id) AS buyers, SUM(o.paid_fen - o.refunded_fen) AS spent,
                   COUNT(*) AS orders
            FROM orders o
            JOIN stores st ON st.workspace_id = o.workspace_id AND st.id = o.store_id
            JOIN customer_stats s ON s.workspace_id = o.workspace_id AND s.customer_id = o.customer_id
            WHERE o.workspace_id = ${workspaceId}
              AND ${orderCountsAsPurchase(await purchaseRule(ctx.db.kysely, workspaceId))}
              AND st.currency = ${currency}
            GROUP BY s.province`.execute(ctx.db.kysely)
        ).rows;
  const total = rows.reduce((a, r) => a + Number(r.spent ?? 0), 0);
  return rows
    .map((r) => ({
      province: r.province ?? null,
      short: r.province ? shortProvinceName(r.province) : null,
      buyers: Number(r.buyers),
      orders: Number(r.orders ?? 0),
      spentFen: Number(r.spent ?? 0),
      currency,
      spentShare: share(Number(r.spent ?? 0), total),
    }))
    .sort((a, b) => b.spentFen - a.spentFen);
}

// Whole-shop aggregates: off the event loop, under the heavy-read time limit (modules/heavy).
export const dashboard = (ctx: AppContext, workspaceId: string, days: number, opts: { preAggregates?: boolean } = {}) =>
  offLoop(ctx, 'analytics.dashboard', dashboardHere, workspaceId, days, opts);
export const provinces = (ctx: AppContext, workspaceId: string) =>
  offLoop(ctx, 'analytics.provinces', provincesHere, workspaceId);
