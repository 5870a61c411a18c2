import { describe, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { Random } from '../../src/core/random.js';
import { averageFen, computeCustomerStats, countsAsPurchase, type StatsOrder } from '../../src/core/stats.js';
import { generateDemo } from '../../src/modules/demo/generate.js';

const o = (over: Partial<StatsOrder>): StatsOrder => ({
  id: 'A',
  status: 'completed',
  createdAt: '2026-01-01T00:00:00.000Z',
  paidAt: '2026-01-01T00:01:00.000Z',
  paidFen: 10000,
  refundedFen: 0,
  province: null,
  items: [],
  ...over,
});

describe('customer stats definitions', () => {
  it('counts paid, not fully refunded orders and nets partial refunds', () => {
    const s = computeCustomerStats(
      [
        o({ id: 'A', paidFen: 10000 }),
        o({
          id: 'B',
          paidFen: 20000,
          refundedFen: 5000,
          createdAt: '2026-03-01T00:00:00.000Z',
          paidAt: '2026-03-01T00:00:00.000Z',
        }),
        o({ id: 'C', status: 'refunded', paidFen: 30000, refundedFen: 30000 }),
        o({ id: 'D', status: 'created', paidAt: null, paidFen: 0, createdAt: '2026-06-01T00:00:00.000Z' }),
      ],
      '2026-11-23T00:00:00.000Z',
    );
    expect(s).toMatchObject({
      ordersCount: 4,
      paidOrders: 2,
      totalSpentFen: 25000,
      refundFen: 35000,
      refundOrders: 2,
      aovFen: 12500,
    });
    expect(s.lastOrderAt).toBe('2026-06-01T00:00:00.000Z');
    expect(s.lastPaidAt).toBe('2026-03-01T00:00:00.000Z');
  });
  it('12-month figures look back 365 days from the as-of time', () => {
    const s = computeCustomerStats(
      [o({ paidAt: '2025-11-22T00:00:00.000Z' }), o({ id: 'B', paidAt: '2025-11-24T00:00:00.000Z' })],
      '2026-11-23T00:00:00.000Z',
    );
    expect([s.orders12m, s.spent12mFen]).toEqual([1, 10000]);
  });
  it('favourite category by units; ties go to the first name; province of the latest order', () => {
    const s = computeCustomerStats(
      [
        o({
          id: 'A',
          province: '浙江省',
          items: [
            { category: '美妆/面膜', quantity: 2 },
            { category: '女装/大衣', quantity: 2 },
          ],
        }),
        o({
          id: 'B',
          province: '广东省',
          createdAt: '2026-02-01T00:00:00.000Z',
          items: [{ category: null, quantity: 9 }],
        }),
        o({ id: 'C', province: null, createdAt: '2026-03-01T00:00:00.000Z' }),
      ],
      '2026-11-23T00:00:00.000Z',
    );
    expect(s.favouriteCategory).toBe('女装/大衣');
    expect(s.province).toBe('广东省');
  });
  it('a 0-yuan order counts only when the purchase rule says so; a refunded one never does', () => {
    expect(countsAsPurchase({ status: 'completed', paidAt: 'x', paidFen: 0, refundedFen: 0 })).toBe(false);
    expect(
      countsAsPurchase({ status: 'completed', paidAt: 'x', paidFen: 0, refundedFen: 0 }, { zeroPaidCounts: true }),
    ).toBe(true);
    expect(countsAsPurchase({ status: 'closed', paidAt: 'x', paidFen: 100, refundedFen: 100 })).toBe(false);
  });
  it('rounds the average half up in integers', () => {
    expect(averageFen(5, 2)).toBe(3);
    expect(averageFen(4, 3)).toBe(1);
    expect(averageFen(0, 0)).toBe(0);
  });
});

describe('ids and randomness', () => {
  it('ids are 26 characters and strictly increasing', () => {
    const ids = Array.from({ length: 2000 }, () => newId());
    expect(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
  it('the seeded generator repeats itself', () => {
    const a = new Random(42);
    const b = new Random(42);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
  });
});

describe('demo shop', () => {
  const take = (seed: number) => [...generateDemo({ customers: 3000, seed, until: new Date('2026-11-22T00:00:00Z') })];
  it('is the same for the same seed', () => {
    const a = take(1).slice(0, 50);
    const b = take(1).slice(0, 50);
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
  it('looks like a real shop: most buy once, a long tail returns, 双11 beats an ordinary month', () => {
    const people = take(7);
    const buyers = people.filter((p) => p.person.kind === 'buyer');
    const counts = buyers.map((p) => p.orders.length);
    const once = counts.filter((n) => n === 1).length / counts.length;
    expect(once).toBeGreaterThan(0.4);
    expect(Math.max(...counts)).toBeGreaterThan(10);
    expect(people.some((p) => p.person.kind === 'inquiry' && p.orders.length === 0)).toBe(true);
    const orders = people.flatMap((p) => p.orders.map((o) => o.record));
    const month = (m: string) => orders.filter((o) => o.createdAt.slice(0, 7) === m).length;
    expect(month('2025-11')).toBeGreaterThan(month('2025-09') * 1.5);
    const provinces = new Map<string, number>();
    for (const o of orders) provinces.set(o.province!, (provinces.get(o.province!) ?? 0) + 1);
    const ranked = [...provinces].sort((a, b) => b[1] - a[1]).map(([p]) => p);
    expect(ranked[0]).toBe('广东省');
    expect(ranked.indexOf('西藏自治区')).toBeGreaterThan(20);
    expect(orders.some((o) => o.status === 'refunded')).toBe(true);
    expect(orders.some((o) => o.status === 'closed' && o.paidAt === null)).toBe(true);
  });
});
