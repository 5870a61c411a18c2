import { sql } from 'kysely';
import { z } from 'zod';
import { share } from '../../core/analytics.js';
import {
  AGE_BANDS,
  AOV_BANDS,
  change,
  checkDate,
  checkRange,
  CHURN_BUCKETS,
  CITY_TIERS,
  cityTier,
  cohortMatrix,
  comparable,
  type DateRange,
  FREQUENCY_BANDS,
  gapToBand,
  monthsOf,
  monthWindows,
  monthYearAgo,
  previousMonth,
  previousRange,
  sameDaysIn,
  shiftDate,
  shiftYears,
  timingSeries,
  yearAgoRange,
} from '../../core/analytics-views.js';
import { Invalid, NotFound } from '../../core/errors.js';
import { reason } from '../../core/reasons.js';
import type { AppContext } from '../context.js';
import { readSetting, writeSetting } from '../settings.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { localDate } from '../../core/time.js';
import { workspaceCurrencies } from './service.js';
import {
  currencyScope,
  hasProvincePairs,
  lastPurchaseCounts,
  monthCountsSql,
  rangeCounts,
  rangeCountsSql,
  storeScope,
} from './pairs.js';
import { isKeptRange, keptBands, keptProducts } from './snapshots.js';
import { distributionBands, type ProductRow, productRows } from '../../core/analytics-memory.js';
import { memoryIndexFor } from './memory.js';

/**
 * The 数据分析 views, read from the pre-aggregates (rebuild.ts). A buyer (成交会员) is a customer
 * with a purchase paid in the range (customers/stats.ts decides what a purchase is); 老会员 is a
 * buyer who had a purchase before the range starts, in the same stores.
 */

export interface Scope {
  /** Local days, both included; the last 30 days up to today when left out. */
  from?: string | undefined;
  to?: string | undefined;
  storeId?: string | undefined;
}

export const DEFAULT_DAYS = 30;

/** The range asked for, or the last 30 local days up to today; refused when it is not a range of real dates. */
export async function rangeOf(ctx: AppContext, ws: string, scope: Scope): Promise<DateRange> {
  // The dates given first: the defaults below are computed from them.
  for (const d of [scope.from, scope.to]) {
    const bad = d === undefined ? null : checkDate(d);
    if (bad) throw new Invalid(`from/to: ${bad.message}`, reason(bad.key, bad.params));
  }
  const tz = await workspaceTimezone(ctx.db.kysely, ws);
  const today = localDate(ctx.now().toISOString(), tz);
  const to = scope.to ?? (scope.from && scope.from > today ? scope.from : today);
  const range = { from: scope.from ?? shiftDate(to, -(DEFAULT_DAYS - 1)), to };
  const bad = checkRange(range);
  if (bad) throw new Invalid(`from/to: ${bad.message}`, reason(bad.key, bad.params));
  return range;
}

export interface Resolved extends DateRange {
  ws: string;
  storeIds: string[];
  currency: string;
  builtAt: string | null;
  /**
   * The buyer_days column holding the buyer's first purchase day over exactly the stores in scope:
   * one store, or all the stores of the main currency (migration 0030).
   */
  firstDay: 'store_first_day' | 'currency_first_day';
  /** The analytics_day_pairs scope of the same stores (migration 0033). */
  pairScope: string;
  /** Whether the day pairs are split by province (the build's layout, pairs.ts). */
  provincePairs: boolean;
}

export async function resolve(ctx: AppContext, ws: string, scope: Scope): Promise<Resolved> {
  const range = await rangeOf(ctx, ws, scope);
  const k = ctx.db.kysely;
  const stores = await k.selectFrom('stores').select(['id', 'currency']).where('workspace_id', '=', ws).execute();
  let storeIds: string[];
  let currency: string;
  if (scope.storeId) {
    const s = stores.find((x) => x.id === scope.storeId);
    if (!s)
      throw new NotFound(
        `store ${scope.storeId} not found`,
        reason('analytics.storeNotFound', { store: scope.storeId }),
      );
    storeIds = [s.id];
    currency = s.currency;
  } else {
    // All stores = the stores in the main currency: yuan and pounds are never added.
    currency = (await workspaceCurrencies(ctx, ws))[0]!;
    storeIds = stores.filter((s) => s.currency === currency).map((s) => s.id);
  }
  const built = await k
    .selectFrom('analytics_builds')
    .select(['built_at', 'stores'])
    .where('workspace_id', '=', ws)
    .executeTakeFirst();
  const firstDay = scope.storeId ? 'store_first_day' : 'currency_first_day';
  // Not built (the first build, or one starting from nothing, is running): nothing is read, so a half-filled
  // state is never shown as figures; `builtAt: null` says why.
  const pairScope = !built ? '' : scope.storeId ? storeScope(scope.storeId) : currencyScope(currency);
  return {
    ws,
    ...range,
    storeIds: built ? storeIds : [],
    currency,
    builtAt: built ? String(built.built_at) : null,
    firstDay,
    pairScope,
    provincePairs: hasProvincePairs(built?.stores),
  };
}

export const inStores = (col: string, ids: string[]) => sql`${sql.ref(col)} IN (${sql.join(ids.length ? ids : [''])})`;

const num = (v: unknown) => Number(v ?? 0);

/**
 * Buyers of a range: one row per buyer with orders, revenue and whether they had bought before
 * (their first purchase day in the stores in scope, carried on every row, is before the range).
 * Read from the covering day index alone: no lookup of each buyer's history. Grouped on an
 * expression so that SQLite reads the range's rows by the day index rather than walking the whole
 * workspace in customer order to group without sorting.
 */
export function buyersOf(r: Resolved, range: DateRange) {
  return sql`
    SELECT b.customer_id || '' AS customer_id, SUM(b.orders) AS ord, SUM(b.revenue_fen) AS rev,
      CASE WHEN MIN(${sql.ref(`b.${r.firstDay}`)}) < ${range.from} THEN 1 ELSE 0 END AS ret
    FROM analytics_buyer_days b
    WHERE b.workspace_id = ${r.ws} AND b.day >= ${range.from} AND b.day <= ${range.to}
      AND ${inStores('b.store_id', r.storeIds)}
    GROUP BY b.customer_id || ''`;
}

export interface MemberKpis {
  buyers: number;
  revenueFen: number;
  orders: number;
  aovFen: number;
  returningBuyers: number;
  returningRevenueFen: number;
  /** 老会员成交人数占比 */
  returningBuyerShare: number;
  /** 老会员成交金额占比 */
  returningRevenueShare: number;
  newBuyers: number;
  repeatBuyers: number;
  /** Buyers with two or more orders in the range / buyers. */
  repurchaseRate: number;
}

/** The statements of the heaviest views, for EXPLAIN in `npm run bench -- analytics`. */
export async function mainStatements(ctx: AppContext, ws: string, scope: Scope) {
  const r = await resolve(ctx, ws, scope);
  return {
    overview: rangeCountsSql(ws, r.pairScope, r.from, r.to),
    repurchase: monthCountsSql(ws, r.pairScope, r.from, r.to),
    distribution: (({ both, people }) => both ?? people!)(distributionSql(r, ctx.db.dialect)),
  };
}

/** The member KPIs of a range, from the day pairs (pairs.ts): sums over the range's days. */
async function memberKpis(ctx: AppContext, r: Resolved, range: DateRange): Promise<MemberKpis> {
  const c = await rangeCounts(ctx.db.kysely, r.ws, r.pairScope, range.from, range.to);
  const returningBuyers = c.buyers - c.newBuyers;
  const returningRevenueFen = c.revenueFen - c.newRevenueFen;
  return {
    buyers: c.buyers,
    revenueFen: c.revenueFen,
    orders: c.orders,
    aovFen: c.orders > 0 ? Math.round(c.revenueFen / c.orders) : 0,
    returningBuyers,
    returningRevenueFen,
    returningBuyerShare: share(returningBuyers, c.buyers),
    returningRevenueShare: share(returningRevenueFen, c.revenueFen),
    newBuyers: c.newBuyers,
    repeatBuyers: c.repeatBuyers,
    repurchaseRate: share(c.repeatBuyers, c.buyers),
  };
}

export const head = (r: Resolved) => ({ from: r.from, to: r.to, currency: r.currency, builtAt: r.builtAt });

/** The member KPIs of a range with 环比 (previous range of the same length) and 同比 (a year before). */
export async function overviewHere(ctx: AppContext, ws: string, scope: Scope) {
  const r = await resolve(ctx, ws, scope);
  const prev = previousRange(r);
  const yearAgo = yearAgoRange(r);
  const kpis = await memberKpis(ctx, r, r);
  const previous = await memberKpis(ctx, r, prev);
  const lastYear = await memberKpis(ctx, r, yearAgo);
  const f = await sql<Record<string, unknown>>`
    SELECT SUM(created_orders) AS created, SUM(created_paid) AS paid, SUM(recovered_orders) AS recovered,
      SUM(recovered_fen) AS recovered_fen
    FROM analytics_hours
    WHERE workspace_id = ${ws} AND day >= ${r.from} AND day <= ${r.to} AND ${inStores('store_id', r.storeIds)}`.execute(
    ctx.db.kysely,
  );
  const fr = f.rows[0] ?? {};
  const dataFrom = await firstDataDay(ctx, r);
  const changes = (a: MemberKpis, b: MemberKpis, range: DateRange) => {
    const ok = comparable(range, dataFrom);
    const c = (x: number, y: number) => (ok ? change(x, y) : null);
    return {
      buyers: c(a.buyers, b.buyers),
      revenueFen: c(a.revenueFen, b.revenueFen),
      orders: c(a.orders, b.orders),
      aovFen: c(a.aovFen, b.aovFen),
      returningBuyerShare: c(a.returningBuyerShare, b.returningBuyerShare),
      returningRevenueShare: c(a.returningRevenueShare, b.returningRevenueShare),
    };
  };
  return {
    ...head(r),
    kpis,
    dataFrom,
    previous: { ...prev, kpis: previous, comparable: comparable(prev, dataFrom) },
    yearAgo: { ...yearAgo, kpis: lastYear, comparable: comparable(yearAgo, dataFrom) },
    mom: changes(kpis, previous, prev),
    yoy: changes(kpis, lastYear, yearAgo),
    payment: {
      createdOrders: num(fr.created),
      paidOrders: num(fr.paid),
      paymentRate: share(num(fr.paid), num(fr.created)),
      recoveredOrders: num(fr.recovered),
      recoveredFen: num(fr.recovered_fen),
    },
  };
}

export const analyticsSettings = z
  .object({
    /** The seller's industry reference for the monthly 复购率 (e.g. apparel 0.20–0.30). */
    repurchaseReference: z
      .object({
        label: z.string().trim().max(40).default(''),
        low: z.number().min(0).max(1),
        high: z.number().min(0).max(1),
      })
      .refine((v) => v.low <= v.high, {
        message: 'low must not be above high',
        params: reason('input.lowAboveHigh', { field: 'repurchaseReference' }),
      })
      .nullable()
      .default(null),
  })
  .strict();

export type AnalyticsSettings = z.infer<typeof analyticsSettings>;

export const getAnalyticsSettings = (ctx: AppContext, ws: string) =>
  readSetting(ctx.db.kysely, ws, 'analytics', analyticsSettings);
export const setAnalyticsSettings = (ctx: AppContext, ws: string, input: unknown) =>
  writeSetting(ctx, ws, 'analytics', analyticsSettings, input, 'The analytics settings');

/**
 * 复购率 per calendar month of the range: the month's buyers for whom a purchase in the month was
 * at least their second (they had bought before the month, or bought twice in it) / the month's buyers.
 */
export async function repurchaseHere(ctx: AppContext, ws: string, scope: Scope) {
  const r = await resolve(ctx, ws, scope);
  const settings = await getAnalyticsSettings(ctx, ws);
  const ref = settings.repurchaseReference;
  const byMonth = await repurchaseCounts(ctx, r);
  return {
    ...head(r),
    reference: ref,
    months: monthsOf(r).map((month) => {
      const x = byMonth.get(month);
      const buyers = x?.buyers ?? 0;
      const repeatBuyers = x?.repeaters ?? 0;
      const rate = share(repeatBuyers, buyers);
      const gap = buyers > 0 ? gapToBand(rate, ref?.low ?? null, ref?.high ?? null) : null;
      return { month, buyers, repeatBuyers, rate, gap };
    }),
  };
}

/**
 * Buyers and repeat buyers per month. Months from the first of a month on come from the day pairs; a range
 * starting mid-month reads that first, partial month from the buyer-day rows (at most a month of them),
 * because "bought before the month" then reaches before the range.
 */
async function repurchaseCounts(ctx: AppContext, r: Resolved) {
  const k = ctx.db.kysely;
  const out = new Map<string, { buyers: number; repeaters: number }>();
  let wholeFrom = r.from;
  if (!r.from.endsWith('-01')) {
    const monthEnd = shiftDate(`${nextMonthOf(r.from.slice(0, 7))}-01`, -1);
    const partial = { from: r.from, to: monthEnd < r.to ? monthEnd : r.to };
    for (const x of (await repurchaseSql(r, partial).execute(k)).rows)
      out.set(x.m, { buyers: num(x.buyers), repeaters: num(x.repeaters) });
    wholeFrom = shiftDate(monthEnd, 1);
  }
  if (wholeFrom <= r.to)
    for (const x of (await monthCountsSql(r.ws, r.pairScope, wholeFrom, r.to).execute(k)).rows) {
      const buyers = num(x.buyers);
      out.set(x.m, { buyers, repeaters: buyers - num(x.new_singles) });
    }
  return out;
}

const nextMonthOf = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
};

function repurchaseSql(r: Resolved, range: DateRange) {
  const ws = r.ws;
  // 'YYYY-MM-DD' < 'YYYY-MM' exactly when the day is in an earlier month.
  return sql<{ m: string; buyers: number; repeaters: number }>`
    SELECT x.m, COUNT(*) AS buyers, SUM(CASE WHEN x.ord >= 2 OR x.first_day < x.m THEN 1 ELSE 0 END) AS repeaters
    FROM (
      SELECT substr(b.day, 1, 7) AS m, b.customer_id, SUM(b.orders) AS ord,
        MIN(${sql.ref(`b.${r.firstDay}`)}) AS first_day
      FROM analytics_buyer_days b
      WHERE b.workspace_id = ${ws} AND b.day >= ${range.from} AND b.day <= ${range.to}
        AND ${inStores('b.store_id', r.storeIds)}
      GROUP BY substr(b.day, 1, 7), b.customer_id
    ) x
    GROUP BY x.m`;
}

/** Retention of each first-order-month cohort whose first month is in the range. */
export async function cohortsHere(ctx: AppContext, ws: string, scope: Scope) {
  const r = await resolve(ctx, ws, scope);
  const rows = await ctx.db.kysely
    .selectFrom('analytics_cohorts')
    .select(['cohort_month', 'active_month', 'buyers'])
    .where('workspace_id', '=', ws)
    .where('store_id', '=', scope.storeId ?? '')
    .where('cohort_month', '>=', r.from.slice(0, 7))
    .where('cohort_month', '<=', r.to.slice(0, 7))
    .execute();
  return {
    ...head(r),
    cohorts: cohortMatrix(rows.map((x) => ({ cohort: x.cohort_month, month: x.active_month, buyers: num(x.buyers) }))),
  };
}

/**
 * The range's buyers by frequency band, AOV band and their customer's gender, city and age band. On SQLite in
 * one pass over the buyers (the buyer rows are the cost; two passes took 2–4 times as long at 200,000
 * customers); a buyer without a customer row (has_c = 0) counts in frequency and AOV only, as the people bands
 * always joined the customers. On PostgreSQL the one pass is slower (it sorts ~all buyers on six keys instead
 * of hashing a few groups), so the bands and the people are two statements there.
 */
function distributionSql(r: Resolved, dialect: 'sqlite' | 'postgres') {
  const freqCase = sql.raw(
    `CASE ${FREQUENCY_BANDS.filter((b) => Number.isFinite(b.max))
      .map((b) => `WHEN x.ord <= ${b.max} THEN '${b.key}'`)
      .join(' ')} ELSE '6+' END`,
  );
  // A buyer's average order value in fen: rev / ord compared without division (rev < max * ord).
  const aovCase = sql.raw(
    `CASE ${AOV_BANDS.filter((b) => Number.isFinite(b.max))
      .map((b) => `WHEN x.rev < ${b.max} * x.ord THEN '${b.key}'`)
      .join(' ')} ELSE '1000+' END`,
  );
  // Age on the last day of the range: at least A years old ⇔ born on or before to − A years.
  const ageCase = sql`CASE WHEN c.birthday IS NULL OR c.birthday = '' THEN 'unknown' ${sql.join(
    AGE_BANDS.slice(0, -1).map((b) => sql`WHEN c.birthday > ${shiftYears(r.to, -(b.max + 1))} THEN ${b.key}`),
    sql` `,
  )} ELSE '50+' END`;
  if (dialect === 'postgres')
    return {
      bands: sql<{ freq: string; aov: string; n: number; rev: number }>`
        SELECT ${freqCase} AS freq, ${aovCase} AS aov, COUNT(*) AS n, SUM(x.rev) AS rev
        FROM (${buyersOf(r, r)}) x
        GROUP BY 1, 2`,
      people: sql<{ gender: string | null; city: string | null; age: string; n: number }>`
        SELECT c.gender, c.city, ${ageCase} AS age, COUNT(*) AS n
        FROM (${buyersOf(r, r)}) x
        JOIN customers c ON c.workspace_id = ${r.ws} AND c.id = x.customer_id
        GROUP BY 1, 2, 3`,
    };
  const both = sql<{
    freq: string;
    aov: string;
    has_c: number;
    gender: string | null;
    city: string | null;
    age: string;
    n: number;
    rev: number;
  }>`
    SELECT ${freqCase} AS freq, ${aovCase} AS aov, CASE WHEN c.id IS NULL THEN 0 ELSE 1 END AS has_c,
      c.gender, c.city, ${ageCase} AS age, COUNT(*) AS n, SUM(x.rev) AS rev
    FROM (${buyersOf(r, r)}) x
    LEFT JOIN customers c ON c.workspace_id = ${r.ws} AND c.id = x.customer_id
    GROUP BY 1, 2, 3, 4, 5, 6`;
  return { both };
}

/** One dimension's buyers per key (freq, aov: all buyers; age, gender, city: those with a customer row). */
type BandRow = { dim: string; key: string; n: number; rev: number };

/**
 * How a view may be answered: `kept: false` reads the buyer rows in SQL (the tests and the bench compare the
 * paths); `memory: true` answers from the rows held in memory (memory.ts), loading them first if need be; by
 * default a kept range reads its kept rows, any other the memory when it holds the current rows, else SQL.
 */
export interface ViewPath {
  kept?: boolean;
  memory?: boolean;
}

/** The index in memory to answer a range that is not kept from, or null (SQL). */
async function memoryFor(ctx: AppContext, r: Resolved, opts: ViewPath) {
  if (opts.memory === false || (opts.kept === false && !opts.memory) || !r.builtAt) return null;
  const index = await memoryIndexFor(ctx, r.ws, opts.memory === true);
  if (ctx.analyticsMemory) ctx.analyticsMemory.served[index ? 'memory' : 'sql'] += 1;
  return index;
}

/** The range's band counts read from the buyer rows: every buyer of the range is read. */
async function bandsFromBuyers(ctx: AppContext, r: Resolved): Promise<BandRow[]> {
  const k = ctx.db.kysely;
  const statements = distributionSql(r, ctx.db.dialect);
  let bands: { freq: string; aov: string; n: unknown; rev: unknown }[];
  let people: { gender: string | null; city: string | null; age: string; n: unknown }[];
  if (statements.both) {
    const grouped = (await statements.both.execute(k)).rows;
    bands = grouped;
    people = grouped.filter((g) => num(g.has_c) === 1);
  } else {
    bands = (await statements.bands!.execute(k)).rows;
    people = (await statements.people!.execute(k)).rows;
  }
  return [
    ...bands.flatMap((b) => [
      { dim: 'freq', key: b.freq, n: num(b.n), rev: num(b.rev) },
      { dim: 'aov', key: b.aov, n: num(b.n), rev: num(b.rev) },
    ]),
    ...people.flatMap((p) => [
      { dim: 'age', key: p.age, n: num(p.n), rev: 0 },
      { dim: 'gender', key: p.gender ?? '', n: num(p.n), rev: 0 },
      { dim: 'city', key: p.city ?? '', n: num(p.n), rev: 0 },
    ]),
  ];
}

/**
 * Buyers of the range by purchase frequency, AOV, churn (at the end of the range), age, gender and city tier.
 * A range kept ready by the rebuild (snapshots.ts: the last 30 days, months, quarters, years …) is read from its
 * kept counts; any other from the buyer rows. `kept: false` reads the buyer rows anyway (the tests compare).
 */
export async function distributionHere(ctx: AppContext, ws: string, scope: Scope, opts: ViewPath = {}) {
  const r = await resolve(ctx, ws, scope);
  const k = ctx.db.kysely;
  const kept = opts.kept !== false && !opts.memory && (await isKeptRange(k, ws, r.from, r.to));
  const memory = kept ? null : await memoryFor(ctx, r, opts);
  const rows = kept
    ? await keptBands(k, ws, r.pairScope, r.from, r.to)
    : memory
      ? distributionBands(memory, r, r.storeIds)
      : await bandsFromBuyers(ctx, r);
  const of = (dim: string) => rows.filter((x) => x.dim === dim);
  // Churn from the day pairs: buyers whose last purchase up to `to` is on or after to − maxDays.
  const finite = CHURN_BUCKETS.filter((b) => Number.isFinite(b.maxDays));
  const last = await lastPurchaseCounts(
    k,
    ws,
    r.pairScope,
    r.to,
    finite.map((b) => shiftDate(r.to, -b.maxDays)),
  );
  const churnCounts = CHURN_BUCKETS.map((_, i) => {
    const upTo = i < finite.length ? last.lastOnOrAfter[i]! : last.boughtBy;
    return upTo - (i > 0 ? last.lastOnOrAfter[i - 1]! : 0);
  });
  const count = <K extends string>(keys: readonly K[], rows: { key: string; n: number }[]) => {
    const total = rows.reduce((a, x) => a + x.n, 0);
    return keys.map((key) => {
      const n = rows.filter((x) => x.key === key).reduce((a, x) => a + x.n, 0);
      return { key, buyers: n, share: share(n, total) };
    });
  };
  const freqRows = of('freq');
  const freqTotal = freqRows.reduce((a, x) => a + x.n, 0);
  const churnTotal = churnCounts.reduce((a, n) => a + n, 0);
  return {
    ...head(r),
    frequency: FREQUENCY_BANDS.map((b) => {
      const band = freqRows.filter((x) => x.key === b.key);
      const n = band.reduce((a, x) => a + x.n, 0);
      return { key: b.key, buyers: n, share: share(n, freqTotal), revenueFen: band.reduce((a, x) => a + x.rev, 0) };
    }),
    aov: count(
      AOV_BANDS.map((b) => b.key),
      of('aov'),
    ),
    churn: CHURN_BUCKETS.map((b, i) => ({
      key: b.key,
      buyers: churnCounts[i]!,
      share: share(churnCounts[i]!, churnTotal),
    })),
    age: count([...AGE_BANDS.map((b) => b.key), 'unknown'], of('age')),
    gender: count(
      ['female', 'male', 'unknown'],
      of('gender').map((p) => ({ key: p.key === 'female' || p.key === 'male' ? p.key : 'unknown', n: p.n })),
    ),
    cityTier: count(
      CITY_TIERS,
      of('city').map((p) => ({ key: cityTier(p.key), n: p.n })),
    ),
  };
}

/** Products of the range by units and by repurchase (buyers who bought the product in two or more orders). */
export async function productsHere(
  ctx: AppContext,
  ws: string,
  scope: Scope & { limit?: number },
  opts: ViewPath = {},
) {
  const r = await resolve(ctx, ws, scope);
  const limit = scope.limit ?? 10;
  const k = ctx.db.kysely;
  // A range kept ready by the rebuild reads its kept rows (snapshots.ts); any other the rows in memory (memory.ts)
  // when they are current, else the product-day rows.
  const kept = opts.kept !== false && !opts.memory && (await isKeptRange(k, ws, r.from, r.to));
  const memory = kept ? null : await memoryFor(ctx, r, opts);
  const sold = kept
    ? { rows: await keptProducts(k, ws, r.pairScope, r.from, r.to) }
    : memory
      ? { rows: productRows(memory, r, r.storeIds) }
      : await sql<ProductRow>`
    SELECT x.product, SUM(x.units) AS units, SUM(x.ord) AS orders, SUM(x.rev) AS revenue, COUNT(*) AS buyers,
      SUM(CASE WHEN x.ord >= 2 THEN 1 ELSE 0 END) AS repeaters
    FROM (SELECT product, customer_id, SUM(units) AS units, SUM(orders) AS ord, SUM(revenue_fen) AS rev
          FROM analytics_product_days
          WHERE workspace_id = ${ws} AND day >= ${r.from} AND day <= ${r.to} AND ${inStores('store_id', r.storeIds)}
          GROUP BY product, customer_id) x
    GROUP BY x.product`.execute(k);
  // Products sold before the range and not in it are the slowest of all (0 units).
  const earlier = await sql<{ product: string }>`
    SELECT product FROM analytics_product_firsts
    WHERE workspace_id = ${ws} AND first_day < ${r.from} AND ${inStores('store_id', r.storeIds)}
    GROUP BY product`.execute(k);
  const rows = sold.rows.map((x) => {
    const buyers = num(x.buyers);
    const repeatBuyers = num(x.repeaters);
    return {
      product: x.product,
      units: num(x.units),
      orders: num(x.orders),
      revenueFen: num(x.revenue),
      buyers,
      repeatBuyers,
      repurchaseRate: share(repeatBuyers, buyers),
    };
  });
  const seen = new Set(rows.map((x) => x.product));
  const idle = earlier.rows
    .filter((x) => !seen.has(x.product))
    .map((x) => ({
      product: x.product,
      units: 0,
      orders: 0,
      revenueFen: 0,
      buyers: 0,
      repeatBuyers: 0,
      repurchaseRate: 0,
    }));
  const all = [...rows, ...idle];
  const byName = (a: { product: string }, b: { product: string }) => a.product.localeCompare(b.product);
  // A product is a best seller or a slow one, never both (one sat in 畅销 and 滞销 at once): with fewer than twice
  // `limit` products the better half is best, the slow list what it leaves.
  const half = (n: number) => Math.min(limit, Math.ceil(n / 2));
  const bestByUnits = [...rows].sort((a, b) => b.units - a.units || byName(a, b)).slice(0, half(all.length));
  const bestByRepurchase = [...rows]
    .sort((a, b) => b.repurchaseRate - a.repurchaseRate || b.buyers - a.buyers || byName(a, b))
    .slice(0, half(rows.length));
  const outside = (best: { product: string }[]) => {
    const names = new Set(best.map((x) => x.product));
    return (x: { product: string }) => !names.has(x.product);
  };
  return {
    ...head(r),
    bestByUnits,
    slowByUnits: all
      .filter(outside(bestByUnits))
      .sort((a, b) => a.units - b.units || byName(a, b))
      .slice(0, limit),
    bestByRepurchase,
    slowByRepurchase: rows
      .filter(outside(bestByRepurchase))
      .sort((a, b) => a.repurchaseRate - b.repurchaseRate || b.buyers - a.buyers || byName(a, b))
      .slice(0, limit),
  };
}

/**
 * The first local day of the shop's data in the stores in scope (its first order, paid or not), null without any:
 * a comparison range starting before it is not compared (a shop imported from last June has no 同比 for this June).
 * One index seek per store (the hours' key is workspace, store, day).
 */
async function firstDataDay(ctx: AppContext, r: Resolved): Promise<string | null> {
  let first: string | null = null;
  for (const store of r.storeIds) {
    const row = await ctx.db.kysely
      .selectFrom('analytics_hours')
      .select((eb) => eb.fn.min('day').as('d'))
      .where('workspace_id', '=', r.ws)
      .where('store_id', '=', store)
      .executeTakeFirst();
    const d = row?.d ?? null;
    if (d !== null && (first === null || d < first)) first = d;
  }
  return first;
}

/**
 * Sales by hour and weekday (the range) and by calendar month — each month clipped to the range — with MoM and YoY:
 * a whole month against the whole month before (and a year before), part of a month against the same days
 * (monthWindows, sameDaysIn); no change against days before the shop's data starts.
 */
export async function timingHere(ctx: AppContext, ws: string, scope: Scope) {
  const r = await resolve(ctx, ws, scope);
  const k = ctx.db.kysely;
  const cells = await sql<{ day: string; hour: number; orders: number; revenue: number }>`
    SELECT day, hour, SUM(paid_orders) AS orders, SUM(revenue_fen) AS revenue
    FROM analytics_hours
    WHERE workspace_id = ${ws} AND day >= ${r.from} AND day <= ${r.to} AND ${inStores('store_id', r.storeIds)}
    GROUP BY day, hour`.execute(k);
  const windows = monthWindows(r);
  const since = `${monthYearAgo(windows[0]!.month)}-01`;
  const daily = await sql<{ day: string; orders: number; revenue: number }>`
    SELECT day, SUM(paid_orders) AS orders, SUM(revenue_fen) AS revenue
    FROM analytics_hours
    WHERE workspace_id = ${ws} AND day >= ${since} AND day <= ${r.to} AND ${inStores('store_id', r.storeIds)}
    GROUP BY day`.execute(k);
  const days = daily.rows.map((x) => ({ day: x.day, orders: num(x.orders), revenueFen: num(x.revenue) }));
  const sum = (range: DateRange) => {
    const out = { orders: 0, revenueFen: 0 };
    for (const d of days)
      if (d.day >= range.from && d.day <= range.to) {
        out.orders += d.orders;
        out.revenueFen += d.revenueFen;
      }
    return out;
  };
  const dataFrom = await firstDataDay(ctx, r);
  const series = timingSeries(
    cells.rows.map((c) => ({ day: c.day, hour: num(c.hour), orders: num(c.orders), revenueFen: num(c.revenue) })),
  );
  return {
    ...head(r),
    ...series,
    dataFrom,
    months: windows.map((w) => {
      const cur = sum(w);
      const before = sameDaysIn(w, previousMonth(w.month));
      const ago = sameDaysIn(w, monthYearAgo(w.month));
      const prev = comparable(before, dataFrom) ? sum(before!) : null;
      const last = comparable(ago, dataFrom) ? sum(ago!) : null;
      return {
        month: w.month,
        from: w.from,
        to: w.to,
        whole: w.whole,
        ...cur,
        revenueMom: prev && change(cur.revenueFen, prev.revenueFen),
        revenueYoy: last && change(cur.revenueFen, last.revenueFen),
        ordersMom: prev && change(cur.orders, prev.orders),
        ordersYoy: last && change(cur.orders, last.orders),
      };
    }),
  };
}
