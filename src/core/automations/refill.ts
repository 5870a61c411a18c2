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

export interface Refill {
  customerId: string;
  category: string;
  lastOrderId: string;
  lastAt: string;
  intervalDays: number;
}

/** Each customer's last purchase of each category that has an interval (the refill is due that many days after it). */
function lastPurchases(history: readonly CategoryPurchase[], intervals: ReadonlyMap<string, number>): Refill[] {
  const last = new Map<string, { p: CategoryPurchase; t: number }>();
  for (const p of history) {
    if (!intervals.has(p.category)) continue;
    const k = `${p.category}\u0000${p.customerId}`;
    const t = Date.parse(p.at);
    const prev = last.get(k);
    if (!prev || t > prev.t) last.set(k, { p, t });
  }
  return [...last.values()].map(({ p }) => ({
    customerId: p.customerId,
    category: p.category,
    lastOrderId: p.orderId,
    lastAt: p.at,
    intervalDays: intervals.get(p.category)!,
  }));
}

/**
 * For consecutive days, the refills that fall due on each: a customer's last purchase of a category is due its
 * interval after it, on the first day whose `until` it does not pass and whose `since` it is not before (a refill due
 * long before the day is not reminded). Each day's list by customer, then category (the order runs start in).
 */
export function refillsByDay(
  history: readonly CategoryPurchase[],
  intervals: ReadonlyMap<string, number>,
  days: readonly { since: number; until: number }[],
): Refill[][] {
  const perDay: Refill[][] = days.map(() => []);
  for (const d of lastPurchases(history, intervals)) {
    const due = Date.parse(d.lastAt) + d.intervalDays * DAY;
    const j = days.findIndex((b) => due <= b.until && due >= b.since);
    if (j >= 0) perDay[j]!.push(d);
  }
  for (const list of perDay)
    list.sort((a, b) => a.customerId.localeCompare(b.customerId) || a.category.localeCompare(b.category));
  return perDay;
}
