import { sql, type RawBuilder } from 'kysely';
import { AGE_CUTS, ageCuts, keptRanges } from '../../core/analytics-ranges.js';
import { AGE_BANDS, AOV_BANDS, FREQUENCY_BANDS } from '../../core/analytics-views.js';
import type { Executor } from '../../jobs/queue.js';
import { byCustomer, shareRebuildLock } from './lock.js';
import { applyDayPairs, dropEmptyPairs, leftForRedo } from './pairs.js';
import { bumpAnalyticsVersion } from './version.js';

/**
 * The per-buyer answers of the ranges sellers use, kept ready (migration 0047). The distribution bands (a
 * buyer's orders and average order value over the range, their age at its end, gender, city), the province
 * map and the products by repurchase depend on each buyer's whole range, so answering them from the buyer rows
 * reads every buyer of the range (seconds for a year at 1M customers). For the ranges of keptRanges (the last
 * 7/30/90/180/365 days, calendar months, quarters, years, activity presets) the rebuild stores the counts per
 * scope ('s:' + store, 'c:' + currency, as the day pairs), and a view asked for one of them reads a few rows.
 *
 * The band counts add up over buyers, so refreshBuyerRows keeps them exact between rebuilds as it keeps the day
 * pairs: it takes a customer's contribution out (from their buyer rows and the people facts they were counted
 * under, analytics_buyer_attrs), rewrites their rows, and puts it back with their people facts as they are now.
 * Products are read from the product-day rows, which follow at the rebuild; their kept answers too.
 */

const FREQ = sql.raw(
  `CASE ${FREQUENCY_BANDS.filter((b) => Number.isFinite(b.max))
    .map((b) => `WHEN r.ord <= ${b.max} THEN '${b.key}'`)
    .join(' ')} ELSE '${FREQUENCY_BANDS.at(-1)!.key}' END`,
);
const AOV = sql.raw(
  `CASE ${AOV_BANDS.filter((b) => Number.isFinite(b.max))
    .map((b) => `WHEN r.rev < ${b.max} * r.ord THEN '${b.key}'`)
    .join(' ')} ELSE '${AOV_BANDS.at(-1)!.key}' END`,
);
// Age on the range's last day: younger than A ⇔ born after g.cut<A> (analytics_ranges).
const AGE = sql.raw(
  `CASE WHEN a.birthday IS NULL OR a.birthday = '' THEN 'unknown' ${AGE_BANDS.slice(0, -1)
    .map((b, i) => `WHEN a.birthday > g.cut${AGE_CUTS[i]} THEN '${b.key}'`)
    .join(' ')} ELSE '${AGE_BANDS.at(-1)!.key}' END`,
);

const BAND_COLUMNS = sql.raw('scope, range_from, range_to, dim, key, buyers, orders, revenue_fen');

/**
 * Each kept range's band counts, per scope, from the buyer rows: of one range (the build) or of these customers
 * in every kept range (the upkeep).
 */
function bandContributions(
  ws: string,
  only: { range?: { from: string; to: string }; customerIds?: readonly string[]; ranges?: RawBuilder<unknown> },
  hint: RawBuilder<unknown> = sql``,
) {
  const cond: RawBuilder<unknown>[] = [];
  if (only.ranges) cond.push(only.ranges);
  if (only.range)
    cond.push(
      sql`g.range_from = ${only.range.from} AND g.range_to = ${only.range.to}
        AND b.day >= ${only.range.from} AND b.day <= ${only.range.to}`,
    );
  if (only.customerIds) cond.push(sql`b.customer_id IN (${sql.join(only.customerIds)})`);
  const where = cond.length ? sql`AND ${sql.join(cond, sql` AND `)}` : sql``;
  const dim = (name: string, key: RawBuilder<unknown>, people: boolean) => sql`
    SELECT scope, rf AS range_from, rt AS range_to, ${sql.lit(name)} AS dim, ${key} AS key, COUNT(*) AS buyers,
      SUM(ord) AS orders, SUM(rev) AS revenue_fen
    FROM x ${people ? sql`WHERE has_c = 1` : sql``}
    GROUP BY scope, rf, rt, ${key}`;
  return sql`
    WITH r AS (
      SELECT 's:' || b.store_id AS scope, g.range_from AS rf, g.range_to AS rt, b.customer_id AS cid,
        SUM(b.orders) AS ord, SUM(b.revenue_fen) AS rev
      FROM analytics_buyer_days b ${hint}
      JOIN analytics_ranges g ON g.workspace_id = b.workspace_id AND b.day >= g.range_from AND b.day <= g.range_to
      WHERE b.workspace_id = ${ws} ${where}
      GROUP BY b.store_id, g.range_from, g.range_to, b.customer_id
      UNION ALL
      SELECT 'c:' || s.currency, g.range_from, g.range_to, b.customer_id, SUM(b.orders), SUM(b.revenue_fen)
      FROM analytics_buyer_days b ${hint}
      JOIN stores s ON s.workspace_id = b.workspace_id AND s.id = b.store_id
      JOIN analytics_ranges g ON g.workspace_id = b.workspace_id AND b.day >= g.range_from AND b.day <= g.range_to
      WHERE b.workspace_id = ${ws} ${where}
      GROUP BY s.currency, g.range_from, g.range_to, b.customer_id
    ), x AS (
      SELECT r.scope, r.rf, r.rt, r.ord, r.rev, ${FREQ} AS freq, ${AOV} AS aov, COALESCE(a.has_customer, 0) AS has_c,
        COALESCE(a.province, '') AS province, COALESCE(a.gender, '') AS gender, COALESCE(a.city, '') AS city,
        ${AGE} AS age
      FROM r
      JOIN analytics_ranges g ON g.workspace_id = ${ws} AND g.range_from = r.rf AND g.range_to = r.rt
      LEFT JOIN analytics_buyer_attrs a ON a.workspace_id = ${ws} AND a.customer_id = r.cid
    )
    ${dim('freq', sql.ref('freq'), false)}
    UNION ALL ${dim('aov', sql.ref('aov'), false)}
    UNION ALL ${dim('province', sql.ref('province'), false)}
    UNION ALL ${dim('age', sql.ref('age'), true)}
    UNION ALL ${dim('gender', sql.ref('gender'), true)}
    UNION ALL ${dim('city', sql.ref('city'), true)}`;
}

/** The people facts of these customers (or of every buyer) as they are now: customer row and stats' province. */
async function writeAttrs(db: Executor, ws: string, customerIds: readonly string[]) {
  // The customers' filter inside the DISTINCT: read by the customer index, not every buyer row of the workspace.
  await sql`
    INSERT INTO analytics_buyer_attrs (workspace_id, customer_id, has_customer, province, gender, city, birthday)
    SELECT ${ws}, d.customer_id, CASE WHEN c.id IS NULL THEN 0 ELSE 1 END, st.province, c.gender, c.city, c.birthday
    FROM (SELECT DISTINCT customer_id FROM analytics_buyer_days ${byCustomer(db)}
          WHERE workspace_id = ${ws} AND customer_id IN (${sql.join(customerIds)})) d
    LEFT JOIN customers c ON c.workspace_id = ${ws} AND c.id = d.customer_id
    LEFT JOIN customer_stats st ON st.workspace_id = ${ws} AND st.customer_id = d.customer_id
    WHERE 1 = 1`.execute(db);
}

/**
 * The kept ranges as of `today` (local) for a rebuild that starts, and the asked ones (asked.ts): ranges no longer
 * on the list go (a view asking for one reads the buyer rows), new ones are added not ready (ready = 0): the
 * rebuild fills their bands customer by customer (stagedBandsIn) and switches them on at its end (switchRanges). A
 * kept range still on the list stays ready and is served throughout; its bands follow each customer as they are
 * redone.
 */
export async function stageRanges(
  db: Executor,
  ws: string,
  firstDay: string | null,
  today: string,
  asked: readonly { from: string; to: string }[] = [],
): Promise<void> {
  const listed = keptRanges(firstDay, today);
  const on = new Set(listed.map((r) => `${r.from}/${r.to}`));
  // The ranges sellers asked for that are not on the list (asked.ts).
  const wanted = [...listed, ...asked.filter((r) => !on.has(`${r.from}/${r.to}`))];
  const have = await db
    .selectFrom('analytics_ranges')
    .select(['range_from', 'range_to', 'ready'])
    .where('workspace_id', '=', ws)
    .execute();
  const key = (r: { from: string; to: string }) => `${r.from}/${r.to}`;
  const want = new Set(wanted.map(key));
  const ready = new Set(have.filter((h) => Number(h.ready) === 1).map((h) => `${h.range_from}/${h.range_to}`));
  // Ranges off the list, and anything a killed rebuild for another rule or day had staged.
  const gone = have.filter((h) => Number(h.ready) !== 1 || !want.has(`${h.range_from}/${h.range_to}`));
  for (const g of gone)
    for (const t of ['analytics_range_bands', 'analytics_range_products', 'analytics_ranges'] as const)
      await db
        .deleteFrom(t)
        .where('workspace_id', '=', ws)
        .where('range_from', '=', g.range_from)
        .where('range_to', '=', g.range_to)
        .execute();
  const rows = wanted
    .filter((r) => !ready.has(key(r)))
    .map((r) => ({ workspace_id: ws, range_from: r.from, range_to: r.to, ...ageCuts(r.to), ready: 0 }));
  for (let i = 0; i < rows.length; i += 50)
    await db
      .insertInto('analytics_ranges')
      .values(rows.slice(i, i + 50) as never)
      .execute();
}

/** The rebuild's redone customers' bands in the ranges it is adding (not ready yet). */
export async function stagedBandsIn(db: Executor, ws: string, customerIds: readonly string[]) {
  if (customerIds.length) await applyRangeBands(db, ws, customerIds, 1, sql`g.ready = 0`);
}

/** Each scope's products of one kept range from the product-day rows (read; the rebuild writes them). */
export async function rangeProductRows(db: Executor, ws: string, range: { from: string; to: string }) {
  const rows = await sql<{
    scope: string;
    product: string;
    units: unknown;
    orders: unknown;
    revenue_fen: unknown;
    buyers: unknown;
    repeaters: unknown;
  }>`
      SELECT scope, product, SUM(units) AS units, SUM(ord) AS orders, SUM(rev) AS revenue_fen, COUNT(*) AS buyers,
        SUM(CASE WHEN ord >= 2 THEN 1 ELSE 0 END) AS repeaters
      FROM (
        SELECT 's:' || p.store_id AS scope, p.product, p.customer_id, SUM(p.units) AS units, SUM(p.orders) AS ord,
          SUM(p.revenue_fen) AS rev
        FROM analytics_product_days p
        WHERE p.workspace_id = ${ws} AND p.day >= ${range.from} AND p.day <= ${range.to}
        GROUP BY p.store_id, p.product, p.customer_id
        UNION ALL
        SELECT 'c:' || s.currency, p.product, p.customer_id, SUM(p.units), SUM(p.orders), SUM(p.revenue_fen)
        FROM analytics_product_days p
        JOIN stores s ON s.workspace_id = p.workspace_id AND s.id = p.store_id
        WHERE p.workspace_id = ${ws} AND p.day >= ${range.from} AND p.day <= ${range.to}
        GROUP BY s.currency, p.product, p.customer_id
      ) x
      GROUP BY scope, product`.execute(db);
  return rows.rows.map((r) => ({
    workspace_id: ws,
    scope: r.scope,
    range_from: range.from,
    range_to: range.to,
    product: r.product,
    units: Number(r.units),
    orders: Number(r.orders),
    revenue_fen: Number(r.revenue_fen),
    buyers: Number(r.buyers),
    repeaters: Number(r.repeaters),
  }));
}

export const rangesOf = (db: Executor, ws: string) =>
  db
    .selectFrom('analytics_ranges')
    .select(['range_from as from', 'range_to as to'])
    .where('workspace_id', '=', ws)
    .execute();

/** The end of a rebuild: its ranges are served, with the bands taken out to nothing dropped. */
export async function switchRanges(db: Executor, ws: string): Promise<void> {
  await db.updateTable('analytics_ranges').set({ ready: 1 }).where('workspace_id', '=', ws).execute();
}

/**
 * Which kept ranges a customer's bands are counted in: the ready ones, and while a rebuild runs the ones it adds
 * for the customers it has redone (customer id up to its cursor, or all once it is past the last).
 */
export async function countedRanges(db: Executor, ws: string): Promise<RawBuilder<unknown>> {
  const run = await db
    .selectFrom('analytics_rebuilds')
    .select(['cursor', 'done'])
    .where('workspace_id', '=', ws)
    .executeTakeFirst();
  if (!run) return sql`g.ready = 1`;
  if (Number(run.done) === 1) return sql`1 = 1`;
  return sql`(g.ready = 1 OR b.customer_id <= ${run.cursor})`;
}

/** Adds (sign 1) or takes out (sign −1) these customers' band counts in every kept range. */
export async function applyRangeBands(
  db: Executor,
  ws: string,
  customerIds: readonly string[],
  sign: 1 | -1,
  ranges?: RawBuilder<unknown>,
  opts: { keepZeros?: boolean } = {},
) {
  if (!customerIds.length) return;
  const m = sql.lit(sign);
  const counted = ranges ?? (await countedRanges(db, ws));
  // `WHERE 1 = 1`: SQLite reads ON CONFLICT after INSERT … SELECT only when the SELECT has a WHERE.
  await sql`
    INSERT INTO analytics_range_bands (workspace_id, ${BAND_COLUMNS})
    SELECT ${ws}, scope, range_from, range_to, dim, key, ${m} * buyers, ${m} * orders, ${m} * revenue_fen
    FROM (${bandContributions(ws, { customerIds, ranges: counted }, byCustomer(db))}) c WHERE 1 = 1
    ORDER BY scope, range_from, range_to, dim, key
    ON CONFLICT (workspace_id, scope, range_from, range_to, dim, key) DO UPDATE SET
      buyers = analytics_range_bands.buyers + excluded.buyers,
      orders = analytics_range_bands.orders + excluded.orders,
      revenue_fen = analytics_range_bands.revenue_fen + excluded.revenue_fen`.execute(db);
  if (sign < 0 && !opts.keepZeros)
    await db.deleteFrom('analytics_range_bands').where('workspace_id', '=', ws).where('buyers', '=', 0).execute();
}

/** Whether the workspace's kept answers were built (a database built before migration 0047 waits for a rebuild). */
async function keeping(db: Executor, ws: string): Promise<boolean> {
  const any = await db
    .selectFrom('analytics_ranges')
    .select('range_from')
    .where('workspace_id', '=', ws)
    .limit(1)
    .execute();
  return any.length > 0;
}

/**
 * Around a change of these customers' buyer rows (refreshBuyerRows): `out` before it takes their band counts
 * out, `back` after it rewrites their people facts and puts the counts back.
 */
export async function rangeBandsOut(
  db: Executor,
  ws: string,
  customerIds: readonly string[],
  opts: { keepZeros?: boolean } = {},
): Promise<boolean> {
  if (!(await keeping(db, ws))) return false;
  await applyRangeBands(db, ws, customerIds, -1, undefined, opts);
  return true;
}

/** These customers' people facts rewritten as they are now (before their counts go back). */
export async function rewriteAttrs(db: Executor, ws: string, customerIds: readonly string[]): Promise<void> {
  await db
    .deleteFrom('analytics_buyer_attrs')
    .where('workspace_id', '=', ws)
    .where('customer_id', 'in', customerIds)
    .execute();
  await writeAttrs(db, ws, customerIds);
}

export async function rangeBandsIn(db: Executor, ws: string, customerIds: readonly string[]): Promise<void> {
  await applyRangeBands(db, ws, customerIds, 1);
}

/**
 * A change of these customers' gender, birthday, city or province: they move band in the kept ranges, and
 * province in the day pairs, now.
 */
export async function refreshBuyerPeople(db: Executor, ws: string, customerIds: readonly string[]): Promise<void> {
  if (!customerIds.length) return;
  await shareRebuildLock(db, ws);
  // The distribution joins these people facts (gender, city, birthday) also for a range that is not kept.
  await bumpAnalyticsVersion(db, ws, customerIds);
  if ((await leftForRedo(db, ws, customerIds)) || !(await rangeBandsOut(db, ws, customerIds))) return;
  const emptied = await applyDayPairs(db, ws, customerIds, -1);
  await rewriteAttrs(db, ws, customerIds);
  await applyDayPairs(db, ws, customerIds, 1);
  await dropEmptyPairs(db, ws, emptied);
  await rangeBandsIn(db, ws, customerIds);
}

/** Whether [from, to] is a kept range. */
export async function isKeptRange(db: Executor, ws: string, from: string, to: string): Promise<boolean> {
  const row = await db
    .selectFrom('analytics_ranges')
    .select('range_from')
    .where('workspace_id', '=', ws)
    .where('range_from', '=', from)
    .where('range_to', '=', to)
    .where('ready', '=', 1)
    .executeTakeFirst();
  return Boolean(row);
}

export async function keptBands(db: Executor, ws: string, scope: string, from: string, to: string) {
  const rows = await db
    .selectFrom('analytics_range_bands')
    .select(['dim', 'key', 'buyers', 'orders', 'revenue_fen'])
    .where('workspace_id', '=', ws)
    .where('scope', '=', scope)
    .where('range_from', '=', from)
    .where('range_to', '=', to)
    .execute();
  return rows.map((x) => ({
    dim: x.dim,
    key: x.key,
    n: Number(x.buyers),
    orders: Number(x.orders),
    rev: Number(x.revenue_fen),
  }));
}

export async function keptProducts(db: Executor, ws: string, scope: string, from: string, to: string) {
  return db
    .selectFrom('analytics_range_products')
    .select(['product', 'units', 'orders', 'revenue_fen as revenue', 'buyers', 'repeaters'])
    .where('workspace_id', '=', ws)
    .where('scope', '=', scope)
    .where('range_from', '=', from)
    .where('range_to', '=', to)
    .execute();
}
