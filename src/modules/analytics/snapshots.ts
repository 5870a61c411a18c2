import { sql, type RawBuilder } from 'kysely';
import { AGE_CUTS, ageCuts, keptRanges } from '../../core/analytics-ranges.js';
import { AGE_BANDS, AOV_BANDS, FREQUENCY_BANDS } from '../../core/analytics-views.js';
import type { Executor } from '../../jobs/queue.js';

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
  only: { range?: { from: string; to: string }; customerIds?: readonly string[] },
) {
  const cond: RawBuilder<unknown>[] = [];
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
      FROM analytics_buyer_days b
      JOIN analytics_ranges g ON g.workspace_id = b.workspace_id AND b.day >= g.range_from AND b.day <= g.range_to
      WHERE b.workspace_id = ${ws} ${where}
      GROUP BY b.store_id, g.range_from, g.range_to, b.customer_id
      UNION ALL
      SELECT 'c:' || s.currency, g.range_from, g.range_to, b.customer_id, SUM(b.orders), SUM(b.revenue_fen)
      FROM analytics_buyer_days b
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
async function writeAttrs(db: Executor, ws: string, customerIds?: readonly string[]) {
  const only = customerIds ? sql`AND d.customer_id IN (${sql.join(customerIds)})` : sql``;
  await sql`
    INSERT INTO analytics_buyer_attrs (workspace_id, customer_id, has_customer, province, gender, city, birthday)
    SELECT ${ws}, d.customer_id, CASE WHEN c.id IS NULL THEN 0 ELSE 1 END, st.province, c.gender, c.city, c.birthday
    FROM (SELECT DISTINCT customer_id FROM analytics_buyer_days WHERE workspace_id = ${ws}) d
    LEFT JOIN customers c ON c.workspace_id = ${ws} AND c.id = d.customer_id
    LEFT JOIN customer_stats st ON st.workspace_id = ${ws} AND st.customer_id = d.customer_id
    WHERE 1 = 1 ${only}`.execute(db);
}

/**
 * The full build, after the rebuild has written the buyer rows and the product-day rows: the kept ranges as of
 * `today` (local), the buyers' people facts, each range's bands and products.
 */
export async function buildRangeSnapshots(db: Executor, ws: string, today: string): Promise<void> {
  for (const t of [
    'analytics_ranges',
    'analytics_range_bands',
    'analytics_range_products',
    'analytics_buyer_attrs',
  ] as const)
    await db.deleteFrom(t).where('workspace_id', '=', ws).execute();
  const first = await db
    .selectFrom('analytics_buyer_days')
    .select((eb) => eb.fn.min<string>('day').as('d'))
    .where('workspace_id', '=', ws)
    .executeTakeFirst();
  const ranges = keptRanges(first?.d ?? null, today);
  const rows = ranges.map((r) => ({ workspace_id: ws, range_from: r.from, range_to: r.to, ...ageCuts(r.to) }));
  for (let i = 0; i < rows.length; i += 50)
    await db
      .insertInto('analytics_ranges')
      .values(rows.slice(i, i + 50) as never)
      .execute();
  await writeAttrs(db, ws);
  for (const range of ranges) {
    await sql`
      INSERT INTO analytics_range_bands (workspace_id, ${BAND_COLUMNS})
      SELECT ${ws}, ${BAND_COLUMNS} FROM (${bandContributions(ws, { range })}) c`.execute(db);
    await sql`
      INSERT INTO analytics_range_products (workspace_id, scope, range_from, range_to, product, units, orders,
        revenue_fen, buyers, repeaters)
      SELECT ${ws}, scope, ${range.from}, ${range.to}, product, SUM(units), SUM(ord), SUM(rev), COUNT(*),
        SUM(CASE WHEN ord >= 2 THEN 1 ELSE 0 END)
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
  }
}

/** Adds (sign 1) or takes out (sign −1) these customers' band counts in every kept range. */
export async function applyRangeBands(db: Executor, ws: string, customerIds: readonly string[], sign: 1 | -1) {
  if (!customerIds.length) return;
  const m = sql.lit(sign);
  // `WHERE 1 = 1`: SQLite reads ON CONFLICT after INSERT … SELECT only when the SELECT has a WHERE.
  await sql`
    INSERT INTO analytics_range_bands (workspace_id, ${BAND_COLUMNS})
    SELECT ${ws}, scope, range_from, range_to, dim, key, ${m} * buyers, ${m} * orders, ${m} * revenue_fen
    FROM (${bandContributions(ws, { customerIds })}) c WHERE 1 = 1
    ORDER BY scope, range_from, range_to, dim, key
    ON CONFLICT (workspace_id, scope, range_from, range_to, dim, key) DO UPDATE SET
      buyers = analytics_range_bands.buyers + excluded.buyers,
      orders = analytics_range_bands.orders + excluded.orders,
      revenue_fen = analytics_range_bands.revenue_fen + excluded.revenue_fen`.execute(db);
  if (sign < 0)
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
export async function rangeBandsOut(db: Executor, ws: string, customerIds: readonly string[]): Promise<boolean> {
  if (!(await keeping(db, ws))) return false;
  await applyRangeBands(db, ws, customerIds, -1);
  return true;
}

export async function rangeBandsBack(db: Executor, ws: string, customerIds: readonly string[]): Promise<void> {
  await db
    .deleteFrom('analytics_buyer_attrs')
    .where('workspace_id', '=', ws)
    .where('customer_id', 'in', customerIds)
    .execute();
  await writeAttrs(db, ws, customerIds);
  await applyRangeBands(db, ws, customerIds, 1);
}

/** A change of these customers' gender, birthday, city or province: they move band in the kept ranges now. */
export async function refreshBuyerPeople(db: Executor, ws: string, customerIds: readonly string[]): Promise<void> {
  if (!customerIds.length || !(await rangeBandsOut(db, ws, customerIds))) return;
  await rangeBandsBack(db, ws, customerIds);
}

/** Whether [from, to] is a kept range. */
export async function isKeptRange(db: Executor, ws: string, from: string, to: string): Promise<boolean> {
  const row = await db
    .selectFrom('analytics_ranges')
    .select('range_from')
    .where('workspace_id', '=', ws)
    .where('range_from', '=', from)
    .where('range_to', '=', to)
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
