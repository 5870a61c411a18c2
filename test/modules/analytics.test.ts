import { beforeAll, expect, it } from 'vitest';
import { dashboard, provinces } from '../../src/modules/analytics/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/**
 * Seen on 2026-11-23 12:00 Shanghai (04:00 UTC); the 7-day window starts 2026-11-17 00:00 Shanghai.
 *   ann  paid ¥100 on 10-01 and ¥200 on 11-23 00:30 Shanghai (still 11-22 in UTC)  → returning, today
 *   ben  paid ¥50 on 11-20 and ¥70 on 11-21                                          → new, repurchased
 *   cat  ¥300 on 11-22, fully refunded                                               → no purchase
 *   dan  unpaid order 11-23 08:00                                                     → new customer, no buyer
 *   eve  paid ¥10 on 11-16 23:59 Shanghai, one minute before the window             → outside
 */
const AS_OF = '2026-11-23T04:00:00.000Z';
const at = (local: string) => new Date(`${local}+08:00`).toISOString();

describeBothDatabases('analytics', (env) => {
  beforeAll(async () => {
    const e = env();
    e.setNow(AS_OF);
    const store = await ensureStore(e.ctx, e.workspaceId, '分析测试店', 'taobao');
    let n = 0;
    const o = (nick: string, phone: string, local: string, paidFen: number, extra: Record<string, unknown> = {}) =>
      orderRecord({
        line: ++n,
        externalId: `A${n}`,
        createdAt: at(local),
        paidFen,
        buyer: { nick, externalId: null, email: null, phone, name: null },
        receiverPhone: phone,
        ...extra,
      });
    const zj = { province: '浙江省', city: '杭州市' };
    const records = [
      o('ann', '13900000001', '2026-10-01T10:00:00', 10000, zj),
      o('ann', '13900000001', '2026-11-23T00:30:00', 20000, zj),
      o('ben', '13900000002', '2026-11-20T09:00:00', 5000, { province: '广西壮族自治区', city: '南宁市' }),
      o('ben', '13900000002', '2026-11-21T09:00:00', 7000, { province: '广西壮族自治区', city: '南宁市' }),
      o('cat', '13900000003', '2026-11-22T23:30:00', 30000, { status: 'refunded', refundedFen: 30000 }),
      o('dan', '13900000004', '2026-11-23T08:00:00', 0, { status: 'created', paidAt: null }),
      o('eve', '13900000005', '2026-11-16T23:59:00', 1000, zj),
    ];
    await e.db.kysely
      .transaction()
      .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
  });

  it('counts the period in the shop time zone: buyers, new vs returning, repurchase and AOV', async () => {
    const d = await dashboard(env().ctx, env().workspaceId, 7);
    expect(d.period).toEqual({
      orders: 3,
      revenueFen: 32000,
      buyers: 2,
      newBuyers: 1,
      returningBuyers: 1,
      returningShare: 0.5,
      returningRevenueShare: 0.625,
      repurchaseRate: 0.5,
      aovFen: 10667,
      newCustomers: 3,
      revenueByCurrency: [{ currency: 'CNY', orders: 3, revenueFen: 32000, aovFen: 10667 }],
    });
    expect(d.today).toMatchObject({
      orders: 1,
      revenueFen: 20000,
      buyers: 1,
      newBuyers: 0,
      returningBuyers: 1,
      newCustomers: 1,
    });
    expect(d.totals).toMatchObject({ customers: 5, buyers: 3, repeatBuyers: 2 });
    expect(d.totals.repurchaseRate).toBeCloseTo(2 / 3, 10);
  });

  it('counts the file totals as every customer joined to their stats would (consent included)', async () => {
    const k = env().db.kysely;
    const ws = env().workspaceId;
    const ids = (
      await k.selectFrom('customers').select('id').where('workspace_id', '=', ws).orderBy('id').execute()
    ).map((r) => r.id);
    await k
      .updateTable('customers')
      .set({ marketing_consent: 'granted' })
      .where('workspace_id', '=', ws)
      .where('id', 'in', ids.slice(0, 2))
      .execute();
    const joined = await k
      .selectFrom('customers as c')
      .leftJoin('customer_stats as s', (j) =>
        j.onRef('s.workspace_id', '=', 'c.workspace_id').onRef('s.customer_id', '=', 'c.id'),
      )
      .select((eb) => [
        eb.fn.countAll<number>().as('customers'),
        eb.fn.sum<number>(eb.case().when('s.paid_orders', '>=', 1).then(1).else(0).end()).as('buyers'),
        eb.fn.sum<number>(eb.case().when('s.paid_orders', '>=', 2).then(1).else(0).end()).as('repeat'),
        eb.fn.sum<number>(eb.case().when('c.marketing_consent', '=', 'granted').then(1).else(0).end()).as('consented'),
      ])
      .where('c.workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    const d = await dashboard(env().ctx, ws, 7);
    expect(d.totals).toMatchObject({
      customers: Number(joined.customers),
      buyers: Number(joined.buyers),
      repeatBuyers: Number(joined.repeat),
      consented: Number(joined.consented),
    });
    expect(d.totals.consented).toBeGreaterThanOrEqual(2);
  });

  it('buckets the trend by local day, with empty days as zeros', async () => {
    const d = await dashboard(env().ctx, env().workspaceId, 7);
    expect(d.trend.map((t) => t.day)).toEqual([
      '2026-11-17',
      '2026-11-18',
      '2026-11-19',
      '2026-11-20',
      '2026-11-21',
      '2026-11-22',
      '2026-11-23',
    ]);
    const day = (s: string) => d.trend.find((t) => t.day === s);
    expect(day('2026-11-20')).toEqual({ day: '2026-11-20', orders: 1, revenueFen: 5000, buyers: 1, newBuyers: 1 });
    expect(day('2026-11-21')).toEqual({ day: '2026-11-21', orders: 1, revenueFen: 7000, buyers: 1, newBuyers: 0 });
    // 00:30 in Shanghai on the 23rd is the 22nd in UTC: it belongs to the 23rd.
    expect(day('2026-11-23')).toEqual({ day: '2026-11-23', orders: 1, revenueFen: 20000, buyers: 1, newBuyers: 0 });
    expect(day('2026-11-22')).toEqual({ day: '2026-11-22', orders: 0, revenueFen: 0, buyers: 0, newBuyers: 0 });
  });

  it('ranks provinces by spend with the short names the China map uses', async () => {
    const rows = await provinces(env().ctx, env().workspaceId);
    expect(rows.map((r) => [r.province, r.short, r.buyers, r.orders, r.spentFen])).toEqual([
      ['浙江省', '浙江', 2, 3, 31000],
      ['广西壮族自治区', '广西', 1, 2, 12000],
    ]);
    expect(rows[0]!.spentShare).toBeCloseTo(31000 / 43000, 10);
  });
});
