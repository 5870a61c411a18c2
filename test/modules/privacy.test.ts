import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentChanges } from '../../src/core/consent.js';
import { scrubRaw, scrubText } from '../../src/core/privacy.js';
import type { OrderRecord } from '../../src/core/formats/types.js';
import { roleAllows } from '../../src/modules/auth/permissions.js';
import { createUser } from '../../src/modules/auth/service.js';
import { mergeCustomers } from '../../src/modules/customers/merge.js';
import { eraseCustomer } from '../../src/modules/privacy/erase.js';
import { createChannel, handleReply, unsubscribe } from '../../src/modules/messaging/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { addNote } from '../../src/modules/tags/service.js';
import { buildServer } from '../../src/server.js';
import type { Store } from '../../src/db/types.js';
import { describeBothDatabases, scratchDir, type TestEnv } from '../helpers.js';
import { orderRecord } from '../support/records.js';

describe('consent changes', () => {
  it('a new customer records only what says something; a change records old → new', () => {
    expect(consentChanges(null, { marketing_consent: 'unknown' })).toEqual([]);
    expect(consentChanges(null, { marketing_consent: 'granted', opt_out_sms: 1 })).toEqual([
      { channel: 'marketing', oldValue: null, newValue: 'granted' },
      { channel: 'sms', oldValue: null, newValue: 'opted_out' },
    ]);
    const before = { marketing_consent: 'granted', opt_out_sms: 0, opt_out_email: 1, opt_out_wechat: 0 };
    expect(consentChanges(before, { marketing_consent: 'granted', opt_out_email: 0, opt_out_wechat: 0 })).toEqual([
      { channel: 'email', oldValue: 'opted_out', newValue: 'subscribed' },
    ]);
  });
});

describe('erasing text and export columns', () => {
  it('keeps bookkeeping columns and erases everything personal', () => {
    expect(
      scrubRaw({
        买家支付宝账号: 'lily@alipay.cn',
        修改后的收货地址: '江苏省南京市鼓楼区中山路1号',
        'Billing Phone': '+86 138 0013 8000',
        订单金额: '128.00',
        订单付款时间: '2026-03-01 10:00:00',
        订单状态: '交易成功',
        运费: '13800138000',
      }),
    ).toEqual({
      买家支付宝账号: '[已删除]',
      修改后的收货地址: '[已删除]',
      'Billing Phone': '[已删除]',
      订单金额: '128.00',
      订单付款时间: '2026-03-01 10:00:00',
      订单状态: '交易成功',
      运费: '[已删除]',
    });
    expect(scrubText('回访 张丽丽 13800138000 lily@qq.com', ['张丽丽'])).toBe('回访 *** *** ***');
  });
  it('only owners and admins may erase', () => {
    expect(roleAllows('owner', 'customers:erase')).toBe(true);
    expect(roleAllows('admin', 'customers:erase')).toBe(true);
    for (const r of ['marketer', 'agent', 'analyst']) expect(roleAllows(r, 'customers:erase')).toBe(false);
  });
});

const PHONE = '13912345678';
const NICK = 'lily_小丽';
const NAME = '张丽丽';
const ADDRESS = '江苏省南京市鼓楼区中山路88号';
const ALIPAY = 'lily.pay@example.com';

const lilyOrder = (n: number, over: Partial<OrderRecord> = {}) =>
  orderRecord({
    line: n,
    externalId: `PIPL-${n}`,
    createdAt: `2026-0${n}-10T02:00:00.000Z`,
    paidFen: 12800 * n,
    buyer: { nick: NICK, externalId: null, email: null, phone: PHONE, name: NAME },
    receiverName: NAME,
    receiverPhone: PHONE,
    province: '江苏省',
    city: '南京市',
    district: '鼓楼区',
    address: ADDRESS,
    buyerMessage: `请打电话 ${PHONE}`,
    title: '针织开衫',
    acceptsMarketing: true,
    raw: { 买家支付宝账号: ALIPAY, 修改后的收货地址: ADDRESS, 订单金额: `${128 * n}.00` },
    ...over,
  });

describeBothDatabases('personal data requests', (env) => {
  let app: FastifyInstance;
  let store: Store;
  let lily = '';
  let owner = '';
  let marketer = '';
  let token = '';

  const ingest = (e: TestEnv, records: OrderRecord[], source = 'import:taobao') =>
    e.db.kysely
      .transaction()
      .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: source }, records));

  const call = async (method: string, url: string, auth: string, payload?: object, extra: object = {}) => {
    const headers: Record<string, string> = { 'x-huike-client': 'test', ...extra };
    if (auth.startsWith('t.')) headers.authorization = `Bearer ${auth}`;
    else headers.cookie = auth;
    const res = await app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers,
      ...(payload ? { payload } : {}),
    });
    return res;
  };
  const signIn = async (login: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-huike-client': 'test' },
      payload: { login, password: `${login}-password` },
    });
    expect(res.statusCode).toBe(200);
    return String(res.headers['set-cookie']).split(';')[0]!;
  };

  /** Every text of the database that belongs to the customer, as one string to search. */
  const everything = async (e: TestEnv, id: string) => {
    const k = e.db.kysely;
    const ws = e.workspaceId;
    const parts = await Promise.all([
      k.selectFrom('customers').selectAll().where('workspace_id', '=', ws).where('id', '=', id).execute(),
      k
        .selectFrom('customer_identities')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', id)
        .execute(),
      k.selectFrom('orders').selectAll().where('workspace_id', '=', ws).where('customer_id', '=', id).execute(),
      k.selectFrom('notes').selectAll().where('workspace_id', '=', ws).where('customer_id', '=', id).execute(),
      k.selectFrom('messages').selectAll().where('workspace_id', '=', ws).where('customer_id', '=', id).execute(),
      k
        .selectFrom('inbound_replies')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', id)
        .execute(),
      k.selectFrom('customer_merges').selectAll().where('workspace_id', '=', ws).execute(),
    ]);
    return JSON.stringify(parts);
  };

  beforeAll(async () => {
    const e = env();
    store = await ensureStore(e.ctx, e.workspaceId, '隐私测试店', 'taobao');
    await createUser(e.ctx, e.workspaceId, { login: 'boss', password: 'boss-password', role: 'owner' });
    await createUser(e.ctx, e.workspaceId, { login: 'mkt', password: 'mkt-password', role: 'marketer' });
    app = await buildServer(e.ctx, { dataDir: scratchDir('huike-pipl-') });
    owner = await signIn('boss');
    marketer = await signIn('mkt');
    const t = await call('POST', '/auth/tokens', owner, { name: 'crm-sync' });
    token = t.json().token;
    await ingest(e, [lilyOrder(1), lilyOrder(2)]);
    lily = (
      await e.db.kysely
        .selectFrom('customers')
        .select('id')
        .where('workspace_id', '=', e.workspaceId)
        .where('display_name', '=', NICK)
        .executeTakeFirstOrThrow()
    ).id;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('records every consent and opt-out change with its channel, source and time', async () => {
    const e = env();
    // The import said yes; a later export says no.
    e.setNow('2026-11-23T05:00:00.000Z');
    await ingest(e, [lilyOrder(3, { acceptsMarketing: false })], 'import:shopify');
    e.setNow('2026-11-23T06:00:00.000Z');
    expect((await call('PATCH', `/customers/${lily}`, owner, { optOutWechat: true })).statusCode).toBe(200);
    e.setNow('2026-11-23T07:00:00.000Z');
    expect((await call('PATCH', `/customers/${lily}`, token, { marketingConsent: 'granted' })).statusCode).toBe(200);
    // The same value again is no change.
    expect((await call('PATCH', `/customers/${lily}`, token, { marketingConsent: 'granted' })).statusCode).toBe(200);
    e.setNow('2026-11-23T08:00:00.000Z');
    const sms = await createChannel(e.ctx, e.workspaceId, { name: '短信', kind: 'outbox', config: { medium: 'sms' } });
    await handleReply(e.ctx, e.workspaceId, { channelId: sms.id, from: `+86 ${PHONE}`, text: '退订' });
    e.setNow('2026-11-23T09:00:00.000Z');
    const mail = await createChannel(e.ctx, e.workspaceId, {
      name: '邮件',
      kind: 'outbox',
      config: { medium: 'email' },
    });
    await e.db.kysely
      .insertInto('messages')
      .values({
        workspace_id: e.workspaceId,
        id: 'm-pipl-1',
        source_type: 'test',
        source_id: 't1',
        step: 'main',
        customer_id: lily,
        channel_id: mail.id,
        kind: 'marketing',
        medium: 'email',
        variant: null,
        status: 'sent',
        reason: null,
        detail: null,
        contact: 'lily@example.com',
        contact_key: 'email:lily@example.com',
        subject: `${NAME}，双11 专享`,
        body: `亲爱的${NAME}，您的积分……`,
        send_at: null,
        sent_at: '2026-11-23T09:00:00.000Z',
        error: null,
        provider_ref: null,
        created_at: '2026-11-23T09:00:00.000Z',
        updated_at: '2026-11-23T09:00:00.000Z',
      })
      .execute();
    await e.db.kysely
      .insertInto('message_links')
      .values({
        workspace_id: e.workspaceId,
        code: `${e.workspaceId}.unsub1`,
        message_id: 'm-pipl-1',
        customer_id: lily,
        kind: 'unsubscribe',
        url: null,
        first_clicked_at: null,
        last_clicked_at: null,
        created_at: '2026-11-23T09:00:00.000Z',
      })
      .execute();
    expect(await unsubscribe(e.ctx, `${e.workspaceId}.unsub1`)).toBe(true);

    const history = (await call('GET', `/customers/${lily}/consent`, marketer)).json().items;
    expect(
      history.map((h: Record<string, unknown>) => [h.channel, h.oldValue, h.newValue, h.source, h.by, h.at]),
    ).toEqual([
      ['email', 'subscribed', 'opted_out', 'unsubscribe', null, '2026-11-23T09:00:00.000Z'],
      ['sms', 'subscribed', 'opted_out', 'reply', null, '2026-11-23T08:00:00.000Z'],
      ['marketing', 'denied', 'granted', 'api', 'boss', '2026-11-23T07:00:00.000Z'],
      ['wechat', 'subscribed', 'opted_out', 'console', 'boss', '2026-11-23T06:00:00.000Z'],
      ['marketing', 'granted', 'denied', 'import', null, '2026-11-23T05:00:00.000Z'],
      ['marketing', null, 'granted', 'import', null, '2026-11-23T04:00:00.000Z'],
    ]);
    expect(history[1].detail).toContain('退订');
    expect(history[4].detail).toContain('import:shopify');
  });

  it("a merge carries the merged customer's history and records the opt-outs it brings", async () => {
    const e = env();
    await ingest(e, [
      orderRecord({
        externalId: 'PIPL-OTHER',
        createdAt: '2026-05-01T02:00:00.000Z',
        paidFen: 100,
        acceptsMarketing: false,
        buyer: { nick: 'other_buyer', externalId: null, email: null, phone: null, name: null },
      }),
      orderRecord({
        externalId: 'PIPL-TARGET',
        createdAt: '2026-05-01T02:00:00.000Z',
        paidFen: 100,
        acceptsMarketing: true,
        buyer: { nick: 'target_buyer', externalId: null, email: null, phone: null, name: null },
      }),
    ]);
    const idOf = async (nick: string) =>
      (
        await e.db.kysely
          .selectFrom('customers')
          .select('id')
          .where('workspace_id', '=', e.workspaceId)
          .where('display_name', '=', nick)
          .executeTakeFirstOrThrow()
      ).id;
    const other = await idOf('other_buyer');
    const target = await idOf('target_buyer');
    await mergeCustomers(e.ctx, e.workspaceId, target, other, null);
    const history = (await call('GET', `/customers/${target}/consent`, owner)).json().items;
    expect(history.map((h: Record<string, unknown>) => [h.channel, h.oldValue, h.newValue, h.source])).toEqual([
      ['marketing', 'granted', 'denied', 'merge'],
      ['marketing', null, 'granted', 'import'],
      ['marketing', null, 'denied', 'import'],
    ]);
  });

  it('exports everything held about a customer as JSON and as a zip of CSVs, and records it', async () => {
    const e = env();
    await addNote(e.ctx, e.workspaceId, lily, `VIP，住${ADDRESS}，电话${PHONE}`, null);
    const res = await call('GET', `/customers/${lily}/data-export`, owner);
    expect(res.statusCode).toBe(200);
    const data = res.json();
    expect(data.sections.profile[0]).toMatchObject({ id: lily, phone: PHONE, real_name: NAME });
    expect(data.sections.orders).toHaveLength(3);
    expect(data.sections.orders.find((o: { external_id: string }) => o.external_id === 'PIPL-1').raw).toMatchObject({
      买家支付宝账号: ALIPAY,
    });
    expect(data.sections.order_items).toBeDefined();
    expect(data.sections.identities.map((i: { value: string }) => i.value).sort()).toEqual([PHONE, NICK].sort());
    expect(data.sections.notes).toHaveLength(1);
    expect(data.sections.messages[0].contact).toBe('lily@example.com');
    expect(data.sections.consent_history.length).toBeGreaterThanOrEqual(6);
    for (const s of ['points', 'coupons', 'tags', 'groups', 'reviews', 'replies', 'member_tier', 'stats'])
      expect(Array.isArray(data.sections[s])).toBe(true);

    const zip = await call('GET', `/customers/${lily}/data-export.zip`, owner);
    expect(zip.statusCode).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    const bytes = zip.rawPayload;
    expect(bytes.subarray(0, 4).toString('hex')).toBe('504b0304');
    for (const name of ['profile.csv', 'orders.csv', 'consent_history.csv', 'customer.json'])
      expect(bytes.includes(Buffer.from(name))).toBe(true);

    const requests = (await call('GET', `/customers/${lily}/pipl-requests`, owner)).json().items;
    expect(requests.map((r: { kind: string; by: string }) => [r.kind, r.by])).toEqual([
      ['export', 'boss'],
      ['export', 'boss'],
    ]);
  });

  it('erases the personal data everywhere, keeps the amounts, and records who erased what', async () => {
    const e = env();
    const spentBefore = await e.db.kysely
      .selectFrom('customer_stats')
      .select(['total_spent_fen', 'paid_orders'])
      .where('workspace_id', '=', e.workspaceId)
      .where('customer_id', '=', lily)
      .executeTakeFirstOrThrow();
    expect((await call('POST', `/customers/${lily}/erase`, owner, { confirm: 'someone else' })).statusCode).toBe(400);
    const res = await call('POST', `/customers/${lily}/erase`, owner, { confirm: NICK, reason: '客户来电要求删除' });
    expect(res.statusCode).toBe(200);
    expect(res.json().summary).toMatchObject({ identities: 2, orders: 3, notes: 1, messages: 1, replies: 2 });

    const all = await everything(e, lily);
    for (const pii of [PHONE, NICK, NAME, ADDRESS, ALIPAY, 'lily@example.com', '中山路'])
      expect(all, `${pii} is still stored`).not.toContain(pii);
    const orders = await e.db.kysely
      .selectFrom('orders')
      .selectAll()
      .where('workspace_id', '=', e.workspaceId)
      .where('customer_id', '=', lily)
      .orderBy('external_id')
      .execute();
    expect(orders.map((o) => [o.paid_fen, o.created_at, o.province, o.city])).toEqual([
      [12800, '2026-01-10T02:00:00.000Z', '江苏省', '南京市'],
      [25600, '2026-02-10T02:00:00.000Z', '江苏省', '南京市'],
      [38400, '2026-03-10T02:00:00.000Z', '江苏省', '南京市'],
    ]);
    const spentAfter = await e.db.kysely
      .selectFrom('customer_stats')
      .select(['total_spent_fen', 'paid_orders'])
      .where('workspace_id', '=', e.workspaceId)
      .where('customer_id', '=', lily)
      .executeTakeFirstOrThrow();
    expect(spentAfter).toEqual(spentBefore);
    const c = (await call('GET', `/customers/${lily}`, owner)).json();
    expect(c).toMatchObject({ phone: null, realName: null, marketingConsent: 'denied' });
    expect(c.flags).toMatchObject({ optOutSms: true, optOutEmail: true, optOutWechat: true });
    const requests = (await call('GET', `/customers/${lily}/pipl-requests`, owner)).json().items;
    expect(requests[0]).toMatchObject({ kind: 'erase', by: 'boss', reason: '客户来电要求删除' });
    expect((await call('GET', `/customers/${lily}/consent`, owner)).json().items[0].source).toBe('erasure');
  });

  it('re-importing the old export does not bring the person back; a later order is a new customer', async () => {
    const e = env();
    const customersBefore = await e.db.kysely
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', e.workspaceId)
      .executeTakeFirstOrThrow();
    // The same file again, and an older order of hers that was never imported, and a status change.
    const s = await ingest(e, [
      lilyOrder(1),
      lilyOrder(2, { status: 'refunded', refundedFen: 25600 }),
      lilyOrder(4, { createdAt: '2026-04-10T02:00:00.000Z' }),
    ]);
    expect(s.customersCreated).toBe(0);
    const customersAfter = await e.db.kysely
      .selectFrom('customers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', e.workspaceId)
      .executeTakeFirstOrThrow();
    expect(Number(customersAfter.n)).toBe(Number(customersBefore.n));
    const all = await everything(e, lily);
    for (const pii of [PHONE, NICK, NAME, ADDRESS, ALIPAY]) expect(all, `${pii} came back`).not.toContain(pii);
    const orders = await e.db.kysely
      .selectFrom('orders')
      .select(['external_id', 'customer_id', 'refunded_fen'])
      .where('workspace_id', '=', e.workspaceId)
      .where('external_id', 'like', 'PIPL-%')
      .orderBy('external_id')
      .execute();
    expect(orders.filter((o) => o.customer_id === lily).map((o) => o.external_id)).toEqual([
      'PIPL-1',
      'PIPL-2',
      'PIPL-3',
      'PIPL-4',
    ]);
    expect(orders.find((o) => o.external_id === 'PIPL-2')?.refunded_fen).toBe(25600);

    // She comes back and orders again after the erasure: a new relationship, a new customer.
    const later = await ingest(e, [lilyOrder(5, { createdAt: '2026-11-24T02:00:00.000Z' })]);
    expect(later.customersCreated).toBe(1);
  });

  it('an erased customer cannot be merged', async () => {
    const e = env();
    const other = await e.db.kysely
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .where('display_name', '=', NICK)
      .executeTakeFirstOrThrow();
    await expect(mergeCustomers(e.ctx, e.workspaceId, other.id, lily, null)).rejects.toThrow(/erased/);
  });

  it('an erased customer can no longer be changed: points, tier, opt-outs, notes, another erasure', async () => {
    for (const [method, url, body] of [
      ['POST', `/customers/${lily}/points/earn`, { points: 20, reason: '补偿' }],
      ['PATCH', `/customers/${lily}`, { optOutSms: false }],
      ['POST', `/customers/${lily}/notes`, { body: '回访' }],
      ['POST', `/customers/${lily}/erase`, { confirm: '[已删除]' }],
    ] as const) {
      const r = await call(method, url, owner, body);
      expect(r.statusCode, `${method} ${url}`).toBe(409);
      expect(r.json().error.reason.key).toBe('customer.erased');
    }
    // Reading stays: the file is kept for the figures.
    const read = await call('GET', `/customers/${lily}`, owner);
    expect(read.statusCode).toBe(200);
    // The console shows the file read-only (the actions were still offered).
    expect(read.json().erased).toBe(true);
  });

  it('nor by a route that names her in its body, a selection, or a background pass (points sync, tiers)', async () => {
    const e = env();
    const ws = e.workspaceId;
    const k = e.db.kysely;
    const other = (
      await k
        .selectFrom('customers')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('id', '!=', lily)
        .where('erased_at', 'is', null)
        .executeTakeFirstOrThrow()
    ).id;
    const template = (
      await call('POST', '/coupons/templates', owner, {
        name: '满100减10',
        rules: { kind: 'spend_off', minFen: 10_000, offFen: 1_000 },
        validity: { days: 30 },
      })
    ).json();
    const reward = (
      await call('POST', '/points/rewards', owner, { name: '帆布袋', kind: 'gift', pointsCost: 1, stock: 5 })
    ).json();
    const survey = (
      await call('POST', '/surveys', owner, {
        name: '满意度',
        title: '请打分',
        questions: [{ id: 'overall', kind: 'score', label: '满意吗' }],
      })
    ).json();
    for (const [url, body] of [
      [`/coupons/templates/${template.id}/issue`, { customerId: lily }],
      [`/points/rewards/${reward.id}/redeem`, { customerId: lily }],
      ['/tasks', { type: 'revisit', customerId: lily, dueAt: '2026-12-01T02:00:00.000Z', title: '回访' }],
      [`/surveys/${survey.id}/invitations`, { customerId: lily }],
    ] as const) {
      const r = await call('POST', url, owner, body, { 'idempotency-key': `erased ${url}` });
      expect(r.statusCode, `POST ${url}: ${r.body}`).toBe(409);
      expect(r.json().error.reason.key, `POST ${url}`).toBe('customer.erased');
    }
    // A selection that holds her: the others are tagged and grouped, she is passed by and counted.
    const tagged = await call('POST', '/tags/apply', owner, { customerIds: [lily, other], add: ['抽检'] });
    expect(tagged.statusCode).toBe(200);
    expect(tagged.json()).toEqual({ customers: 1, erased: 1 });
    const group = (await call('POST', '/groups', owner, { name: '抽检组' })).json();
    const joined = await call('POST', `/groups/${group.id}/members`, owner, { add: [lily, other] });
    expect(joined.statusCode).toBe(204);
    const held = async (
      table: 'customer_tags' | 'customer_groups' | 'coupons' | 'service_tasks' | 'survey_invitations',
    ) =>
      Number(
        (
          await k
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('workspace_id', '=', ws)
            .where('customer_id', '=', lily)
            .executeTakeFirstOrThrow()
        ).n,
      );
    for (const table of ['customer_tags', 'customer_groups', 'coupons', 'service_tasks', 'survey_invitations'] as const)
      expect(await held(table), table).toBe(0);
    const pointsOfLily = () =>
      k
        .selectFrom('points_entries')
        .select(['idempotency_key', 'points'])
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', lily)
        .orderBy('idempotency_key')
        .execute();
    const tierOfLily = () =>
      k
        .selectFrom('member_tiers')
        .select(['tier_key', 'updated_at'])
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', lily)
        .executeTakeFirst();
    const pointsBefore = await pointsOfLily();
    const tierBefore = await tierOfLily();
    // Her four paid orders (¥1,280 in all) earn nothing and lift her to no tier any more; the other buyers' do.
    const ladder = (await call('GET', '/tiers', owner)).json();
    const { members: _members, ...settings } = ladder;
    settings.tiers[1].totalSpentFen = 100;
    expect((await call('PUT', '/tiers', owner, settings)).statusCode).toBe(200);
    expect((await call('POST', '/points/sync', owner)).statusCode).toBeLessThan(300);
    expect((await call('POST', '/tiers/evaluate', owner, { yearly: true })).statusCode).toBeLessThan(300);
    expect(await pointsOfLily()).toEqual(pointsBefore);
    expect(await tierOfLily()).toEqual(tierBefore);
    const earnedByOthers = await k
      .selectFrom('points_entries')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('customer_id', '!=', lily)
      .where('source', '=', 'order')
      .execute();
    expect(earnedByOthers.length).toBeGreaterThan(0);
  });

  it('the same erasure sent several times at once is done once; two first erasures share one salt', async () => {
    const e = env();
    const k = e.db.kysely;
    const buyers = ['并发甲', '并发乙'];
    await ingest(
      e,
      buyers.map((nick, i) =>
        orderRecord({
          line: 90 + i,
          externalId: `PIPL-RACE-${i}`,
          createdAt: '2026-05-10T02:00:00.000Z',
          paidFen: 5000,
          buyer: { nick, externalId: null, email: null, phone: `1390000990${i}`, name: null },
        }),
      ),
    );
    const ids = await Promise.all(
      buyers.map(
        async (nick) =>
          (
            await k
              .selectFrom('customers')
              .select('id')
              .where('workspace_id', '=', e.workspaceId)
              .where('display_name', '=', nick)
              .executeTakeFirstOrThrow()
          ).id,
      ),
    );
    // As before the workspace's first erasure: no salt yet, so both erasures make one.
    await k
      .deleteFrom('workspace_settings')
      .where('workspace_id', '=', e.workspaceId)
      .where('key', '=', 'privacy.salt')
      .execute();
    const by = { userId: null, login: 'boss' };
    const tries = ids.flatMap((id) => Array.from({ length: 5 }, () => ({ id })));
    const results = await Promise.allSettled(
      tries.map(({ id }) => eraseCustomer(e.ctx, e.workspaceId, id, { confirm: id }, by)),
    );
    for (const id of ids) {
      const mine = results.filter((_, i) => tries[i]!.id === id);
      expect(mine.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of mine.filter((x) => x.status === 'rejected'))
        expect((r as PromiseRejectedResult).reason).toMatchObject({ reason: { key: 'customer.erased' } });
      const requests = await k
        .selectFrom('pipl_requests')
        .select('id')
        .where('workspace_id', '=', e.workspaceId)
        .where('customer_id', '=', id)
        .where('kind', '=', 'erase')
        .execute();
      expect(requests).toHaveLength(1);
    }
    const salts = await k
      .selectFrom('workspace_settings')
      .select('key')
      .where('workspace_id', '=', e.workspaceId)
      .where('key', '=', 'privacy.salt')
      .execute();
    expect(salts).toHaveLength(1);
  });
});
