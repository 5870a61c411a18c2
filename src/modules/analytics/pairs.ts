import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../jobs/queue.js';
import { chunks } from '../context.js';
import { byCustomer, onPostgres } from './lock.js';

/**
 * Distinct buyers of any range of days, exactly, from counts per pair of days (analytics_day_pairs,
 * migration 0033) instead of a GROUP BY over the range's buyers. In a scope (one store, or all the
 * stores of a currency) every buyer-day row has its day d, the buyer's previous purchase day p ('' for
 * their first), next purchase day n, first day f and orders o. For a range [F, T]:
 *   buyers          = #{F ≤ d ≤ T, p < F}           (each buyer's first day in the range; '' < any day)
 *   new buyers      = #{F ≤ d ≤ T, p = ''}
 *   repeat buyers   = #{F ≤ d ≤ T, p < F, o ≥ 2}     (two orders on their first day in the range)
 *                   + #{o = 1, p < F, F ≤ n ≤ T}      (or one, and their next day is in the range …
 *                   − #{o = 1, d < F, F ≤ n ≤ T}       … minus those whose day d was before the range)
 *   new revenue     = Σ revenue {F ≤ f ≤ T, d ≤ T}    (老会员 revenue = revenue − new revenue)
 *   bought by T     = #{f ≤ T};  last purchase ≥ X   = #{X ≤ d ≤ T} − #{d ≥ X, n ≤ T}   (churn)
 * Every term is a scan of the range's days in one kind's key order: the work grows with days × days,
 * not with customers. The month kinds dP, nP, nD, fD (migration 0045) are dp, np, nd, fd with b cut to its
 * month ('' stays ''): a condition b < F is the month rows before F's month plus the day rows of F's month
 * before F (read by the (kind, b, a) index), so a year's range reads days × months, not days × days.
 * The counts add up over customers, so one customer's rows can be taken out and put back
 * (refreshBuyerRows) without touching anyone else's.
 *
 * Split by province: scope + '|' + the province the buyer is counted under (analytics_buyer_attrs, the province of
 * their customer stats) holds the dp and dP rows of that province's buyers alone, so the province map of any range
 * is the same sum per province (provinceCountsSql) instead of grouping the range's buyers. Taken out before and put
 * back after the buyer's people facts are rewritten, like the kept bands.
 */

export const storeScope = (storeId: string) => `s:${storeId}`;

/** The layout of the day pairs a build wrote (analytics_builds.stores): 2 = with the province split. */
export const PAIRS_LAYOUT = 2;

export function hasProvincePairs(stores: string | null | undefined): boolean {
  try {
    return Number((JSON.parse(stores ?? 'null') as { pairs?: number } | null)?.pairs ?? 0) >= 2;
  } catch {
    return false;
  }
}
export const currencyScope = (currency: string) => `c:${currency}`;

export const PAIR_COLUMNS = sql.raw('scope, kind, a, b, rows, singles, new_singles, orders, revenue_fen');

/** Each pair's counts from the buyer-day rows of these customers (null: of every customer of the workspace). */
export function contributions(
  ws: string,
  customerIds: readonly string[] | null,
  hint: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const only = customerIds ? sql`AND b.customer_id IN (${sql.join(customerIds)})` : sql``;
  return sql`
    WITH r AS (
      SELECT 's:' || b.store_id AS scope, b.customer_id, b.day, b.orders AS o, b.revenue_fen AS rev
      FROM analytics_buyer_days b ${hint}
      WHERE b.workspace_id = ${ws} ${only}
      UNION ALL
      SELECT 'c:' || s.currency, b.customer_id, b.day, SUM(b.orders), SUM(b.revenue_fen)
      FROM analytics_buyer_days b ${hint}
      JOIN stores s ON s.workspace_id = b.workspace_id AND s.id = b.store_id
      WHERE b.workspace_id = ${ws} ${only}
      GROUP BY s.currency, b.customer_id, b.day
    ), x AS (
      SELECT scope, customer_id, day AS d, o, rev,
        COALESCE(LAG(day) OVER (PARTITION BY scope, customer_id ORDER BY day), '') AS p,
        LEAD(day) OVER (PARTITION BY scope, customer_id ORDER BY day) AS n,
        MIN(day) OVER (PARTITION BY scope, customer_id) AS f
      FROM r
    ), xp AS (
      SELECT x.scope || '|' || COALESCE(a.province, '') AS scope, x.d, x.p, x.o, x.rev
      FROM x
      LEFT JOIN analytics_buyer_attrs a ON a.workspace_id = ${ws} AND a.customer_id = x.customer_id
    )
    SELECT scope, 'dp' AS kind, d AS a, p AS b, COUNT(*) AS rows, SUM(CASE WHEN o = 1 THEN 1 ELSE 0 END) AS singles,
      0 AS new_singles, SUM(o) AS orders, SUM(rev) AS revenue_fen
    FROM x GROUP BY scope, d, p
    UNION ALL
    SELECT scope, 'np', n, p, COUNT(*), SUM(CASE WHEN o = 1 THEN 1 ELSE 0 END), 0, 0, 0
    FROM x WHERE n IS NOT NULL GROUP BY scope, n, p
    UNION ALL
    SELECT scope, 'nd', n, d, COUNT(*), SUM(CASE WHEN o = 1 THEN 1 ELSE 0 END),
      SUM(CASE WHEN o = 1 AND p = '' THEN 1 ELSE 0 END), 0, 0
    FROM x WHERE n IS NOT NULL GROUP BY scope, n, d
    UNION ALL
    SELECT scope, 'fd', f, d, COUNT(*), 0, 0, 0, SUM(rev) FROM x GROUP BY scope, f, d
    UNION ALL
    SELECT scope, 'f1', d, '', COUNT(*), 0, 0, 0, 0 FROM x WHERE p = '' GROUP BY scope, d
    UNION ALL
    SELECT scope, 'dP', d, substr(p, 1, 7), COUNT(*), SUM(CASE WHEN o = 1 THEN 1 ELSE 0 END), 0, SUM(o), SUM(rev)
    FROM x GROUP BY scope, d, substr(p, 1, 7)
    UNION ALL
    SELECT scope, 'nP', n, substr(p, 1, 7), COUNT(*), SUM(CASE WHEN o = 1 THEN 1 ELSE 0 END), 0, 0, 0
    FROM x WHERE n IS NOT NULL GROUP BY scope, n, substr(p, 1, 7)
    UNION ALL
    SELECT scope, 'nD', n, substr(d, 1, 7), COUNT(*), SUM(CASE WHEN o = 1 THEN 1 ELSE 0 END),
      SUM(CASE WHEN o = 1 AND p = '' THEN 1 ELSE 0 END), 0, 0
    FROM x WHERE n IS NOT NULL GROUP BY scope, n, substr(d, 1, 7)
    UNION ALL
    SELECT scope, 'fD', f, substr(d, 1, 7), COUNT(*), 0, 0, 0, SUM(rev) FROM x GROUP BY scope, f, substr(d, 1, 7)
    UNION ALL
    SELECT scope, 'dp', d, p, COUNT(*), 0, 0, SUM(o), SUM(rev) FROM xp GROUP BY scope, d, p
    UNION ALL
    SELECT scope, 'dP', d, substr(p, 1, 7), COUNT(*), 0, 0, SUM(o), SUM(rev)
    FROM xp GROUP BY scope, d, substr(p, 1, 7)`;
}

/** A row of analytics_day_pairs, by its key. */
export interface PairKey {
  scope: string;
  kind: string;
  a: string;
  b: string;
}

/**
 * Adds (1) or takes out (-1) these customers' counts. Taking out returns the pairs it left with no buyer: the caller
 * deletes those still empty once the customers are back (dropEmptyPairs) — by key, because a DELETE of every empty
 * row of the workspace read all its pairs (4.8M rows at 1M customers, ~1 s on SQLite) in every order's upkeep. A
 * rebuild chunk (`keepZeros`) leaves them to one delete at the rebuild's end and gets nothing back.
 */
export async function applyDayPairs(
  db: Executor,
  ws: string,
  customerIds: readonly string[],
  sign: 1 | -1,
  opts: { keepZeros?: boolean } = {},
): Promise<PairKey[]> {
  if (!customerIds.length) return [];
  const m = sql.lit(sign);
  const emptied = sign < 0 && !opts.keepZeros;
  // `WHERE 1 = 1`: SQLite reads ON CONFLICT after INSERT … SELECT only when the SELECT has a WHERE.
  const written = await sql<PairKey & { rows: number | string }>`
    INSERT INTO analytics_day_pairs (workspace_id, ${PAIR_COLUMNS})
    SELECT ${ws}, scope, kind, a, b, ${m} * rows, ${m} * singles, ${m} * new_singles, ${m} * orders,
      ${m} * revenue_fen
    FROM (${contributions(ws, customerIds, byCustomer(db))}) c WHERE 1 = 1
    ORDER BY scope, kind, a, b
    ON CONFLICT (workspace_id, scope, kind, a, b) DO UPDATE SET
      rows = analytics_day_pairs.rows + excluded.rows,
      singles = analytics_day_pairs.singles + excluded.singles,
      new_singles = analytics_day_pairs.new_singles + excluded.new_singles,
      orders = analytics_day_pairs.orders + excluded.orders,
      revenue_fen = analytics_day_pairs.revenue_fen + excluded.revenue_fen
    ${emptied ? sql`RETURNING scope, kind, a, b, rows` : sql``}`.execute(db);
  if (!emptied) return [];
  return written.rows.filter((r) => Number(r.rows) === 0).map(({ scope, kind, a, b }) => ({ scope, kind, a, b }));
}

/**
 * Deletes these pairs where they still count no buyer (the counts of customers taken out and not put back), each by
 * its key: PostgreSQL joins a list of keys to the table, SQLite deletes one key per statement (without statistics it
 * read a list of keys, as a row-value IN or as ORs, by the workspace's whole range of the key).
 */
export async function dropEmptyPairs(db: Executor, ws: string, keys: readonly PairKey[]): Promise<void> {
  if (!onPostgres(db)) {
    for (const k of keys)
      await sql`DELETE FROM analytics_day_pairs WHERE workspace_id = ${ws} AND scope = ${k.scope}
        AND kind = ${k.kind} AND a = ${k.a} AND b = ${k.b} AND rows = 0`.execute(db);
    return;
  }
  for (const part of chunks(keys, 500))
    await sql`DELETE FROM analytics_day_pairs p
      USING (VALUES ${sql.join(part.map((k) => sql`(${k.scope}, ${k.kind}, ${k.a}, ${k.b})`))}) v (scope, kind, a, b)
      WHERE p.workspace_id = ${ws} AND p.scope = v.scope AND p.kind = v.kind AND p.a = v.a AND p.b = v.b
        AND p.rows = 0`.execute(db);
}

/**
 * While a first build leaves the day pairs to its end (analytics_rebuilds.pairs_later, rebuild.ts), the order upkeep
 * leaves these customers as they are and names them for the build to redo once the pairs are counted: their
 * buyer rows then stay what the count reads. Returns whether it did (false: keep them in step now).
 */
export async function leftForRedo(db: Executor, ws: string, customerIds: readonly string[]): Promise<boolean> {
  const run = await db
    .selectFrom('analytics_rebuilds')
    .select('pairs_later')
    .where('workspace_id', '=', ws)
    .executeTakeFirst();
  if (Number(run?.pairs_later ?? 0) !== 1) return false;
  for (const part of chunks(customerIds, 500))
    await db
      .insertInto('analytics_redo')
      .values(part.map((customer_id) => ({ workspace_id: ws, customer_id })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  return true;
}

const num = (v: unknown) => Number(v ?? 0);

export interface RangeCounts {
  buyers: number;
  newBuyers: number;
  repeatBuyers: number;
  orders: number;
  revenueFen: number;
  /** Revenue of the range from buyers whose first purchase is in the range. */
  newRevenueFen: number;
}

/**
 * The member counts of [from, to] in a scope. The conditions on b (b < from for dp/np/nd, b ≤ to for fd) are
 * read from the month kinds (b = the month of the day) for the months before from's (to's) month, and from
 * the day kinds only for b in that month up to from (to), through the (kind, b, a) index: the range's days ×
 * months plus at most a month of days, instead of the range's days × every earlier day. The edges compare
 * `a || ''` so that both databases take the (kind, b, a) index there, not the primary key over all of a.
 */
export function rangeCountsSql(ws: string, scope: string, from: string, to: string) {
  const fromMonth = from.slice(0, 7);
  const toMonth = to.slice(0, 7);
  const cols = sql.raw('kind, b, rows, singles, orders, revenue_fen');
  return sql<Record<string, unknown>>`
    SELECT
      SUM(CASE WHEN kind = 'dP' AND b < ${fromMonth} THEN rows WHEN kind = 'dp' THEN rows ELSE 0 END) AS buyers,
      SUM(CASE WHEN kind = 'dP' AND b = '' THEN rows ELSE 0 END) AS new_buyers,
      SUM(CASE WHEN kind = 'dP' AND b < ${fromMonth} THEN rows - singles WHEN kind = 'dp' THEN rows - singles
               WHEN kind = 'nP' AND b < ${fromMonth} THEN singles WHEN kind = 'np' THEN singles
               WHEN kind = 'nD' AND b < ${fromMonth} THEN -singles WHEN kind = 'nd' THEN -singles
               ELSE 0 END) AS repeaters,
      SUM(CASE WHEN kind = 'dP' THEN orders ELSE 0 END) AS orders,
      SUM(CASE WHEN kind = 'dP' THEN revenue_fen ELSE 0 END) AS revenue,
      SUM(CASE WHEN kind = 'fD' AND b < ${toMonth} THEN revenue_fen WHEN kind = 'fd' THEN revenue_fen ELSE 0 END)
        AS new_revenue
    FROM (
      SELECT ${cols} FROM analytics_day_pairs
      WHERE workspace_id = ${ws} AND scope = ${scope} AND kind IN ('dP', 'nP', 'nD', 'fD')
        AND a >= ${from} AND a <= ${to}
      UNION ALL
      SELECT ${cols} FROM analytics_day_pairs
      WHERE workspace_id = ${ws} AND scope = ${scope} AND kind IN ('dp', 'np', 'nd')
        AND b >= ${`${fromMonth}-01`} AND b < ${from} AND a || '' >= ${from} AND a || '' <= ${to}
      UNION ALL
      SELECT ${cols} FROM analytics_day_pairs
      WHERE workspace_id = ${ws} AND scope = ${scope} AND kind = 'fd'
        AND b >= ${`${toMonth}-01`} AND b <= ${to} AND a || '' >= ${from} AND a || '' <= ${to}
    ) x`;
}

export async function rangeCounts(
  db: Executor,
  ws: string,
  scope: string,
  from: string,
  to: string,
): Promise<RangeCounts> {
  const row = (await rangeCountsSql(ws, scope, from, to).execute(db)).rows[0] ?? {};
  return {
    buyers: num(row.buyers),
    newBuyers: num(row.new_buyers),
    repeatBuyers: num(row.repeaters),
    orders: num(row.orders),
    revenueFen: num(row.revenue),
    newRevenueFen: num(row.new_revenue),
  };
}

/**
 * Per calendar month whose days from `from` (the first day of a month) to `to` are read: its buyers and
 * the buyers new to the scope in that month with a single order in it (复购 = buyers − those).
 * Read from the month kinds (b = the month of the previous day, or of the day): the days × months.
 */
export function monthCountsSql(ws: string, scope: string, from: string, to: string) {
  return sql<{ m: string; buyers: unknown; new_singles: unknown }>`
    SELECT substr(a, 1, 7) AS m,
      SUM(CASE WHEN kind = 'dP' AND b < substr(a, 1, 7) THEN rows ELSE 0 END) AS buyers,
      SUM(CASE WHEN kind = 'dP' AND b = '' THEN singles
               WHEN kind = 'nD' AND b >= substr(a, 1, 7) THEN -new_singles ELSE 0 END) AS new_singles
    FROM analytics_day_pairs
    WHERE workspace_id = ${ws} AND scope = ${scope} AND kind IN ('dP', 'nD') AND a >= ${from} AND a <= ${to}
    GROUP BY substr(a, 1, 7)`;
}

/**
 * Each day of [from, to] in a scope: its buyers (one 'dp' row per buyer and day, whatever the previous day),
 * the buyers whose first purchase in the scope is that day ('f1'), their orders and revenue. Reads the range's
 * days, not its buyers.
 */
export function dailyCountsSql(ws: string, scope: string, from: string, to: string) {
  return sql<{ day: string; buyers: unknown; new_buyers: unknown; orders: unknown; revenue: unknown }>`
    SELECT a AS day, SUM(CASE WHEN kind = 'dP' THEN rows ELSE 0 END) AS buyers,
      SUM(CASE WHEN kind = 'f1' THEN rows ELSE 0 END) AS new_buyers,
      SUM(CASE WHEN kind = 'dP' THEN orders ELSE 0 END) AS orders,
      SUM(CASE WHEN kind = 'dP' THEN revenue_fen ELSE 0 END) AS revenue
    FROM analytics_day_pairs
    WHERE workspace_id = ${ws} AND scope = ${scope} AND kind IN ('dP', 'f1') AND a >= ${from} AND a <= ${to}
    GROUP BY a`;
}

/**
 * Customers who had bought by `to`, and for each of `since` (days ≤ to) how many of them made their last
 * purchase up to `to` on or after it.
 */
export async function lastPurchaseCounts(
  db: Executor,
  ws: string,
  scope: string,
  to: string,
  since: readonly string[],
): Promise<{ boughtBy: number; lastOnOrAfter: number[] }> {
  const first = await sql<{ n: unknown }>`
    SELECT SUM(rows) AS n FROM analytics_day_pairs
    WHERE workspace_id = ${ws} AND scope = ${scope} AND kind = 'f1' AND a <= ${to}`.execute(db);
  const lowest = [...since].sort()[0] ?? to;
  const cols = since.map(
    (x, i) =>
      sql`SUM(CASE WHEN kind = 'dP' AND a >= ${x} THEN rows WHEN kind = 'nd' AND b >= ${x} THEN -rows ELSE 0 END)
        AS ${sql.ref(`l${i}`)}`,
  );
  const r = since.length
    ? await sql<Record<string, unknown>>`
        SELECT ${sql.join(cols)} FROM analytics_day_pairs
        WHERE workspace_id = ${ws} AND scope = ${scope}
          AND kind IN ('dP', 'nd') AND a >= ${lowest} AND a <= ${to}`.execute(db)
    : { rows: [{}] };
  const row = r.rows[0] ?? {};
  return { boughtBy: num(first.rows[0]?.n), lastOnOrAfter: since.map((_, i) => num(row[`l${i}`])) };
}

/**
 * The province-split scopes of a scope ('s:…|province'): a walk over the workspace's distinct scopes, one index seek
 * each (a few per store and province), kept by their exact prefix — a range of the prefix would depend on the
 * database's collation, which need not sort '|' like bytes.
 */
export function provinceScopesSql(ws: string, scope: string) {
  const prefix = `${scope}|`;
  return sql<{ scope: string }>`
    WITH RECURSIVE s(scope) AS (
      SELECT MIN(scope) FROM analytics_day_pairs WHERE workspace_id = ${ws}
      UNION ALL
      SELECT (SELECT MIN(p.scope) FROM analytics_day_pairs p WHERE p.workspace_id = ${ws} AND p.scope > s.scope)
      FROM s WHERE s.scope IS NOT NULL
    )
    SELECT scope FROM s WHERE scope IS NOT NULL AND substr(scope, 1, ${sql.lit(prefix.length)}) = ${prefix}`;
}

/** Buyers, orders and revenue of [from, to] per province-split scope: the range's days × months, per province. */
export function provinceCountsSql(ws: string, scopes: readonly string[], from: string, to: string) {
  const fromMonth = from.slice(0, 7);
  const cols = sql.raw('scope, kind, b, rows, orders, revenue_fen');
  return sql<{ scope: string; buyers: unknown; orders: unknown; revenue: unknown }>`
    SELECT scope,
      SUM(CASE WHEN kind = 'dP' AND b < ${fromMonth} THEN rows WHEN kind = 'dp' THEN rows ELSE 0 END) AS buyers,
      SUM(CASE WHEN kind = 'dP' THEN orders ELSE 0 END) AS orders,
      SUM(CASE WHEN kind = 'dP' THEN revenue_fen ELSE 0 END) AS revenue
    FROM (
      SELECT ${cols} FROM analytics_day_pairs
      WHERE workspace_id = ${ws} AND scope IN (${sql.join(scopes)}) AND kind = 'dP' AND a >= ${from} AND a <= ${to}
      UNION ALL
      SELECT ${cols} FROM analytics_day_pairs
      WHERE workspace_id = ${ws} AND scope IN (${sql.join(scopes)}) AND kind = 'dp'
        AND b >= ${`${fromMonth}-01`} AND b < ${from} AND a || '' >= ${from} AND a || '' <= ${to}
    ) x
    GROUP BY scope`;
}
