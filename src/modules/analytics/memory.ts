import { sql } from 'kysely';
import { type MemoryIndex, MemoryIndexBuilder, type BuyerPerson, indexBytes } from '../../core/analytics-memory.js';
import { type CustomerRows, spliceIndex } from '../../core/analytics-memory-splice.js';
import { readByCustomer, readCustomers } from './memory-reads.js';
import type { Db } from '../../db/connect.js';
import type { Executor } from '../../jobs/queue.js';
import type { AppContext } from '../context.js';
import { byCustomer } from './lock.js';
import { dropIndexFile, readIndex, saveIndex } from './memory-file.js';
import { analyticsVersion, changedCustomers, changeStamp } from './version.js';
import { yieldToEventLoop } from '../event-loop.js';

/**
 * The distribution and products of a range that is not kept, answered from memory (src/core/analytics-memory.ts):
 * each workspace's buyer-day and product-day rows, and the customer row (gender, city, birthday) of each buyer, held
 * as typed-array columns by whatever runs these views — on SQLite the analytics read thread (heavy/pool.ts), on
 * PostgreSQL the server process. A range's answer is one pass over them instead of grouping its rows by buyer in SQL.
 *
 * Freshness: an index is tagged with the workspace's data version (version.ts) read before its first row, and
 * every write of those rows raises the version and records which customers it changed (analytics_changes). Every ask
 * reads the version (one primary-key read): when it differs from the index's by a few customers' changes, the ask
 * re-reads those customers and splices their rows in (core/analytics-memory-splice.ts; milliseconds) and answers
 * from memory; when the log cannot say (a rebuild, a clear, pruned, too many customers) the ask is answered by SQL
 * (never stale numbers) and a full load starts in the background. A full load during which the version moved is
 * kept and caught up the same way. Loads run one at a time, in chunks of customers with a yield between chunks,
 * and a splice yields between columns, so the thread keeps answering other reads meanwhile. A workspace whose rows
 * would take more than HUIKE_ANALYTICS_MEMORY_MB (default 512; 0
 * turns the memory off) stays on SQL.
 */

export const DEFAULT_MEMORY_MB = 512;

export function memoryCapBytes(): number {
  const env = process.env.HUIKE_ANALYTICS_MEMORY_MB;
  const mb = env === undefined || env === '' ? DEFAULT_MEMORY_MB : Number(env);
  return Number.isFinite(mb) && mb >= 0 ? mb * 1024 * 1024 : DEFAULT_MEMORY_MB * 1024 * 1024;
}

/**
 * Bytes an index takes per buyer-day row (with its share of per-buyer columns and of the customer-id map the
 * catch-up finds a customer's rows by, ~90 bytes a buyer at ~3 rows each) and per product-day row.
 */
const BYTES_PER_BUYER_ROW = 18 + 17 + 30;
const BYTES_PER_PRODUCT_ROW = 26 + 4;

export type MemoryLog = (fields: Record<string, unknown>, message: string) => void;

export interface LoadInfo {
  version: number;
  ms: number;
  bytes: number;
  buyerRows: number;
  productRows: number;
  buyers: number;
}

/** What an index holds, for its LoadInfo. */
function indexSize(index: MemoryIndex): Pick<LoadInfo, 'bytes' | 'buyerRows' | 'productRows' | 'buyers'> {
  return {
    bytes: indexBytes(index),
    buyerRows: index.buyers.day.length,
    productRows: index.productRows.day.length,
    buyers: index.buyers.start.length - 1,
  };
}

/** The last catch-up of a workspace: how many customers it re-read, from which version to which, in how long. */
export interface CatchUpInfo {
  from: number;
  to: number;
  customers: number;
  ms: number;
}

/** More customers changed than this since the index's version: it reloads every row instead of re-reading them. */
export const MAX_CATCH_UP_CUSTOMERS = 20_000;

interface Entry {
  /**
   * Read at info.version: every row in it is as of that version or later, and every change after it is in the
   * change log (version.ts) — so when the workspace's version is still info.version, it is exact.
   */
  index: MemoryIndex | null;
  info: LoadInfo | null;
  caughtUp: CatchUpInfo | null;
  /** The version at which the workspace was found over the cap (not tried again until it moves). */
  overCapAt: number | null;
  /** A full load of the workspace is running (asks read SQL meanwhile rather than wait for it). */
  reloading: boolean;
  /** The loads and catch-ups of the workspace, one after another. */
  busy: Promise<unknown>;
  /** The version of the index last saved to its file (memory-file.ts), and when. */
  savedVersion: number | null;
  savedAt: number;
}

/** An index caught up since its last save is saved again by warm() after this long. */
const SAVE_EVERY_MS = 10 * 60_000;

export class AnalyticsMemory {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  /** How asks were answered (the tests and the bench read them). */
  readonly served = { memory: 0, sql: 0 };
  /** Full loads of every row, and catch-ups that re-read only the changed customers. */
  readonly counts = { loads: 0, catchUps: 0, fileLoads: 0 };

  constructor(
    readonly db: Db,
    readonly opts: {
      capBytes?: number;
      chunkRows?: number;
      log?: MemoryLog;
      /** Called after each chunk of a full load (tests write meanwhile). */
      afterChunk?: () => Promise<void>;
      /** Where the indexes are saved and read back at start (memory-file.ts); none: not saved. */
      dir?: string;
    } = {},
  ) {}

  get capBytes(): number {
    return this.opts.capBytes ?? memoryCapBytes();
  }

  /** The workspace's index when it was read at this version. */
  fresh(ws: string, version: number): MemoryIndex | null {
    const e = this.entries.get(ws);
    return e?.index && e.info?.version === version ? e.index : null;
  }

  info(ws: string): LoadInfo | null {
    return this.entries.get(ws)?.info ?? null;
  }

  lastCatchUp(ws: string): CatchUpInfo | null {
    return this.entries.get(ws)?.caughtUp ?? null;
  }

  private entry(ws: string): Entry {
    let e = this.entries.get(ws);
    if (!e) {
      e = {
        index: null,
        info: null,
        caughtUp: null,
        overCapAt: null,
        reloading: false,
        busy: Promise.resolve(),
        savedVersion: null,
        savedAt: 0,
      };
      this.entries.set(ws, e);
    }
    return e;
  }

  /** Runs after the workspace's load or catch-up in progress. */
  private exclusive<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
    const run = e.busy.then(fn);
    e.busy = run.catch(() => undefined);
    return run;
  }

  /** Queues a load of the workspace (one at a time; a workspace already queued is not queued twice). */
  load(ws: string): Promise<void> {
    if (this.pending.has(ws)) return this.queue;
    this.pending.add(ws);
    const run = async () => {
      const e = this.entry(ws);
      e.reloading = true;
      try {
        await this.exclusive(e, () => this.loadNow(ws, e));
      } catch (err) {
        this.opts.log?.({ ws, err: String(err) }, 'analytics memory: load failed, the views read SQL');
      } finally {
        e.reloading = false;
        this.pending.delete(ws);
      }
    };
    this.queue = this.queue.then(run);
    return this.queue;
  }

  /** Resolves when no load is queued or running. */
  async idle(): Promise<void> {
    while (this.pending.size) await this.queue;
  }

  /**
   * Brings the workspace's index to its current version by re-reading the customers changed since (the change log),
   * when it holds one and a full load is not running: true when it is fresh as of the end. Otherwise (none held, the
   * log does not cover the gap, too many changes) a full load is queued and false returned.
   */
  async refresh(ws: string): Promise<boolean> {
    if (this.capBytes === 0) return false;
    const e = this.entry(ws);
    if (e.reloading) return false;
    const ok = e.index ? await this.exclusive(e, () => this.catchUpNow(ws, e)).catch(() => false) : false;
    if (!ok) void this.load(ws);
    return ok;
  }

  /**
   * Brings every built workspace's index up to date: missing ones are loaded, those behind caught up (or loaded
   * again when they cannot be). Called at server start and then periodically, so the first ask after a write seldom
   * waits; how many workspaces it found behind.
   */
  async warm(k: Executor = this.db.kysely): Promise<number> {
    if (this.capBytes === 0) return 0;
    const built = await k.selectFrom('analytics_builds').select('workspace_id').execute();
    let n = 0;
    for (const b of built) {
      const ws = b.workspace_id;
      const version = await analyticsVersion(k, ws);
      const e = this.entries.get(ws);
      if (e?.index && e.info?.version === version && e.savedVersion !== version && !e.reloading)
        if (Date.now() - e.savedAt > SAVE_EVERY_MS) void this.exclusive(e, () => this.save(ws, e));
      if (e && (e.info?.version === version || e.overCapAt === version)) continue;
      void this.refresh(ws);
      n += 1;
    }
    return n;
  }

  /** Saves the workspace's index with its version's stamp (a failure is logged: the file is only a head start). */
  private async save(ws: string, e: Entry): Promise<void> {
    const dir = this.opts.dir;
    if (!dir || !e.index || !e.info) return;
    const { index, info } = e;
    try {
      const stamp = await changeStamp(this.db.kysely, ws, info.version);
      if (!stamp) return;
      const t0 = performance.now();
      await saveIndex(dir, ws, info.version, stamp, index);
      e.savedVersion = info.version;
      e.savedAt = Date.now();
      this.opts.log?.({ ws, version: info.version, ms: Math.round(performance.now() - t0) }, 'analytics memory: saved');
    } catch (err) {
      e.savedAt = Date.now();
      this.opts.log?.({ ws, err: String(err) }, 'analytics memory: could not save the index to its file');
    }
  }

  /**
   * The index saved to its file, when the database still holds its version's change with the same stamp, caught up
   * from there: true when it is then current.
   */
  private async fromFile(ws: string, e: Entry): Promise<boolean> {
    const dir = this.opts.dir;
    if (!dir) return false;
    const t0 = performance.now();
    const saved = await readIndex(dir, ws).catch(() => null);
    if (!saved) return false;
    if ((await changeStamp(this.db.kysely, ws, saved.version)) !== saved.stamp) {
      await dropIndexFile(dir, ws).catch(() => undefined);
      return false;
    }
    const { index, version } = saved;
    e.index = index;
    e.info = { version, ms: Math.round(performance.now() - t0), ...indexSize(index) };
    e.savedVersion = version;
    e.savedAt = Date.now();
    this.counts.fileLoads += 1;
    if (await this.catchUpNow(ws, e)) {
      this.opts.log?.({ ws, ...e.info, from: version }, 'analytics memory: read from its file and caught up');
      return true;
    }
    e.index = null;
    e.info = null;
    return false;
  }

  /**
   * Re-reads the customers the change log names between the index's version and now, and splices their rows in.
   * When a write lands while they are read (the version moved again), the customers of the new versions are read
   * too, until a round ends at the version it began with: each customer's rows were then read after every change
   * of theirs up to that version, and none is later (version.ts: versions commit in order).
   */
  private async catchUpNow(ws: string, e: Entry): Promise<boolean> {
    const k = this.db.kysely;
    if (!e.index || !e.info) return false;
    const t0 = performance.now();
    const from = e.info.version;
    let at = from;
    let target = await analyticsVersion(k, ws);
    if (target === at) return true;
    const rows = new Map<string, CustomerRows>();
    for (let round = 0; round < 8; round++) {
      const ids = await changedCustomers(k, ws, at, target, MAX_CATCH_UP_CUSTOMERS);
      if (!ids) return false;
      for (const [id, r] of await readCustomers(k, ws, [...ids])) rows.set(id, r);
      if (rows.size > MAX_CATCH_UP_CUSTOMERS) return false;
      const after = await analyticsVersion(k, ws);
      if (after === target) break;
      at = target;
      target = after;
      if (round === 7) return false;
    }
    const steps = spliceIndex(e.index, rows);
    let step = steps.next();
    while (!step.done) {
      await yieldToEventLoop();
      step = steps.next();
    }
    const index = step.value;
    e.index = index;
    e.info = { ...e.info, version: target, ...indexSize(index) };
    e.caughtUp = { from, to: target, customers: rows.size, ms: Math.round(performance.now() - t0) };
    this.counts.catchUps += 1;
    return true;
  }

  private async loadNow(ws: string, entry: Entry): Promise<void> {
    const k = this.db.kysely;
    const t0 = performance.now();
    const version = await analyticsVersion(k, ws);
    if (entry.index && entry.info?.version === version) return;
    // Behind by a few customers only (a warm-up, an ask that found the log did not reach): no full load.
    if (entry.index && (await this.catchUpNow(ws, entry))) return;
    // At start: the index saved by the last run, caught up since.
    if (!entry.index && (await this.fromFile(ws, entry))) return;
    const built = await k
      .selectFrom('analytics_builds')
      .select('built_at')
      .where('workspace_id', '=', ws)
      .executeTakeFirst();
    if (!built || entry.overCapAt === version) return;
    const count = async (table: 'analytics_buyer_days' | 'analytics_product_days') =>
      Number(
        (
          await k
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('workspace_id', '=', ws)
            .executeTakeFirstOrThrow()
        ).n,
      );
    const buyerRows = await count('analytics_buyer_days');
    const productRows = await count('analytics_product_days');
    const estimate = buyerRows * BYTES_PER_BUYER_ROW + productRows * BYTES_PER_PRODUCT_ROW;
    if (estimate > this.capBytes) {
      entry.index = null;
      entry.info = null;
      if (entry.overCapAt !== version)
        this.opts.log?.(
          {
            ws,
            buyerRows,
            productRows,
            mb: Math.round(estimate / 2 ** 20),
            capMb: Math.round(this.capBytes / 2 ** 20),
          },
          'analytics memory: workspace over HUIKE_ANALYTICS_MEMORY_MB, its ranges are read from SQL',
        );
      entry.overCapAt = version;
      return;
    }
    const builder = new MemoryIndexBuilder({ buyerRows, productRows });
    const chunk = Math.max(1, this.opts.chunkRows ?? 20_000);
    await readByCustomer(k, ws, 'analytics_buyer_days', chunk, async (lo, hi) => {
      const people = new Map<string, BuyerPerson>();
      let q = k
        .selectFrom('customers')
        .select(['id', 'gender', 'city', 'birthday'])
        .where('workspace_id', '=', ws)
        .where('id', '>', lo);
      if (hi !== null) q = q.where('id', '<=', hi);
      for (const c of await q.execute()) people.set(c.id, c);
      const rows = await sql<{ customer_id: string; store_id: string; day: string; orders: unknown; rev: unknown }>`
        SELECT customer_id, store_id, day, orders, revenue_fen AS rev
        FROM analytics_buyer_days ${byCustomer(k)}
        WHERE workspace_id = ${ws} AND customer_id > ${lo} ${hi === null ? sql`` : sql`AND customer_id <= ${hi}`}
        ORDER BY customer_id`.execute(k);
      for (const r of rows.rows)
        builder.buyerRow(r.customer_id, r.store_id, r.day, Number(r.orders), Number(r.rev), people.get(r.customer_id));
      await this.opts.afterChunk?.();
    });
    await readByCustomer(k, ws, 'analytics_product_days', chunk, async (lo, hi) => {
      const rows = await sql<{
        customer_id: string;
        store_id: string;
        day: string;
        product: string;
        orders: unknown;
        units: unknown;
        rev: unknown;
      }>`
        SELECT customer_id, store_id, day, product, orders, units, revenue_fen AS rev
        FROM analytics_product_days ${byCustomer(k, 'analytics_product_days_customer_idx')}
        WHERE workspace_id = ${ws} AND customer_id > ${lo} ${hi === null ? sql`` : sql`AND customer_id <= ${hi}`}
        ORDER BY customer_id`.execute(k);
      for (const r of rows.rows)
        builder.productRow(
          r.customer_id,
          r.store_id,
          r.day,
          r.product,
          Number(r.orders),
          Number(r.units),
          Number(r.rev),
        );
      await this.opts.afterChunk?.();
    });
    const index = builder.finish();
    const info: LoadInfo = { version, ms: Math.round(performance.now() - t0), ...indexSize(index) };
    // Tagged with the version read before the first row: what was written meanwhile is in the change log, and the
    // catch-up below re-reads it (when the log cannot say, the next ask loads again).
    Object.assign(entry, { index, info, overCapAt: null });
    this.counts.loads += 1;
    this.opts.log?.({ ws, ...info, mb: Math.round(info.bytes / 2 ** 20) }, 'analytics memory: loaded');
    await this.catchUpNow(ws, entry);
    await this.save(ws, entry);
  }
}

/**
 * The index to answer a range from, or null (the SQL path): the holder's when it was read at the workspace's current
 * version; when it is behind by a few customers (the change log), after re-reading them — well under a second, the
 * event loop free meanwhile. Otherwise (nothing held yet, a rebuild since, too many changes) a full load is queued
 * and null returned, unless `force` (tests, the bench): then it waits for it.
 */
export async function memoryIndexFor(ctx: AppContext, ws: string, force: boolean): Promise<MemoryIndex | null> {
  const holder = ctx.analyticsMemory ?? (force ? new AnalyticsMemory(ctx.db, { capBytes: Infinity }) : undefined);
  if (!holder || holder.capBytes === 0) return null;
  const k = ctx.db.kysely;
  for (let attempt = 0; ; attempt++) {
    const index = holder.fresh(ws, await analyticsVersion(k, ws));
    if (index || attempt === 4) return index;
    if (await holder.refresh(ws)) continue;
    if (!force) return null;
    await holder.idle();
  }
}

/** Starts the loads warm() finds due, where the views run (the heavy task on SQLite); how many it started. */
export async function warmMemoryHere(ctx: AppContext): Promise<number> {
  return ctx.analyticsMemory ? ctx.analyticsMemory.warm(ctx.db.kysely) : 0;
}
