import { beforeAll, expect, it } from 'vitest';
import { shiftDate } from '../../src/core/analytics-views.js';
import { Random } from '../../src/core/random.js';
import { JOB } from '../../src/jobs/kinds.js';
import { askRange } from '../../src/modules/analytics/asked.js';
import { rebuildAnalytics } from '../../src/modules/analytics/rebuild.js';
import { isKeptRange } from '../../src/modules/analytics/snapshots.js';
import { distributionHere, productsHere } from '../../src/modules/analytics/views.js';
import type { AppContext } from '../../src/modules/context.js';
import { updateCustomer } from '../../src/modules/customers/profile.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases } from '../helpers.js';
import { type ShopOrder, cnyStores, ingestByStore, randomShop } from '../support/analytics-shop.js';

/**
 * A range asked for that is not kept (asked.ts): the ask queues a rebuild, which keeps the range; from then on the
 * distribution and the products of that range are read from the kept rows and equal the buyer-row path (the direct
 * count), for random ranges, all stores and each, also after orders and profile edits kept per customer.
 */
describeBothDatabases('analytics: asked ranges are kept by the next rebuild', (env) => {
  const rnd = new Random(20261128);
  let stores: Awaited<ReturnType<typeof ensureStore>>[] = [];
  const orders = randomShop(rnd, {
    prefix: 'A',
    phonePrefix: '1380000',
    firstDay: '2025-03-01',
    days: 640,
    stores: 2,
    maxYuan: 160,
    hours: [0, 23],
  });
  const ingest = (ctx: AppContext, list: ShopOrder[]) => ingestByStore(ctx, stores, list);

  /** Random ranges within the orders' days, starting and ending mid-month (none of them a kept range). */
  const ranges = Array.from({ length: 4 }, () => {
    const from = shiftDate('2025-03-01', rnd.int(0, 500));
    const to = shiftDate(from, rnd.int(20, 400));
    return { from: from.endsWith('-01') ? shiftDate(from, 1) : from, to: to.endsWith('-01') ? shiftDate(to, 1) : to };
  });

  const queuedRebuilds = async () =>
    (
      await env()
        .db.kysely.selectFrom('jobs')
        .select('id')
        .where('workspace_id', '=', env().workspaceId)
        .where('kind', '=', JOB.analyticsRebuild)
        .where('status', '=', 'queued')
        .execute()
    ).length;

  async function expectKeptEqualsDirect() {
    const e = env();
    for (const range of ranges)
      for (const storeId of [undefined, ...stores.map((s) => s.id)]) {
        const scope = { ...range, storeId };
        expect(await isKeptRange(e.db.kysely, e.workspaceId, range.from, range.to)).toBe(true);
        const kept = await distributionHere(e.ctx, e.workspaceId, scope);
        expect(kept.frequency.reduce((a, b) => a + b.buyers, 0)).toBeGreaterThan(0);
        expect(kept).toEqual(await distributionHere(e.ctx, e.workspaceId, scope, { kept: false }));
        expect(await productsHere(e.ctx, e.workspaceId, scope)).toEqual(
          await productsHere(e.ctx, e.workspaceId, scope, { kept: false }),
        );
      }
  }

  beforeAll(async () => {
    const e = env();
    e.setNow('2026-12-10T04:00:00.000Z');
    stores = await cnyStores(e.ctx, e.workspaceId);
    await ingest(e.ctx, orders(220, 60));
    const customers = await e.db.kysely.selectFrom('customers').select('id').where('workspace_id', '=', e.workspaceId);
    for (const [i, c] of (await customers.execute()).entries())
      await updateCustomer(
        e.ctx,
        e.workspaceId,
        c.id,
        {
          gender: rnd.pick(['male', 'female', null]),
          birthday: i % 4 ? `19${rnd.int(60, 99)}-0${rnd.int(1, 9)}-15` : null,
        },
        null,
      );
    await rebuildAnalytics(e.ctx, e.workspaceId);
  });

  it('the first ask queues one rebuild; after it the range is kept and answers as the direct count', async () => {
    const e = env();
    for (const range of ranges) expect(await isKeptRange(e.db.kysely, e.workspaceId, range.from, range.to)).toBe(false);
    expect(await askRange(e.ctx, e.workspaceId, ranges[0]!)).toBe(true);
    // Asked again, or another range, while that rebuild is queued: no second job.
    for (const range of ranges) expect(await askRange(e.ctx, e.workspaceId, range)).toBe(false);
    expect(await queuedRebuilds()).toBe(1);
    await rebuildAnalytics(e.ctx, e.workspaceId);
    await expectKeptEqualsDirect();
    // A kept range is not asked again.
    expect(await askRange(e.ctx, e.workspaceId, ranges[1]!)).toBe(false);
  });

  it('kept asked ranges follow orders and profile edits per customer, and products at the next rebuild', async () => {
    const e = env();
    await ingest(e.ctx, orders(60, 80));
    const some = await e.db.kysely
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .limit(3)
      .execute();
    for (const c of some)
      await updateCustomer(e.ctx, e.workspaceId, c.id, { gender: 'male', birthday: '1988-02-29' }, null);
    for (const range of ranges)
      for (const storeId of [undefined, ...stores.map((s) => s.id)])
        expect(await distributionHere(e.ctx, e.workspaceId, { ...range, storeId })).toEqual(
          await distributionHere(e.ctx, e.workspaceId, { ...range, storeId }, { kept: false }),
        );
    await rebuildAnalytics(e.ctx, e.workspaceId);
    await expectKeptEqualsDirect();
  });

  it('an ask not repeated for 30 days is dropped at a rebuild', async () => {
    const e = env();
    e.setNow('2027-01-20T04:00:00.000Z');
    await rebuildAnalytics(e.ctx, e.workspaceId);
    for (const range of ranges) expect(await isKeptRange(e.db.kysely, e.workspaceId, range.from, range.to)).toBe(false);
    const left = await e.db.kysely
      .selectFrom('analytics_asked_ranges')
      .select('range_from')
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    expect(left).toEqual([]);
  });
});
