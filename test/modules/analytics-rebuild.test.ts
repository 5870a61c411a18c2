import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { openDatabase } from '../../src/db/connect.js';
import type { Database } from '../../src/db/types.js';
import { clearAnalytics, rebuildAnalytics, rebuildAnalyticsFromScratch } from '../../src/modules/analytics/rebuild.js';
import { distributionHere, overviewHere } from '../../src/modules/analytics/views.js';
import type { AppContext } from '../../src/modules/context.js';
import { updateCustomer } from '../../src/modules/customers/profile.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases } from '../helpers.js';
import { type ShopOrder, cnyStores, ingestByStore, randomShop } from '../support/analytics-shop.js';

/**
 * The rebuild runs in short transactions, customer range by customer range (analytics/rebuild.ts): a rebuild
 * stopped midway and run again leaves exactly the tables of one uninterrupted build from nothing, and orders and a
 * profile edit written from another connection while a rebuild is midway go through at once (no lock held between
 * chunks) and are counted in the result, both for customers already redone and for those still to come (products
 * follow orders at the next rebuild, as they always did). A first build counts the day pairs once at its end.
 */
const TABLES = [
  'analytics_buyer_days',
  'analytics_day_pairs',
  'analytics_hours',
  'analytics_product_days',
  'analytics_product_firsts',
  'analytics_cohorts',
  'analytics_ranges',
  'analytics_range_bands',
  'analytics_range_products',
  'analytics_buyer_attrs',
] as const satisfies readonly (keyof Database)[];

describeBothDatabases('analytics rebuild in short transactions', (env) => {
  const rnd = new Random(20261129);
  let stores: Awaited<ReturnType<typeof ensureStore>>[] = [];
  const orders = randomShop(rnd, {
    prefix: 'R',
    phonePrefix: '1390000',
    firstDay: '2025-06-01',
    days: 560,
    stores: 3,
    maxYuan: 40,
    hours: [10, 23],
  });
  const ingest = (ctx: AppContext, list: ShopOrder[]) => ingestByStore(ctx, stores, list);

  /** Every analytics table of the workspace, rows sorted, numbers as numbers. */
  async function tables() {
    const out: Record<string, unknown[]> = {};
    for (const t of TABLES) {
      const rows = (await env()
        .db.kysely.selectFrom(t)
        .selectAll()
        .where('workspace_id', '=', env().workspaceId)
        .execute()) as Record<string, unknown>[];
      out[t] = rows
        .map((r) =>
          JSON.stringify(
            Object.fromEntries(
              Object.entries(r)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([key, v]) => [key, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v]),
            ),
          ),
        )
        .sort();
    }
    return out;
  }

  /**
   * The chunks' temporary tables of fresh product rows still there: on PostgreSQL in any session of the database
   * (a pooled connection keeping one), on SQLite on the connection the rebuild wrote with.
   */
  async function leftTemporary() {
    const k = env().db.kysely;
    const names = sql`IN ('rebuild_fresh_products', ${`rebuild_pairs_${env().workspaceId.toLowerCase()}`})`;
    const q =
      env().db.dialect === 'postgres'
        ? sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM pg_class WHERE relname ${names}`
        : sql<{ n: number }>`SELECT COUNT(*) AS n FROM sqlite_temp_master WHERE name ${names}`;
    return Number((await q.execute(k)).rows[0]!.n);
  }

  /** The tables but the products, which follow orders at the next rebuild (the order upkeep leaves them). */
  function exceptProducts(all: Record<string, unknown[]>) {
    const products = ['analytics_product_days', 'analytics_product_firsts', 'analytics_range_products'];
    return Object.fromEntries(Object.entries(all).filter(([t]) => !products.includes(t)));
  }

  /** The tables of a build from nothing, as the first build of a workspace makes them. */
  async function fromNothing() {
    const e = env();
    // SQLite clears a batch of rows per statement: smaller ones here, so the day pairs take several.
    await clearAnalytics(e.db.kysely, e.workspaceId, { batch: 1000 });
    await rebuildAnalytics(e.ctx, e.workspaceId);
    return tables();
  }

  beforeAll(async () => {
    const e = env();
    e.setNow('2026-12-20T04:00:00.000Z');
    stores = [
      ...(await cnyStores(e.ctx, e.workspaceId)),
      await ensureStore(e.ctx, e.workspaceId, 'UK', 'shopify', { currency: 'GBP' }),
    ];
    await ingest(e.ctx, orders(150, 40));
    await rebuildAnalytics(e.ctx, e.workspaceId);
  });

  it('drifted counts stay through a rebuild over kept rows; a rebuild from scratch repairs them', async () => {
    const e = env();
    const clean = await tables();
    const wsRows = (t: 'analytics_day_pairs' | 'analytics_range_bands') =>
      e.db.kysely.updateTable(t).where('workspace_id', '=', e.workspaceId);
    // Drift no order explains: counts of the day pairs and kept bands off, a buyer row gone, a cohort changed.
    await wsRows('analytics_day_pairs')
      .set((eb) => ({ rows: eb('rows', '+', 3) }))
      .where('kind', '=', 'dp')
      .execute();
    await wsRows('analytics_range_bands')
      .set((eb) => ({ buyers: eb('buyers', '+', 1) }))
      .execute();
    await e.db.kysely
      .updateTable('analytics_cohorts')
      .set({ buyers: 999 })
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    const drifted = await tables();
    expect(drifted).not.toEqual(clean);
    await rebuildAnalytics(e.ctx, e.workspaceId);
    const kept = await tables();
    expect(kept.analytics_day_pairs).not.toEqual(clean.analytics_day_pairs);
    expect(kept.analytics_range_bands).not.toEqual(clean.analytics_range_bands);
    // Stopped midway it says "not built"; a plain rebuild resumes it.
    const stop = new Error('stopped');
    await expect(
      rebuildAnalyticsFromScratch(e.ctx, e.workspaceId, {
        chunkOrders: 20,
        afterChunk: (n) => {
          if (n === 2) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect((await overviewHere(e.ctx, e.workspaceId, {})).builtAt).toBeNull();
    const seen: number[] = [];
    await rebuildAnalytics(e.ctx, e.workspaceId, { chunkOrders: 20, afterChunk: (n) => void seen.push(n) });
    expect(seen[0]).toBe(3);
    expect(await tables()).toEqual(clean);
    const r = await rebuildAnalyticsFromScratch(e.ctx, e.workspaceId);
    expect(r.orders).toBe(150);
    expect(await tables()).toEqual(clean);
  });

  it('a rebuild stopped midway and run again leaves the tables of one build from nothing', async () => {
    const e = env();
    // The next day: new rolling ranges to add, yesterday's to drop.
    e.setNow('2026-12-21T04:00:00.000Z');
    const before = await overviewHere(e.ctx, e.workspaceId, {});
    const stop = new Error('stopped');
    await expect(
      rebuildAnalytics(e.ctx, e.workspaceId, {
        chunkOrders: 12,
        afterChunk: (n) => {
          if (n === 3) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    const run = await e.db.kysely
      .selectFrom('analytics_rebuilds')
      .selectAll()
      .where('workspace_id', '=', e.workspaceId)
      .executeTakeFirstOrThrow();
    expect({ chunks: Number(run.chunks), done: Number(run.done) }).toEqual({ chunks: 3, done: 0 });
    // Midway the views answer as before: every customer counted once, the new ranges not served yet.
    expect((await overviewHere(e.ctx, e.workspaceId, {})).kpis).toEqual(before.kpis);
    const seen: number[] = [];
    await rebuildAnalytics(e.ctx, e.workspaceId, { chunkOrders: 12, afterChunk: (n) => void seen.push(n) });
    expect(seen[0]).toBe(4);
    const resumed = await tables();
    expect(resumed.analytics_range_bands!.length).toBeGreaterThan(100);
    expect(resumed).toEqual(await fromNothing());
    expect(await leftTemporary()).toBe(0);
  });

  it('orders and a profile edit from another connection during a rebuild go through and are counted', async () => {
    const e = env();
    const other = openDatabase(e.url);
    const ctx2: AppContext = { db: other, now: e.ctx.now };
    try {
      const ids = (
        await e.db.kysely.selectFrom('customers').select('id').where('workspace_id', '=', e.workspaceId).execute()
      )
        .map((c) => c.id)
        .sort();
      let wrote = 0;
      await rebuildAnalytics(e.ctx, e.workspaceId, {
        chunkOrders: 15,
        afterChunk: async (n) => {
          if (n !== 2 && n !== 4) return;
          // Customers already redone and still to come, and new ones.
          await ingest(ctx2, orders(25, 60));
          await updateCustomer(ctx2, e.workspaceId, ids[n]!, { gender: 'male', birthday: '1990-05-06' }, null);
          await updateCustomer(ctx2, e.workspaceId, ids.at(-n)!, { gender: 'female', birthday: '2001-01-01' }, null);
          wrote += 1;
        },
      });
      expect(wrote).toBe(2);
      const d = await distributionHere(e.ctx, e.workspaceId, { from: '2026-01-01', to: '2026-12-31' });
      expect(d).toEqual(
        await distributionHere(e.ctx, e.workspaceId, { from: '2026-01-01', to: '2026-12-31' }, { kept: false }),
      );
      // Products follow orders at the next rebuild (queued after every import), as before: the rest is exact now.
      const kept = exceptProducts(await tables());
      expect(kept.analytics_buyer_days!.length).toBeGreaterThan(150);
      expect(kept).toEqual(exceptProducts(await fromNothing()));
    } finally {
      await other.close();
    }
  });

  /** A rebuild of 20-order chunks stopped after its first one (what the views show midway). */
  async function stoppedAfterOneChunk() {
    const stop = new Error('stopped');
    await expect(
      rebuildAnalytics(env().ctx, env().workspaceId, {
        chunkOrders: 20,
        afterChunk: () => {
          throw stop;
        },
      }),
    ).rejects.toBe(stop);
  }

  it('a new store leaves the built figures on screen while the rebuild redoes the customers', async () => {
    const e = env();
    const shown = () => overviewHere(e.ctx, e.workspaceId, { from: '2025-06-01', to: '2026-12-20' });
    const before = await shown();
    expect(before.builtAt).not.toBeNull();
    await ensureStore(e.ctx, e.workspaceId, '新开的店', 'taobao', { currency: 'CNY' });
    await stoppedAfterOneChunk();
    // Midway, the views still show the last build's figures, not "not built".
    const midway = await shown();
    expect({ builtAt: midway.builtAt, buyers: midway.kpis.buyers }).toEqual({
      builtAt: before.builtAt,
      buyers: before.kpis.buyers,
    });
    await rebuildAnalytics(e.ctx, e.workspaceId, { chunkOrders: 20 });
    expect(await tables()).toEqual(await fromNothing());
  });

  it('a store moved to another currency is grouped under it by the next rebuild', async () => {
    const e = env();
    await e.db.kysely
      .updateTable('stores')
      .set({ currency: 'CNY' })
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', stores[2]!.id)
      .execute();
    await stoppedAfterOneChunk();
    // Starting from nothing: midway the views say "not built" and show no half-filled figures.
    const midway = await overviewHere(e.ctx, e.workspaceId, { from: '2025-06-01', to: '2026-12-20' });
    expect({ builtAt: midway.builtAt, buyers: midway.kpis.buyers }).toEqual({ builtAt: null, buyers: 0 });
    await rebuildAnalytics(e.ctx, e.workspaceId, { chunkOrders: 20 });
    expect((await overviewHere(e.ctx, e.workspaceId, { from: '2025-06-01', to: '2026-12-20' })).kpis.buyers).toBe(
      (await fromNothing()).analytics_buyer_attrs!.length,
    );
    const after = await tables();
    expect(after.analytics_day_pairs!.some((r) => String(r).includes('c:GBP'))).toBe(false);
    expect(after).toEqual(await fromNothing());
  });

  it('a rebuild for another time zone, stopped and run again, redoes every customer', async () => {
    const e = env();
    const zone = (tz: string) =>
      e.db.kysely.updateTable('workspaces').set({ timezone: tz }).where('id', '=', e.workspaceId).execute();
    await zone('America/Los_Angeles');
    try {
      const stop = new Error('stopped');
      await expect(
        rebuildAnalytics(e.ctx, e.workspaceId, {
          chunkOrders: 12,
          afterChunk: (n) => {
            if (n === 2) throw stop;
          },
        }),
      ).rejects.toBe(stop);
      await rebuildAnalytics(e.ctx, e.workspaceId, { chunkOrders: 12 });
      const moved = await tables();
      expect(moved).toEqual(await fromNothing());
    } finally {
      await zone('Asia/Shanghai');
    }
  });

  it('a first build counts the day pairs at its end; orders and edits meanwhile are redone after them', async () => {
    const e = env();
    const k = e.db.kysely;
    const ws = e.workspaceId;
    const other = openDatabase(e.url);
    const ctx2: AppContext = { db: other, now: e.ctx.now };
    const run = () =>
      k.selectFrom('analytics_rebuilds').select(['pairs_later', 'pairs_copied']).where('workspace_id', '=', ws);
    const count = async (t: 'analytics_day_pairs' | 'analytics_redo') =>
      Number(
        (
          await k
            .selectFrom(t)
            .select((eb) => eb.fn.countAll().as('n'))
            .where('workspace_id', '=', ws)
            .executeTakeFirstOrThrow()
        ).n,
      );
    try {
      const ids = (await k.selectFrom('customers').select('id').where('workspace_id', '=', ws).execute())
        .map((c) => c.id)
        .sort();
      const write = async (n: number) => {
        await ingest(ctx2, orders(12, 70 + n));
        await updateCustomer(ctx2, ws, ids[n]!, { gender: 'female', birthday: '1985-03-0' + n }, null);
        await updateCustomer(ctx2, ws, ids.at(-n)!, { gender: 'male', birthday: '1999-09-0' + n }, null);
      };
      await clearAnalytics(k, ws);
      const stop = new Error('stopped');
      const seen: string[] = [];
      await expect(
        rebuildAnalytics(e.ctx, ws, {
          chunkOrders: 15,
          pairsSlice: 40,
          afterChunk: async (n) => {
            if (n === 2) {
              // The chunks leave the day pairs alone: none yet.
              seen.push(`chunk ${n}: ${await count('analytics_day_pairs')} pairs`);
              await write(2);
            }
          },
          afterPairs: async (slice) => {
            seen.push(`slice ${slice}: ${await count('analytics_day_pairs')} pairs`);
            if (slice === 1) await write(3);
            if (slice === 2) throw stop;
          },
        }),
      ).rejects.toBe(stop);
      expect(seen).toEqual(['chunk 2: 0 pairs', 'slice 1: 40 pairs', 'slice 2: 80 pairs']);
      // Midway: "not built"; the upkeep named whom it left (new buyers, edited people) instead of counting them.
      expect((await overviewHere(e.ctx, ws, {})).builtAt).toBeNull();
      expect(await run().executeTakeFirstOrThrow()).toMatchObject({ pairs_later: 1, pairs_copied: 80 });
      expect(await count('analytics_redo')).toBeGreaterThan(4);
      // Edited after chunk 2: one redone by it already is named, one its later chunk redid is not.
      const named = await k.selectFrom('analytics_redo').select('customer_id').where('workspace_id', '=', ws).execute();
      expect(named.map((r) => r.customer_id)).toContain(ids[2]);
      expect(named.map((r) => r.customer_id)).not.toContain(ids.at(-2));
      // Run again: the count starts over (the temporary table went with the stop), the left customers are redone.
      let slices = 0;
      await rebuildAnalytics(e.ctx, ws, {
        pairsSlice: 1000,
        afterPairs: async (slice) => {
          slices = slice;
          if (slice === 1) await write(4);
        },
      });
      expect(slices).toBeGreaterThan(1);
      expect(await run().execute()).toEqual([]);
      expect(await count('analytics_redo')).toBe(0);
      // SQLite: the smaller page cache of the count is given back.
      if (e.db.dialect === 'sqlite')
        expect((await sql`PRAGMA cache_size`.execute(k)).rows).toEqual([{ cache_size: -65536 }]);
      expect(await leftTemporary()).toBe(0);
      const built = exceptProducts(await tables());
      expect(built).toEqual(exceptProducts(await fromNothing()));
      // The same as a rebuild over kept rows that redoes every customer and keeps the pairs customer by customer.
      await k.updateTable('workspaces').set({ timezone: 'Asia/Tokyo' }).where('id', '=', ws).execute();
      await rebuildAnalytics(e.ctx, ws, { chunkOrders: 25 });
      await k.updateTable('workspaces').set({ timezone: 'Asia/Shanghai' }).where('id', '=', ws).execute();
      await rebuildAnalytics(e.ctx, ws, { chunkOrders: 25 });
      expect(exceptProducts(await tables())).toEqual(built);
    } finally {
      await other.close();
    }
  });

  it('a second rebuild counting the day pairs at once makes the first stop; the second leaves one build', async () => {
    const e = env();
    const other = openDatabase(e.url);
    try {
      await clearAnalytics(e.db.kysely, e.workspaceId);
      const first = rebuildAnalytics(e.ctx, e.workspaceId, {
        pairsSlice: 500,
        afterPairs: async (slice) => {
          if (slice === 1) await rebuildAnalytics({ db: other, now: e.ctx.now }, e.workspaceId);
        },
      });
      await expect(first).rejects.toThrow('another rebuild of this workspace is counting its day pairs');
      expect(await leftTemporary()).toBe(0);
      expect(await tables()).toEqual(await fromNothing());
    } finally {
      await other.close();
    }
  });
});
