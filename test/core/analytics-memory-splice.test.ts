import { describe, expect, it } from 'vitest';
import { type CustomerRows, spliceIndex } from '../../src/core/analytics-memory-splice.js';
import {
  distributionBands,
  type MemoryIndex,
  MemoryIndexBuilder,
  productRows,
} from '../../src/core/analytics-memory.js';
import { shiftDate } from '../../src/core/analytics-views.js';
import { Random } from '../../src/core/random.js';

/**
 * A splice (a few customers' rows replaced, added or emptied) gives the answers of an index built from scratch
 * from the same final rows: random shops, random changes (new buyers, more rows, fewer rows, gone, product rows
 * only, a new store, product, city or birthday), random ranges and store scopes.
 */
const STORES = ['s1', 's2', 's3'];
const PRODUCTS = ['围巾', '帽子', '衬衫', '连衣裙'];

function randomRows(rnd: Random, extra = false): CustomerRows {
  const person = rnd.int(0, 5)
    ? {
        gender: rnd.pick(['male', 'female', null]),
        city: rnd.pick(['杭州市', '上海市', null, ...(extra ? ['丽水市'] : [])]),
        birthday: rnd.pick([null, '1990-05-01', '2001-12-31', ...(extra ? ['1970-01-15'] : [])]),
      }
    : undefined;
  const stores = extra ? [...STORES, 's9'] : STORES;
  const day = () => shiftDate('2025-01-01', rnd.int(0, 600));
  const buyerRows = Array.from({ length: rnd.int(0, 4) }, () => ({
    store: rnd.pick(stores),
    day: day(),
    orders: rnd.int(1, 4),
    revenue: rnd.int(1, 900) * 100,
  }));
  const productRows = Array.from({ length: rnd.int(0, 4) }, () => ({
    store: rnd.pick(stores),
    day: day(),
    product: rnd.pick(extra ? [...PRODUCTS, '新品'] : PRODUCTS),
    orders: rnd.int(1, 3),
    units: rnd.int(1, 5),
    revenue: rnd.int(1, 500) * 100,
  }));
  return { person, buyerRows, productRows };
}

/** What the loader does: every buyer row grouped by customer, then every product row. */
function build(shop: Map<string, CustomerRows>): MemoryIndex {
  const b = new MemoryIndexBuilder({ buyerRows: 4, productRows: 4 });
  for (const [id, c] of shop)
    for (const r of c.buyerRows) b.buyerRow(id, r.store, r.day, r.orders, r.revenue, c.person);
  for (const [id, c] of shop)
    for (const r of c.productRows) b.productRow(id, r.store, r.day, r.product, r.orders, r.units, r.revenue);
  return b.finish();
}

function splice(x: MemoryIndex, changed: Map<string, CustomerRows>): MemoryIndex {
  const steps = spliceIndex(x, changed);
  for (;;) {
    const s = steps.next();
    if (s.done) return s.value;
  }
}

const byKey = <T extends { dim?: string; key?: string; product?: string }>(rows: T[]) =>
  [...rows].sort((a, b) => `${a.dim}|${a.key}|${a.product}`.localeCompare(`${b.dim}|${b.key}|${b.product}`));

function expectSameAnswers(rnd: Random, a: MemoryIndex, b: MemoryIndex) {
  for (let i = 0; i < 12; i++) {
    const from = shiftDate('2024-12-20', rnd.int(0, 600));
    const range = { from, to: shiftDate(from, rnd.int(0, 400)) };
    for (const stores of [STORES, ['s1'], ['s2', 's3'], [...STORES, 's9']]) {
      expect(byKey(distributionBands(a, range, stores))).toEqual(byKey(distributionBands(b, range, stores)));
      expect(byKey(productRows(a, range, stores))).toEqual(byKey(productRows(b, range, stores)));
    }
  }
}

describe('analytics in memory: a few customers spliced in', () => {
  it('equals a build from scratch of the final rows, over several splices in a row', () => {
    const rnd = new Random(151129);
    for (let trial = 0; trial < 20; trial++) {
      const shop = new Map<string, CustomerRows>();
      for (let c = 0; c < 40; c++) shop.set(`c${String(c).padStart(3, '0')}`, randomRows(rnd));
      let index = build(shop);
      for (let round = 0; round < 3; round++) {
        const changed = new Map<string, CustomerRows>();
        for (let k = 0; k < rnd.int(1, 8); k++) {
          // An existing customer (new rows, fewer, none) or a new one.
          const id = rnd.int(0, 3) ? `c${String(rnd.int(0, 39)).padStart(3, '0')}` : `n${trial}-${round}-${k}`;
          const rows = randomRows(rnd, true);
          changed.set(id, rows);
          shop.set(id, rows);
        }
        index = splice(index, changed);
        expectSameAnswers(rnd, index, build(shop));
      }
    }
  });

  it('the index given is left answering as before', () => {
    const rnd = new Random(7);
    const shop = new Map<string, CustomerRows>();
    for (let c = 0; c < 30; c++) shop.set(`c${c}`, randomRows(rnd));
    const before = build(shop);
    const copy = build(shop);
    splice(before, new Map([['c3', { person: undefined, buyerRows: [], productRows: [] }]]));
    expectSameAnswers(rnd, before, copy);
  });

  it('a spliced-out customer no longer counts, and a spliced-in one does', () => {
    const shop = new Map<string, CustomerRows>([
      [
        'a',
        {
          person: { gender: 'female', city: '杭州市', birthday: null },
          buyerRows: [{ store: 's1', day: '2026-03-02', orders: 2, revenue: 30_000 }],
          productRows: [{ store: 's1', day: '2026-03-02', product: '围巾', orders: 2, units: 2, revenue: 30_000 }],
        },
      ],
    ]);
    const march = { from: '2026-03-01', to: '2026-03-31' };
    const index = splice(
      build(shop),
      new Map([
        ['a', { person: undefined, buyerRows: [], productRows: [] }],
        [
          'b',
          {
            person: { gender: 'male', city: null, birthday: null },
            buyerRows: [{ store: 's2', day: '2026-03-09', orders: 1, revenue: 5_000 }],
            productRows: [{ store: 's2', day: '2026-03-09', product: '帽子', orders: 1, units: 3, revenue: 5_000 }],
          },
        ],
      ]),
    );
    expect(byKey(distributionBands(index, march, ['s1', 's2']))).toEqual(
      byKey([
        { dim: 'freq', key: '1', n: 1, rev: 5_000 },
        { dim: 'aov', key: '0-100', n: 1, rev: 5_000 },
        { dim: 'age', key: 'unknown', n: 1, rev: 0 },
        { dim: 'gender', key: 'male', n: 1, rev: 0 },
        { dim: 'city', key: '', n: 1, rev: 0 },
      ]),
    );
    expect(productRows(index, march, ['s1', 's2'])).toEqual([
      { product: '帽子', units: 3, orders: 1, revenue: 5_000, buyers: 1, repeaters: 0 },
    ]);
  });
});
