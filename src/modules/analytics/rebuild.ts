import { sql, type Kysely, type RawBuilder } from 'kysely';
import { localDate, zoneOffsetMinutes } from '../../core/time.js';
import { letWritersIn, type Dialect } from '../../db/connect.js';
import { localDaySql } from '../../db/dates.js';
import { orderCountsAsPurchase, purchaseRule } from '../customers/stats.js';
import { chunks, nowIso, type AppContext } from '../context.js';
import type { Executor } from '../../jobs/queue.js';
import type { Database } from '../../db/types.js';
import { byCustomer, holdRebuildLock, onPostgres, shareRebuildLock } from './lock.js';
import { applyDayPairs, contributions, dropEmptyPairs, leftForRedo, PAIR_COLUMNS, PAIRS_LAYOUT } from './pairs.js';
import { askedRanges } from './asked.js';
import {
  rangeBandsIn,
  rangeBandsOut,
  rangeProductRows,
  rangesOf,
  rewriteAttrs,
  stageRanges,
  stagedBandsIn,
  switchRanges,
} from './snapshots.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { bumpAnalyticsVersion, recordChangedCustomers } from './version.js';

/**
 * Rebuilds a workspace's analytics pre-aggregates from its orders, in short transactions: customer by customer
 * range, each chunk takes its customers' counts out of the day pairs and kept bands, rewrites their buyer rows
 * and product-day rows from their orders and puts the counts back (the per-customer upkeep of refreshBuyerRows),
 * so every figure a view reads counts every customer exactly once at any moment — from their orders as of the
 * last build or as of now. New kept ranges are filled beside (not ready) and switched on at the end; the hours,
 * cohorts, first sale days and kept products (which no order upkeep touches) are read, then written each in one
 * short transaction. A killed rebuild resumes from its cursor (analytics_rebuilds, migration 0054). Run by the
 * `analytics.rebuild` job queued after every import, by the nightly stats job, by `huike recompute` and after the
 * demo shop is generated. Days and hours are local to the workspace's time zone (its offset now: exact for
 * Asia/Shanghai, which has no daylight saving).
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

/**
 * SQLite: read a chunk's orders by the customer index. A file given orders_paid_idx (0074 makes it on PostgreSQL only
 * now) after it was ANALYZEd (statistics for the other indexes, none for this one) had the planner take the purchase
 * condition `paid_at IS NOT NULL` for a selective range and read every paid order of the workspace by that index, a
 * random table read per order, for a chunk of 1,500 orders' customers (1M customers: 22 GB read, no chunk committed
 * in 7.5 min).
 */
const ordersByCustomer = (db: Executor) => byCustomer(db, 'orders_customer_idx');

/** The buyer-day rows of these customers' purchases, first days included. */
function buyerDaysOf(
  db: Executor,
  ws: string,
  paidDay: RawBuilder<string>,
  purchase: RawBuilder<unknown>,
  only: RawBuilder<unknown>,
) {
  return sql`
      SELECT ${ws} AS workspace_id, x.store_id, x.customer_id, x.day, x.orders, x.revenue_fen,
        MIN(x.day) OVER (PARTITION BY x.store_id, x.customer_id) AS store_first_day,
        MIN(x.day) OVER (PARTITION BY s.currency, x.customer_id) AS currency_first_day
      FROM (
        SELECT o.store_id, o.customer_id, ${paidDay} AS day, COUNT(*) AS orders,
          SUM(o.paid_fen - o.refunded_fen) AS revenue_fen
        FROM orders o ${ordersByCustomer(db)}
        WHERE o.workspace_id = ${ws} AND o.customer_id IS NOT NULL AND ${purchase} AND ${only}
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
  await shareRebuildLock(db, ws);
  // Nothing to keep in step before the first build starts (the build reads the orders as they are then).
  const built = await db.selectFrom('analytics_builds').select('workspace_id').where('workspace_id', '=', ws).execute();
  const running = await db
    .selectFrom('analytics_rebuilds')
    .select('workspace_id')
    .where('workspace_id', '=', ws)
    .execute();
  if (!built.length && !running.length) return;
  await bumpAnalyticsVersion(db, ws, ids);
  if (await leftForRedo(db, ws, ids)) return;
  const tz = await workspaceTimezone(db, ws);
  const offset = zoneOffsetMinutes(tz, Date.parse(now));
  const purchase = orderCountsAsPurchase(await purchaseRule(db, ws));
  const paidDay = localDaySql(dialect, sql.ref('o.paid_at'), offset);
  for (const part of chunks(ids, 400)) await redoBuyerRows(db, ws, part, paidDay, purchase);
}

/**
 * Takes these customers' counts out, rewrites their buyer rows from their orders, puts the counts back. `pairs: false`
 * (a build that counts the day pairs at its end) leaves the day pairs alone.
 */
async function redoBuyerRows(
  db: Executor,
  ws: string,
  part: readonly string[],
  paidDay: RawBuilder<string>,
  purchase: RawBuilder<unknown>,
  opts: { keepZeros?: boolean; pairs?: boolean } = {},
) {
  const pairs = opts.pairs ?? true;
  const keeping = await rangeBandsOut(db, ws, part, opts);
  const emptied = pairs ? await applyDayPairs(db, ws, part, -1, opts) : [];
  await sql`DELETE FROM analytics_buyer_days ${byCustomer(db)}
    WHERE workspace_id = ${ws} AND customer_id IN (${sql.join(part)})`.execute(db);
  await sql`INSERT INTO analytics_buyer_days ${BUYER_DAY_COLUMNS}
    ${buyerDaysOf(db, ws, paidDay, purchase, sql`o.customer_id IN (${sql.join(part)})`)}`.execute(db);
  // The province-split pairs (pairs.ts) go back under the people facts as they are now.
  await rewriteAttrs(db, ws, part);
  if (pairs) await applyDayPairs(db, ws, part, 1);
  await dropEmptyPairs(db, ws, emptied);
  if (keeping) await rangeBandsIn(db, ws, part);
}

/** What a build's rows are grouped by: the stores' currencies and the layout of the day pairs. */
export function groupingOf(stores: readonly { id: string; currency: string }[]): string {
  return JSON.stringify({ pairs: PAIRS_LAYOUT, stores: stores.map((x) => [x.id, x.currency]).sort() });
}

/**
 * Whether rows grouped under `before` (the stores' currencies and the pairs' layout, as recorded) must be cleared
 * to be grouped under `after`: another layout, or a store that changed its currency or is gone. A store added
 * since has no rows yet, so the rebuild redoes the customers over the kept rows and the views stay meanwhile
 * (importing a new shop's first file used to clear them: "not built" until the whole rebuild was done).
 */
export function regrouped(before: string | null | undefined, after: string): boolean {
  type Grouping = { pairs?: unknown; stores?: [string, string][] };
  let old: Grouping;
  try {
    old = JSON.parse(before ?? '') as Grouping;
  } catch {
    return true;
  }
  const now = JSON.parse(after) as Grouping;
  if (!Array.isArray(old.stores) || old.pairs !== now.pairs) return true;
  const currency = new Map(now.stores ?? []);
  return old.stores.some(([id, c]) => currency.get(id) !== c);
}

export interface RebuildOptions {
  /** Orders per short transaction (their customers are redone together). */
  chunkOrders?: number;
  /** Called after each chunk is committed (the tests stop or write there). */
  afterChunk?: (chunk: number) => Promise<void> | void;
  /** Day-pair rows per transaction when a build counts them at its end. */
  pairsSlice?: number;
  /** Called after each slice of the day pairs is committed (the tests stop or write there). */
  afterPairs?: (slice: number) => Promise<void> | void;
}

/** About 1 s of work per transaction on this machine (6,000 orders took 4 s on average at 200,000 customers). */
const CHUNK_ORDERS = 1500;

const productOf = sql`COALESCE(NULLIF(i.title, ''), NULLIF(i.sku, ''), NULLIF(i.external_item_id, ''))`;

export async function rebuildAnalytics(
  ctx: AppContext,
  ws: string,
  opts: RebuildOptions = {},
): Promise<{ orders: number; ms: number }> {
  const t0 = Date.now();
  const k = ctx.db.kysely;
  const d = ctx.db.dialect;
  const tz = await workspaceTimezone(k, ws);
  const offset = zoneOffsetMinutes(tz, ctx.now().getTime());
  const rule = await purchaseRule(k, ws);
  const purchase = orderCountsAsPurchase(rule);
  const paidDay = localDaySql(d, sql.ref('o.paid_at'), offset);
  const today = localDate(ctx.now().toISOString(), tz);
  const stores = await k.selectFrom('stores').select(['id', 'currency']).where('workspace_id', '=', ws).execute();
  // What the rows are grouped by: the stores' currencies and the layout of the day pairs (2: split by province).
  const currencies = groupingOf(stores);
  // A rebuild killed for the same rule, zone, day and currencies resumes; any other starts again from the first
  // customer.
  const fingerprint = JSON.stringify({ offset, rule, today, currencies });
  const run = await k
    .selectFrom('analytics_rebuilds')
    .select('fingerprint')
    .where('workspace_id', '=', ws)
    .executeTakeFirst();
  if (run?.fingerprint !== fingerprint) {
    // A store's currency changed since the rows were grouped: they cannot be taken out customer by customer under
    // the currency they went in under, so the build starts from nothing (the views say "not built" meanwhile); so
    // does a build of an older layout of the day pairs (before the province split).
    const last = await k
      .selectFrom('analytics_builds')
      .select('stores')
      .where('workspace_id', '=', ws)
      .executeTakeFirst();
    const grouped = run ? (JSON.parse(run.fingerprint) as { currencies?: string }).currencies : last?.stores;
    if ((run || last) && regrouped(grouped, currencies)) await clearAnalytics(k, ws);
    const first = await sql<{ d: string | null }>`
      SELECT MIN(${paidDay}) AS d FROM orders o
      WHERE o.workspace_id = ${ws} AND o.customer_id IS NOT NULL AND ${purchase}`.execute(k);
    await k.transaction().execute(async (trx) => {
      await holdRebuildLock(trx, ws);
      await trx.deleteFrom('analytics_rebuilds').where('workspace_id', '=', ws).execute();
      // Nothing reads the rows of a workspace without a build: its day pairs are counted once, at the end.
      const built = await trx
        .selectFrom('analytics_builds')
        .select('workspace_id')
        .where('workspace_id', '=', ws)
        .execute();
      const later = built.length ? 0 : 1;
      await trx
        .insertInto('analytics_rebuilds')
        .values({
          workspace_id: ws,
          fingerprint,
          cursor: '',
          done: 0,
          chunks: 0,
          started_at: nowIso(ctx),
          pairs_later: later,
        })
        .execute();
      await stageRanges(trx, ws, first.rows[0]?.d ?? null, today, await askedRanges(trx, ws, nowIso(ctx)));
    });
  }
  const size = Math.max(1, opts.chunkOrders ?? CHUNK_ORDERS);
  for (;;) {
    const state = await k
      .selectFrom('analytics_rebuilds')
      .select(['cursor', 'done', 'chunks', 'pairs_later'])
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    if (Number(state.done) === 1) {
      if (Number(state.pairs_later) === 1) await countPairs(ctx, ws, opts);
      break;
    }
    const end = await k
      .selectFrom('orders')
      .select('customer_id')
      .where('workspace_id', '=', ws)
      .where('customer_id', '>', state.cursor)
      .orderBy('customer_id')
      .limit(1)
      .offset(size - 1)
      .executeTakeFirst();
    const hi = end?.customer_id ?? null;
    const n = Number(state.chunks) + 1;
    await k.transaction().execute(async (trx) => {
      await holdRebuildLock(trx, ws);
      // Another rebuild of the workspace got here first: it redid this chunk.
      const now = await trx
        .selectFrom('analytics_rebuilds')
        .select('cursor')
        .where('workspace_id', '=', ws)
        .executeTakeFirst();
      if (now?.cursor !== state.cursor) return;
      await bumpAnalyticsVersion(trx, ws, 'whole');
      const pairs = Number(state.pairs_later) !== 1;
      const changed = await redoChunk(trx, ws, state.cursor, hi, paidDay, purchase, pairs);
      // The chunk's version names the customers whose rows it changed (most, on a rebuild over kept rows, have none):
      // the analytics in memory re-read those rather than every row.
      await recordChangedCustomers(trx, ws, changed);
      await trx
        .updateTable('analytics_rebuilds')
        .set({ cursor: hi ?? state.cursor, done: hi === null ? 1 : 0, chunks: n })
        .where('workspace_id', '=', ws)
        .execute();
    });
    await opts.afterChunk?.(n);
    if (hi !== null) await letWritersIn(d);
  }
  await redoLeft(ctx, ws, paidDay, purchase);
  // The out-and-back left counts of 0 where a customer moved.
  await k.deleteFrom('analytics_day_pairs').where('workspace_id', '=', ws).where('rows', '=', 0).execute();
  await k.deleteFrom('analytics_range_bands').where('workspace_id', '=', ws).where('buyers', '=', 0).execute();
  await rewriteAggregates(ctx, ws, offset, purchase);
  const n = await k
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .executeTakeFirstOrThrow();
  const orders = Number(n.n);
  const ms = Date.now() - t0;
  await k.transaction().execute(async (trx) => {
    await holdRebuildLock(trx, ws);
    // No buyer-day, product-day or people rows change here (the kept ranges and the build row).
    await bumpAnalyticsVersion(trx, ws, []);
    await switchRanges(trx, ws);
    // The grouping, and what the rows were read under (the purchase rule, the zone's offset): the dashboard reads
    // them only while both are still the workspace's (dashboardPairScope in service.ts).
    const under = JSON.stringify({ ...(JSON.parse(currencies) as object), rule, offset });
    const row = { workspace_id: ws, built_at: nowIso(ctx), orders, build_ms: ms, stores: under };
    await trx
      .insertInto('analytics_builds')
      .values(row)
      .onConflict((oc) =>
        oc.column('workspace_id').doUpdateSet({ built_at: row.built_at, orders, build_ms: ms, stores: under }),
      )
      .execute();
    await trx.deleteFrom('analytics_rebuilds').where('workspace_id', '=', ws).execute();
  });
  return { orders, ms };
}

/** Every analytics table, with its key after workspace_id (SQLite's clear deletes by it, a batch at a time). */
const ANALYTICS_TABLES = {
  analytics_builds: [],
  analytics_rebuilds: [],
  analytics_redo: ['customer_id'],
  analytics_ranges: ['range_from', 'range_to'],
  analytics_range_bands: ['scope', 'range_from', 'range_to', 'dim', 'key'],
  analytics_range_products: ['scope', 'range_from', 'range_to', 'product'],
  analytics_buyer_attrs: ['customer_id'],
  analytics_day_pairs: ['scope', 'kind', 'a', 'b'],
  analytics_buyer_days: ['store_id', 'customer_id', 'day'],
  analytics_hours: ['store_id', 'day', 'hour'],
  analytics_product_days: ['day', 'store_id', 'product', 'customer_id'],
  analytics_product_firsts: ['store_id', 'product'],
  analytics_cohorts: ['store_id', 'cohort_month', 'active_month'],
} as const satisfies Partial<Record<keyof Database, readonly string[]>>;

/** Rows per transaction of SQLite's clear. */
const CLEAR_BATCH = 20_000;

/**
 * Repairs drifted pre-aggregates (`huike analytics rebuild --from-scratch`): the per-customer upkeep keeps every
 * count exact only if it was exact to begin with, and a rebuild over kept rows redoes only the customers whose
 * rows differ from their orders, so a count that drifted (a bug, a hand edit, a restored table) would stay. This
 * clears every pre-aggregate of the workspace and runs the chunked rebuild from the first customer. The build and
 * run rows go first, in one transaction under the rebuild lock: from then on the views say "not built" and the
 * order upkeep leaves the rows alone until the rebuild starts (then it keeps the customers already redone, as for
 * any rebuild). A rebuild from scratch killed midway is resumed by a plain rebuild (same cursor).
 */
export async function rebuildAnalyticsFromScratch(
  ctx: AppContext,
  ws: string,
  opts: RebuildOptions = {},
): Promise<{ orders: number; ms: number }> {
  const t0 = Date.now();
  const k = ctx.db.kysely;
  await k.transaction().execute(async (trx) => {
    await holdRebuildLock(trx, ws);
    await trx.deleteFrom('analytics_builds').where('workspace_id', '=', ws).execute();
    await trx.deleteFrom('analytics_rebuilds').where('workspace_id', '=', ws).execute();
  });
  await clearAnalytics(k, ws);
  const r = await rebuildAnalytics(ctx, ws, opts);
  return { orders: r.orders, ms: Date.now() - t0 };
}

/** A table's rows of the workspace deleted: on SQLite `batch` rows per statement by key (clearAnalytics). */
async function deleteWorkspaceRows(k: Executor, t: keyof typeof ANALYTICS_TABLES, ws: string, batch: number) {
  const key: readonly string[] = ANALYTICS_TABLES[t];
  if (onPostgres(k) || !key.length) {
    await k.deleteFrom(t).where('workspace_id', '=', ws).execute();
    return;
  }
  const cols = sql.join(key.map((c) => sql.ref(c)));
  for (;;) {
    const r = await sql`DELETE FROM ${sql.table(t)} WHERE workspace_id = ${ws} AND (${cols}) IN (
      SELECT ${cols} FROM ${sql.table(t)} WHERE workspace_id = ${ws} LIMIT ${batch})`.execute(k);
    if (Number(r.numAffectedRows ?? 0) < batch) return;
    await letWritersIn('sqlite');
  }
}

/**
 * Every pre-aggregate of the workspace gone (the builds row first: the views say "not built"). On SQLite a batch of
 * rows per statement, by key: one DELETE of a table's rows held the one write lock for as long as it ran (the clear
 * took 165 s at 1M customers), and other writers give up after 10 s. PostgreSQL's DELETE blocks no other writer.
 */
export async function clearAnalytics(k: Executor, ws: string, opts: { batch?: number } = {}): Promise<void> {
  await bumpAnalyticsVersion(k, ws, 'whole');
  const batch = Math.max(1, opts.batch ?? CLEAR_BATCH);
  for (const t of Object.keys(ANALYTICS_TABLES) as (keyof typeof ANALYTICS_TABLES)[])
    await deleteWorkspaceRows(k, t, ws, batch);
  // Again after the deletes (not one transaction): an index read between them is not taken for the cleared rows.
  await bumpAnalyticsVersion(k, ws, 'whole');
}

/**
 * The customers after `lo` up to `hi` (all after `lo` when null): buyer rows, counts and product-day rows redone.
 * Returns the customers whose buyer-day or product-day rows (or people facts) it changed.
 */
async function redoChunk(
  trx: Executor,
  ws: string,
  lo: string,
  hi: string | null,
  paidDay: RawBuilder<string>,
  purchase: RawBuilder<unknown>,
  pairs: boolean,
) {
  const within = (col: string) =>
    hi === null ? sql`${sql.ref(col)} > ${lo}` : sql`${sql.ref(col)} > ${lo} AND ${sql.ref(col)} <= ${hi}`;
  const ids = (
    await sql<{ id: string }>`
      SELECT customer_id AS id FROM orders WHERE workspace_id = ${ws} AND ${within('customer_id')}
      UNION
      SELECT customer_id FROM analytics_buyer_days ${byCustomer(trx)}
      WHERE workspace_id = ${ws} AND ${within('customer_id')}`.execute(trx)
  ).rows.map((r) => r.id);
  // Only the customers whose buyer rows or people facts would change are taken out and put back: the upkeep kept
  // the others exact (the nightly rebuild redoes few). A rebuild for another rule or zone redoes them all.
  const cols = sql.raw('store_id, customer_id, day, orders, revenue_fen, store_first_day, currency_first_day');
  const fresh = buyerDaysOf(trx, ws, paidDay, purchase, within('o.customer_id'));
  const kept = sql`SELECT ${cols} FROM analytics_buyer_days ${byCustomer(trx)}
    WHERE workspace_id = ${ws} AND ${within('customer_id')}`;
  const changed = (
    await sql<{ id: string }>`
      SELECT customer_id AS id FROM (SELECT ${cols} FROM (${fresh}) n EXCEPT ${kept}) x
      UNION
      SELECT customer_id FROM (${kept} EXCEPT SELECT ${cols} FROM (${fresh}) n) y
      UNION
      SELECT b.customer_id FROM analytics_buyer_days b ${byCustomer(trx)}
      LEFT JOIN analytics_buyer_attrs a ON a.workspace_id = b.workspace_id AND a.customer_id = b.customer_id
      LEFT JOIN customers c ON c.workspace_id = b.workspace_id AND c.id = b.customer_id
      LEFT JOIN customer_stats st ON st.workspace_id = b.workspace_id AND st.customer_id = b.customer_id
      WHERE b.workspace_id = ${ws} AND ${within('b.customer_id')} AND NOT (
        a.customer_id IS NOT NULL AND a.has_customer = CASE WHEN c.id IS NULL THEN 0 ELSE 1 END
        AND a.province IS NOT DISTINCT FROM st.province AND a.gender IS NOT DISTINCT FROM c.gender
        AND a.city IS NOT DISTINCT FROM c.city AND a.birthday IS NOT DISTINCT FROM c.birthday)`.execute(trx)
  ).rows.map((r) => r.id);
  for (const part of chunks(changed, 400))
    await redoBuyerRows(trx, ws, part, paidDay, purchase, { keepZeros: true, pairs });
  // Those the upkeep left before this chunk are redone by it, from their orders as they are now.
  if (!pairs)
    await sql`DELETE FROM analytics_redo WHERE workspace_id = ${ws} AND ${within('customer_id')}`.execute(trx);
  const staging = await trx
    .selectFrom('analytics_ranges')
    .select('range_from')
    .where('workspace_id', '=', ws)
    .where('ready', '=', 0)
    .limit(1)
    .execute();
  if (staging.length) for (const part of chunks(ids, 400)) await stagedBandsIn(trx, ws, part);
  // Whose product rows the rewrite below changes (the order upkeep leaves them to the rebuild): rows as they will be
  // against rows as they are, both ways. The chunk's product-day aggregate is computed once, into a temporary table
  // of the same columns (typed as the kept rows, so it holds what the INSERT will store), and both sides of the
  // comparison and the INSERT read it. Dropped before the commit; a rollback undoes its creation on both databases,
  // so no pooled PostgreSQL connection keeps it.
  const pcols = sql.raw('store_id, day, product, customer_id, orders, units, revenue_fen');
  const staged = sql.raw('rebuild_fresh_products');
  await sql`CREATE TEMPORARY TABLE ${staged} AS SELECT ${pcols} FROM analytics_product_days WHERE 1 = 0`.execute(trx);
  await sql`
    INSERT INTO ${staged} (${pcols})
    SELECT o.store_id, ${paidDay} AS day, ${productOf} AS product, o.customer_id, COUNT(DISTINCT o.id) AS orders,
           SUM(i.quantity) AS units, SUM(COALESCE(i.paid_fen, i.price_fen * i.quantity)) AS revenue_fen
    FROM orders o ${ordersByCustomer(trx)}
    JOIN order_items i ON i.workspace_id = o.workspace_id AND i.order_id = o.id
    WHERE o.workspace_id = ${ws} AND ${within('o.customer_id')} AND ${purchase} AND ${productOf} IS NOT NULL
    GROUP BY o.store_id, ${paidDay}, ${productOf}, o.customer_id`.execute(trx);
  const freshProducts = sql`SELECT ${pcols} FROM ${staged}`;
  const keptProducts = sql`SELECT ${pcols} FROM analytics_product_days
    ${byCustomer(trx, 'analytics_product_days_customer_idx')} WHERE workspace_id = ${ws} AND ${within('customer_id')}`;
  const productsChanged = (
    await sql<{ id: string }>`
      SELECT customer_id AS id FROM (${freshProducts} EXCEPT ${keptProducts}) x
      UNION
      SELECT customer_id FROM (${keptProducts} EXCEPT ${freshProducts}) y`.execute(trx)
  ).rows.map((r) => r.id);
  // Only those customers' rows are rewritten: the others' are what they would be written as, and their keys (day
  // first) spread over the whole table, so a rebuild over kept rows that rewrote them all (nightly, after every
  // import) wrote pages all over it in every chunk.
  for (const part of chunks(productsChanged, 400)) {
    await sql`DELETE FROM analytics_product_days ${byCustomer(trx, 'analytics_product_days_customer_idx')}
      WHERE workspace_id = ${ws} AND customer_id IN (${sql.join(part)})`.execute(trx);
    await sql`INSERT INTO analytics_product_days (workspace_id, ${pcols})
      SELECT ${ws}, ${pcols} FROM ${staged} WHERE customer_id IN (${sql.join(part)})`.execute(trx);
  }
  await sql`DROP TABLE ${staged}`.execute(trx);
  return new Set([...changed, ...productsChanged]);
}

/** About 1 s per transaction on this machine. */
const PAIRS_SLICE = 100_000;

/**
 * A build nothing reads yet counts the day pairs here, once, from every buyer row of the workspace (taking each
 * chunk's customers out and back touched rows of every day of the history: on SQLite, whose write-ahead log keeps
 * whole pages, 60 MB per 1,500-order chunk at 1M customers). The counts go into a temporary table of this connection
 * in one read, which lets other connections write meanwhile; then into analytics_day_pairs in key order, a slice per
 * short transaction. The order upkeep leaves the buyer rows alone until the last slice switches pairs_later off
 * (leftForRedo), so the count reads rows no one changes; those customers are redone after (redoLeft). Two rebuilds of
 * the workspace at once: each starts the copy over; the one whose next slice finds another's progress stops.
 */
async function countPairs(ctx: AppContext, ws: string, opts: RebuildOptions) {
  const size = Math.max(1, opts.pairsSlice ?? PAIRS_SLICE);
  // Temporary tables belong to a connection: one of PostgreSQL's pool is held for the count; SQLite's writer
  // connection is not (its other users wait for one query or transaction at a time, as always). Named per
  // workspace: two workspaces' rebuilds in one process may share that connection.
  const name = `rebuild_pairs_${ws.replace(/[^0-9A-Za-z]/g, '').toLowerCase()}`;
  const staged = sql.raw(name);
  const sqlite = ctx.db.dialect === 'sqlite';
  const counting = async (c: Kysely<Database>) => {
    // SQLite gives each sort of the count as much memory as the page cache: the count's dozen sorts took the process
    // to 1.3 GB at 1M customers with the 64 MB cache, 0.4 GB with 16 MB (as fast: 108 s against 122 s).
    const pages = sqlite ? await sql<{ cache_size: number }>`PRAGMA cache_size`.execute(c) : null;
    const cache = pages?.rows[0]?.cache_size;
    try {
      if (sqlite) await sql`PRAGMA cache_size = -16000`.execute(c);
      await sql`DROP TABLE IF EXISTS ${staged}`.execute(c);
      await sql`
        CREATE TEMPORARY TABLE ${staged} AS
        SELECT ROW_NUMBER() OVER (ORDER BY scope, kind, a, b) AS n, scope, kind, a, b, SUM(rows) AS rows,
          SUM(singles) AS singles, SUM(new_singles) AS new_singles, SUM(orders) AS orders,
          SUM(revenue_fen) AS revenue_fen
        FROM (${contributions(ws, null, sql``)}) x
        GROUP BY scope, kind, a, b`.execute(c);
      await sql`CREATE INDEX ${sql.raw(`${name}_n`)} ON ${staged} (n)`.execute(c);
      const total = Number(
        (await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM ${staged}`.execute(c)).rows[0]?.n ?? 0,
      );
      // The copy starts over (another rebuild copying stops at its next slice), over no pairs: what a killed copy or an
      // earlier build left.
      await c.transaction().execute(async (trx) => {
        await holdRebuildLock(trx, ws);
        await trx.updateTable('analytics_rebuilds').set({ pairs_copied: 0 }).where('workspace_id', '=', ws).execute();
      });
      await deleteWorkspaceRows(c, 'analytics_day_pairs', ws, CLEAR_BATCH);
      for (let lo = 0, slice = 1; ; lo += size, slice++) {
        const last = lo + size >= total;
        await c.transaction().execute(async (trx) => {
          await holdRebuildLock(trx, ws);
          const run = await trx
            .selectFrom('analytics_rebuilds')
            .select(['pairs_later', 'pairs_copied'])
            .where('workspace_id', '=', ws)
            .executeTakeFirst();
          if (Number(run?.pairs_later) !== 1 || Number(run?.pairs_copied) !== lo)
            throw new Error('another rebuild of this workspace is counting its day pairs');
          await sql`
            INSERT INTO analytics_day_pairs (workspace_id, ${PAIR_COLUMNS})
            SELECT ${ws}, ${PAIR_COLUMNS} FROM ${staged} WHERE n > ${lo} AND n <= ${lo + size} ORDER BY n`.execute(trx);
          await trx
            .updateTable('analytics_rebuilds')
            .set(last ? { pairs_later: 0, pairs_copied: total } : { pairs_copied: lo + size })
            .where('workspace_id', '=', ws)
            .execute();
        });
        await opts.afterPairs?.(slice);
        if (last) break;
        await letWritersIn(ctx.db.dialect);
      }
    } finally {
      await sql`DROP TABLE IF EXISTS ${staged}`.execute(c);
      if (cache != null) await sql.raw(`PRAGMA cache_size = ${Number(cache)}`).execute(c);
    }
  };
  const k = ctx.db.kysely;
  if (sqlite) await counting(k);
  else await k.connection().execute(counting);
}

/** The customers the order upkeep left while the day pairs were counted later (leftForRedo): redone now. */
async function redoLeft(ctx: AppContext, ws: string, paidDay: RawBuilder<string>, purchase: RawBuilder<unknown>) {
  const k = ctx.db.kysely;
  for (;;) {
    const ids = (
      await k
        .selectFrom('analytics_redo')
        .select('customer_id')
        .where('workspace_id', '=', ws)
        .orderBy('customer_id')
        .limit(400)
        .execute()
    ).map((r) => r.customer_id);
    if (!ids.length) return;
    await k.transaction().execute(async (trx) => {
      await holdRebuildLock(trx, ws);
      await bumpAnalyticsVersion(trx, ws, ids);
      await redoBuyerRows(trx, ws, ids, paidDay, purchase, { keepZeros: true });
      await trx.deleteFrom('analytics_redo').where('workspace_id', '=', ws).where('customer_id', 'in', ids).execute();
    });
    await letWritersIn(ctx.db.dialect);
  }
}

/** Rows read from the pre-aggregates, then written in one short transaction (no order upkeep writes these). */
async function replaceRows(
  ctx: AppContext,
  table: 'analytics_hours' | 'analytics_product_firsts' | 'analytics_cohorts' | 'analytics_range_products',
  ws: string,
  rows: Record<string, unknown>[],
  only?: { from: string; to: string },
) {
  await ctx.db.kysely.transaction().execute(async (trx) => {
    const range = only ? sql`AND range_from = ${only.from} AND range_to = ${only.to}` : sql``;
    await sql`DELETE FROM ${sql.table(table)} WHERE workspace_id = ${ws} ${range}`.execute(trx);
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto(table)
        .values(rows.slice(i, i + 500) as never)
        .execute();
  });
}

/** Hours, first sale days, cohorts and each kept range's products, from the orders and the rows just redone. */
async function rewriteAggregates(ctx: AppContext, ws: string, offset: number, purchase: RawBuilder<unknown>) {
  const k = ctx.db.kysely;
  const d = ctx.db.dialect;
  const paidDay = localDaySql(d, sql.ref('o.paid_at'), offset);
  const paidHour = localHourSql(d, sql.ref('o.paid_at'), offset);
  const createdDay = localDaySql(d, sql.ref('o.created_at'), offset);
  const createdHour = localHourSql(d, sql.ref('o.created_at'), offset);
  const late = paidLate(d);
  const hours = await sql<Record<string, unknown>>`
      SELECT ${ws} AS workspace_id, x.store_id, x.day, x.hour, SUM(x.co) AS created_orders,
        SUM(x.cp) AS created_paid, SUM(x.ro) AS recovered_orders, SUM(x.rf) AS recovered_fen,
        SUM(x.po) AS paid_orders, SUM(x.rv) AS revenue_fen
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
      GROUP BY x.store_id, x.day, x.hour`.execute(k);
  await replaceRows(ctx, 'analytics_hours', ws, hours.rows);
  const firsts = await sql<Record<string, unknown>>`
      SELECT ${ws} AS workspace_id, store_id, product, MIN(day) AS first_day FROM analytics_product_days
      WHERE workspace_id = ${ws}
      GROUP BY store_id, product`.execute(k);
  await replaceRows(ctx, 'analytics_product_firsts', ws, firsts.rows);
  // Cohorts per store and for all stores together ('').
  const perStore = await sql<Record<string, unknown>>`
      SELECT ${ws} AS workspace_id, b.store_id, f.cohort AS cohort_month, substr(b.day, 1, 7) AS active_month,
        COUNT(DISTINCT b.customer_id) AS buyers
      FROM analytics_buyer_days b
      JOIN (SELECT store_id, customer_id, substr(MIN(day), 1, 7) AS cohort FROM analytics_buyer_days
            WHERE workspace_id = ${ws} GROUP BY store_id, customer_id) f
        ON f.store_id = b.store_id AND f.customer_id = b.customer_id
      WHERE b.workspace_id = ${ws}
      GROUP BY b.store_id, f.cohort, substr(b.day, 1, 7)`.execute(k);
  const together = await sql<Record<string, unknown>>`
      SELECT ${ws} AS workspace_id, '' AS store_id, f.cohort AS cohort_month, substr(b.day, 1, 7) AS active_month,
        COUNT(DISTINCT b.customer_id) AS buyers
      FROM analytics_buyer_days b
      JOIN (SELECT customer_id, substr(MIN(day), 1, 7) AS cohort FROM analytics_buyer_days
            WHERE workspace_id = ${ws} GROUP BY customer_id) f
        ON f.customer_id = b.customer_id
      WHERE b.workspace_id = ${ws}
      GROUP BY f.cohort, substr(b.day, 1, 7)`.execute(k);
  await replaceRows(ctx, 'analytics_cohorts', ws, [...perStore.rows, ...together.rows]);
  for (const range of await rangesOf(k, ws))
    await replaceRows(ctx, 'analytics_range_products', ws, await rangeProductRows(k, ws, range), range);
}
