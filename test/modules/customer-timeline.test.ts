import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createUser } from '../../src/modules/auth/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { credit } from '../../src/modules/points/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { messageRow, orderRecord } from '../support/records.js';

const line = (lineKey: string, title: string, priceFen: number) => ({
  lineKey,
  title,
  sku: null,
  externalItemId: null,
  category: null,
  quantity: 1,
  priceFen,
  paidFen: priceFen,
  refundStatus: null,
});

/**
 * The customer page's timeline: an order's events carry the platform's order number and the product titles (never
 * the internal id) so the console groups them under the order, and the order opens with its lines and an address
 * masked for a role that may not see it.
 */
describeBothDatabases('customer timeline (API)', (env) => {
  let app: FastifyInstance;
  let customerId = '';
  let orderId = '';
  const cookies: Record<string, string> = {};
  beforeAll(async () => {
    const e = env();
    const store = await ensureStore(e.ctx, e.workspaceId, '时间线测试店', 'taobao');
    await e.db.kysely.transaction().execute((trx) =>
      ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
        orderRecord({
          externalId: '4100200300400',
          createdAt: '2026-10-01T02:00:00.000Z',
          shippedAt: '2026-10-02T02:00:00.000Z',
          paidFen: 25800,
          buyer: { nick: 'tl_amy', externalId: null, email: null, phone: '13900000011', name: null },
          receiverName: '王小美',
          receiverPhone: '13900000011',
          province: '浙江省',
          city: '杭州市',
          address: '浙江省杭州市西湖区文三路 100 号',
          title: '订单标题',
          items: [line('1', '羊毛大衣', 19800), line('2', '针织围巾', 6000)],
        }),
      ]),
    );
    const c = await e.db.kysely
      .selectFrom('orders')
      .select(['id', 'customer_id'])
      .where('workspace_id', '=', e.workspaceId)
      .where('external_id', '=', '4100200300400')
      .executeTakeFirstOrThrow();
    customerId = c.customer_id!;
    orderId = c.id;
    await credit(e.ctx, e.workspaceId, {
      customerId,
      points: 258,
      kind: 'earn',
      source: 'order',
      reason: `order ${orderId}`,
      orderId,
      expiresAt: null,
      key: 'tl-order-points',
    });
    await credit(e.ctx, e.workspaceId, {
      customerId,
      points: 50,
      kind: 'adjust',
      source: 'adjustment',
      reason: '客诉补偿',
      expiresAt: null,
      key: 'tl-adjust',
    });
    app = await buildServer(e.ctx, { dataDir: scratchDir('huike-tl-') });
    for (const [login, role] of [
      ['tl_owner', 'owner'],
      ['tl_agent', 'agent'],
      ['tl_marketer', 'marketer'],
    ] as const) {
      await createUser(e.ctx, e.workspaceId, { login, password: 'secret-pass-8', role });
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login, password: 'secret-pass-8' },
      });
      cookies[role] = String(r.headers['set-cookie']).split(';')[0]!;
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  /** A POST as the owner. */
  const send = (url: string, payload: object) =>
    app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      headers: { 'x-huike-client': 'test', cookie: cookies.owner! },
      payload,
    });
  const get = (url: string, role: 'owner' | 'agent' | 'marketer') =>
    app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { 'x-huike-client': 'test', cookie: cookies[role]! } });

  it("an order's events carry its platform number and product titles, never the internal id", async () => {
    const r = await get(`/customers/${customerId}/timeline`, 'agent');
    expect(r.statusCode, r.body).toBe(200);
    const items = r.json().items as {
      kind: string;
      title: string;
      detail: string | null;
      order: { id: string; number: string; products: string | null } | null;
      params: Record<string, string | number> | null;
    }[];
    const ofOrder = items.filter((i) => i.order);
    expect(ofOrder.map((i) => i.kind).sort()).toEqual(['order.created', 'order.paid', 'order.shipped', 'points.earn']);
    for (const i of ofOrder)
      expect(i.order).toEqual({ id: orderId, number: '4100200300400', products: '羊毛大衣、针织围巾' });
    expect(items.find((i) => i.kind === 'order.paid')?.params).toEqual({ fen: 25800 });
    // The order's points say where they come from; the reason the server wrote names the internal id.
    const earned = items.find((i) => i.kind === 'points.earn')!;
    expect(earned.params).toEqual({ points: 258, source: 'order' });
    expect(earned.detail).toBeNull();
    // A person's reason stays.
    expect(items.find((i) => i.kind === 'points.adjust')).toMatchObject({ detail: '客诉补偿', order: null });
    // No text of the timeline shows an internal id.
    const texts = items.flatMap((i) => [i.title, i.detail ?? '', i.order?.number ?? '', i.order?.products ?? '']);
    expect(texts.filter((t) => t.includes(orderId) || t.includes(customerId))).toEqual([]);
  });

  it('a note and a tag carry their values as parameters, so the console words them in its language', async () => {
    expect((await send(`/customers/${customerId}/notes`, { body: '喜欢羊毛' })).statusCode).toBe(201);
    expect((await send('/tags/apply', { customerIds: [customerId], add: ['回头客'] })).statusCode).toBe(200);
    const items = (await get(`/customers/${customerId}/timeline`, 'owner')).json().items as {
      kind: string;
      params: Record<string, string | number> | null;
    }[];
    expect(items.find((i) => i.kind === 'tag.added')?.params).toEqual({ name: '回头客' });
    expect(items.find((i) => i.kind === 'note')?.params).toHaveProperty('author');
  });

  it("a role without personal data sees the customer's real name and phones masked in every text", async () => {
    const e = env();
    await e.db.kysely
      .updateTable('customers')
      .set({ real_name: '王小美' })
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', customerId)
      .execute();
    expect((await send(`/customers/${customerId}/notes`, { body: '王小美说晚上打 13912345678' })).statusCode).toBe(201);
    const channel = (
      await send('/messaging/channels', { name: '发件箱', kind: 'outbox', config: { medium: 'sms' } })
    ).json().id as string;
    // A message as a campaign renders #姓名#: the name is in its text.
    const at = '2026-10-03T02:00:00.000Z';
    await e.db.kysely
      .insertInto('messages')
      .values(
        messageRow(e.workspaceId, 'tl-message-1', at, {
          source_type: 'campaign',
          source_id: 'tl-campaign',
          customer_id: customerId,
          channel_id: channel,
          variant: 'A',
          status: 'sent',
          contact: '13900000011',
          body: '王小美您好，您的羊毛大衣已发货',
          sent_at: at,
        }),
      )
      .execute();
    const texts = async (role: 'owner' | 'agent' | 'marketer') => {
      const items = (await get(`/customers/${customerId}/timeline`, role)).json().items as {
        kind: string;
        detail: string | null;
      }[];
      const messages = (await get(`/messages?customerId=${customerId}`, role)).json().items as { body: string }[];
      return {
        note: items.find((i) => i.kind === 'note' && i.detail?.includes('晚上'))?.detail,
        message: items.find((i) => i.kind === 'message.sent')?.detail,
        outbox: messages.find((m) => m.body.includes('大衣'))?.body,
      };
    };
    expect(await texts('owner')).toEqual({
      note: '王小美说晚上打 13912345678',
      message: '王小美您好，您的羊毛大衣已发货',
      outbox: '王小美您好，您的羊毛大衣已发货',
    });
    expect(await texts('agent')).toEqual({
      note: '王**说晚上打 139****5678',
      message: '王**您好，您的羊毛大衣已发货',
      outbox: '王**您好，您的羊毛大衣已发货',
    });
    // The preview of a text with #姓名# likewise.
    const preview = (role: 'owner' | 'marketer') =>
      app.inject({
        method: 'POST',
        url: '/api/v1/messaging/preview',
        headers: { 'x-huike-client': 'test', cookie: cookies[role]! },
        payload: { channelId: channel, kind: 'care', customerId, content: { text: '#姓名#您好' } },
      });
    expect((await preview('owner')).json().text).toBe('王小美您好');
    expect((await preview('marketer')).json().text).toBe('王**您好');
    expect((await texts('marketer')).outbox).toBe('王**您好，您的羊毛大衣已发货');
  });

  it('the order opens with its lines and amounts, the address masked for a role without personal data', async () => {
    const agent = (await get(`/orders/${orderId}`, 'agent')).json();
    expect(agent).toMatchObject({ externalId: '4100200300400', paidFen: 25800, receiverPhone: '139****0011' });
    expect(agent.address).not.toContain('文三路');
    expect(agent.receiverName).not.toBe('王小美');
    expect(agent.items.map((i: { title: string; priceFen: number }) => [i.title, i.priceFen])).toEqual([
      ['羊毛大衣', 19800],
      ['针织围巾', 6000],
    ]);
    const owner = (await get(`/orders/${orderId}`, 'owner')).json();
    expect(owner).toMatchObject({ address: '浙江省杭州市西湖区文三路 100 号', receiverPhone: '13900000011' });
  });
});
