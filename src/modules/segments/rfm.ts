import { reason } from '../../core/reasons.js';
import { type RawBuilder, sql, type Transaction } from 'kysely';
import { readSetting, writeSetting } from '../settings.js';
import { RFM_CLASS_OF, rfmSettings, type RfmSettings } from '../../core/segments/rfm.js';
import { Invalid } from '../../core/errors.js';
import { DAY_MS, parseLocalDateTime } from '../../core/time.js';
import type { Db } from '../../db/connect.js';
import type { Database } from '../../db/types.js';
import { orderCountsAsPurchase, purchaseRule } from '../customers/stats.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { offLoop } from '../heavy/run.js';
import type { AppContext } from '../context.js';

export async function getRfmSettings(ctx: AppContext, workspaceId: string): Promise<RfmSettings> {
  return readSetting(ctx.db.kysely, workspaceId, 'rfm', rfmSettings);
}

export async function setRfmSettings(ctx: AppContext, workspaceId: string, input: unknown): Promise<RfmSettings> {
  return writeSetting(ctx, workspaceId, 'rfm', rfmSettings, input, 'The RFM settings');
}

/** Seconds since 1970 of a timestamp column or parameter, in each dialect. */
function epoch(db: Db, e: ReturnType<typeof sql>) {
  return db.dialect === 'postgres' ? sql`EXTRACT(EPOCH FROM ${e})` : sql`((julianday(${e}) - 2440587.5) * 86400.0)`;
}

const score = (pr: ReturnType<typeof sql>) =>
  sql`CASE WHEN ${pr} >= 0.8 THEN 5 WHEN ${pr} >= 0.6 THEN 4 WHEN
    ${pr} >= 0.4 THEN 3 WHEN ${pr} >= 0.2 THEN 2 ELSE 1 END`;

/**
 * The instant a history is scored as of: an ISO instant, or a local date (YYYY-MM-DD) meaning the
 * end of that day in the workspace's zone.
 */
export async function rfmAsOf(ctx: AppContext, workspaceId: string, input: string): Promise<string> {
  const tz = await workspaceTimezone(ctx.db.kysely, workspaceId);
  let t = Number.NaN;
  try {
    // A day that does not exist (2026-02-30) throws; year 0000 would be read as 1900: both are refused below.
    const day = /^\d{4}-\d{2}-\d{2}$/.test(input) ? parseLocalDateTime(input, tz) : null;
    t = day ? Date.parse(day) + DAY_MS : Date.parse(input);
  } catch {
    t = Number.NaN;
  }
  const year = input.slice(0, 4);
  if (!/^\d{4}-\d{2}-\d{2}/.test(input) || Number.isNaN(t) || year < '2000' || year > '2099')
    throw new Invalid(
      `asOf: expected a date like 2018-06-30 (or an ISO time) from 2000 to 2099, got ${JSON.stringify(input)}`,
      reason('rfm.asOf', { got: JSON.stringify(input) }),
    );
  return new Date(t).toISOString();
}

/**
 * How a pass writes (tests and the bench choose; by default PostgreSQL stages, SQLite upserts):
 * `upsert` one upsert statement with a change check; `staged` computes into a temporary table and
 * writes the least (see stageRfm); `replace` stages and always replaces the workspace's rows.
 * `onWrite` hears what a staged pass found and did.
 */
export interface RfmWriteOptions {
  write?: 'upsert' | 'staged' | 'replace';
  onWrite?: (w: { old: number; changed: number; how: 'nothing' | 'replace' | 'update' }) => void;
  /** SQLite: customers per write transaction (default RFM_CHUNK_CUSTOMERS). */
  chunkCustomers?: number;
  /** SQLite: called after each chunk's transaction is committed (the tests write there). */
  afterChunk?: (chunk: number) => Promise<void> | void;
}

/**
 * PostgreSQL's sort and hash memory for a pass (`SET LOCAL`, this transaction only): enough for the
 * sorts of a million customers to stay in memory (~170 MB the largest); larger shops spill as before.
 */
export const RFM_WORK_MEM = '256MB';

/** An RFM pass as a request or its job reports it: customers scored, and as of when. */
export async function rfmPass(
  ctx: AppContext,
  workspaceId: string,
  asOf?: string,
): Promise<{ customers: number; asOf: string }> {
  return { customers: await recomputeRfm(ctx, workspaceId, asOf), asOf: asOf ?? ctx.now().toISOString() };
}

/**
 * Every customer's RFM scores, class, value tier and lifecycle stage, in one SQL pass. Without
 * `asOf` it scores today from the customer stats; with `asOf` (an old data set, or "how did the
 * file look at the end of last year") it scores the history as of that instant: only purchases paid
 * by then, recency and the dormant/churn windows counted back from it.
 */
export async function recomputeRfm(
  ctx: AppContext,
  workspaceId: string,
  asOfInput?: string,
  opts: RfmWriteOptions = {},
): Promise<number> {
  const db = ctx.db;
  const s = await getRfmSettings(ctx, workspaceId);
  const asOf = asOfInput ?? ctx.now().toISOString();
  const asOfTs = db.dialect === 'postgres' ? sql`${asOf}::timestamptz` : sql`${asOf}`;
  // Buyers as of the moment: today's stats, or the purchases paid by asOf.
  const buyers =
    asOfInput === undefined
      ? sql`customer_stats s WHERE s.workspace_id = ${workspaceId} AND s.paid_orders > 0 AND s.last_paid_at IS NOT NULL`
      : sql`(
          SELECT o.customer_id, COUNT(*) AS paid_orders,
            CAST(SUM(o.paid_fen - o.refunded_fen) AS BIGINT) AS total_spent_fen,
            MAX(o.paid_at) AS last_paid_at
          FROM orders o
          WHERE o.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL
            AND ${orderCountsAsPurchase(await purchaseRule(db.kysely, workspaceId))} AND o.paid_at <= ${asOfTs}
          GROUP BY o.customer_id
        ) s`;
  const recency = sql`((${epoch(db, asOfTs)} - ${epoch(db, sql`s.last_paid_at`)}) / 86400.0)`;
  const classCase = sql.join(
    Object.entries(RFM_CLASS_OF).map(([k, name]) => sql`WHEN ${sql.lit(k)} THEN ${sql.lit(name)}`),
    sql` `,
  );
  // Fixed thresholds (settings) or quintiles (percent rank among buyers).
  const t = s.scoring === 'thresholds' ? s.thresholds! : null;
  const up = (col: ReturnType<typeof sql>, b: number[]) =>
    sql`CASE WHEN ${col} >= ${b[3]!} THEN 5 WHEN ${col} >= ${b[2]!} THEN 4 WHEN
      ${col} >= ${b[1]!} THEN 3 WHEN ${col} >= ${b[0]!} THEN 2 ELSE 1 END`;
  const rScore = t
    ? sql`CASE WHEN b.recency_days <= ${t.recencyDays[0]!} THEN 5 WHEN b.recency_days <= ${t.recencyDays[1]!} THEN 4
      WHEN b.recency_days <= ${t.recencyDays[2]!} THEN 3 WHEN b.recency_days <= ${t.recencyDays[3]!} THEN 2 ELSE 1 END`
    : score(sql`b.pr_r`);
  const fScore = t ? up(sql`b.paid_orders`, t.orders) : score(sql`b.pr_f`);
  const mScore = t ? up(sql`b.total_spent_fen`, t.spentFen) : score(sql`b.pr_m`);
  // Three sorts (one per percent rank) and one aggregate for the averages: the least a pass that
  // scores and classifies every customer can do. Every customer gets a row.
  const ranked = sql`
        SELECT s.customer_id, s.paid_orders, s.total_spent_fen, ${recency} AS recency_days,
          PERCENT_RANK() OVER (ORDER BY s.last_paid_at) AS pr_r,
          PERCENT_RANK() OVER (ORDER BY s.paid_orders) AS pr_f,
          PERCENT_RANK() OVER (ORDER BY s.total_spent_fen) AS pr_m
        FROM ${buyers}`;
  // The ranked buyers, joined to every customer. PostgreSQL hashes the CTE. SQLite, which keeps no
  // statistics here, scanned the materialised CTE once per customer (no automatic index without
  // them): 27 s for the 20,000-customer demo, quadratic in the shop's size, with the writer held.
  // There the buyers go into a temporary table keyed by customer, and their averages into another.
  const temp = db.dialect === 'sqlite' ? `temp.rfm_buyers_${++passes}` : null;
  const b = temp ? sql.raw(temp) : sql`b`;
  const avg = sql`SELECT AVG(recency_days) AS avg_recency, AVG(paid_orders * 1.0) AS avg_f,
              AVG(total_spent_fen * 1.0) AS avg_m FROM ${b}`;
  const rowsOf = (range: RawBuilder<unknown>) => sql`
      ${temp ? sql`` : sql`WITH b AS (${ranked}), a AS (${avg})`}
      SELECT c.workspace_id, c.id AS customer_id,
        CASE WHEN b.customer_id IS NULL THEN 0 ELSE ${rScore} END AS r_score,
        CASE WHEN b.customer_id IS NULL THEN 0 ELSE ${fScore} END AS f_score,
        CASE WHEN b.customer_id IS NULL THEN 0 ELSE ${mScore} END AS m_score,
        CASE WHEN b.customer_id IS NULL THEN 'none' ELSE
          CASE (CASE WHEN b.recency_days < a.avg_recency THEN '1' ELSE '0' END
             || CASE WHEN b.paid_orders > a.avg_f THEN '1' ELSE '0' END
             || CASE WHEN b.total_spent_fen > a.avg_m THEN '1' ELSE '0' END) ${classCase} END
        END AS rfm_class,
        CASE WHEN b.customer_id IS NULL THEN 'none'
             WHEN b.recency_days > ${s.churnRiskDays} THEN 'churn_risk'
             WHEN b.pr_m >= 0.8 THEN 'high'
             WHEN b.pr_m >= 0.5 THEN 'middle'
             ELSE 'low' END AS value_tier,
        CASE WHEN b.customer_id IS NULL THEN 'prospect'
             WHEN b.recency_days > ${s.churnDays} THEN 'churned'
             WHEN b.recency_days > ${s.dormantDays} THEN 'dormant'
             WHEN b.paid_orders >= ${s.matureOrders} THEN 'mature'
             WHEN b.paid_orders >= 2 THEN 'growing'
             ELSE 'new' END AS lifecycle,
        ${asOfTs} AS computed_at
      FROM customers c
      LEFT JOIN ${b} b ON b.customer_id = c.id
      CROSS JOIN ${temp ? sql.raw(`${temp}_avg`) : sql``} a
      WHERE c.workspace_id = ${workspaceId}${range}`;
  const write = opts.write ?? (db.dialect === 'postgres' ? 'staged' : 'upsert');
  const count = async () =>
    Number(
      (
        await db.kysely
          .selectFrom('customers')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('workspace_id', '=', workspaceId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  if (!temp) {
    // PostgreSQL: one transaction (its writers do not wait for another transaction's writes to other rows).
    await db.kysely.transaction().execute(async (trx) => {
      // The pass sorts every buyer three times and the rows once more for the write: with the default
      // 4 MB each sort spills to disk and the percent ranks re-read their spilled rows, which was half
      // the computation at 1M customers. For this transaction only.
      await sql`SET LOCAL work_mem = ${sql.lit(RFM_WORK_MEM)}`.execute(trx);
      await writeRfm(trx, workspaceId, rowsOf(sql``), write, opts);
    });
    await opts.afterChunk?.(1);
    return count();
  }
  // SQLite: the ranks and averages go into temporary tables first, outside any transaction — the temporary
  // database is the connection's own, so this takes no write lock of the shop's file (one statement reads one
  // snapshot). Then the writes follow in short transactions of a range of customers each, so a request that
  // writes meanwhile waits for one chunk, not for the pass (at 200,000 customers the one transaction held
  // SQLite's write lock for seconds). A pass stopped midway has written some ranges and not the others: every
  // row written is a whole row of this pass, and the next pass writes them all again (the same rows).
  try {
    await sql`CREATE TEMPORARY TABLE ${sql.raw(temp.slice(5))} AS ${ranked}`.execute(db.kysely);
    await sql`CREATE UNIQUE INDEX ${sql.raw(`${temp}_key`)} ON ${sql.raw(temp.slice(5))} (customer_id)`.execute(
      db.kysely,
    );
    await sql`CREATE TEMPORARY TABLE ${sql.raw(`${temp.slice(5)}_avg`)} AS ${avg}`.execute(db.kysely);
    const size = Math.max(1, opts.chunkCustomers ?? RFM_CHUNK_CUSTOMERS);
    let from: string | null = null;
    for (let n = 1; ; n++) {
      // The chunk's last customer: the size-th id after the previous chunk (none: the rest of the shop).
      // (Staging and replacing compare or replace the workspace's rows as a whole: one transaction, as on PostgreSQL.)
      const last: { id: string } | undefined =
        write !== 'upsert'
          ? undefined
          : await db.kysely
              .selectFrom('customers')
              .select('id')
              .where('workspace_id', '=', workspaceId)
              .$if(from !== null, (q) => q.where('id', '>', from!))
              .orderBy('id')
              .offset(size - 1)
              .limit(1)
              .executeTakeFirst();
      const above = from === null ? sql`` : sql` AND c.id > ${from}`;
      const range = sql`${above}${last ? sql` AND c.id <= ${last.id}` : sql``}`;
      await db.kysely.transaction().execute((trx) => writeRfm(trx, workspaceId, rowsOf(range), write, opts));
      await opts.afterChunk?.(n);
      if (!last) break;
      from = last.id;
    }
  } finally {
    await sql`DROP TABLE IF EXISTS ${sql.raw(temp)}`.execute(db.kysely);
    await sql`DROP TABLE IF EXISTS ${sql.raw(`${temp}_avg`)}`.execute(db.kysely);
  }
  return count();
}

/** SQLite: customers per write transaction of a pass (a few tens of ms each at 200,000 customers). */
export const RFM_CHUNK_CUSTOMERS = 10_000;
/** Names each pass's temporary tables on this connection apart (two workspaces' passes may interleave). */
let passes = 0;

async function writeRfm(
  trx: Transaction<Database>,
  workspaceId: string,
  rows: RawBuilder<unknown>,
  write: NonNullable<RfmWriteOptions['write']>,
  opts: RfmWriteOptions,
): Promise<void> {
  if (write === 'upsert') return upsertRfm(trx, rows);
  // Staged first: `onWrite?.(…)` would skip evaluating its argument when there is no listener.
  const staged = await stageRfm(trx, workspaceId, rows, write === 'replace');
  opts.onWrite?.(staged);
}

const RFM_COLS = sql.raw('workspace_id, customer_id, r_score, f_score, m_score, rfm_class, value_tier, lifecycle');
/** The row `o` (an old customer_rfm row) has other scores, class, tier or stage than `n` (the new one). */
const differs = (o: string, n: string) =>
  sql.raw(`${o}.r_score <> ${n}.r_score OR ${o}.f_score <> ${n}.f_score OR ${o}.m_score <> ${n}.m_score
    OR ${o}.rfm_class <> ${n}.rfm_class OR ${o}.value_tier <> ${n}.value_tier OR ${o}.lifecycle <> ${n}.lifecycle`);

/**
 * Writes the fresh rows in one upsert that skips the unchanged ones: rewriting a million unchanged
 * rows and their index entries was most of the pass on PostgreSQL.
 */
async function upsertRfm(trx: Transaction<Database>, rows: RawBuilder<unknown>): Promise<void> {
  await sql`
    INSERT INTO customer_rfm (${RFM_COLS}, computed_at) ${rows}
    ON CONFLICT (workspace_id, customer_id) DO UPDATE SET r_score = excluded.r_score, f_score = excluded.f_score,
      m_score = excluded.m_score, rfm_class = excluded.rfm_class, value_tier = excluded.value_tier,
      lifecycle = excluded.lifecycle, computed_at = excluded.computed_at
    WHERE ${differs('customer_rfm', 'excluded')}`.execute(trx);
}

/** Past this share of the workspace's rows changing, its rows are replaced instead of updated. */
export const RFM_REPLACE_SHARE = 0.3;

/**
 * Computes the fresh rows into a temporary table (no index to keep, no foreign key to check), next to
 * the workspace's current row, then writes the least: nothing when nothing changed; when the
 * workspace has no rows yet or most of them change (the first pass, new RFM settings), the
 * workspace's rows are deleted and all inserted in key order in one statement; otherwise only the
 * changed rows are upserted. Either way the result is the upsert's: an unchanged row keeps its
 * `computed_at`. Other workspaces' rows are never read or written.
 */
async function stageRfm(
  trx: Transaction<Database>,
  workspaceId: string,
  rows: RawBuilder<unknown>,
  forceReplace: boolean,
): Promise<{ old: number; changed: number; how: 'nothing' | 'replace' | 'update' }> {
  // A workspace with no rows yet (its first pass): the rows go straight in, in key order, without
  // the temporary table.
  const any = forceReplace
    ? true
    : await trx
        .selectFrom('customer_rfm')
        .select('customer_id')
        .where('workspace_id', '=', workspaceId)
        .limit(1)
        .executeTakeFirst();
  if (!any) {
    const r = await sql`INSERT INTO customer_rfm (${RFM_COLS}, computed_at)
      SELECT ${RFM_COLS}, computed_at FROM (${rows}) n ORDER BY customer_id`.execute(trx);
    return { old: 0, changed: Number(r.numAffectedRows ?? 0), how: 'replace' };
  }
  await sql`DROP TABLE IF EXISTS rfm_fresh`.execute(trx);
  await sql`CREATE TEMPORARY TABLE rfm_fresh AS
    SELECT n.*, o.computed_at AS old_at,
      CASE WHEN o.customer_id IS NULL OR ${differs('o', 'n')} THEN 1 ELSE 0 END AS changed
    FROM (${rows}) n
    LEFT JOIN customer_rfm o ON o.workspace_id = ${workspaceId} AND o.customer_id = n.customer_id`.execute(trx);
  const { rows: counts } = await sql<{ old: number | string; changed: number | string }>`
    SELECT COUNT(old_at) AS old, COALESCE(SUM(changed), 0) AS changed FROM rfm_fresh`.execute(trx);
  const old = Number(counts[0]!.old);
  const changed = Number(counts[0]!.changed);
  const how =
    forceReplace || (changed > 0 && (old === 0 || changed > RFM_REPLACE_SHARE * old))
      ? 'replace'
      : changed > 0
        ? 'update'
        : 'nothing';
  if (how !== 'nothing') {
    if (how === 'replace') {
      if (old > 0) await sql`DELETE FROM customer_rfm WHERE workspace_id = ${workspaceId}`.execute(trx);
      await sql`
        INSERT INTO customer_rfm (${RFM_COLS}, computed_at)
        SELECT ${RFM_COLS}, CASE WHEN changed = 1 THEN computed_at ELSE old_at END
        FROM rfm_fresh ORDER BY customer_id`.execute(trx);
    } else {
      await upsertRfm(trx, sql`SELECT ${RFM_COLS}, computed_at FROM rfm_fresh WHERE changed = 1`);
    }
  }
  await sql`DROP TABLE rfm_fresh`.execute(trx);
  return { old, changed, how };
}

/** Customers and spend per R × F cell, for the console's heat map. */
export async function rfmMatrixHere(ctx: AppContext, workspaceId: string) {
  return ctx.db.kysely
    .selectFrom('customer_rfm as r')
    .innerJoin('customer_stats as s', (j) =>
      j.onRef('s.workspace_id', '=', 'r.workspace_id').onRef('s.customer_id', '=', 'r.customer_id'),
    )
    .select((eb) => [
      'r.r_score',
      'r.f_score',
      eb.fn.countAll<number>().as('customers'),
      eb.fn.sum<number>('s.total_spent_fen').as('spent_fen'),
    ])
    .where('r.workspace_id', '=', workspaceId)
    .where('r.r_score', '>', 0)
    .groupBy(['r.r_score', 'r.f_score'])
    .orderBy('r.r_score')
    .orderBy('r.f_score')
    .execute();
}

/** Customers and spend per RFM class, value tier or lifecycle stage. */
export async function rfmSummaryHere(
  ctx: AppContext,
  workspaceId: string,
  by: 'rfm_class' | 'value_tier' | 'lifecycle',
) {
  return ctx.db.kysely
    .selectFrom('customer_rfm as r')
    .leftJoin('customer_stats as s', (j) =>
      j.onRef('s.workspace_id', '=', 'r.workspace_id').onRef('s.customer_id', '=', 'r.customer_id'),
    )
    .select((eb) => [
      eb.ref(`r.${by}`).as('key'),
      eb.fn.countAll<number>().as('customers'),
      eb.fn.sum<number>('s.total_spent_fen').as('spent_fen'),
    ])
    .where('r.workspace_id', '=', workspaceId)
    .groupBy(`r.${by}`)
    .orderBy(`r.${by}`)
    .execute();
}

// Whole-shop aggregates: off the event loop, under the heavy-read time limit (modules/heavy).
export const rfmMatrix = (ctx: AppContext, workspaceId: string) =>
  offLoop(ctx, 'segments.rfmMatrix', rfmMatrixHere, workspaceId);
export const rfmSummary = (ctx: AppContext, workspaceId: string, by: 'rfm_class' | 'value_tier' | 'lifecycle') =>
  offLoop(ctx, 'segments.rfmSummary', rfmSummaryHere, workspaceId, by);
