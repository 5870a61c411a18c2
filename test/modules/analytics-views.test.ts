import ExcelJS from 'exceljs';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/types.js';
import { tablesCsv } from '../../src/modules/tables.js';
import { createUser } from '../../src/modules/auth/service.js';
import { buildServer } from '../../src/server.js';
import type { ItemRecord } from '../../src/core/formats/types.js';
import { JOB } from '../../src/jobs/kinds.js';
import { rebuildAnalytics } from '../../src/modules/analytics/rebuild.js';
import {
  cohorts,
  daily,
  distribution,
  effects,
  overview,
  products,
  provincesInRange,
  repurchase,
  timing,
} from '../../src/modules/analytics/reads.js';
import { setAnalyticsSettings } from '../../src/modules/analytics/views.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/**
 * A small shop, every figure below worked out by hand (times are Shanghai local).
 * Store S1 (main) and S2, both CNY. The range under test is 双11 2026: 11-01 … 11-11.
 *   ann S1  10-05 ¥100 [A×1] · 11-03 20:00 ¥200 [A×2] · 11-11 00:10 ¥300 [A×1 ¥100, B×1 ¥200]
 *   ben S1  11-02 created 08:00 paid 09:00 ¥50 [B×1] (paid an hour late: recovered) · 11-04 09:00 ¥70 [A×1]
 *   cat S1  2025-11-06 21:00 ¥80 [C×1] · S2 11-05 21:00 ¥400 [C×1]
 *   dan S1  11-06 created, never paid
 *   eve S1  11-12 10:00 ¥60 [A×1]   (the day after the range)
 *   fay S1  11-08 ¥1,200, fully refunded (no purchase)
 *   gus S2  10-20 ¥90 [C×1]
 *   hal 06-01 ¥10 [E×1] · jon 03-01 ¥10 · ivy 2025-06-01 ¥10 · kim 08-13 ¥10 · leo 08-12 ¥10 (all S1, for churn)
 * In the range: buyers ann, ben, cat; orders 5; ¥1,020. ann and cat had bought before (老会员).
 * ann and cat ship to 浙江省, ben to 北京市; the others give no province.
 */
const at = (local: string) => new Date(`${local}+08:00`).toISOString();
const RANGE = { from: '2026-11-01', to: '2026-11-11' };
const ZJ = '浙江省';
const BJ = '北京市';
const item = (title: string, quantity: number, paidFen: number, n: number): ItemRecord => ({
  lineKey: `L${n}`,
  title,
  sku: null,
  externalItemId: null,
  category: null,
  quantity,
  priceFen: paidFen / quantity,
  paidFen,
  refundStatus: null,
});

const COUPONS_AT = '2026-11-01T00:00:00.000Z';

/** A coupon template as the tests store it (issued as given, on 1 November). */
const templateRow = (ws: string, id: string, name: string, issued: number) => ({
  workspace_id: ws,
  id,
  name,
  rules: '{}',
  validity: '{}',
  per_customer_limit: 1,
  total_stock: null,
  issued,
  compensation: 0,
  archived_at: null,
  created_at: COUPONS_AT,
});
/** A coupon of a template issued on 1 November, used on an order when one is given. */
const couponRow = (ws: string, id: string, templateId: string, customerId: string, usedOn: string | null) => ({
  workspace_id: ws,
  id,
  template_id: templateId,
  customer_id: customerId,
  code: id,
  status: usedOn ? 'used' : 'issued',
  valid_from: COUPONS_AT,
  valid_to: '2026-12-01T00:00:00.000Z',
  value_fen: 2000,
  source: 'test',
  idempotency_key: id,
  issued_at: COUPONS_AT,
  used_at: usedOn ? COUPONS_AT : null,
  order_id: usedOn,
  discount_fen: usedOn ? 2000 : null,
});

/** A template and its coupons, each [coupon id, customer, the order it was used on or null]. */
async function addTemplate(
  k: Kysely<Database>,
  ws: string,
  id: string,
  name: string,
  coupons: [string, string, string | null][],
): Promise<void> {
  await k
    .insertInto('coupon_templates')
    .values(templateRow(ws, id, name, coupons.length))
    .execute();
  await k
    .insertInto('coupons')
    .values(coupons.map(([cid, customer, usedOn]) => couponRow(ws, cid, id, customer, usedOn)))
    .execute();
}

describeBothDatabases('analytics views', (env) => {
  let s1 = '';
  let s2 = '';
  beforeAll(async () => {
    const e = env();
    e.setNow('2026-11-23T04:00:00.000Z');
    const store1 = await ensureStore(e.ctx, e.workspaceId, '一号店', 'taobao');
    const store2 = await ensureStore(e.ctx, e.workspaceId, '二号店', 'taobao');
    s1 = store1.id;
    s2 = store2.id;
    let n = 0;
    const phones: Record<string, string> = {};
    const o = (nick: string, local: string, paidFen: number, extra: Record<string, unknown> = {}) => {
      phones[nick] ??= `1390000${String(Object.keys(phones).length + 1).padStart(4, '0')}`;
      return orderRecord({
        line: ++n,
        externalId: `V${n}`,
        createdAt: at(local),
        paidFen,
        buyer: { nick, externalId: null, email: null, phone: phones[nick]!, name: null },
        receiverPhone: phones[nick]!,
        ...extra,
      });
    };
    const first = [
      o('ann', '2026-10-05T10:00:00', 10000, { items: [item('A', 1, 10000, 1)], province: ZJ }),
      o('ann', '2026-11-03T20:00:00', 20000, { items: [item('A', 2, 20000, 1)], province: ZJ }),
      o('ann', '2026-11-11T00:10:00', 30000, {
        items: [item('A', 1, 10000, 1), item('B', 1, 20000, 2)],
        province: ZJ,
      }),
      o('ben', '2026-11-02T08:00:00', 5000, {
        paidAt: at('2026-11-02T09:00:00'),
        items: [item('B', 1, 5000, 1)],
        province: BJ,
      }),
      o('ben', '2026-11-04T09:00:00', 7000, { items: [item('A', 1, 7000, 1)], province: BJ }),
      o('cat', '2025-11-06T21:00:00', 8000, { items: [item('C', 1, 8000, 1)], province: ZJ }),
      o('dan', '2026-11-06T10:00:00', 0, { status: 'created', paidAt: null }),
      o('eve', '2026-11-12T10:00:00', 6000, { items: [item('A', 1, 6000, 1)] }),
      o('fay', '2026-11-08T14:00:00', 120000, { status: 'refunded', refundedFen: 120000 }),
      o('hal', '2026-06-01T10:00:00', 1000, { items: [item('E', 1, 1000, 1)] }),
      o('jon', '2026-03-01T10:00:00', 1000),
      o('ivy', '2025-06-01T10:00:00', 1000),
      o('kim', '2026-08-13T10:00:00', 1000),
      o('leo', '2026-08-12T10:00:00', 1000),
    ];
    const second = [
      o('cat', '2026-11-05T21:00:00', 40000, { items: [item('C', 1, 40000, 1)], province: ZJ }),
      o('gus', '2026-10-20T10:00:00', 9000, { items: [item('C', 1, 9000, 1)] }),
    ];
    await e.db.kysely.transaction().execute(async (trx) => {
      await ingestBatch(e.ctx, trx, { store: store1, runId: null, consentSource: 'test' }, first);
      await ingestBatch(e.ctx, trx, { store: store2, runId: null, consentSource: 'test' }, second);
    });
    const person = (nick: string, set: { gender: string | null; birthday: string | null; city: string | null }) =>
      e.db.kysely
        .updateTable('customers')
        .set(set)
        .where('workspace_id', '=', e.workspaceId)
        .where('phone', '=', phones[nick]!)
        .execute();
    await person('ann', { gender: 'female', birthday: '1990-11-11', city: '杭州市' });
    await person('ben', { gender: 'male', birthday: '2008-11-12', city: '北京市' });
    await person('cat', { gender: null, birthday: null, city: '湖州市' });
    // A coupon template: two issued, one used on ann's ¥300 order with ¥20 off.
    const k = e.db.kysely;
    const ann = await k
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .where('phone', '=', phones.ann!)
      .executeTakeFirstOrThrow();
    const annOrder = await k
      .selectFrom('orders')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .where('external_id', '=', 'V3')
      .executeTakeFirstOrThrow();
    await addTemplate(e.db.kysely, e.workspaceId, 'T1', '双11满减', [
      ['C1', ann.id, annOrder.id],
      ['C2', ann.id, null],
    ]);
    await rebuildAnalytics(e.ctx, e.workspaceId);
  });

  it('counts 成交会员, 成交金额 and the 老会员 shares of the range, with 环比 and 同比', async () => {
    const v = await overview(env().ctx, env().workspaceId, RANGE);
    expect(v.kpis).toEqual({
      buyers: 3,
      revenueFen: 102000,
      orders: 5,
      aovFen: 20400,
      returningBuyers: 2,
      returningRevenueFen: 90000,
      returningBuyerShare: 2 / 3,
      returningRevenueShare: 90000 / 102000,
      newBuyers: 1,
      repeatBuyers: 2,
      repurchaseRate: 2 / 3,
    });
    // 10-21 … 10-31: nobody bought (gus's 10-20 is a day earlier).
    expect(v.previous).toMatchObject({ from: '2026-10-21', to: '2026-10-31', kpis: { buyers: 0, revenueFen: 0 } });
    expect(v.mom.revenueFen).toBeNull();
    // 2025-11-01 … 11-11: cat's ¥80.
    expect(v.yearAgo.kpis).toMatchObject({ buyers: 1, revenueFen: 8000, orders: 1 });
    expect(v.yoy.revenueFen).toBeCloseTo(102000 / 8000 - 1, 12);
    expect(v.yoy.buyers).toBeCloseTo(2, 12);
    // A year ago cat was new: a share of 0 is no base for a change.
    expect(v.yoy.returningBuyerShare).toBeNull();
    expect(v.dataFrom).toBe('2025-06-01');
    expect([v.previous.comparable, v.yearAgo.comparable]).toEqual([true, true]);
  });

  it("gives no 环比 or 同比 against a range the shop's data starts within", async () => {
    // 2025-09-01 … 12-31 (122 days): the range before, 2025-05-02 … 08-31, holds ivy's ¥10 of 06-01, the shop's
    // first day: a month of nothing counted as sales would make cat's ¥80 "+700 %".
    const v = await overview(env().ctx, env().workspaceId, { from: '2025-09-01', to: '2025-12-31' });
    expect(v.kpis).toMatchObject({ buyers: 1, revenueFen: 8000 });
    expect(v.previous).toMatchObject({ from: '2025-05-02', comparable: false, kpis: { revenueFen: 1000 } });
    expect(Object.values(v.mom).every((x) => x === null)).toBe(true);
    // From the shop's first day on, the range before is compared again.
    const w = await overview(env().ctx, env().workspaceId, { from: '2025-06-02', to: '2025-06-02' });
    expect(w.previous).toMatchObject({ from: '2025-06-01', comparable: true, kpis: { revenueFen: 1000 } });
    expect(w.mom.revenueFen).toBe(-1);
  });

  it('counts the payment rate and the unpaid orders recovered by when they were created', async () => {
    const v = await overview(env().ctx, env().workspaceId, RANGE);
    // Created in the range: ann ×2, ben ×2, cat, dan (never paid), fay (paid, later refunded).
    expect(v.payment).toEqual({
      createdOrders: 7,
      paidOrders: 6,
      paymentRate: 6 / 7,
      recoveredOrders: 1,
      recoveredFen: 5000,
    });
  });

  it('a 老会员 of one store is one who bought in that store before', async () => {
    const v = await overview(env().ctx, env().workspaceId, { ...RANGE, storeId: s2 });
    // cat bought in S1 in 2025, but in S2 for the first time.
    expect(v.kpis).toMatchObject({ buyers: 1, revenueFen: 40000, returningBuyers: 0, returningRevenueShare: 0 });
    const one = await overview(env().ctx, env().workspaceId, { ...RANGE, storeId: s1 });
    expect(one.kpis).toMatchObject({ buyers: 2, revenueFen: 62000, returningBuyers: 1, returningRevenueFen: 50000 });
  });

  it('an activity period is a range like any other: 双11 2025 had one buyer', async () => {
    const v = await overview(env().ctx, env().workspaceId, { from: '2025-11-01', to: '2025-11-11' });
    expect(v.kpis).toMatchObject({ buyers: 1, revenueFen: 8000, returningBuyers: 0, newBuyers: 1 });
  });

  it('counts the monthly 复购率 against the industry band the seller entered', async () => {
    await setAnalyticsSettings(env().ctx, env().workspaceId, {
      repurchaseReference: { label: '服装', low: 0.2, high: 0.3 },
    });
    const v = await repurchase(env().ctx, env().workspaceId, { from: '2026-10-01', to: '2026-11-30' });
    expect(v.reference).toEqual({ label: '服装', low: 0.2, high: 0.3 });
    // October: ann (first ever) and gus (first ever) → 0 of 2.
    // November: ann (bought before, and twice), ben (twice), cat (bought in 2025), eve (first) → 3 of 4.
    expect(v.months).toEqual([
      { month: '2026-10', buyers: 2, repeatBuyers: 0, rate: 0, gap: -0.2 },
      { month: '2026-11', buyers: 4, repeatBuyers: 3, rate: 0.75, gap: expect.closeTo(0.45, 12) },
    ]);
  });

  it('draws the cohort retention by first-order month, all stores and one store', async () => {
    const v = await cohorts(env().ctx, env().workspaceId, { from: '2025-11-01', to: '2026-11-30' });
    const by = new Map(v.cohorts.map((c) => [c.cohort, c]));
    expect(by.get('2025-11')!.buyers).toBe(1);
    expect(by.get('2025-11')!.retention[12]).toBe(1); // cat again a year later
    expect(by.get('2025-11')!.retention.slice(1, 12)).toEqual(Array(11).fill(0));
    expect(by.get('2026-10')).toEqual({ cohort: '2026-10', buyers: 2, active: [2, 1], retention: [1, 0.5] });
    expect(by.get('2026-11')).toEqual({ cohort: '2026-11', buyers: 2, active: [2], retention: [1] });
    const two = await cohorts(env().ctx, env().workspaceId, { from: '2025-01-01', to: '2026-12-31', storeId: s2 });
    expect(two.cohorts.map((c) => [c.cohort, c.buyers, c.active])).toEqual([
      ['2026-10', 1, [1]],
      ['2026-11', 1, [1]],
    ]);
  });

  it('spreads the buyers over frequency, AOV, churn, age, gender and city tiers', async () => {
    const v = await distribution(env().ctx, env().workspaceId, RANGE);
    const pick = (rows: { key: string; buyers: number }[]) => Object.fromEntries(rows.map((r) => [r.key, r.buyers]));
    expect(v.frequency).toEqual([
      { key: '1', buyers: 1, share: 1 / 3, revenueFen: 40000 },
      { key: '2', buyers: 2, share: 2 / 3, revenueFen: 62000 },
      { key: '3-5', buyers: 0, share: 0, revenueFen: 0 },
      { key: '6+', buyers: 0, share: 0, revenueFen: 0 },
    ]);
    // ann ¥500 / 2 = ¥250, ben ¥120 / 2 = ¥60, cat ¥400.
    expect(pick(v.aov)).toEqual({ '0-100': 1, '100-200': 0, '200-500': 2, '500-1000': 0, '1000+': 0 });
    // On 11-11: ann, ben, cat, gus, kim (08-13, exactly 90 days) ≤ 90; leo (91) and hal (163) ≤ 180;
    // jon (255) ≤ 365; ivy beyond. eve bought after the range, fay's order was refunded.
    expect(pick(v.churn)).toEqual({ '0-90': 5, '91-180': 2, '181-365': 1, '365+': 1 });
    // ann is 36; ben turns 18 the day after the range.
    expect(pick(v.age)).toMatchObject({ '<18': 1, '35-39': 1, unknown: 1, '18-24': 0 });
    expect(pick(v.gender)).toEqual({ female: 1, male: 1, unknown: 1 });
    expect(pick(v.cityTier)).toEqual({ tier1: 1, newTier1: 1, tier2: 0, 'tier3+': 1, unknown: 0 });
  });

  it('spreads only the chosen store’s buyers: 二号店 in the range is cat alone', async () => {
    const v = await distribution(env().ctx, env().workspaceId, { ...RANGE, storeId: s2 });
    const pick = (rows: { key: string; buyers: number }[]) => Object.fromEntries(rows.map((r) => [r.key, r.buyers]));
    // cat: one order of ¥400 in S2; no birthday, no gender, 湖州 (third tier or below).
    expect(v.frequency).toEqual([
      { key: '1', buyers: 1, share: 1, revenueFen: 40000 },
      { key: '2', buyers: 0, share: 0, revenueFen: 0 },
      { key: '3-5', buyers: 0, share: 0, revenueFen: 0 },
      { key: '6+', buyers: 0, share: 0, revenueFen: 0 },
    ]);
    expect(pick(v.aov)).toEqual({ '0-100': 0, '100-200': 0, '200-500': 1, '500-1000': 0, '1000+': 0 });
    // Up to 11-11 in S2: cat (11-05) and gus (10-20), both within 90 days.
    expect(pick(v.churn)).toEqual({ '0-90': 2, '91-180': 0, '181-365': 0, '365+': 0 });
    expect(pick(v.gender)).toEqual({ female: 0, male: 0, unknown: 1 });
    expect(pick(v.cityTier)).toMatchObject({ tier1: 0, newTier1: 0, 'tier3+': 1 });
    expect(pick(v.age)).toMatchObject({ unknown: 1, '35-39': 0 });
  });

  it('maps the provinces of the range’s buyers, for all stores or one', async () => {
    const v = await provincesInRange(env().ctx, env().workspaceId, RANGE);
    // 浙江: ann ¥200 + ¥300, cat ¥400 → 2 buyers, 3 orders, ¥900; 北京: ben ¥50 + ¥70.
    expect(v.items).toEqual([
      {
        province: '浙江省',
        short: '浙江',
        buyers: 2,
        orders: 3,
        spentFen: 90000,
        currency: 'CNY',
        spentShare: 90000 / 102000,
      },
      {
        province: '北京市',
        short: '北京',
        buyers: 1,
        orders: 2,
        spentFen: 12000,
        currency: 'CNY',
        spentShare: 12000 / 102000,
      },
    ]);
    const two = await provincesInRange(env().ctx, env().workspaceId, { ...RANGE, storeId: s2 });
    expect(two.items.map((p) => [p.short, p.buyers, p.spentFen])).toEqual([['浙江', 1, 40000]]);
    // October: ann ¥100 (浙江) and gus ¥90 (no province).
    const oct = await provincesInRange(env().ctx, env().workspaceId, { from: '2026-10-01', to: '2026-10-31' });
    expect(oct.items.map((p) => [p.province, p.buyers, p.spentFen])).toEqual([
      ['浙江省', 1, 10000],
      [null, 1, 9000],
    ]);
  });

  it('counts the new and returning buyers of each day of the range, for all stores or one', async () => {
    const v = await daily(env().ctx, env().workspaceId, RANGE);
    expect(v.days).toHaveLength(11);
    const on = (days: typeof v.days) =>
      Object.fromEntries(
        days.filter((d) => d.buyers > 0).map((d) => [d.day.slice(5), [d.buyers, d.newBuyers, d.revenueFen]]),
      );
    // ben's first purchase is 11-02; ann (10-05) and cat (2025) had bought before.
    expect(on(v.days)).toEqual({
      '11-02': [1, 1, 5000],
      '11-03': [1, 0, 20000],
      '11-04': [1, 0, 7000],
      '11-05': [1, 0, 40000],
      '11-11': [1, 0, 30000],
    });
    expect(v.days[0]).toEqual({ day: '2026-11-01', buyers: 0, newBuyers: 0, orders: 0, revenueFen: 0 });
    // In 二号店 alone cat is new on 11-05.
    const two = await daily(env().ctx, env().workspaceId, { ...RANGE, storeId: s2 });
    expect(on(two.days)).toEqual({ '11-05': [1, 1, 40000] });
  });

  it('ranks best and slow sellers by units and by repurchase', async () => {
    const v = await products(env().ctx, env().workspaceId, RANGE);
    // A: ann 2 + 1, ben 1 → 4 units, 3 orders, ann bought it twice; B: ann 1, ben 1; C: cat 1; E: sold in June only.
    // Four products (E unsold in the range): the better half best, the rest slow — none in both lists.
    expect(v.bestByUnits.map((p) => [p.product, p.units, p.orders, p.buyers, p.repeatBuyers])).toEqual([
      ['A', 4, 3, 2, 1],
      ['B', 2, 2, 2, 0],
    ]);
    expect(v.bestByUnits[0]!.revenueFen).toBe(20000 + 10000 + 7000);
    expect(v.slowByUnits.map((p) => [p.product, p.units])).toEqual([
      ['E', 0],
      ['C', 1],
    ]);
    // Three sold: two best by repurchase (ties by buyers, then name), one slow.
    expect(v.bestByRepurchase.map((p) => [p.product, p.repurchaseRate])).toEqual([
      ['A', 0.5],
      ['B', 0],
    ]);
    expect(v.slowByRepurchase.map((p) => p.product)).toEqual(['C']);
  });

  it('counts sales by local hour, weekday and month with MoM and YoY', async () => {
    const v = await timing(env().ctx, env().workspaceId, RANGE);
    const hours = v.hours.filter((h) => h.orders > 0).map((h) => [h.hour, h.orders, h.revenueFen]);
    // 00:10 on the 11th in Shanghai is the 10th in UTC: hour 0 of the 11th.
    expect(hours).toEqual([
      [0, 1, 30000],
      [9, 2, 12000],
      [20, 1, 20000],
      [21, 1, 40000],
    ]);
    // Mon 11-02 ben; Tue 11-03 ann; Wed 11-04 ben and 11-11 ann; Thu 11-05 cat.
    expect(v.weekdays.map((w) => w.orders)).toEqual([1, 1, 2, 1, 0, 0, 0]);
    expect(v.weekdays[2]!.revenueFen).toBe(37000);
    // November as far as the range goes (1–11), against 1–11 October (ann's ¥100) and 1–11 November 2025 (cat's ¥80).
    expect(v.months).toEqual([
      {
        month: '2026-11',
        from: '2026-11-01',
        to: '2026-11-11',
        whole: false,
        orders: 5,
        revenueFen: 102000,
        revenueMom: 102000 / 10000 - 1,
        revenueYoy: 102000 / 8000 - 1,
        ordersMom: 5 / 1 - 1,
        ordersYoy: 5 / 1 - 1,
      },
    ]);
    // Whole months against whole months: October (ann, gus) and November with eve's ¥60 of the 12th.
    const whole = await timing(env().ctx, env().workspaceId, { from: '2026-10-01', to: '2026-11-30' });
    expect(whole.months.map(({ month, whole, orders, revenueFen }) => ({ month, whole, orders, revenueFen }))).toEqual([
      { month: '2026-10', whole: true, orders: 2, revenueFen: 19000 },
      { month: '2026-11', whole: true, orders: 6, revenueFen: 108000 },
    ]);
    expect(whole.months[1]).toMatchObject({ revenueMom: 108000 / 19000 - 1, revenueYoy: 108000 / 8000 - 1 });
  });

  it("compares part of a month with the same days, never with days before the shop's data starts", async () => {
    const v = await timing(env().ctx, env().workspaceId, { from: '2025-06-15', to: '2025-07-10' });
    expect(v.dataFrom).toBe('2025-06-01');
    expect(v.months).toEqual([
      // 15–30 May and 15–30 June 2024 are before the shop's first day.
      {
        month: '2025-06',
        from: '2025-06-15',
        to: '2025-06-30',
        whole: false,
        orders: 0,
        revenueFen: 0,
        revenueMom: null,
        revenueYoy: null,
        ordersMom: null,
        ordersYoy: null,
      },
      // 1–10 July against 1–10 June (ivy's ¥10 on the shop's first day).
      {
        month: '2025-07',
        from: '2025-07-01',
        to: '2025-07-10',
        whole: false,
        orders: 0,
        revenueFen: 0,
        revenueMom: -1,
        revenueYoy: null,
        ordersMom: -1,
        ordersYoy: null,
      },
    ]);
  });

  it(
    'puts campaigns and coupons side by side: a coupon against the' + ' non-holders who had bought before like them',
    async () => {
      const v = await effects(env().ctx, env().workspaceId, RANGE);
      expect(v.campaigns).toEqual([]);
      // Holder ann had bought before (10-05) and bought ¥500 in the range. The others who had bought before
      // 11-01 in S1/S2: cat, gus, hal, jon, ivy, kim, leo (7); only cat bought in the range (¥400).
      // Lift = 1 − 1/7; incremental = 50000 − 40000 / 7 = 44286 fen; ROI = 44286 / 2000.
      const [c] = v.coupons;
      expect(c).toMatchObject({
        id: 'T1',
        name: '双11满减',
        issued: 2,
        used: 1,
        useRate: 0.5,
        revenueFen: 30000,
        discountFen: 2000,
        holders: 1,
        holderConversion: 1,
        incrementalRevenueFen: 44286,
      });
      expect(c!.controlConversion).toBeCloseTo(1 / 7, 12);
      expect(c!.conversionLift).toBeCloseTo(6 / 7, 12);
      expect(c!.roi).toBeCloseTo(44286 / 2000, 12);
      // A range before the coupons were issued has none.
      expect((await effects(env().ctx, env().workspaceId, { from: '2026-10-01', to: '2026-10-31' })).coupons).toEqual(
        [],
      );
    },
  );

  it('counts a holder who never bought among the new holders', async () => {
    // T2 to ben (first purchase 11-02, ¥120 in the range) and dan (one order, never paid: no buyer rows at all).
    const e = env();
    const k = e.db.kysely;
    // Phones are given in the order buyers first appear above: ann …01, ben …02, cat …03, dan …04.
    const id = async (phone: string) =>
      (
        await k
          .selectFrom('customers')
          .select('id')
          .where('workspace_id', '=', e.workspaceId)
          .where('phone', '=', phone)
          .executeTakeFirstOrThrow()
      ).id;
    await addTemplate(k, e.workspaceId, 'T2', '新客券', [
      ['C3', await id('13900000002'), null],
      ['C4', await id('13900000004'), null],
    ]);
    try {
      const t2 = (await effects(e.ctx, e.workspaceId, RANGE)).coupons.find((c) => c.id === 'T2');
      expect(t2).toMatchObject({ issued: 2, used: 0, holders: 2, holderConversion: 0.5 });
      // Coupons are not a store's: with a store chosen the effects are still of all stores (one scope per row; the
      // holders' buying followed the store while the uses did not), and the answer says so.
      const inS2 = await effects(e.ctx, e.workspaceId, { ...RANGE, storeId: s2 });
      expect(inS2.allStores).toBe(true);
      expect(inS2.coupons.find((c) => c.id === 'T2')).toEqual(t2);
    } finally {
      await k.deleteFrom('coupons').where('workspace_id', '=', e.workspaceId).where('template_id', '=', 'T2').execute();
      await k.deleteFrom('coupon_templates').where('workspace_id', '=', e.workspaceId).where('id', '=', 'T2').execute();
    }
  });

  it('refuses a range that ends before it starts, naming the dates', async () => {
    await expect(overview(env().ctx, env().workspaceId, { from: '2026-11-11', to: '2026-11-01' })).rejects.toThrow(
      /2026-11-11.*2026-11-01/,
    );
  });

  describeHttp(env, () => s2);
});

function describeHttp(
  env: () => { ctx: import('../../src/modules/context.js').AppContext; workspaceId: string },
  storeTwo: () => string,
) {
  let app: Awaited<ReturnType<typeof buildServer>> | undefined;
  let cookie = '';
  const get = (url: string) => app!.inject({ method: 'GET', url, headers: { cookie, 'x-huike-client': 'test' } });
  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    await createUser(ctx, workspaceId, { login: 'boss', password: 'secret-pass-1', role: 'owner' });
    app = await buildServer(ctx, { dataDir: scratchDir('huike-analytics-') });
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-huike-client': 'test', 'content-type': 'application/json' },
      payload: JSON.stringify({ login: 'boss', password: 'secret-pass-1' }),
    });
    cookie = String(r.headers['set-cookie']).split(';')[0]!;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('repeated rebuild requests queue one rebuild; one more waits behind a running one', async () => {
    const { ctx, workspaceId } = env();
    const k = ctx.db.kysely;
    const rebuilds = () =>
      k
        .selectFrom('jobs')
        .select(['id', 'status'])
        .where('workspace_id', '=', workspaceId)
        .where('kind', '=', JOB.analyticsRebuild)
        .where('status', 'in', ['queued', 'running'])
        .execute();
    await k
      .deleteFrom('jobs')
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', JOB.analyticsRebuild)
      .execute();
    const post = async () => {
      const r = await app!.inject({
        method: 'POST',
        url: '/api/v1/analytics/rebuild',
        headers: { cookie, 'x-huike-client': 'test' },
      });
      expect(r.statusCode).toBe(202);
      return r.json().joined as boolean;
    };
    expect([await post(), await post(), await post()]).toEqual([false, true, true]);
    const [one] = await rebuilds();
    expect((await rebuilds()).length).toBe(1);
    // Once it runs (it may have read before the latest changes), a request queues the next one.
    await k
      .updateTable('jobs')
      .set({ status: 'running' })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', one!.id)
      .execute();
    expect(await post()).toBe(false);
    expect((await rebuilds()).map((j) => j.status).sort()).toEqual(['queued', 'running']);
    await k
      .deleteFrom('jobs')
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', JOB.analyticsRebuild)
      .execute();
  });

  it('answers the views over HTTP and names a bad date', async () => {
    const ok = await get('/api/v1/analytics/overview?from=2026-11-01&to=2026-11-11');
    expect(ok.statusCode).toBe(200);
    expect(ok.json().kpis.buyers).toBe(3);
    for (const v of ['repurchase', 'cohorts', 'distribution', 'products', 'timing', 'effects'])
      expect((await get(`/api/v1/analytics/${v}?from=2026-11-01&to=2026-11-11`)).statusCode).toBe(200);
    const bad = await get('/api/v1/analytics/overview?from=2026-02-30&to=2026-11-11');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/2026-02-30/);
    // The console shows it in the reader's language from the code (core/reasons.ts).
    expect(bad.json().error.reason).toEqual({ key: 'analytics.notDate', params: { date: '2026-02-30' } });
    // Dates no shop's orders have: 0000-00-00 broke the date arithmetic (500), 9999-12-31 ran past year 9999 (500) or
    // had the hours view count hours for a minute (503 too_slow).
    const views = ['provinces', 'overview', 'repurchase', 'cohorts', 'distribution', 'daily', 'products', 'timing'];
    for (const v of [...views, 'effects', 'export.csv'])
      for (const q of ['to=0000-00-00', 'from=9999-12-31', 'to=9999-12-31', 'from=1999-12-31', 'to=2100-01-01']) {
        const r = await get(`/api/v1/analytics/${v}?${q}`);
        expect(r.statusCode, `${v}?${q}`).toBe(400);
        expect(r.json().error.reason.key, `${v}?${q}`).toBe('analytics.notDate');
      }
    expect((await get('/api/v1/analytics/timing?from=2099-12-31')).statusCode).toBe(200);
    const backwards = await get('/api/v1/analytics/daily?from=2026-11-11&to=2026-11-01');
    expect(backwards.json().error.reason).toEqual({
      key: 'analytics.fromAfterTo',
      params: { from: '2026-11-11', to: '2026-11-01' },
    });
    const gone = await get('/api/v1/analytics/provinces?storeId=nope');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.reason.key).toBe('analytics.storeNotFound');
    // A 5,000-character store id is refused by its length, not echoed back whole.
    const long = await get(`/api/v1/analytics/provinces?storeId=${'x'.repeat(5000)}`);
    expect(long.statusCode).toBe(400);
    expect(long.body.length).toBeLessThan(1000);
    const festivals = await get('/api/v1/analytics/activities?year=2026');
    expect(festivals.json().items[0]).toEqual({ key: 'double11', name: '双11', from: '2026-11-01', to: '2026-11-11' });
  });

  it('records a range asked for that is not kept, for the next rebuild to keep (asked.ts)', async () => {
    const { ctx, workspaceId } = env();
    expect((await get('/api/v1/analytics/distribution?from=2026-11-03&to=2026-11-09')).statusCode).toBe(200);
    expect((await get('/api/v1/analytics/products?from=2026-11-03&to=2026-11-08')).statusCode).toBe(200);
    const asked = await ctx.db.kysely
      .selectFrom('analytics_asked_ranges')
      .select(['range_from', 'range_to'])
      .where('workspace_id', '=', workspaceId)
      .execute();
    expect(asked).toContainEqual({ range_from: '2026-11-03', range_to: '2026-11-08' });
    expect(asked).toContainEqual({ range_from: '2026-11-03', range_to: '2026-11-09' });
  });

  it('exports a view as CSV and as an XLSX workbook with the same figures', async () => {
    const csv = await get('/api/v1/analytics/export.csv?view=overview&from=2026-11-01&to=2026-11-11');
    expect(csv.statusCode).toBe(200);
    expect(csv.body).toContain('成交会员人数,3,0,1');
    expect(csv.body).toContain('成交金额(元),1020,0,80');
    const xlsx = await get('/api/v1/analytics/export.xlsx?view=products&from=2026-11-01&to=2026-11-11');
    expect(xlsx.statusCode).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    expect(sheet.name).toBe('畅销(件数)');
    expect(sheet.getRow(2).values).toEqual([undefined, 'A', 4, 3, 370, 2, 1, 0.5]);
  });

  it('answers the map and the daily buyers for the range and store asked for, and exports them', async () => {
    const all = await get('/api/v1/analytics/provinces');
    expect(all.statusCode).toBe(200);
    // Without a range: every buyer ever. 浙江: ann ¥100 + ¥200 + ¥300, cat ¥80 + ¥400 = ¥1,080.
    expect(all.json().items.find((p: { short: string }) => p.short === '浙江').spentFen).toBe(108000);
    const s2only = await get(`/api/v1/analytics/provinces?from=2026-11-01&to=2026-11-11&storeId=${storeTwo()}`);
    expect(s2only.json().items).toMatchObject([{ short: '浙江', buyers: 1, spentFen: 40000 }]);
    const days = await get('/api/v1/analytics/daily?from=2026-11-01&to=2026-11-11');
    expect(days.statusCode).toBe(200);
    expect(days.json().days[1]).toEqual({ day: '2026-11-02', buyers: 1, newBuyers: 1, orders: 1, revenueFen: 5000 });
    const csv = await get('/api/v1/analytics/export.csv?view=provinces&from=2026-11-01&to=2026-11-11');
    expect(csv.body).toContain('浙江省,2,3,900.00,88.24%');
    const dcsv = await get('/api/v1/analytics/export.csv?view=daily&from=2026-11-01&to=2026-11-11');
    expect(dcsv.body).toContain('2026-11-02,1,1,0,1,50.00');
    const dist = await get(`/api/v1/analytics/export.xlsx?view=distribution&from=2026-11-01&to=2026-11-11`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(dist.rawPayload as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual([
      '购买次数',
      '客单价(元)',
      '距上次购买(天)',
      '年龄',
      '性别',
      '城市等级',
    ]);
    expect(wb.worksheets[0]!.getRow(3).values).toEqual([undefined, '2次', 2, 2 / 3]);
  });

  it('a product or campaign named like a formula is exported as text', () => {
    const out = tablesCsv([{ title: 't', columns: [{ name: '商品', kind: 'text' }], rows: [['=HYPERLINK("x")']] }]);
    expect(out).toContain(`"'=HYPERLINK(""x"")"`);
  });
}
