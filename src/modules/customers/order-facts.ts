import { sql, type Expression, type Kysely, type RawBuilder, type SqlBool, type Transaction } from 'kysely';
import { categoryLevels, PAIR_SEPARATOR } from '../../core/order-facts.js';
import { andInIds, indexedBy } from '../../db/in-list.js';
import type { Dialect } from '../../db/connect.js';
import type { Database } from '../../db/types.js';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * The order facts of a workspace's customers — all of them (`customerIds` null: the recompute) or the
 * given ones (an import batch, a merge: refreshCustomerStats) — set-based, the definitions of
 * core/order-facts.ts, inside the caller's transaction. The facts are computed into a temporary table
 * (no index to keep, no foreign key to check per row), then written as a difference: rows of these
 * customers that no longer hold are deleted, changed rows updated, new rows inserted. The incremental
 * path keeps the facts current, so a nightly recompute usually writes next to nothing (found on PostgreSQL
 * by one join, writeFactChanges); a first rebuild inserts everything once.
 *
 * Category levels (女装/连衣裙 also counts for 女装) come from the distinct categories, expanded by
 * categoryLevels into a keyed temporary table, so a line finds its levels by key however many
 * categories the shop has (a VALUES list was scanned once per line).
 */
export async function rebuildOrderFacts(
  trx: Executor,
  dialect: Dialect,
  workspaceId: string,
  purchase: Expression<SqlBool>,
  customerIds: readonly string[] | null,
): Promise<void> {
  const pg = dialect === 'postgres';
  const scope = (column: string) => andInIds(dialect, column, customerIds);
  const ts = sql.raw(pg ? 'timestamptz' : 'text');
  await fillFactLevels(trx, workspaceId, customerIds === null ? undefined : { dialect, customerIds });
  await sql`DROP TABLE IF EXISTS fresh_facts`.execute(trx);
  // SQLite finds a fresh fact by its key in the difference below; PostgreSQL hashes the whole table.
  await sql`CREATE TEMPORARY TABLE fresh_facts (dim text NOT NULL, value text NOT NULL, customer_id text NOT NULL,
    orders integer NOT NULL, spend_fen bigint NOT NULL, first_at ${ts} NOT NULL, last_at ${ts} NOT NULL
    ${pg ? sql`` : sql`, PRIMARY KEY (dim, value, customer_id)`})`.execute(trx);

  for (const [dim, column] of [
    ['activity', 'activity'],
    ['source', 'source'],
    ['store', 'store_id'],
  ] as const) {
    const col = sql.ref(`o.${column}`);
    await sql`
      INSERT INTO fresh_facts (dim, value, customer_id, orders, spend_fen, first_at, last_at)
      SELECT ${dim}, ${col}, o.customer_id, COUNT(*), SUM(o.paid_fen - o.refunded_fen), MIN(o.paid_at), MAX(o.paid_at)
      FROM orders o
      WHERE o.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL${scope('o.customer_id')}
        AND ${col} IS NOT NULL AND ${col} <> '' AND ${purchase}
      GROUP BY o.customer_id, ${col}`.execute(trx);
  }

  for (const withActivity of [false, true])
    await sql`INSERT INTO fresh_facts (dim, value, customer_id, orders, spend_fen, first_at, last_at)
      ${levelFactsSelect(dialect, workspaceId, purchase, customerIds, withActivity)}`.execute(trx);

  if (customerIds === null && pg) await writeFactChanges(trx, workspaceId);
  else await writeFactDifference(trx, dialect, workspaceId, customerIds);
  await sql`DROP TABLE fact_levels`.execute(trx);
  await sql`DROP TABLE fresh_facts`.execute(trx);
}

const sameKey = sql`t.dim = f.dim AND t.value = f.value AND t.customer_id = f.customer_id`;
const changed = sql`(f.orders <> t.orders OR f.spend_fen <> t.spend_fen OR f.first_at <> t.first_at
  OR f.last_at <> t.last_at)`;

/**
 * The fresh facts of a batch of customers (and of the whole workspace on SQLite) written as a difference in
 * three statements: what no longer holds deleted, what changed updated, the rest inserted (`ON CONFLICT DO
 * NOTHING` rather than `NOT EXISTS`: a statement reading the table it inserts into walks its own new rows —
 * PostgreSQL planned a nested loop over them, 631 s for 230k facts into an empty table). A batch's fresh
 * facts are few and mostly new; SQLite's recompute at 1M customers spends 17 s of its 530 s in the insert
 * (its time is in the stats statement), so both keep the probe per fact.
 */
async function writeFactDifference(
  trx: Executor,
  dialect: Dialect,
  workspaceId: string,
  customerIds: readonly string[] | null,
): Promise<void> {
  const scope = andInIds(dialect, 'f.customer_id', customerIds);
  // A batch's facts by the customer index on SQLite: without statistics it read the workspace's whole key range (every
  // fact of every customer, 8.8M rows at 1M customers) to find the batch's.
  const byCustomer = customerIds === null ? sql`` : indexedBy(dialect, 'customer_order_facts_customer_idx');
  await sql`DELETE FROM customer_order_facts AS f ${byCustomer} WHERE f.workspace_id = ${workspaceId}${scope}
    AND NOT EXISTS (SELECT 1 FROM fresh_facts t WHERE ${sameKey})`.execute(trx);
  await sql`UPDATE customer_order_facts AS f ${byCustomer}
    SET orders = t.orders, spend_fen = t.spend_fen, first_at = t.first_at, last_at = t.last_at
    FROM fresh_facts t
    WHERE f.workspace_id = ${workspaceId}${scope} AND ${sameKey} AND ${changed}`.execute(trx);
  await insertFacts(trx, workspaceId, sql`fresh_facts t WHERE true`);
}

/**
 * The fresh facts of the whole workspace (the recompute, PostgreSQL) written as a difference found by ONE
 * join: a FULL JOIN of the fresh facts with the workspace's facts keeps only the rows that differ (missing,
 * changed, stale) in the temporary table fact_changes — on a nightly run next to none — and the three
 * writes read that. Before, at 1M customers / 8.8M facts all current: the anti-join DELETE 37–45 s, the
 * UPDATE 9–13 s, and the INSERT … ON CONFLICT 112–116 s, a probe of the key for every fact that already
 * existed (~7.5 µs each). No nested loop can come back where one cost 631 s: PostgreSQL runs a FULL JOIN
 * only as a hash or merge join, and the insert reads fact_changes, never the table it writes to.
 * fact_changes is ANALYZEd, so the writes plan on its true size (index probes for a few rows, hashes for
 * millions). A workspace with no facts yet (the first fill) inserts the fresh facts directly, as before:
 * everything is missing, and staging it again would only copy 8.8M rows.
 */
async function writeFactChanges(trx: Executor, workspaceId: string): Promise<void> {
  const some = await sql`SELECT 1 AS one FROM customer_order_facts WHERE workspace_id = ${workspaceId} LIMIT 1`.execute(
    trx,
  );
  if (some.rows.length === 0) return insertFacts(trx, workspaceId, sql`fresh_facts t WHERE true`);
  await sql`DROP TABLE IF EXISTS fact_changes`.execute(trx);
  await sql`CREATE TEMPORARY TABLE fact_changes (change text NOT NULL, dim text NOT NULL, value text NOT NULL,
    customer_id text NOT NULL, orders integer, spend_fen bigint, first_at timestamptz, last_at timestamptz)`.execute(
    trx,
  );
  await sql`INSERT INTO fact_changes (change, dim, value, customer_id, orders, spend_fen, first_at, last_at)
    SELECT CASE WHEN t.dim IS NULL THEN 'stale' WHEN f.dim IS NULL THEN 'missing' ELSE 'changed' END,
      COALESCE(t.dim, f.dim), COALESCE(t.value, f.value), COALESCE(t.customer_id, f.customer_id),
      t.orders, t.spend_fen, t.first_at, t.last_at
    FROM fresh_facts t
    FULL JOIN (SELECT dim, value, customer_id, orders, spend_fen, first_at, last_at FROM customer_order_facts
      WHERE workspace_id = ${workspaceId}) f ON ${sameKey}
    WHERE t.dim IS NULL OR f.dim IS NULL OR ${changed}`.execute(trx);
  await sql`ANALYZE fact_changes`.execute(trx);
  const ofChange = (change: string) => sql`t.change = ${change} AND f.workspace_id = ${workspaceId} AND ${sameKey}`;
  await sql`DELETE FROM customer_order_facts AS f USING fact_changes t WHERE ${ofChange('stale')}`.execute(trx);
  await sql`UPDATE customer_order_facts AS f
    SET orders = t.orders, spend_fen = t.spend_fen, first_at = t.first_at, last_at = t.last_at
    FROM fact_changes t WHERE ${ofChange('changed')}`.execute(trx);
  await insertFacts(trx, workspaceId, sql`fact_changes t WHERE t.change = 'missing'`);
  await sql`DROP TABLE fact_changes`.execute(trx);
}

/**
 * Inserts the staged facts `t` (ON CONFLICT: a fact a concurrent batch — an import refreshing its
 * customers — wrote meanwhile is left to it).
 */
async function insertFacts(trx: Executor, workspaceId: string, staged: RawBuilder<unknown>): Promise<void> {
  await sql`INSERT INTO customer_order_facts
    (workspace_id, dim, value, customer_id, orders, spend_fen, first_at, last_at)
    SELECT ${workspaceId}, t.dim, t.value, t.customer_id, t.orders, t.spend_fen, t.first_at, t.last_at
    FROM ${staged}
    ON CONFLICT (workspace_id, dim, value, customer_id) DO NOTHING`.execute(trx);
}

/**
 * The facts per category level as rows (dim, value, customer_id, orders, spend_fen, first_at, last_at): the
 * 'category' facts, or with `withActivity` the 'activity+category' facts (core/order-facts.ts) of the orders
 * with an activity, one per activity and level. An order counts once per level however many of its lines
 * fall in it (levels from the temporary fact_levels). SQLite walks the orders (its plan: on
 * orders_customer_idx) and their lines by key, a line counting only if no earlier line of the order had the
 * level (no DISTINCT sort); PostgreSQL takes the distinct (order, level) pairs of the orders first, their
 * lines read by linesOf.
 */
export function levelFactsSelect(
  dialect: Dialect,
  workspaceId: string,
  purchase: Expression<SqlBool>,
  customerIds: readonly string[] | null,
  withActivity: boolean,
) {
  const net = sql`o.paid_fen - o.refunded_fen`;
  const activity = withActivity ? sql` AND o.activity IS NOT NULL AND o.activity <> ''` : sql``;
  const orders = sql`o.workspace_id = ${workspaceId}${activity}
    AND o.customer_id IS NOT NULL${andInIds(dialect, 'o.customer_id', customerIds)} AND ${purchase}`;
  if (dialect === 'postgres') {
    const fact = withActivity
      ? sql`'activity+category', x.activity || ${PAIR_SEPARATOR} || x.level`
      : sql`'category', x.level`;
    return sql`SELECT ${fact}, x.customer_id, COUNT(*), SUM(x.net), MIN(x.paid_at), MAX(x.paid_at)
      FROM (SELECT DISTINCT o.id, l.level, o.customer_id${withActivity ? sql`, o.activity` : sql``}, ${net} AS net,
              o.paid_at
            FROM orders o ${linesOf(dialect, customerIds)} JOIN fact_levels l ON l.category = i.category
            WHERE ${orders}) x
      GROUP BY x.customer_id${withActivity ? sql`, x.activity` : sql``}, x.level`;
  }
  const fact = withActivity
    ? sql`'activity+category', o.activity || ${PAIR_SEPARATOR} || l.level`
    : sql`'category', l.level`;
  return sql`SELECT ${fact}, o.customer_id, COUNT(*), SUM(${net}), MIN(o.paid_at), MAX(o.paid_at)
    FROM orders o CROSS JOIN order_items i CROSS JOIN fact_levels l
    WHERE ${orders}
      AND i.workspace_id = o.workspace_id AND i.order_id = o.id AND l.category = i.category
      AND NOT EXISTS (SELECT 1 FROM order_items j CROSS JOIN fact_levels m
        WHERE j.workspace_id = i.workspace_id AND j.order_id = i.order_id AND j.line_key < i.line_key
          AND m.category = j.category AND m.level = l.level)
    GROUP BY o.customer_id${withActivity ? sql`, o.activity` : sql``}, l.level`;
}

/**
 * The temporary table fact_levels: every category of the workspace's lines (or of the given customers'
 * orders' lines) with each level of its path (categoryLevels), keyed, so a line finds its levels by key
 * however many categories the shop has.
 */
export async function fillFactLevels(
  db: Executor | Kysely<unknown>,
  workspaceId: string,
  batch?: { dialect: Dialect; customerIds: readonly string[] },
): Promise<void> {
  await sql`DROP TABLE IF EXISTS fact_levels`.execute(db);
  await sql`CREATE TEMPORARY TABLE fact_levels (category text NOT NULL, level text NOT NULL,
    PRIMARY KEY (category, level))`.execute(db);
  const categories = batch
    ? await sql<{ category: string }>`SELECT DISTINCT i.category
        FROM orders o ${linesOf(batch.dialect, batch.customerIds)}
        WHERE o.workspace_id = ${workspaceId}${andInIds(batch.dialect, 'o.customer_id', batch.customerIds)}
          AND i.category IS NOT NULL AND i.category <> ''`.execute(db)
    : await sql<{ category: string }>`SELECT DISTINCT i.category FROM order_items i
        WHERE i.workspace_id = ${workspaceId} AND i.category IS NOT NULL AND i.category <> ''`.execute(db);
  const pairs = categories.rows.flatMap(({ category }) =>
    categoryLevels(category).map((level) => ({ category, level })),
  );
  for (let i = 0; i < pairs.length; i += 400) {
    const values = sql.join(pairs.slice(i, i + 400).map((p) => sql`(${p.category}, ${p.level})`));
    await sql`INSERT INTO fact_levels (category, level) VALUES ${values}`.execute(db);
  }
}

/** order_items' primary key (workspace_id, order_id, line_key): SQLite names the index of a PRIMARY KEY itself. */
const ORDER_ITEMS_KEY = 'sqlite_autoindex_order_items_1';

/**
 * The lines of the orders aliased `o`, as `i`: a join on order_items' key. For a batch on PostgreSQL a
 * LATERAL read of each order's lines behind `OFFSET 0`, which the planner cannot flatten: left a join,
 * at 1M customers / 3M orders it hashed the batch's ~6,000 orders and read ALL 3M lines to match them
 * (its n_distinct of orders.customer_id was a quarter of the truth, so it expected 4× the orders) — a
 * pass over the workspace per batch, the import's cost per row growing with the database. The recompute
 * (no ids) keeps the join, which a pass over everything wants hashed. On SQLite the orders come first
 * (CROSS JOIN) and their lines are read by key (INDEXED BY): a database nobody ran ANALYZE on (every
 * user's) has no statistics, and SQLite then took the lines of every category of the workspace from
 * order_items_category_idx ("category IS NOT NULL AND category <> ''") and joined the orders to them —
 * a pass over the workspace's lines per import batch, and per order the order API or a webhook takes in.
 */
export function linesOf(dialect: Dialect, customerIds: readonly string[] | null) {
  const onOrder = sql`ON i.workspace_id = o.workspace_id AND i.order_id = o.id`;
  if (customerIds === null) return sql`JOIN order_items i ${onOrder}`;
  if (dialect === 'postgres')
    return sql`CROSS JOIN LATERAL (SELECT * FROM order_items i
      WHERE i.workspace_id = o.workspace_id AND i.order_id = o.id OFFSET 0) i`;
  return sql`CROSS JOIN order_items i ${indexedBy(dialect, ORDER_ITEMS_KEY)} ${onOrder}`;
}
