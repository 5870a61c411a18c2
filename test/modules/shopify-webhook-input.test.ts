import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { shopifySignature } from '../../src/core/formats/shopify-webhook.js';
import { setWebhookSecret } from '../../src/modules/orders/webhooks.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases } from '../helpers.js';

const SECRET = 'shpss_hostile_input_secret_01';

const valid = {
  id: 450789469,
  name: '#1001',
  order_number: 1001,
  created_at: '2026-11-23T11:00:00+08:00',
  processed_at: '2026-11-23T11:02:00+08:00',
  financial_status: 'paid',
  fulfillment_status: null,
  total_price: '398.00',
  subtotal_price: '398.00',
  total_discounts: '0.00',
  email: 'amy@example.com',
  customer: { id: 207119551, first_name: 'Amy', last_name: 'Li' },
  line_items: [{ id: 1, title: 'Serum', quantity: 2, price: '199.00' }],
};
const line = valid.line_items[0]!;

describeBothDatabases('Shopify webhooks: hostile order payloads', (env) => {
  let app: FastifyInstance;
  let shopId = '';
  let delivery = 0;

  const hadKey = process.env.HUIKE_SECRET_KEY;
  beforeAll(async () => {
    process.env.HUIKE_SECRET_KEY = 'shopify-input-test-key-0123456789';
    const { ctx, workspaceId } = env();
    shopId = (await ensureStore(ctx, workspaceId, 'Shopify店', 'shopify')).id;
    await setWebhookSecret(ctx, workspaceId, shopId, SECRET);
    app = await buildServer(ctx);
  });
  afterAll(async () => {
    if (hadKey === undefined) delete process.env.HUIKE_SECRET_KEY;
    else process.env.HUIKE_SECRET_KEY = hadKey;
    await app?.close();
  });

  /** Posts a signed delivery; `body` as text is sent as it is (a number JSON.stringify cannot write). */
  const hook = (body: unknown, topic = 'orders/create') => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    delivery += 1;
    return app.inject({
      method: 'POST',
      url: `/hooks/shopify/${env().workspaceId}/${shopId}`,
      headers: {
        'content-type': 'application/json',
        'x-shopify-topic': topic,
        'x-shopify-webhook-id': `hostile-${delivery}`,
        'x-shopify-hmac-sha256': shopifySignature(SECRET, raw),
      },
      payload: raw,
    });
  };
  const count = async (table: 'orders' | 'order_items' | 'webhook_receipts') =>
    Number(
      (
        await env()
          .db.kysely.selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', env().workspaceId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const stored = async () => [await count('orders'), await count('order_items'), await count('webhook_receipts')];

  /** Each bad payload: 400, the field named in the message and in details, and nothing stored. */
  const refused = async (body: unknown, field: string, topic = 'orders/create') => {
    const before = await stored();
    const r = await hook(body, topic);
    expect(r.statusCode, `${field}: ${r.body}`).toBe(400);
    const error = r.json().error;
    expect(error.code).toBe('invalid');
    expect(error.message).toContain(field);
    expect(error.details.issues[0].path).toBe(field);
    expect(await stored()).toEqual(before);
  };

  it('an amount that is not one (1e308), negative, or above ¥1,000,000,000 is refused 400 naming it', async () => {
    await refused({ ...valid, total_price: '1e308' }, 'total_price');
    await refused({ ...valid, total_price: 1e308 }, 'total_price');
    await refused({ ...valid, total_price: '-5' }, 'total_price');
    await refused({ ...valid, total_price: '1000000000.01' }, 'total_price');
    await refused({ ...valid, subtotal_price: 'free' }, 'subtotal_price');
    await refused({ ...valid, line_items: [{ ...line, price: '-199.00' }] }, 'line_items.0.price');
    await refused(
      { ...valid, total_shipping_price_set: { shop_money: { amount: '9e99' } } },
      'total_shipping_price_set.shop_money.amount',
    );
  });

  it('a quantity that is not a whole number from 1 to 1,000,000 is refused 400 naming it', async () => {
    await refused({ ...valid, line_items: [{ ...line, quantity: 1e308 }] }, 'line_items.0.quantity');
    await refused({ ...valid, line_items: [{ ...line, quantity: 1_000_001 }] }, 'line_items.0.quantity');
    await refused({ ...valid, line_items: [{ ...line, quantity: 1.5 }] }, 'line_items.0.quantity');
    await refused({ ...valid, line_items: [{ ...line, quantity: 0 }] }, 'line_items.0.quantity');
    await refused({ ...valid, line_items: [{ ...line, quantity: -2 }] }, 'line_items.0.quantity');
  });

  it('an order without an id or a creation time is refused 400, and a body that is no object too', async () => {
    await refused({}, 'id');
    const { id: _id, ...noId } = valid;
    await refused(noId, 'id');
    const { created_at: _c, ...noTime } = valid;
    await refused(noTime, 'created_at');
    for (const body of ['[]', '[{"id":1}]', 'null', '"order"']) {
      const before = await stored();
      const r = await hook(body);
      expect(r.statusCode).toBe(400);
      expect(r.json().error.message).toBe('the body is not a JSON object');
      expect(await stored()).toEqual(before);
    }
  });

  it('an impossible date is refused, not rolled over to the next month', async () => {
    await refused({ ...valid, created_at: '2026-02-30T00:00:00Z' }, 'created_at');
    await refused({ ...valid, created_at: 'yesterday' }, 'created_at');
    await refused({ ...valid, processed_at: '2026-11-31T10:00:00+08:00' }, 'processed_at');
    await refused(
      { ...valid, fulfillments: [{ created_at: '2026-13-01T00:00:00Z', tracking_number: 'SF1' }] },
      'fulfillments.0.created_at',
    );
  });

  it('an id past 2^53 is refused rather than stored with other digits', async () => {
    // 2^64 as a JSON number: JSON.parse reads it as 18446744073709552000.
    await refused(JSON.stringify(valid).replace('450789469', '18446744073709551616'), 'id');
    await refused({ ...valid, id: -1 }, 'id');
    await refused({ ...valid, customer: { ...valid.customer, id: 2 ** 60 } }, 'customer.id');
    await refused({ ...valid, line_items: [{ ...line, product_id: 1.5 }] }, 'line_items.0.product_id');
  });

  it('a NUL character in the text is refused 400 naming where', async () => {
    const before = await stored();
    const r = await hook({ ...valid, note: 'gift\u0000wrap' });
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toContain('body.note');
    expect(await stored()).toEqual(before);
  });

  it('a refund with an amount or a time no one means is refused 400 naming it', async () => {
    const refund = { order_id: 450789469, transactions: [{ amount: '10.00', kind: 'refund', status: 'success' }] };
    await refused({ ...refund, order_id: 2 ** 64 }, 'order_id', 'refunds/create');
    await refused({ ...refund, transactions: [{ amount: '1e308' }] }, 'transactions.0.amount', 'refunds/create');
    await refused({ ...refund, transactions: [{ amount: '-10' }] }, 'transactions.0.amount', 'refunds/create');
    await refused({ ...refund, created_at: 'not a time' }, 'created_at', 'refunds/create');
  });

  it('a well-formed order is still taken, with its amounts, quantities and times', async () => {
    const before = await count('orders');
    const r = await hook(valid);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ replayed: false, events: 2 });
    // An id sent as text, no name: the order number names it; amounts sent as numbers are yuan too.
    const texty = { ...valid, id: '450789470', name: null, order_number: 1002, total_price: 12.5 };
    expect((await hook({ ...texty, subtotal_price: 12.5 })).statusCode).toBe(200);
    expect(await count('orders')).toBe(before + 2);
    const rows = await env()
      .db.kysely.selectFrom('orders')
      .select(['external_id', 'total_fen', 'paid_fen', 'created_at', 'item_count'])
      .where('workspace_id', '=', env().workspaceId)
      .orderBy('external_id')
      .execute();
    expect(rows.map((o) => ({ ...o, created_at: new Date(o.created_at).toISOString() }))).toEqual([
      {
        external_id: '#1001',
        total_fen: 39800,
        paid_fen: 39800,
        created_at: '2026-11-23T03:00:00.000Z',
        item_count: 2,
      },
      {
        external_id: '#1002',
        total_fen: 1250,
        paid_fen: 1250,
        created_at: '2026-11-23T03:00:00.000Z',
        item_count: 2,
      },
    ]);
    const items = await env()
      .db.kysely.selectFrom('order_items')
      .select(['quantity', 'price_fen'])
      .where('workspace_id', '=', env().workspaceId)
      .execute();
    expect(items).toEqual([
      { quantity: 2, price_fen: 19900 },
      { quantity: 2, price_fen: 19900 },
    ]);
    // The refund of the first one, by its id: taken as before.
    const refund = {
      order_id: 450789469,
      created_at: '2026-11-25T10:00:00+08:00',
      transactions: [{ amount: '398.00', kind: 'refund', status: 'success' }],
    };
    expect((await hook(refund, 'refunds/create')).json()).toEqual({ replayed: false, events: 1 });
  });
});
