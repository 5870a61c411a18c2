import { countsAsPurchase, type PurchaseRule, type StatsOrder } from './stats.js';

/**
 * Per-customer order facts: for each customer and each value of an order dimension (a category at
 * every level of its path, an activity, a source, a store, and an activity with a category level),
 * how many of the customer's purchases had it, what they paid net of refunds, and when the first and
 * last were paid. Segment conditions such as "≥ 2 orders in 女装" read one row here instead of
 * walking the customer's orders and lines.
 * Only purchases count (core/stats.ts countsAsPurchase), as in the order-fact conditions' default.
 */
export const FACT_DIMENSIONS = ['category', 'activity', 'source', 'store', 'activity+category'] as const;
export type FactDimension = (typeof FACT_DIMENSIONS)[number];

/**
 * The combined dimension 'activity+category': per customer, activity and category level, the purchases
 * that had both — the same order in the activity with a line in the category ("女装/大衣 during 双11
 * 2025"), which the two facts apart cannot tell (a customer can have each in a different order). Its
 * value is the activity, PAIR_SEPARATOR, the category level. A value is read only for an activity and a
 * category that do not contain the separator (pairValue returns null otherwise), so a key read always
 * means that one pair: any other pair's key containing it would need the separator inside one of them.
 */
export const PAIR_SEPARATOR = '\u001f';

/** The key of an (activity, category level) pair, or null when either part contains the separator. */
export function pairValue(activity: string, category: string): string | null {
  if (activity.includes(PAIR_SEPARATOR) || category.includes(PAIR_SEPARATOR)) return null;
  return `${activity}${PAIR_SEPARATOR}${category}`;
}

export interface FactOrder extends Pick<StatsOrder, 'id' | 'status' | 'paidAt' | 'paidFen' | 'refundedFen'> {
  activity: string | null;
  source: string | null;
  storeId: string | null;
  items: readonly { category: string | null }[];
}

export interface OrderFact {
  dim: FactDimension;
  value: string;
  orders: number;
  spendFen: number;
  firstAt: string;
  lastAt: string;
}

/** The separator of category paths: 女装/连衣裙 is a child of 女装. */
export const CATEGORY_SEPARATOR = '/';

/** A category and every parent on its path: 女装/连衣裙/长款 → 女装, 女装/连衣裙, 女装/连衣裙/长款. */
export function categoryLevels(category: string): string[] {
  const parts = category.split(CATEGORY_SEPARATOR);
  const levels: string[] = [];
  for (let i = 1; i <= parts.length; i++) {
    if (parts[i - 1]!.trim() !== '') levels.push(parts.slice(0, i).join(CATEGORY_SEPARATOR));
  }
  return levels;
}

/** Whether an order-line category is the given category or one of its children. */
export function categoryCovers(parent: string, category: string): boolean {
  return category === parent || category.startsWith(`${parent}${CATEGORY_SEPARATOR}`);
}

function present(v: string | null | undefined): v is string {
  return v !== null && v !== undefined && v !== '';
}

/** One customer's facts from their orders (any order; only purchases count). */
export function customerOrderFacts(orders: readonly FactOrder[], rule: PurchaseRule): OrderFact[] {
  const facts = new Map<string, OrderFact>();
  const add = (dim: FactDimension, value: string, o: FactOrder) => {
    const key = `${dim}\u0000${value}`;
    const paidAt = o.paidAt!;
    const f = facts.get(key);
    if (!f) {
      facts.set(key, { dim, value, orders: 1, spendFen: o.paidFen - o.refundedFen, firstAt: paidAt, lastAt: paidAt });
      return;
    }
    f.orders += 1;
    f.spendFen += o.paidFen - o.refundedFen;
    if (paidAt < f.firstAt) f.firstAt = paidAt;
    if (paidAt > f.lastAt) f.lastAt = paidAt;
  };
  for (const o of orders) {
    if (!countsAsPurchase(o, rule)) continue;
    if (present(o.activity)) add('activity', o.activity, o);
    if (present(o.source)) add('source', o.source, o);
    if (present(o.storeId)) add('store', o.storeId, o);
    const levels = new Set<string>();
    for (const { category: c } of o.items) if (present(c)) for (const l of categoryLevels(c)) levels.add(l);
    for (const l of levels) add('category', l, o);
    if (present(o.activity)) for (const l of levels) add('activity+category', `${o.activity}${PAIR_SEPARATOR}${l}`, o);
  }
  return [...facts.values()];
}
