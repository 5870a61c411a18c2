/**
 * 复购提醒: how long a shop's customers take between two orders of the same category (the median
 * interval in days, learned from the shop's own orders), and whose refill is due.
 */
export interface CategoryPurchase {
  customerId: string;
  category: string;
  /** When the order was paid (or created). */
  at: string;
  orderId: string;
}

const DAY = 86_400_000;

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The median number of days between a customer's consecutive orders of each category, over every
 * customer; a category needs at least `minPairs` such intervals to have one. Two purchases on the
 * same day are one purchase.
 */
export function refillIntervals(history: readonly CategoryPurchase[], minPairs = 3): Map<string, number> {
  const byKey = new Map<string, number[]>();
  for (const p of history) {
    const k = `${p.category}\u0000${p.customerId}`;
    const list = byKey.get(k) ?? [];
    list.push(Date.parse(p.at));
    byKey.set(k, list);
  }
  const gaps = new Map<string, number[]>();
  for (const [k, times] of byKey) {
    const category = k.split('\u0000')[0]!;
    times.sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) {
      const days = (times[i]! - times[i - 1]!) / DAY;
      if (days < 1) continue;
      const g = gaps.get(category) ?? [];
      g.push(days);
      gaps.set(category, g);
    }
  }
  const out = new Map<string, number>();
  for (const [c, g] of gaps) if (g.length >= minPairs) out.set(c, Math.round(median(g)!));
  return out;
}

/** Customers whose last purchase of a category is at least its interval old (and who have not bought it since). */
export function refillsDue(
  history: readonly CategoryPurchase[],
  intervals: ReadonlyMap<string, number>,
  now: Date,
): { customerId: string; category: string; lastOrderId: string; lastAt: string; intervalDays: number }[] {
  const last = new Map<string, CategoryPurchase>();
  for (const p of history) {
    const k = `${p.category}\u0000${p.customerId}`;
    const prev = last.get(k);
    if (!prev || Date.parse(p.at) > Date.parse(prev.at)) last.set(k, p);
  }
  const out = [];
  for (const p of last.values()) {
    const days = intervals.get(p.category);
    if (days === undefined) continue;
    if (now.getTime() - Date.parse(p.at) >= days * DAY)
      out.push({
        customerId: p.customerId,
        category: p.category,
        lastOrderId: p.orderId,
        lastAt: p.at,
        intervalDays: days,
      });
  }
  return out.sort((a, b) => a.customerId.localeCompare(b.customerId) || a.category.localeCompare(b.category));
}
