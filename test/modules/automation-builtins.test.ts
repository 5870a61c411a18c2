import { beforeAll, expect, it } from 'vitest';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { categoryHistory } from '../../src/modules/automations/dates.js';
import { dryRun, runDaily, saveAutomation } from '../../src/modules/automations/service.js';
import { createTemplate, issueCoupon } from '../../src/modules/coupons/service.js';
import { recordReview } from '../../src/modules/feedback/service.js';
import { setTierFloor } from '../../src/modules/membership/service.js';
import { createChannel, defaultChannel, setMessagingSettings } from '../../src/modules/messaging/service.js';
import { ingestOrders } from '../../src/modules/orders/api.js';
import { credit } from '../../src/modules/points/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases } from '../helpers.js';

/**
 * Each built-in automation switched on and driven by the controllable clock: the message (or coupon) it
 * results in, its kind, that it comes once, and the case it must leave alone.
 */
describeBothDatabases('automations: the built-ins, one by one', (env) => {
  let storeId = '';
  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    env().setNow('2026-01-01T02:00:00.000Z');
    storeId = (await ensureStore(ctx, workspaceId, '内置店', 'taobao')).id;
    await defaultChannel(ctx, workspaceId);
    await setMessagingSettings(ctx, workspaceId, { smsSignature: '内置店' });
    await createChannel(ctx, workspaceId, { name: '邮件发件箱', kind: 'outbox', config: { medium: 'email' } });
  });

  const q = () => env().db.kysely;
  const ws = () => env().workspaceId;
  const at = (iso: string) => env().setNow(iso);
  const drain = () => createWorker(env().ctx, { handlers: jobHandlers }).drain();
  const daily = () => runDaily(env().ctx, ws());
  const on = (builtin: string, settings?: Record<string, unknown>) =>
    saveAutomation(env().ctx, ws(), { builtin, enabled: true, ...(settings ? { settings } : {}) });
  const send = (o: Record<string, unknown>) =>
    ingestOrders(env().ctx, ws(), {
      storeId,
      order: {
        totalFen: 5000,
        title: '面霜',
        acceptsMarketing: true,
        buyer: { nick: o.nick ?? '买家', phone: o.phone ?? '13900000001', email: o.email ?? null },
        // Paid when it was created unless said otherwise (an order without a paid time is no purchase).
        ...(o.status === 'created' ? {} : { paidAt: o.createdAt }),
        ...o,
      },
    });
  const customerOf = async (externalId: string) =>
    (
      await q()
        .selectFrom('orders')
        .select('customer_id')
        .where('workspace_id', '=', ws())
        .where('external_id', '=', externalId)
        .executeTakeFirstOrThrow()
    ).customer_id!;
  /** The messages an automation produced for a customer, oldest first. */
  const messages = (automationId: string, customerId: string) =>
    q()
      .selectFrom('messages as m')
      .innerJoin('automation_runs as r', (j) =>
        j.onRef('r.workspace_id', '=', 'm.workspace_id').onRef('r.id', '=', 'm.source_id'),
      )
      .select(['m.kind', 'm.medium', 'm.body', 'm.step', 'm.created_at', 'm.contact', 'm.status', 'm.reason'])
      .where('m.workspace_id', '=', ws())
      .where('m.source_type', '=', 'automation')
      .where('r.automation_id', '=', automationId)
      .where('r.customer_id', '=', customerId)
      .orderBy('m.created_at')
      .execute();
  const runs = (automationId: string, customerId: string) =>
    q()
      .selectFrom('automation_runs')
      .select(['id', 'status', 'trigger_key'])
      .where('workspace_id', '=', ws())
      .where('automation_id', '=', automationId)
      .where('customer_id', '=', customerId)
      .execute();
  const couponsOf = (customerId: string) =>
    q()
      .selectFrom('coupons')
      .select(['template_id', 'value_fen', 'source', 'valid_to'])
      .where('workspace_id', '=', ws())
      .where('customer_id', '=', customerId)
      .execute();

  it('退款关怀: an apology (care) and a compensation coupon capped at 50 % of the item, even if set higher', async () => {
    const t = await createTemplate(env().ctx, ws(), {
      name: '退款补偿',
      rules: { kind: 'cash', offFen: 1 },
      validity: { days: 30 },
      compensation: true,
    });
    const a = await on('refund_apology', { couponTemplateId: t.id, valueFen: 3000, capPercent: 80 });
    at('2026-02-10T02:00:00.000Z');
    const refunded = (x: string, goodsFen: number, phone: string) =>
      send({
        externalId: x,
        status: 'refunded',
        goodsFen,
        totalFen: goodsFen,
        refundedFen: goodsFen,
        createdAt: '2026-02-09T02:00:00Z',
        paidAt: '2026-02-09T02:01:00Z',
        closedAt: '2026-02-10T01:00:00Z',
        nick: `退${x}`,
        phone,
      });
    await refunded('RF1', 4000, '13900001001'); // 50 % of 40 yuan: 20 yuan, not 30
    await refunded('RF2', 10000, '13900001002'); // 30 yuan is under half of 100 yuan
    await drain();
    const c1 = await customerOf('RF1');
    const c2 = await customerOf('RF2');
    expect(await couponsOf(c1)).toEqual([expect.objectContaining({ value_fen: 2000, source: 'compensation' })]);
    expect(await couponsOf(c2)).toEqual([expect.objectContaining({ value_fen: 3000, source: 'compensation' })]);
    const [m, ...more] = await messages(a.id, c1);
    expect(more).toHaveLength(0);
    expect(m).toMatchObject({ kind: 'care', medium: 'sms', contact: '13900001001' });
    expect(m!.body).toContain('很抱歉');
    // The same refund seen again starts nothing new.
    await refunded('RF1', 4000, '13900001001');
    await drain();
    expect(await messages(a.id, c1)).toHaveLength(1);
    expect(await couponsOf(c1)).toHaveLength(1);
  });

  it('退款关怀 with an ordinary coupon template: no coupon worth more than half the item, with why', async () => {
    const t = await createTemplate(env().ctx, ws(), {
      name: '现金券30',
      rules: { kind: 'cash', offFen: 3000 },
      validity: { days: 30 },
    });
    const a = await on('refund_apology', { couponTemplateId: t.id });
    at('2026-02-20T02:00:00.000Z');
    const refunded = (x: string, goodsFen: number, phone: string) =>
      send({
        externalId: x,
        status: 'refunded',
        goodsFen,
        totalFen: goodsFen,
        refundedFen: goodsFen,
        createdAt: '2026-02-19T02:00:00Z',
        closedAt: '2026-02-20T01:00:00Z',
        nick: `退${x}`,
        phone,
      });
    await refunded('RF3', 4000, '13900001003'); // 30 yuan > half of 40 yuan
    await refunded('RF4', 10000, '13900001004');
    await drain();
    const small = await customerOf('RF3');
    expect(await couponsOf(small)).toHaveLength(0);
    expect(await couponsOf(await customerOf('RF4'))).toEqual([expect.objectContaining({ template_id: t.id })]);
    const [run] = await runs(a.id, small);
    const steps = await q()
      .selectFrom('automation_steps')
      .select(['step_id', 'status', 'reason_key'])
      .where('workspace_id', '=', ws())
      .where('run_id', '=', run!.id)
      .orderBy('step_id')
      .execute();
    expect(steps).toEqual([
      { step_id: 'apology', status: 'done', reason_key: null },
      { step_id: 'coupon', status: 'skipped', reason_key: 'automation.couponOverCap' },
    ]);
    expect(await messages(a.id, small)).toHaveLength(1);
  });

  it('复购提醒: reminds once the median interval of the category has passed, not before', async () => {
    const a = await on('refill');
    const buy = async (x: string, day: string, nick: string, phone: string) => {
      at(`${day}T02:00:00.000Z`);
      await send({
        externalId: x,
        status: 'paid',
        createdAt: `${day}T01:00:00Z`,
        paidAt: `${day}T01:00:00Z`,
        items: [{ title: '挂耳咖啡', category: '咖啡豆', quantity: 1, priceFen: 5000 }],
        nick,
        phone,
      });
    };
    // One regular buys every 10 days: the median interval of 咖啡豆 is 10 days.
    for (const [i, d] of ['2026-03-01', '2026-03-11', '2026-03-21', '2026-03-31'].entries())
      await buy(`CF${i}`, d, '咖啡常客', '13900002001');
    await buy('CFB', '2026-04-05', '咖啡新客', '13900002002');
    const b = await customerOf('CFB');
    at('2026-04-14T02:00:00.000Z'); // 9 days
    await daily();
    expect(await messages(a.id, b)).toHaveLength(0);
    at('2026-04-15T02:00:00.000Z'); // 10 days
    await daily();
    at('2026-04-16T02:00:00.000Z');
    await daily();
    const msgs = await messages(a.id, b);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: 'marketing', medium: 'sms' });
    expect(msgs[0]!.body).toContain('咖啡豆');
  });

  it('复购提醒 per product: each product’s own interval (by SKU, else title), the product named', async () => {
    const a = await on('refill', { refillBy: 'product' });
    const buy = async (x: string, day: string, item: Record<string, unknown>, nick: string, phone: string) => {
      at(`${day}T02:00:00.000Z`);
      await send({
        externalId: x,
        status: 'paid',
        createdAt: `${day}T01:00:00Z`,
        paidAt: `${day}T01:00:00Z`,
        title: item.title,
        items: [{ category: '护肤', quantity: 1, priceFen: 5000, ...item }],
        nick,
        phone,
      });
    };
    const mask = { title: '补水面膜', sku: 'MK-1' };
    const cleanser = { title: '氨基酸洗面奶' };
    // One category, two rhythms: a mask every 7 days, a cleanser every 30 (the category's median is 18.5).
    for (const [i, d] of ['2026-02-01', '2026-03-03', '2026-04-02', '2026-05-02'].entries())
      await buy(`FW${i}`, d, cleanser, '洗面奶常客', '13900002101');
    for (const [i, d] of ['2026-05-01', '2026-05-08', '2026-05-15', '2026-05-22'].entries())
      await buy(`MK${i}`, d, mask, '面膜常客', '13900002102');
    await buy('MKN', '2026-05-24', mask, '面膜新客', '13900002103');
    const n = await customerOf('MKN');
    at('2026-05-30T02:00:00.000Z'); // 6 days
    await daily();
    expect(await messages(a.id, n)).toHaveLength(0);
    at('2026-05-31T02:00:00.000Z'); // 7 days: the mask's interval, not the category's 18.5
    await daily();
    at('2026-06-01T02:00:00.000Z');
    await daily();
    const msgs = await messages(a.id, n);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.body).toContain('补水面膜');
    // The cleanser's regular is not due before 30 days (06-01): then once, naming the cleanser by its title.
    const fw = await customerOf('FW0');
    expect(await messages(a.id, fw)).toHaveLength(1);
    expect((await messages(a.id, fw))[0]!.body).toContain('氨基酸洗面奶');
    at('2026-06-02T02:00:00.000Z');
    await daily();
    expect(await messages(a.id, n)).toHaveLength(1);
    expect(await messages(a.id, fw)).toHaveLength(1);
    // The 30-day dry run (the history read once for its 30 days) counts the three product reminders.
    const dry = await dryRun(env().ctx, ws(), { id: a.id });
    expect(dry).toMatchObject({ triggered: 3, messages: 3 });
    // The history is read in keyset pages: pages of 2 lines read what one page does.
    for (const by of ['category', 'product'] as const) {
      const whole = await categoryHistory(env().ctx, ws(), by);
      const paged = await categoryHistory(env().ctx, ws(), by, 2);
      expect(paged.history).toEqual(whole.history);
      expect(whole.history.length).toBeGreaterThan(5);
    }
  });

  it('优惠券到期: an email 7 days before, an SMS the day before; an order meanwhile stops the SMS', async () => {
    const a = await on('coupon_expiry');
    const t = await createTemplate(env().ctx, ws(), {
      name: '满50减8',
      rules: { kind: 'spend_off', minFen: 5000, offFen: 800 },
      validity: { days: 10 },
    });
    at('2026-05-01T02:00:00.000Z');
    await send({
      externalId: 'CE1',
      status: 'paid',
      createdAt: '2026-05-01T01:00:00Z',
      nick: '券甲',
      phone: '13900003001',
      email: 'quan1@example.com',
    });
    await send({
      externalId: 'CE2',
      status: 'paid',
      createdAt: '2026-05-01T01:00:00Z',
      nick: '券乙',
      phone: '13900003002',
      email: 'quan2@example.com',
    });
    const c1 = await customerOf('CE1');
    const c2 = await customerOf('CE2');
    for (const c of [c1, c2])
      await issueCoupon(env().ctx, ws(), { templateId: t.id, customerId: c, key: `ce:${c}`, source: 'manual' });
    // valid until 2026-05-11 10:00 Shanghai
    at('2026-05-03T02:00:00.000Z');
    await daily();
    expect(await messages(a.id, c1)).toHaveLength(0);
    at('2026-05-04T02:00:00.000Z');
    await daily();
    await drain();
    const [email] = await messages(a.id, c1);
    expect(email).toMatchObject({ kind: 'marketing', medium: 'email', contact: 'quan1@example.com' });
    expect(email!.body).toContain('8');
    expect(email!.body).toContain('7 天后到期');
    // 券乙 orders again before the last day: no SMS for them.
    at('2026-05-06T02:00:00.000Z');
    await send({
      externalId: 'CE3',
      status: 'paid',
      createdAt: '2026-05-06T01:00:00Z',
      nick: '券乙',
      phone: '13900003002',
    });
    await drain();
    at('2026-05-10T02:00:00.000Z');
    await daily();
    await drain();
    const m1 = await messages(a.id, c1);
    expect(m1.map((m) => m.medium)).toEqual(['email', 'sms']);
    expect(m1[1]).toMatchObject({ kind: 'marketing', contact: '13900003001' });
    expect(m1[1]!.body).toContain('明天到期');
    expect((await messages(a.id, c2)).map((m) => m.medium)).toEqual(['email']);
    expect((await runs(a.id, c2))[0]!.status).toBe('exited');
  });

  it('节日关怀: 中秋 on its lunar date (2026-09-25) to buyers, once; none the day before', async () => {
    const a = await on('holiday', { holidays: ['中秋'] });
    at('2026-09-01T02:00:00.000Z');
    await send({
      externalId: 'HD1',
      status: 'paid',
      createdAt: '2026-09-01T01:00:00Z',
      nick: '节甲',
      phone: '13900004001',
    });
    await send({
      externalId: 'HD2',
      status: 'created',
      createdAt: '2026-09-01T01:00:00Z',
      nick: '节乙',
      phone: '13900004002',
    });
    await drain();
    const buyer = await customerOf('HD1');
    const unpaid = await customerOf('HD2');
    at('2026-09-24T02:00:00.000Z');
    await daily();
    expect(await messages(a.id, buyer)).toHaveLength(0);
    at('2026-09-25T02:00:00.000Z');
    await daily();
    await daily();
    const msgs = await messages(a.id, buyer);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: 'marketing', medium: 'sms' });
    expect(msgs[0]!.body).toContain('中秋快乐');
    expect(msgs[0]!.body).toContain('内置店');
    expect(await messages(a.id, unpaid)).toHaveLength(0);
  });

  it('付款确认 once per paid order; 新会员欢迎 only after the first; a payment seen too late gets no confirmation', async () => {
    const pay = await on('payment_confirm');
    const welcome = await on('new_member');
    at('2026-10-10T02:00:00.000Z');
    await send({
      externalId: 'NM1',
      status: 'paid',
      createdAt: '2026-10-10T01:58:00Z',
      nick: '新甲',
      phone: '13900005001',
    });
    await drain();
    const c = await customerOf('NM1');
    const [confirm] = await messages(pay.id, c);
    expect(confirm).toMatchObject({ kind: 'care', medium: 'sms', contact: '13900005001' });
    expect(confirm!.body).toContain('NM1');
    expect(confirm!.body).toContain('已付款成功');
    const [hello, ...more] = await messages(welcome.id, c);
    expect(more).toHaveLength(0);
    expect(hello).toMatchObject({ kind: 'care', medium: 'sms' });
    expect(hello!.body).toContain('欢迎新甲成为内置店的会员');
    at('2026-10-11T02:00:00.000Z');
    await send({
      externalId: 'NM2',
      status: 'paid',
      createdAt: '2026-10-11T01:58:00Z',
      nick: '新甲',
      phone: '13900005001',
    });
    await send({
      externalId: 'NM1',
      status: 'paid',
      createdAt: '2026-10-10T01:58:00Z',
      nick: '新甲',
      phone: '13900005001',
    });
    await drain();
    const confirms = await messages(pay.id, c);
    expect(confirms.map((m) => /NM\d/.exec(m.body ?? '')?.[0])).toEqual(['NM1', 'NM2']);
    expect(await messages(welcome.id, c)).toHaveLength(1);
    // Paid five hours before it was seen: 付款确认 is past its 4 hours.
    at('2026-10-12T07:00:00.000Z');
    await send({
      externalId: 'NM3',
      status: 'paid',
      createdAt: '2026-10-12T02:00:00Z',
      nick: '新乙',
      phone: '13900005002',
    });
    await drain();
    const late = await customerOf('NM3');
    expect(await messages(pay.id, late)).toHaveLength(0);
    expect((await runs(pay.id, late))[0]!.status).toBe('skipped');
  });

  it('发货通知: the courier and tracking number in a care SMS, once per order', async () => {
    const a = await on('shipping_notice');
    at('2026-10-14T02:00:00.000Z');
    const shipped = () =>
      send({
        externalId: 'SH1',
        status: 'shipped',
        createdAt: '2026-10-13T02:00:00Z',
        shippedAt: '2026-10-14T01:30:00Z',
        courier: '中通快递',
        trackingNo: 'ZT7788990011',
        nick: '发甲',
        phone: '13900006001',
      });
    await shipped();
    await drain();
    await shipped();
    await drain();
    const msgs = await messages(a.id, await customerOf('SH1'));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: 'care', medium: 'sms', contact: '13900006001' });
    expect(msgs[0]!.body).toContain('中通快递');
    expect(msgs[0]!.body).toContain('ZT7788990011');
    expect(msgs[0]!.body).toContain('SH1');
  });

  it('签收关怀: 10:00 local the day after signing (before or after 10:00), naming the item; not before', async () => {
    const a = await on('delivery_care');
    at('2026-10-16T06:00:00.000Z'); // 14:00 in Shanghai
    await send({
      externalId: 'SG1',
      status: 'signed',
      title: '玻尿酸精华',
      createdAt: '2026-10-13T02:00:00Z',
      shippedAt: '2026-10-14T02:00:00Z',
      signedAt: '2026-10-16T05:00:00Z',
      nick: '签甲',
      phone: '13900007001',
    });
    // Signed at 08:00 the same day: also the next morning.
    await send({
      externalId: 'SG2',
      status: 'signed',
      createdAt: '2026-10-13T02:00:00Z',
      shippedAt: '2026-10-14T02:00:00Z',
      signedAt: '2026-10-16T00:00:00Z',
      nick: '签乙',
      phone: '13900007002',
    });
    await drain();
    const c = await customerOf('SG1');
    const early = await customerOf('SG2');
    at('2026-10-17T01:59:00.000Z');
    await drain();
    expect(await messages(a.id, c)).toHaveLength(0);
    expect(await messages(a.id, early)).toHaveLength(0);
    at('2026-10-17T02:00:00.000Z'); // not 10-18: signed after 10:00 is still 次日上午
    await drain();
    const msgs = await messages(a.id, c);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: 'care', medium: 'sms' });
    expect(msgs[0]!.body).toContain('玻尿酸精华');
    expect(await messages(a.id, early)).toHaveLength(1);
  });

  it('回访: the category’s buyers asked N days after signing; points only for a photo review within 5 days', async () => {
    const a = await on('revisit', { categories: ['美妆'], days: 14, points: 50 });
    at('2026-09-01T04:00:00.000Z'); // 12:00 in Shanghai
    const signed = (externalId: string, category: string, nick: string, phone: string) =>
      send({
        externalId,
        status: 'signed',
        title: `${category}好物`,
        items: [{ title: `${category}好物`, category, quantity: 1, priceFen: 5000 }],
        createdAt: '2026-08-28T02:00:00Z',
        shippedAt: '2026-08-29T02:00:00Z',
        signedAt: '2026-09-01T03:00:00Z',
        nick,
        phone,
      });
    await signed('RV1', '美妆', '回甲', '13900009101'); // reviews with photos within 5 days of the ask
    await signed('RV2', '美妆', '回乙', '13900009102'); // reviews without photos
    await signed('RV3', '美妆', '回丙', '13900009103'); // reviews with photos, but a day too late
    await signed('RV4', '服装', '回丁', '13900009104'); // another category: not asked
    await drain();
    const [c1, c2, c3, c4] = await Promise.all(['RV1', 'RV2', 'RV3', 'RV4'].map(customerOf));
    const pointsOf = async (customerId: string) =>
      (
        await q()
          .selectFrom('points_entries')
          .select('points')
          .where('workspace_id', '=', ws())
          .where('customer_id', '=', customerId)
          .where('source', '=', 'automation')
          .execute()
      ).reduce((n, e) => n + e.points, 0);
    // 10:00 on the 14th local day after signing (09-01 + 14 = 09-15), not before.
    at('2026-09-15T01:59:00.000Z');
    await drain();
    expect(await messages(a.id, c1!)).toHaveLength(0);
    at('2026-09-15T02:00:00.000Z');
    await drain();
    for (const c of [c1!, c2!, c3!]) expect((await messages(a.id, c)).map((m) => m.kind)).toEqual(['care']);
    expect((await messages(a.id, c1!))[0]!.body).toContain('美妆好物');
    expect(await messages(a.id, c4!)).toHaveLength(0);
    expect((await runs(a.id, c4!)).map((r) => r.status)).toEqual(['exited']); // the category condition
    // Being asked earns nothing.
    expect(await pointsOf(c1!)).toBe(0);

    const review = async (externalId: string, customerId: string, hasPhoto: boolean, reviewedAt: string) => {
      at(reviewedAt);
      const o = await q()
        .selectFrom('orders')
        .select('id')
        .where('workspace_id', '=', ws())
        .where('external_id', '=', externalId)
        .executeTakeFirstOrThrow();
      await recordReview(env().ctx, ws(), customerId, { orderId: o.id, rating: 'good', hasPhoto, reviewedAt });
    };
    await review('RV1', c1!, true, '2026-09-17T02:00:00.000Z');
    await review('RV2', c2!, false, '2026-09-17T02:00:00.000Z');
    at('2026-09-20T01:59:00.000Z');
    await drain();
    expect(await pointsOf(c1!)).toBe(0);
    at('2026-09-20T02:00:00.000Z');
    await drain();
    await review('RV3', c3!, true, '2026-09-21T02:00:00.000Z');
    at('2026-09-22T02:00:00.000Z');
    await drain();
    expect(await pointsOf(c1!)).toBe(50);
    expect(await pointsOf(c2!)).toBe(0);
    expect(await pointsOf(c3!)).toBe(0);
    const status = async (c: string) => (await runs(a.id, c)).map((r) => r.status);
    expect(await status(c1!)).toEqual(['done']);
    expect(await status(c2!)).toEqual(['exited']);
    expect(await status(c3!)).toEqual(['exited']);
    // Once: more time and more drains add nothing.
    at('2026-10-30T02:00:00.000Z');
    await drain();
    expect(await pointsOf(c1!)).toBe(50);
    expect(await messages(a.id, c1!)).toHaveLength(1);
  });

  it('会员升级: congratulations naming the new tier, once per upgrade', async () => {
    const a = await on('member_upgrade');
    at('2026-10-20T02:00:00.000Z');
    await send({
      externalId: 'MU1',
      status: 'paid',
      createdAt: '2026-10-20T01:00:00Z',
      nick: '升甲',
      phone: '13900008001',
    });
    await drain();
    const c = await customerOf('MU1');
    await setTierFloor(env().ctx, ws(), c, 'gold', '老客户', null);
    await daily();
    at('2026-10-21T02:00:00.000Z');
    await daily();
    const msgs = await messages(a.id, c);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: 'care', medium: 'sms' });
    expect(msgs[0]!.body).toContain('恭喜升甲升级为金卡');
  });

  it('积分到期: a reminder with the points 7 days before they expire, once; not earlier', async () => {
    const a = await on('points_expiry');
    at('2026-10-25T02:00:00.000Z');
    await send({
      externalId: 'PT1',
      status: 'paid',
      createdAt: '2026-10-25T01:00:00Z',
      nick: '积甲',
      phone: '13900009001',
    });
    await drain();
    const c = await customerOf('PT1');
    await credit(env().ctx, ws(), {
      customerId: c,
      points: 321,
      kind: 'adjust',
      source: 'manual',
      key: 'pt1',
      expiresAt: '2026-11-10T04:00:00.000Z', // 12:00 on 11-10 in Shanghai
    });
    at('2026-11-02T02:00:00.000Z');
    await daily();
    expect(await messages(a.id, c)).toHaveLength(0);
    at('2026-11-03T02:00:00.000Z');
    await daily();
    await daily();
    const msgs = await messages(a.id, c);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: 'marketing', medium: 'sms' });
    expect(msgs[0]!.body).toMatch(/\d+积分即将到期/);
  });

  it('沉睡唤醒: one message at 90 days without an order, not again at that stage; the next at 180', async () => {
    at('2026-11-05T02:00:00.000Z');
    await send({
      externalId: 'WB1',
      status: 'paid',
      createdAt: '2026-11-05T01:00:00Z',
      nick: '睡甲',
      phone: '13900010001',
    });
    await drain();
    const c = await customerOf('WB1');
    const a = await on('winback');
    at('2027-02-02T02:00:00.000Z'); // 89 days
    await daily();
    expect(await messages(a.id, c)).toHaveLength(0);
    at('2027-02-04T02:00:00.000Z'); // 91 days
    await daily();
    at('2027-02-20T02:00:00.000Z');
    await daily();
    const msgs = await messages(a.id, c);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: 'marketing', medium: 'sms' });
    expect(msgs[0]!.body).toContain('睡甲，好久不见');
    at('2027-05-05T02:00:00.000Z'); // 181 days
    await daily();
    expect(await messages(a.id, c)).toHaveLength(2);
  });

  it('the dry run counts as not sent the messages of a step that cannot send: no signature, no channel', async () => {
    // Still 2027-05-05: 睡甲 reached the 180-day stage the day before.
    const a = (await q()
      .selectFrom('automations')
      .select('id')
      .where('workspace_id', '=', ws())
      .where('builtin', '=', 'winback')
      .executeTakeFirst())!;
    const held = (d: { skipped: { count: number }[] }) => d.skipped.reduce((n, x) => n + x.count, 0);
    const dry = await dryRun(env().ctx, ws(), { id: a.id });
    expect(dry.messages).toBeGreaterThan(0);
    expect(dry.blocked).toEqual([]);
    await setMessagingSettings(env().ctx, ws(), { smsSignature: '' });
    try {
      // The switched-on automation sends none of them (its step is skipped: sms.noSignature); the dry run says so.
      const unsigned = await dryRun(env().ctx, ws(), { id: a.id });
      expect(unsigned).toMatchObject({ messages: 0, customers: 0, costFen: 0, skipped: [] });
      expect(unsigned.blocked).toEqual([
        { reason: expect.any(String), count: dry.messages + held(dry), why: { key: 'sms.noSignature', params: {} } },
      ]);
    } finally {
      await setMessagingSettings(env().ctx, ws(), { smsSignature: '内置店' });
    }
    const wechat = await dryRun(env().ctx, ws(), {
      definition: {
        name: '微信唤醒',
        trigger: { type: 'date', date: 'dormant', daysBefore: 0, stages: [90, 180, 365] },
        steps: [{ id: 'wx', type: 'message', medium: 'wechat', kind: 'care', text: '好久不见' }],
      },
    });
    expect(wechat.messages).toBe(0);
    expect(wechat.blocked).toMatchObject([{ count: dry.triggered, why: { key: 'automation.noChannel' } }]);
  });

  it('生日关怀: wishes and a birthday coupon 3 days before, once a year; not earlier', async () => {
    const t = await createTemplate(env().ctx, ws(), {
      name: '生日券',
      rules: { kind: 'birthday', minFen: 0, offFen: 1000 },
      validity: { days: 14 },
    });
    const a = await on('birthday', { couponTemplateId: t.id });
    at('2027-06-01T02:00:00.000Z');
    await send({
      externalId: 'BD1',
      status: 'paid',
      createdAt: '2027-06-01T01:00:00Z',
      nick: '寿星',
      phone: '13900011001',
    });
    await drain();
    const c = await customerOf('BD1');
    await q()
      .updateTable('customers')
      .set({ birthday: '1990-06-20' })
      .where('workspace_id', '=', ws())
      .where('id', '=', c)
      .execute();
    at('2027-06-16T02:00:00.000Z');
    await daily();
    expect(await messages(a.id, c)).toHaveLength(0);
    expect(await couponsOf(c)).toHaveLength(0);
    at('2027-06-17T02:00:00.000Z');
    await daily();
    await daily();
    const msgs = await messages(a.id, c);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: 'marketing', medium: 'sms' });
    expect(msgs[0]!.body).toContain('亲爱的寿星，内置店祝您生日快乐');
    expect(await couponsOf(c)).toEqual([expect.objectContaining({ template_id: t.id, source: 'automation' })]);
  });
});
