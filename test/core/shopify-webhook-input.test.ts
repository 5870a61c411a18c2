import { describe, expect, it } from 'vitest';
import { Invalid } from '../../src/core/errors.js';
import { shopifyOrderRecord, shopifyRefund } from '../../src/core/formats/shopify-webhook.js';

const order = {
  id: 1,
  name: '#1',
  created_at: '2024-02-29T23:59:59-05:00',
  financial_status: 'paid',
  processed_at: '2024-03-01T05:00:00Z',
  total_price: '1000000000.00',
  line_items: [{ id: 9, title: 'Tea', price: 12.5 }],
};

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof Invalid) return { message: e.message, key: e.reason.key, params: e.reason.params };
    throw e;
  }
  throw new Error('not refused');
};

describe('Shopify order JSON as an import record', () => {
  it('takes the limits themselves: ¥1,000,000,000, a leap day, the largest safe id, 1,000,000 pieces', () => {
    const r = shopifyOrderRecord({ ...order, id: Number.MAX_SAFE_INTEGER, line_items: [{ quantity: 1_000_000 }] });
    expect(r.totalFen).toBe(1e11);
    expect(r.createdAt).toBe('2024-03-01T04:59:59.000Z');
    expect(r.raw.shopify_id).toBe('9007199254740991');
    expect(r.items?.[0]?.quantity).toBe(1_000_000);
  });

  it('reads a number as yuan, a missing quantity as one piece, a missing amount as nothing', () => {
    const r = shopifyOrderRecord(order);
    expect(r.items).toEqual([expect.objectContaining({ lineKey: '9', quantity: 1, priceFen: 1250 })]);
    expect(r.itemCount).toBeNull();
    expect(r.goodsFen).toBe(0);
    expect(r.paidAt).toBe('2024-03-01T05:00:00.000Z');
  });

  it('names the field in the reason: the amount past the limit in yuan, a missing id as required', () => {
    expect(refusal(() => shopifyOrderRecord({ ...order, total_price: '1000000000.01' }))).toMatchObject({
      key: 'input.tooBig',
      params: { field: 'total_price', max: 1e9 },
    });
    expect(refusal(() => shopifyOrderRecord({ ...order, id: undefined }))).toMatchObject({
      key: 'input.required',
      params: { field: 'id' },
    });
    expect(refusal(() => shopifyOrderRecord({ ...order, total_price: '-5' }))).toMatchObject({
      key: 'input.tooSmall',
      params: { field: 'total_price', min: 0 },
    });
    expect(refusal(() => shopifyOrderRecord({ ...order, created_at: '2026-02-30T00:00:00Z' }))).toMatchObject({
      key: 'input.dateTime',
      params: { field: 'created_at' },
    });
  });

  it('a refund names its order by id and sums its successful refund transactions', () => {
    const r = shopifyRefund({
      order_id: '450789469',
      created_at: '2026-11-25T10:00:00+08:00',
      transactions: [
        { amount: '10.00', kind: 'refund', status: 'success' },
        { amount: '5.00', kind: 'refund', status: 'failure' },
        { amount: 2 },
      ],
    });
    expect(r).toEqual({ orderId: '450789469', createdAt: '2026-11-25T02:00:00.000Z', fen: 1200 });
  });
});
