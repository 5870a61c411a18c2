import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { shopifySignature } from '../../src/core/formats/shopify-webhook.js';
import { createApiToken, createUser } from '../../src/modules/auth/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, statsOf } from '../helpers.js';

describeBothDatabases('order events: API and Shopify webhooks', (env) => {
  let app: FastifyInstance;
  let token = '';
  let storeId = '';
  let shopId = '';

  const hadKey = process.env.HUIKE_SECRET_KEY;
  beforeAll(async () => {
    process.env.HUIKE_SECRET_KEY = 'order-events-test-key-0123456789';
    const { ctx, workspaceId } = env();
    const u = await createUser(ctx, workspaceId, { login: 'erp', password: 'secret-pass-1', role: 'owner' });
    token = (await createApiToken(ctx, workspaceId, u.id, 'erp')).token;
    storeId = (await ensureStore(ctx, workspaceId, 'API店', 'taobao')).id;
    shopId = (await ensureStore(ctx, workspaceId, 'Shopify店', 'shopify')).id;
    app = await buildServer(ctx);
  });
  afterAll(async () => {
    if (hadKey === undefined) delete process.env.HUIKE_SECRET_KEY;
    else process.env.HUIKE_SECRET_KEY = hadKey;
    await app?.close();
  });

  const post = (order: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { authorization: `Bearer ${token}` },
      payload: { storeId, order },
    });
  const base = {
    externalId: 'E-1',
    createdAt: '2026-11-23T03:00:00Z',
    totalFen: 9900,
    buyer: { nick: '小王', phone: '13800138000' },
    title: '面霜',
  };
  const eventsOf = async (externalId: string, store = storeId) => {
    const { db, workspaceId } = env();
    return db.kysely
      .selectFrom('order_events as e')
      .innerJoin('orders as o', (j) =>
        j.onRef('o.workspace_id', '=', 'e.workspace_id').onRef('o.id', '=', 'e.order_id'),
      )
      .select(['e.kind', 'e.happened_at', 'e.source'])
      .where('e.workspace_id', '=', workspaceId)
      .where('o.store_id', '=', store)
      .where('o.external_id', '=', externalId)
      .orderBy('e.happened_at')
      .execute();
  };

  it('an order sent through the API becomes events with the time each happened; a repeat adds nothing', async () => {
    const r = await post({ ...base, status: 'created' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ ordersCreated: 1, events: 1 });
    const again = await post({ ...base, status: 'created' });
    expect(again.json()).toMatchObject({ ordersCreated: 0, ordersUnchanged: 1, events: 0 });
    const paid = await post({ ...base, status: 'paid', paidAt: '2026-11-23T03:10:00Z' });
    expect(paid.json()).toMatchObject({ ordersUpdated: 1, events: 1 });
    expect(await eventsOf('E-1')).toEqual([
      { kind: 'created', happened_at: '2026-11-23T03:00:00.000Z', source: 'api' },
      { kind: 'paid', happened_at: '2026-11-23T03:10:00.000Z', source: 'api' },
    ]);
    expect((await statsOf(env(), '小王')).paid_orders).toBe(1);
  });

  it('status only moves forward: an older state sent after a newer one changes nothing', async () => {
    const r = await post({ ...base, status: 'created' });
    expect(r.json()).toMatchObject({ ordersUnchanged: 1, events: 0 });
    const o = await env()
      .db.kysely.selectFrom('orders')
      .select('status')
      .where('workspace_id', '=', env().workspaceId)
      .where('external_id', '=', 'E-1')
      .executeTakeFirstOrThrow();
    expect(o.status).toBe('paid');
    expect((await statsOf(env(), '小王')).paid_orders).toBe(1);
  });

  it('a batch is accepted, and a bad order is refused naming the field', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { authorization: `Bearer ${token}` },
      payload: {
        storeId,
        orders: [
          {
            ...base,
            externalId: 'E-2',
            status: 'shipped',
            paidAt: '2026-11-23T03:05:00Z',
            courier: '顺丰',
            trackingNo: 'SF1',
          },
          { ...base, externalId: 'E-3', status: 'closed', closedAt: '2026-11-23T03:40:00Z' },
        ],
      },
    });
    expect(r.json()).toMatchObject({ ordersCreated: 2 });
    expect((await eventsOf('E-2')).map((e) => e.kind)).toEqual(['created', 'paid', 'shipped']);
    expect((await eventsOf('E-3')).map((e) => e.kind)).toEqual(['created', 'closed']);
    const bad = await post({ ...base, totalFen: -1, status: 'created' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toMatch(/totalFen/);
    // More refunded than paid (a negative spend), and an order past ¥1,000,000,000 (sums past 2^53): refused.
    const paid = { ...base, status: 'refunded', paidAt: '2026-11-23T03:05:00Z' };
    const overRefund = await post({ ...paid, externalId: 'E-4', paidFen: 100, refundedFen: 500 });
    expect(overRefund.statusCode).toBe(400);
    expect(overRefund.json().error.details).toEqual([expect.objectContaining({ path: 'body.order.refundedFen' })]);
    const huge = await post({ ...paid, externalId: 'E-5', totalFen: 9e15, paidFen: 9e15 });
    expect(huge.statusCode).toBe(400);
    expect(huge.body).toMatch(/totalFen/);
    expect([...(await eventsOf('E-4')), ...(await eventsOf('E-5'))]).toEqual([]);
    expect((await post({ ...paid, externalId: 'E-6', paidFen: 500, refundedFen: 500 })).statusCode).toBe(200);
  });

  it('an order that says it was paid but not when is refused, naming paidAt, and nothing is stored', async () => {
    for (const status of ['paid', 'shipped', 'completed', 'refunded']) {
      const r = await post({ ...base, externalId: `NO-PAID-TIME-${status}`, status });
      expect(r.statusCode, status).toBe(400);
      expect(r.json().error.details).toEqual([expect.objectContaining({ path: 'body.order.paidAt' })]);
      expect(await eventsOf(`NO-PAID-TIME-${status}`)).toEqual([]);
    }
    // Unpaid and closed orders need no paid time.
    expect((await post({ ...base, externalId: 'NO-PAID-TIME-closed', status: 'closed' })).statusCode).toBe(200);
  });

  const shopifyOrder = {
    id: 450789469,
    name: '#1001',
    created_at: '2026-11-23T11:00:00+08:00',
    processed_at: '2026-11-23T11:02:00+08:00',
    financial_status: 'paid',
    fulfillment_status: null,
    total_price: '199.00',
    subtotal_price: '199.00',
    total_discounts: '0.00',
    email: 'amy@example.com',
    customer: { id: 207119551, first_name: 'Amy', last_name: 'Li', accepts_marketing: true },
    line_items: [{ id: 1, title: 'Serum', quantity: 1, price: '199.00', product_type: '护肤' }],
  };
  const hook = async (topic: string, body: unknown, webhookId: string, secret = 'shpss_test_secret_123456') => {
    const raw = JSON.stringify(body);
    return app.inject({
      method: 'POST',
      url: `/hooks/shopify/${env().workspaceId}/${shopId}`,
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': webhookId,
        'x-shopify-hmac-sha256': shopifySignature(secret, raw),
      },
      payload: raw,
    });
  };

  it('a Shopify webhook with a wrong signature is refused 401 and changes nothing', async () => {
    const set = await app.inject({
      method: 'PUT',
      url: `/api/v1/stores/${shopId}/webhook`,
      headers: { authorization: `Bearer ${token}` },
      payload: { secret: 'shpss_test_secret_123456' },
    });
    expect(set.json().path).toBe(`/hooks/shopify/${env().workspaceId}/${shopId}`);
    // Stored encrypted, never answered back.
    expect(set.body).not.toContain('shpss_test_secret_123456');
    expect(set.json()).toMatchObject({ secretSet: true });
    const row = await env()
      .db.kysely.selectFrom('store_webhooks')
      .select('secret')
      .where('workspace_id', '=', env().workspaceId)
      .where('store_id', '=', shopId)
      .executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^v1\./);
    expect(row.secret).not.toContain('shpss_test_secret_123456');
    const r = await hook('orders/create', shopifyOrder, 'w-0', 'not-the-secret-000000');
    expect(r.statusCode).toBe(401);
    expect(await eventsOf('#1001', shopId)).toEqual([]);
  });

  it('signed webhooks become order events; a replayed delivery id is accepted once', async () => {
    env().setNow('2026-11-26T00:00:00.000Z');
    const r = await hook('orders/paid', shopifyOrder, 'w-1');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ replayed: false, events: 2 });
    const replay = await hook('orders/paid', shopifyOrder, 'w-1');
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ replayed: true, events: 0 });
    const fulfilled = {
      ...shopifyOrder,
      fulfillment_status: 'fulfilled',
      fulfillments: [
        { created_at: '2026-11-24T09:00:00+08:00', tracking_company: 'SF Express', tracking_number: 'SF99' },
      ],
    };
    expect((await hook('orders/fulfilled', fulfilled, 'w-2')).json()).toEqual({ replayed: false, events: 1 });
    const refund = {
      id: 1,
      order_id: 450789469,
      created_at: '2026-11-25T10:00:00+08:00',
      transactions: [{ amount: '199.00', kind: 'refund', status: 'success' }],
    };
    expect((await hook('refunds/create', refund, 'w-3')).json()).toEqual({ replayed: false, events: 1 });
    expect(await eventsOf('#1001', shopId)).toEqual([
      { kind: 'created', happened_at: '2026-11-23T03:00:00.000Z', source: 'webhook' },
      { kind: 'paid', happened_at: '2026-11-23T03:02:00.000Z', source: 'webhook' },
      { kind: 'shipped', happened_at: '2026-11-24T01:00:00.000Z', source: 'webhook' },
      { kind: 'refunded', happened_at: '2026-11-25T02:00:00.000Z', source: 'webhook' },
    ]);
    const stats = await statsOf(env(), 'Amy Li').catch(() => null);
    expect(stats?.refund_fen ?? (await statsOf(env(), 'amy@example.com')).refund_fen).toBe(19900);
  });

  it(
    'a secret saved in plain text before encryption still verifies and is' +
      ' encrypted on first use; one made here is shown once',
    async () => {
      const { db, workspaceId } = env();
      const legacy = (await ensureStore(env().ctx, workspaceId, '旧Shopify店', 'shopify')).id;
      await db.kysely
        .insertInto('store_webhooks')
        .values({
          workspace_id: workspaceId,
          store_id: legacy,
          secret: 'legacy_plain_secret_0001',
          created_at: '2026-01-01T00:00:00.000Z',
        })
        .execute();
      const raw = JSON.stringify({ ...shopifyOrder, id: 9001, name: '#9001' });
      const r = await app.inject({
        method: 'POST',
        url: `/hooks/shopify/${workspaceId}/${legacy}`,
        headers: {
          'content-type': 'application/json',
          'x-shopify-topic': 'orders/create',
          'x-shopify-webhook-id': 'legacy-1',
          'x-shopify-hmac-sha256': shopifySignature('legacy_plain_secret_0001', raw),
        },
        payload: raw,
      });
      expect(r.statusCode).toBe(200);
      const secretOf = async (store: string) =>
        (
          await db.kysely
            .selectFrom('store_webhooks')
            .select('secret')
            .where('workspace_id', '=', workspaceId)
            .where('store_id', '=', store)
            .executeTakeFirstOrThrow()
        ).secret;
      expect(await secretOf(legacy)).toMatch(/^v1\./);
      const made = await app.inject({
        method: 'PUT',
        url: `/api/v1/stores/${legacy}/webhook`,
        headers: { authorization: `Bearer ${token}` },
        payload: {},
      });
      const generated = made.json().generatedSecret as string;
      expect(generated.length).toBeGreaterThanOrEqual(24);
      expect(await secretOf(legacy)).not.toContain(generated);
    },
  );
});
