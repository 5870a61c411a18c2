import { rmSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { shiftDate } from '../../src/core/analytics-views.js';
import { Random } from '../../src/core/random.js';
import { AnalyticsMemory } from '../../src/modules/analytics/memory.js';
import { rebuildAnalytics, rebuildAnalyticsFromScratch } from '../../src/modules/analytics/rebuild.js';
import { isKeptRange } from '../../src/modules/analytics/snapshots.js';
import { distributionHere, productsHere } from '../../src/modules/analytics/views.js';
import type { AppContext } from '../../src/modules/context.js';
import { mergeCustomers } from '../../src/modules/customers/merge.js';
import { updateCustomer } from '../../src/modules/customers/profile.js';
import { eraseCustomer } from '../../src/modules/privacy/erase.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { type ShopOrder, cnyStores, ingestByStore, randomShop } from '../support/analytics-shop.js';

/**
 * The distribution and products of a range that is not kept, answered from the rows held in memory
 * (analytics/memory.ts, core/analytics-memory.ts): the same numbers as the SQL path for random ranges and store
 * scopes; after new orders or a profile edit the next answer is the SQL path's (never the stale index), and the
 * index reloads in the background and answers again.
 */
describeBothDatabases('analytics: any range from the rows in memory', (env) => {
  const rnd = new Random(20261129);
  let stores: Awaited<ReturnType<typeof ensureStore>>[] = [];
  const orders = randomShop(rnd, {
    prefix: 'M',
    phonePrefix: '1390000',
    firstDay: '2025-03-01',
    days: 640,
    stores: 2,
    maxYuan: 160,
    hours: [0, 23],
  });
  const ingest = (ctx: AppContext, list: ShopOrder[]) => ingestByStore(ctx, stores, list);
  const ranges = [
    // The whole span, from and to mid-month (not kept): every later order falls in it.
    { from: '2025-02-27', to: '2026-12-09' },
    ...Array.from({ length: 3 }, () => {
      const from = shiftDate('2025-03-01', rnd.int(0, 560));
      return { from, to: shiftDate(from, rnd.int(0, 300)) };
    }),
  ];
  const scopes = () => [undefined, ...stores.map((s) => s.id)];

  beforeAll(async () => {
    const e = env();
    e.setNow('2026-12-10T04:00:00.000Z');
    stores = await cnyStores(e.ctx, e.workspaceId);
    await ingest(e.ctx, orders(160, 45));
    // People facts straight on the customer rows (the rebuild below reads them): quicker than a staff edit each.
    const customers = await e.db.kysely.selectFrom('customers').select('id').where('workspace_id', '=', e.workspaceId);
    for (const [i, c] of (await customers.execute()).entries())
      await e.db.kysely
        .updateTable('customers')
        .set({
          gender: rnd.pick(['male', 'female', null]),
          birthday: i % 4 ? `19${rnd.int(60, 99)}-0${rnd.int(1, 9)}-${rnd.pick(['15', '28', '01'])}` : null,
        })
        .where('workspace_id', '=', e.workspaceId)
        .where('id', '=', c.id)
        .execute();
    await rebuildAnalytics(e.ctx, e.workspaceId);
  });

  it('random ranges and store scopes: memory equals SQL, distribution and products', async () => {
    const e = env();
    const kept = { from: shiftDate('2026-12-10', -29), to: '2026-12-10' };
    expect(await isKeptRange(e.db.kysely, e.workspaceId, kept.from, kept.to)).toBe(true);
    for (const range of [...ranges, kept])
      for (const storeId of scopes()) {
        const scope = { ...range, storeId };
        const memory = await distributionHere(e.ctx, e.workspaceId, scope, { memory: true });
        expect(memory).toEqual(await distributionHere(e.ctx, e.workspaceId, scope, { kept: false }));
        const products = await productsHere(e.ctx, e.workspaceId, { ...scope, limit: 50 }, { memory: true });
        expect(products).toEqual(await productsHere(e.ctx, e.workspaceId, { ...scope, limit: 50 }, { kept: false }));
      }
    const whole = await distributionHere(e.ctx, e.workspaceId, ranges[0]!, { memory: true });
    expect(whole.frequency.reduce((a, b) => a + b.buyers, 0)).toBeGreaterThan(20);
    expect(whole.gender.find((g) => g.key === 'male')!.buyers).toBeGreaterThan(0);
  });

  /** Memory (forced, from the holder) equals SQL on every range and store scope, distribution and products. */
  const expectSameAsSql = async (ctx: AppContext) => {
    const e = env();
    for (const range of ranges)
      for (const storeId of scopes()) {
        const scope = { ...range, storeId };
        expect(await distributionHere(ctx, e.workspaceId, scope, { memory: true })).toEqual(
          await distributionHere(e.ctx, e.workspaceId, scope, { kept: false }),
        );
        const products = { ...scope, limit: 50 };
        expect(await productsHere(ctx, e.workspaceId, products, { memory: true })).toEqual(
          await productsHere(e.ctx, e.workspaceId, products, { kept: false }),
        );
      }
  };

  it('after orders, a profile edit, an erasure and a merge the next ask re-reads only those, as SQL', async () => {
    const e = env();
    const memory = new AnalyticsMemory(e.db);
    const ctx: AppContext = { ...e.ctx, analyticsMemory: memory };
    const range = ranges[0]!;
    expect(await isKeptRange(e.db.kysely, e.workspaceId, range.from, range.to)).toBe(false);
    /** Which path the next ask takes. */
    const nextAsk = async () => {
      const before = { ...memory.served };
      await distributionHere(ctx, e.workspaceId, range);
      return memory.served.memory > before.memory ? 'memory' : 'sql';
    };
    // The first ask reads SQL and starts the load; once loaded the asks answer from memory.
    expect(await nextAsk()).toBe('sql');
    await memory.idle();
    const first = memory.info(e.workspaceId)!;
    expect(first.buyerRows).toBeGreaterThan(0);
    expect(await nextAsk()).toBe('memory');
    await expectSameAsSql(ctx);
    const answer = () => distributionHere(ctx, e.workspaceId, range, { memory: true });
    let previous = await answer();
    /** A write's next ask: from memory after re-reading `customers` at most, never a full load; as SQL. */
    const caughtUp = async (what: string, most: number) => {
      expect(await nextAsk(), what).toBe('memory');
      const last = memory.lastCatchUp(e.workspaceId)!;
      expect(last.customers, what).toBeGreaterThan(0);
      expect(last.customers, what).toBeLessThanOrEqual(most);
      expect(memory.counts.loads, what).toBe(1);
      // The write moved the answer (so a skipped or wrong splice would show), and memory is SQL's.
      const now = await answer();
      expect(now, what).not.toEqual(previous);
      previous = now;
      await expectSameAsSql(ctx);
    };

    // New orders of known and new buyers, all in the range.
    await ingest(e.ctx, orders(10, 60));
    await caughtUp('new orders', 10);

    // A staff edit of gender and birthday moves buyers between the people bands.
    const some = await e.db.kysely
      .selectFrom('analytics_buyer_days')
      .select('customer_id')
      .distinct()
      .where('workspace_id', '=', e.workspaceId)
      .orderBy('customer_id')
      .limit(3)
      .execute();
    for (const c of some)
      await updateCustomer(e.ctx, e.workspaceId, c.customer_id, { gender: 'female', birthday: '2010-02-28' }, null);
    await caughtUp('a profile edit', 3);

    // An erasure: gender and birthday gone.
    const erased = some[0]!.customer_id;
    await eraseCustomer(e.ctx, e.workspaceId, erased, { confirm: erased }, { userId: null, login: null });
    await caughtUp('an erasure', 1);

    // A merge: the source's rows move to the target.
    const [target, source] = [some[1]!.customer_id, some[2]!.customer_id];
    await mergeCustomers(e.ctx, e.workspaceId, target, source, null);
    await caughtUp('a merge', 2);
    expect(memory.counts.catchUps).toBeGreaterThanOrEqual(4);

    // A rebuild over kept rows names the customers whose rows it changed (here the product rows of those who ordered
    // since the last build, which the upkeep leaves to it): caught up, no full load.
    e.setNow('2026-12-10T05:00:00.000Z');
    const productsBefore = await productsHere(ctx, e.workspaceId, { ...range, limit: 50 }, { memory: true });
    await rebuildAnalytics(e.ctx, e.workspaceId);
    expect(await nextAsk()).toBe('memory');
    expect(memory.lastCatchUp(e.workspaceId)!.customers).toBeGreaterThan(0);
    expect(memory.counts.loads).toBe(1);
    expect(await productsHere(ctx, e.workspaceId, { ...range, limit: 50 }, { memory: true })).not.toEqual(
      productsBefore,
    );
    await expectSameAsSql(ctx);

    // A rebuild from scratch clears every row (recorded as whole): the next ask reads SQL and the index loads again.
    await rebuildAnalyticsFromScratch(e.ctx, e.workspaceId);
    expect(await nextAsk()).toBe('sql');
    await memory.idle();
    expect(memory.counts.loads).toBe(2);
    expect(await nextAsk()).toBe('memory');
    await expectSameAsSql(ctx);

    // A log pruned past the index's version: SQL and a full load again, never stale numbers.
    await ingest(e.ctx, orders(3, 45));
    await e.db.kysely.deleteFrom('analytics_changes').where('workspace_id', '=', e.workspaceId).execute();
    expect(await nextAsk()).toBe('sql');
    await memory.idle();
    expect(memory.counts.loads).toBe(3);
    expect(await nextAsk()).toBe('memory');
    await expectSameAsSql(ctx);

    // warm() catches a workspace up without an ask.
    await ingest(e.ctx, orders(4, 60));
    expect(await memory.warm()).toBe(1);
    await memory.idle();
    expect(memory.counts.loads).toBe(3);
    expect(await nextAsk()).toBe('memory');
    await expectSameAsSql(ctx);
  });

  it('orders written while a full load runs are caught up from the change log, not thrown away', async () => {
    const e = env();
    let writes = 0;
    const memory: AnalyticsMemory = new AnalyticsMemory(e.db, {
      chunkRows: 25,
      afterChunk: async () => {
        // Between the first chunks of buyer rows (customers read already and not yet) and of product rows.
        if (writes++ < 2) await ingest(e.ctx, orders(6, 60));
      },
    });
    const ctx: AppContext = { ...e.ctx, analyticsMemory: memory };
    await memory.load(e.workspaceId);
    expect(writes).toBeGreaterThan(2);
    expect(memory.counts).toEqual({ loads: 1, catchUps: 1, fileLoads: 0 });
    const served = memory.served.memory;
    await expectSameAsSql(ctx);
    // Every ask of the comparison was answered from memory, without loading again.
    expect(memory.served.memory).toBeGreaterThan(served);
    expect(memory.counts.loads).toBe(1);
  });

  it('a start reads the index saved by the last run and catches up the writes since, without a full load', async () => {
    const e = env();
    const dir = scratchDir('huike-memory-');
    try {
      const first = new AnalyticsMemory(e.db, { dir });
      await first.load(e.workspaceId);
      expect(first.counts.loads).toBe(1);
      const saved = first.info(e.workspaceId)!.version;
      // Written while no server runs (or before the next start): the saved index is behind.
      await ingest(e.ctx, orders(8, 60));
      const some = await e.db.kysely
        .selectFrom('analytics_buyer_days')
        .select('customer_id')
        .where('workspace_id', '=', e.workspaceId)
        .orderBy('customer_id', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow();
      await updateCustomer(e.ctx, e.workspaceId, some.customer_id, { gender: 'male', birthday: '1980-01-02' }, null);

      const next = new AnalyticsMemory(e.db, { dir });
      await next.load(e.workspaceId);
      expect(next.counts).toEqual({ loads: 0, catchUps: 1, fileLoads: 1 });
      expect(next.lastCatchUp(e.workspaceId)!.from).toBe(saved);
      const ctx: AppContext = { ...e.ctx, analyticsMemory: next };
      const served = next.served.memory;
      await expectSameAsSql(ctx);
      expect(next.served.memory).toBeGreaterThan(served);
      expect(next.counts.loads).toBe(0);

      // After a rebuild from scratch (whole) the file cannot be caught up: a full load, never its numbers.
      e.setNow('2026-12-10T06:00:00.000Z');
      await rebuildAnalyticsFromScratch(e.ctx, e.workspaceId);
      const third = new AnalyticsMemory(e.db, { dir });
      await third.load(e.workspaceId);
      expect(third.counts).toMatchObject({ loads: 1, fileLoads: 1 });
      await expectSameAsSql({ ...e.ctx, analyticsMemory: third });

      // A file whose version's change the database holds with another stamp (a restored or another database).
      const v = third.info(e.workspaceId)!.version;
      await e.db.kysely
        .updateTable('analytics_changes')
        .set({ stamp: 'another' })
        .where('workspace_id', '=', e.workspaceId)
        .where('version', '=', v)
        .execute();
      const fourth = new AnalyticsMemory(e.db, { dir });
      await fourth.load(e.workspaceId);
      expect(fourth.counts).toEqual({ loads: 1, catchUps: 0, fileLoads: 0 });
      await expectSameAsSql({ ...e.ctx, analyticsMemory: fourth });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a workspace over the memory cap stays on SQL', async () => {
    const e = env();
    const memory = new AnalyticsMemory(e.db, { capBytes: 1000 });
    const ctx: AppContext = { ...e.ctx, analyticsMemory: memory };
    const range = ranges[0]!;
    const sqlPath = await distributionHere(e.ctx, e.workspaceId, range, { kept: false });
    expect(await distributionHere(ctx, e.workspaceId, range)).toEqual(sqlPath);
    await memory.idle();
    expect(await distributionHere(ctx, e.workspaceId, range)).toEqual(sqlPath);
    expect(memory.info(e.workspaceId)).toBeNull();
    expect(memory.served).toEqual({ memory: 0, sql: 2 });
  });
});
