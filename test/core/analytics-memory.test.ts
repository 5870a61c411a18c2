import { describe, expect, it } from 'vitest';
import { dayNumber, distributionBands, MemoryIndexBuilder, productRows } from '../../src/core/analytics-memory.js';

/**
 * A hand-made shop: three buyers over two stores, counted by hand for the range 2026-03-01 – 2026-03-31.
 *   ann  (female, 杭州市, born 2000-03-31): s1 03-01 1 order ¥80, s1 03-10 1 order ¥150, s2 03-20 2 orders ¥300,
 *        s1 02-27 (before the range) 1 order ¥50
 *   bob  (no customer row): s2 03-31 1 order ¥1,200
 *   cara (gender null, city '', birthday ''): s1 04-01 (after the range) 1 order ¥20, s1 03-15 6 orders ¥600
 */
function shop() {
  const b = new MemoryIndexBuilder({ buyerRows: 2, productRows: 2 });
  const ann = { gender: 'female', city: '杭州市', birthday: '2000-03-31' };
  b.buyerRow('ann', 's1', '2026-03-01', 1, 8_000, ann);
  b.buyerRow('ann', 's1', '2026-03-10', 1, 15_000, ann);
  b.buyerRow('ann', 's2', '2026-03-20', 2, 30_000, ann);
  b.buyerRow('ann', 's1', '2026-02-27', 1, 5_000, ann);
  b.buyerRow('bob', 's2', '2026-03-31', 1, 120_000, undefined);
  const cara = { gender: null, city: '', birthday: '' };
  b.buyerRow('cara', 's1', '2026-04-01', 1, 2_000, cara);
  b.buyerRow('cara', 's1', '2026-03-15', 6, 60_000, cara);
  // Products: ann buys 围巾 twice in s1 (two days) and once in s2; bob 帽子 once; cara 围巾 in one order.
  b.productRow('ann', 's1', '2026-03-01', '围巾', 1, 1, 8_000);
  b.productRow('ann', 's1', '2026-03-10', '围巾', 1, 2, 15_000);
  b.productRow('ann', 's2', '2026-03-20', '围巾', 1, 1, 10_000);
  b.productRow('ann', 's2', '2026-03-20', '帽子', 1, 3, 20_000);
  b.productRow('bob', 's2', '2026-03-31', '帽子', 1, 1, 120_000);
  b.productRow('cara', 's1', '2026-03-15', '围巾', 1, 4, 60_000);
  b.productRow('cara', 's1', '2026-04-01', '帽子', 1, 1, 2_000);
  return b.finish();
}

const march = { from: '2026-03-01', to: '2026-03-31' };
const sorted = <T extends { dim?: string; key?: string; product?: string }>(rows: T[]) =>
  [...rows].sort((a, b) => `${a.dim}${a.key}${a.product}`.localeCompare(`${b.dim}${b.key}${b.product}`));

describe('analytics in memory: bands and products of a range in one pass', () => {
  it('days are numbers ordered as their text', () => {
    expect(dayNumber('2026-03-01')).toBe(20260301);
    expect(dayNumber('1999-12-31') < dayNumber('2000-01-01')).toBe(true);
  });

  it('the distribution of both stores counts each buyer once, by their whole range', () => {
    // ann: 4 orders ¥530 in March → 3-5, AOV 132.5 → 100-200; turns 26 on 03-31 → 25-29.
    // bob: 1 order ¥1,200 → 1, 1000+; no customer row: no people bands.
    // cara: 6 orders ¥600 → 6+, AOV 100 → 100-200 (not below 100); unknown age, gender '' and city ''.
    expect(sorted(distributionBands(shop(), march, ['s1', 's2']))).toEqual(
      sorted([
        { dim: 'freq', key: '3-5', n: 1, rev: 53_000 },
        { dim: 'freq', key: '1', n: 1, rev: 120_000 },
        { dim: 'freq', key: '6+', n: 1, rev: 60_000 },
        { dim: 'aov', key: '100-200', n: 2, rev: 113_000 },
        { dim: 'aov', key: '1000+', n: 1, rev: 120_000 },
        { dim: 'age', key: '25-29', n: 1, rev: 0 },
        { dim: 'age', key: 'unknown', n: 1, rev: 0 },
        { dim: 'gender', key: 'female', n: 1, rev: 0 },
        { dim: 'gender', key: '', n: 1, rev: 0 },
        { dim: 'city', key: '杭州市', n: 1, rev: 0 },
        { dim: 'city', key: '', n: 1, rev: 0 },
      ]),
    );
  });

  it('one store, and a range ending the day before a birthday', () => {
    // s1, 2026-03-01 – 2026-03-30: ann 2 orders ¥230 (AOV 115), 25 on 03-30 → 25-29; cara 6 orders ¥600.
    const rows = distributionBands(shop(), { from: '2026-03-01', to: '2026-03-30' }, ['s1']);
    expect(sorted(rows)).toEqual(
      sorted([
        { dim: 'freq', key: '2', n: 1, rev: 23_000 },
        { dim: 'freq', key: '6+', n: 1, rev: 60_000 },
        { dim: 'aov', key: '100-200', n: 2, rev: 83_000 },
        { dim: 'age', key: '25-29', n: 1, rev: 0 },
        { dim: 'age', key: 'unknown', n: 1, rev: 0 },
        { dim: 'gender', key: 'female', n: 1, rev: 0 },
        { dim: 'gender', key: '', n: 1, rev: 0 },
        { dim: 'city', key: '杭州市', n: 1, rev: 0 },
        { dim: 'city', key: '', n: 1, rev: 0 },
      ]),
    );
  });

  it('the age band is taken on the last day of the range: the birthday itself is the first day of the new age', () => {
    const b = new MemoryIndexBuilder({ buyerRows: 1, productRows: 0 });
    b.buyerRow('dan', 's1', '2025-03-01', 1, 100, { gender: 'male', city: null, birthday: '2000-03-31' });
    const age = (to: string) =>
      distributionBands(b.finish(), { from: '2025-03-01', to }, ['s1']).find((r) => r.dim === 'age')?.key;
    expect(age('2025-03-30')).toBe('18-24');
    expect(age('2025-03-31')).toBe('25-29');
  });

  it('products: buyers, repeat buyers (two or more orders of it in the range) and sums', () => {
    expect(sorted(productRows(shop(), march, ['s1', 's2']))).toEqual(
      sorted([
        // 围巾: ann 3 orders (repeat), cara 1 order.
        { product: '围巾', units: 8, orders: 4, revenue: 93_000, buyers: 2, repeaters: 1 },
        // 帽子: ann 1 order, bob 1 order; cara's is in April.
        { product: '帽子', units: 4, orders: 2, revenue: 140_000, buyers: 2, repeaters: 0 },
      ]),
    );
    // Store s2 alone: ann's 围巾 once there, not a repeat.
    expect(sorted(productRows(shop(), march, ['s2']))).toEqual(
      sorted([
        { product: '围巾', units: 1, orders: 1, revenue: 10_000, buyers: 1, repeaters: 0 },
        { product: '帽子', units: 4, orders: 2, revenue: 140_000, buyers: 2, repeaters: 0 },
      ]),
    );
    expect(productRows(shop(), { from: '2025-01-01', to: '2025-12-31' }, ['s1', 's2'])).toEqual([]);
  });
});
