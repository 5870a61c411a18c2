import { beforeAll, expect, it } from 'vitest';
import { rebuildAnalytics } from '../../src/modules/analytics/rebuild.js';
import { dashboard, dashboardPairScope, workspaceCurrencies } from '../../src/modules/analytics/service.js';
import { setPurchaseRule } from '../../src/modules/customers/stats.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases, type TestEnv } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/**
 * The dashboard reads its period and trend from the analytics pre-aggregates when they are built and current, and
 * from the orders otherwise: the same figures either way. Seen on 2026-11-23 12:00 Shanghai; the 7-day window starts
 * 2026-11-17 00:00 Shanghai. Two stores in yuan (A, B):
 *   ann  ¥100 on 10-01 (A), ¥200 on 11-23 00:30 (A)                 → returning, today
 *   ben  ¥50 on 11-20 (A), ¥70 on 11-21 (B)                           → new, repurchased across stores
 *   cat  ¥300 on 11-22, fully refunded                                 → no purchase
 *   dan  unpaid order 11-23 08:00                                      → new customer, no buyer
 *   eve  ¥10 on 11-16 23:59, one minute before the 7-day window        → in the 30 days only
 *   fay  ¥20 (A) and ¥30 (B) on 11-18                                  → new, two orders on one day in two stores
 *   gus  ¥40 on 11-19, ¥15 of it refunded                              → new, ¥25
 *   hal  ¥60 on 09-10, ¥80 on 11-22                                    → returning
 *   ivy  a 0-yuan order on 11-21                                       → no purchase (unless 0-yuan orders count)
 */
const AS_OF = '2026-11-23T04:00:00.000Z';
const at = (local: string) => new Date(`${local}+08:00`).toISOString();

describeBothDatabases('dashboard from the pre-aggregates', (env) => {
  let n = 0;
  const phoneOf = (nick: string) => `1390000${String(nick.charCodeAt(0) * 10 + nick.length).padStart(4, '0')}`;
  const o = (nick: string, local: string, paidFen: number, extra: Record<string, unknown> = {}) =>
    orderRecord({
      line: ++n,
      externalId: `D${n}`,
      createdAt: at(local),
      paidFen,
      // One phone per person: the same customer in both stores.
      buyer: { nick, externalId: null, email: null, phone: phoneOf(nick), name: null },
      receiverPhone: phoneOf(nick),
      ...extra,
    });
  type Store = Awaited<ReturnType<typeof ensureStore>>;
  const write = async (e: TestEnv, store: Store, records: ReturnType<typeof o>[]) =>
    e.db.kysely
      .transaction()
      .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
  const scopeNow = async (e: TestEnv) => {
    const currencies = await workspaceCurrencies(e.ctx, e.workspaceId);
    return dashboardPairScope(e.ctx, e.workspaceId, currencies, 480);
  };
  let b: Store;

  beforeAll(async () => {
    const e = env();
    e.setNow(AS_OF);
    const a = await ensureStore(e.ctx, e.workspaceId, '看板店A', 'taobao');
    b = await ensureStore(e.ctx, e.workspaceId, '看板店B', 'jd');
    await write(e, a, [
      o('ann', '2026-10-01T10:00:00', 10000),
      o('ann', '2026-11-23T00:30:00', 20000),
      o('ben', '2026-11-20T09:00:00', 5000),
      o('cat', '2026-11-22T23:30:00', 30000, { status: 'refunded', refundedFen: 30000 }),
      o('dan', '2026-11-23T08:00:00', 0, { status: 'created', paidAt: null }),
      o('eve', '2026-11-16T23:59:00', 1000),
      o('fay', '2026-11-18T10:00:00', 2000),
      o('gus', '2026-11-19T10:00:00', 4000, { refundedFen: 1500 }),
      o('hal', '2026-09-10T10:00:00', 6000),
      o('hal', '2026-11-22T10:00:00', 8000),
      o('ivy', '2026-11-21T10:00:00', 0),
    ]);
    await write(e, b, [o('ben', '2026-11-21T09:00:00', 7000), o('fay', '2026-11-18T15:00:00', 3000)]);
  });

  it('without built analytics reads the orders, with the figures counted by hand', async () => {
    const e = env();
    expect(await scopeNow(e)).toBeNull();
    const d = await dashboard(e.ctx, e.workspaceId, 7);
    expect(d.period).toEqual({
      orders: 7,
      revenueFen: 47500,
      buyers: 5,
      newBuyers: 3,
      returningBuyers: 2,
      returningShare: 0.4,
      returningRevenueShare: 28000 / 47500,
      repurchaseRate: 0.4,
      aovFen: 6786,
      newCustomers: 6,
      revenueByCurrency: [{ currency: 'CNY', orders: 7, revenueFen: 47500, aovFen: 6786 }],
    });
    expect(d.trend.find((t) => t.day === '2026-11-18')).toEqual({
      day: '2026-11-18',
      orders: 2,
      revenueFen: 5000,
      buyers: 1,
      newBuyers: 1,
    });
  });

  it('gives the same dashboard from the pre-aggregates as from the orders, before and after a new order', async () => {
    const e = env();
    const unbuilt = { 7: await dashboard(e.ctx, e.workspaceId, 7), 30: await dashboard(e.ctx, e.workspaceId, 30) };
    await rebuildAnalytics(e.ctx, e.workspaceId);
    expect(await scopeNow(e)).toBe('c:CNY');
    for (const days of [1, 7, 30, 90] as const) {
      const pre = await dashboard(e.ctx, e.workspaceId, days);
      expect(pre).toEqual(await dashboard(e.ctx, e.workspaceId, days, { preAggregates: false }));
      if (days === 7 || days === 30) expect(pre).toEqual(unbuilt[days]);
    }
    // Written after the build: the order upkeep keeps the pre-aggregates in step (eve comes back; a new buyer).
    await write(e, b, [o('eve', '2026-11-22T20:00:00', 1200), o('joe', '2026-11-20T11:00:00', 900)]);
    expect(await scopeNow(e)).toBe('c:CNY');
    for (const days of [7, 30]) {
      const pre = await dashboard(e.ctx, e.workspaceId, days);
      expect(pre).toEqual(await dashboard(e.ctx, e.workspaceId, days, { preAggregates: false }));
    }
    expect((await dashboard(e.ctx, e.workspaceId, 7)).period).toMatchObject({ orders: 9, buyers: 7, newBuyers: 4 });
  });

  it('reads the orders again once the pre-aggregates are of another purchase rule or of two currencies', async () => {
    const e = env();
    await setPurchaseRule(e.ctx, e.workspaceId, { zeroPaidCounts: true });
    expect(await scopeNow(e)).toBeNull();
    await rebuildAnalytics(e.ctx, e.workspaceId);
    expect(await scopeNow(e)).toBe('c:CNY');
    await setPurchaseRule(e.ctx, e.workspaceId, { zeroPaidCounts: false });
    expect(await scopeNow(e)).toBeNull();
    await rebuildAnalytics(e.ctx, e.workspaceId);
    expect(await scopeNow(e)).toBe('c:CNY');
    await ensureStore(e.ctx, e.workspaceId, 'London', 'shopify', { currency: 'GBP', timezone: 'Europe/London' });
    expect(await scopeNow(e)).toBeNull();
  });
});
