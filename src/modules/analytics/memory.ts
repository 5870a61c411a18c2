import { sql } from 'kysely';
import { type MemoryIndex, MemoryIndexBuilder, type BuyerPerson, indexBytes } from '../../core/analytics-memory.js';
import type { Db } from '../../db/connect.js';
import type { Executor } from '../../jobs/queue.js';
import type { AppContext } from '../context.js';
import { byCustomer } from './lock.js';
import { analyticsVersion } from './version.js';

/**
 * The distribution and products of a range that is not kept, answered from memory (src/core/analytics-memory.ts):
 * each workspace's buyer-day and product-day rows, and the customer row (gender, city, birthday) of each buyer, held
 * as typed-array columns by whatever runs these views — on SQLite the analytics read thread (heavy/pool.ts), on
 * PostgreSQL the server process. A range's answer is one pass over them instead of grouping its rows by buyer in SQL.
 *
 * Freshness: an index is tagged with the workspace's data version (version.ts) read before its first row; a load
 * during which the version moved is thrown away. Every ask reads the version (one primary-key read): when it
 * differs from the index's, the ask is answered by SQL (never stale numbers) and a reload starts in the background.
 * Loads run one at a time, in chunks of customers with a yield between chunks, so the thread keeps answering
 * other reads meanwhile. A workspace whose rows would take more than HUIKE_ANALYTICS_MEMORY_MB (default 512; 0
 * turns the memory off) stays on SQL.
 */

export const DEFAULT_MEMORY_MB = 512;

export function memoryCapBytes(): number {
  const env = process.env.HUIKE_ANALYTICS_MEMORY_MB;
  const mb = env === undefined || env === '' ? DEFAULT_MEMORY_MB : Number(env);
  return Number.isFinite(mb) && mb >= 0 ? mb * 1024 * 1024 : DEFAULT_MEMORY_MB * 1024 * 1024;
}

/** Bytes an index takes per buyer-day row (with its share of per-buyer columns) and per product-day row. */
const BYTES_PER_BUYER_ROW = 18 + 17;
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

interface Entry {
  index: MemoryIndex | null;
  info: LoadInfo | null;
  /** The build time the index was read after (a later rebuild reloads it, warm()). */
  builtAt: string | null;
  /** The version at which the workspace was found over the cap (not tried again until it moves). */
  overCapAt: number | null;
}

export class AnalyticsMemory {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  /** How asks were answered (the tests and the bench read them). */
  readonly served = { memory: 0, sql: 0 };

  constructor(
    readonly db: Db,
    readonly opts: { capBytes?: number; chunkRows?: number; log?: MemoryLog } = {},
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

  /** Queues a load of the workspace (one at a time; a workspace already queued is not queued twice). */
  load(ws: string): Promise<void> {
    if (this.pending.has(ws)) return this.queue;
    this.pending.add(ws);
    const run = async () => {
      try {
        await this.loadNow(ws);
      } catch (e) {
        this.opts.log?.({ ws, err: String(e) }, 'analytics memory: load failed, the views read SQL');
      } finally {
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
   * Loads every built workspace whose index is missing, or was read before its last rebuild (called at server
   * start and then periodically: a rebuild reloads without waiting for an ask).
   */
  async warm(k: Executor = this.db.kysely): Promise<number> {
    if (this.capBytes === 0) return 0;
    const built = await k.selectFrom('analytics_builds').select(['workspace_id', 'built_at']).execute();
    let n = 0;
    for (const b of built) {
      const e = this.entries.get(b.workspace_id);
      if (e && e.builtAt === String(b.built_at)) continue;
      void this.load(b.workspace_id);
      n += 1;
    }
    return n;
  }

  private async loadNow(ws: string): Promise<void> {
    const k = this.db.kysely;
    const t0 = performance.now();
    const version = await analyticsVersion(k, ws);
    const current = this.entries.get(ws);
    if (current?.info?.version === version) return;
    const built = await k
      .selectFrom('analytics_builds')
      .select('built_at')
      .where('workspace_id', '=', ws)
      .executeTakeFirst();
    const entry: Entry = current ?? { index: null, info: null, builtAt: null, overCapAt: null };
    this.entries.set(ws, entry);
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
    });
    // Written meanwhile: what was read may mix two versions; the next ask loads again.
    if ((await analyticsVersion(k, ws)) !== version) return;
    const index = builder.finish();
    const info: LoadInfo = {
      version,
      ms: Math.round(performance.now() - t0),
      bytes: indexBytes(index),
      buyerRows: index.buyers.day.length,
      productRows: index.productRows.day.length,
      buyers: index.buyers.start.length - 1,
    };
    Object.assign(entry, { index, info, builtAt: String(built.built_at), overCapAt: null });
    this.opts.log?.({ ws, ...info, mb: Math.round(info.bytes / 2 ** 20) }, 'analytics memory: loaded');
  }
}

/**
 * Reads a table's rows of the workspace customer range by customer range (about `rows` rows each, a customer's rows
 * never split), yielding to the event loop between ranges.
 */
async function readByCustomer(
  k: Executor,
  ws: string,
  table: 'analytics_buyer_days' | 'analytics_product_days',
  rows: number,
  read: (lo: string, hi: string | null) => Promise<void>,
) {
  let lo = '';
  for (;;) {
    const end = await k
      .selectFrom(table)
      .select('customer_id')
      .where('workspace_id', '=', ws)
      .where('customer_id', '>', lo)
      .orderBy('customer_id')
      .limit(1)
      .offset(rows - 1)
      .executeTakeFirst();
    const hi = end?.customer_id ?? null;
    await read(lo, hi);
    if (hi === null) return;
    lo = hi;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * The index to answer a range from, or null (the SQL path): when the holder has one read at the workspace's current
 * version. Otherwise a reload is queued and null returned, unless `force` (tests, the bench): then it waits for it.
 */
export async function memoryIndexFor(ctx: AppContext, ws: string, force: boolean): Promise<MemoryIndex | null> {
  const holder = ctx.analyticsMemory ?? (force ? new AnalyticsMemory(ctx.db, { capBytes: Infinity }) : undefined);
  if (!holder || holder.capBytes === 0) return null;
  const k = ctx.db.kysely;
  for (let attempt = 0; ; attempt++) {
    const index = holder.fresh(ws, await analyticsVersion(k, ws));
    if (index || !force || attempt === 3) {
      if (!index && !force) void holder.load(ws);
      return index;
    }
    await holder.load(ws);
  }
}

/** Starts the loads warm() finds due, where the views run (the heavy task on SQLite); how many it started. */
export async function warmMemoryHere(ctx: AppContext): Promise<number> {
  return ctx.analyticsMemory ? ctx.analyticsMemory.warm(ctx.db.kysely) : 0;
}
