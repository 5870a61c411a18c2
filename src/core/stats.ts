/**
 * Per-customer statistics, defined once here in plain code. The database keeps the same
 * numbers (customer_stats) and `huike recompute` derives them in one SQL pass; a test proves the
 * two always agree.
 *
 * Definitions:
 * - an order *counts* as a purchase when it was paid, something was paid (a 0-yuan gift, sample or
 *   trial is not a purchase, unless the workspace's purchase rule says it is) and it was not fully
 *   refunded;
 * - spend is net: paid minus refunded, over counting orders;
 * - 12-month figures look at counting orders paid within 365 days before `asOf`;
 * - favourite category: most units bought over counting orders (ties: first by name);
 * - province: of the most recent order that has one;
 * - a credit note (an order of kind 'credit', from a generic export's cancellation documents) is
 *   not an order: it counts as a refund (refund amount and refund documents) and lowers net spend
 *   by its amount, and the 12-month spend when it is dated within the window.
 */
import type { OrderStatus } from './order-status.js';
import { DAY_MS } from './time.js';

export interface StatsOrder {
  id: string;
  status: OrderStatus;
  createdAt: string;
  paidAt: string | null;
  paidFen: number;
  refundedFen: number;
  /** 'credit' for a credit note; anything else (or absent) is an order. */
  kind?: string;
  province: string | null;
  items: { category: string | null; quantity: number }[];
}

export interface CustomerStats {
  ordersCount: number;
  paidOrders: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  firstPaidAt: string | null;
  lastPaidAt: string | null;
  totalSpentFen: number;
  refundFen: number;
  refundOrders: number;
  aovFen: number;
  spent12mFen: number;
  orders12m: number;
  favouriteCategory: string | null;
  province: string | null;
}

export const WINDOW_12M_DAYS = 365;

/** A workspace's choice of what counts as a purchase (settings key "purchases"). */
export interface PurchaseRule {
  /** Orders with nothing paid (gifts, samples, 0-yuan trials) count as purchases too. */
  zeroPaidCounts: boolean;
}
export const DEFAULT_PURCHASE_RULE: PurchaseRule = { zeroPaidCounts: false };

export function countsAsPurchase(
  o: Pick<StatsOrder, 'status' | 'paidAt' | 'paidFen' | 'refundedFen'>,
  rule: PurchaseRule = DEFAULT_PURCHASE_RULE,
): boolean {
  if (o.paidAt === null || o.status === 'refunded') return false;
  if (o.paidFen <= 0 && !rule.zeroPaidCounts) return false;
  return !(o.refundedFen > 0 && o.refundedFen >= o.paidFen);
}

/** Average order value rounded half up, in integer arithmetic so SQL gives the same. */
export function averageFen(totalFen: number, orders: number): number {
  // Credit notes can take net spend to or below zero (the cancelled order was never imported): no
  // average then, rather than a negative one.
  return orders === 0 || totalFen <= 0 ? 0 : Math.floor((2 * totalFen + orders) / (2 * orders));
}

export function twelveMonthCutoff(asOf: string): string {
  return new Date(Date.parse(asOf) - WINDOW_12M_DAYS * DAY_MS).toISOString();
}

const minIso = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a <= b ? a : b);
const maxIso = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : a >= b ? a : b);

export function computeCustomerStats(
  orders: readonly StatsOrder[],
  asOf: string,
  rule: PurchaseRule = DEFAULT_PURCHASE_RULE,
): CustomerStats {
  const cutoff = twelveMonthCutoff(asOf);
  const s: CustomerStats = {
    ordersCount: 0,
    paidOrders: 0,
    firstOrderAt: null,
    lastOrderAt: null,
    firstPaidAt: null,
    lastPaidAt: null,
    totalSpentFen: 0,
    refundFen: 0,
    refundOrders: 0,
    aovFen: 0,
    spent12mFen: 0,
    orders12m: 0,
    favouriteCategory: null,
    province: null,
  };
  const units = new Map<string, number>();
  let latest: StatsOrder | null = null;
  for (const o of orders) {
    if (o.kind === 'credit') {
      s.refundFen += o.refundedFen;
      s.refundOrders += 1;
      s.totalSpentFen -= o.refundedFen;
      if (o.createdAt >= cutoff) s.spent12mFen -= o.refundedFen;
      continue;
    }
    s.ordersCount += 1;
    s.firstOrderAt = minIso(s.firstOrderAt, o.createdAt);
    s.lastOrderAt = maxIso(s.lastOrderAt, o.createdAt);
    s.refundFen += o.refundedFen;
    if (o.refundedFen > 0 || o.status === 'refunded') s.refundOrders += 1;
    if (
      o.province &&
      (!latest || o.createdAt > latest.createdAt || (o.createdAt === latest.createdAt && o.id > latest.id))
    ) {
      latest = o;
    }
    if (!countsAsPurchase(o, rule)) continue;
    const net = o.paidFen - o.refundedFen;
    s.paidOrders += 1;
    s.totalSpentFen += net;
    s.firstPaidAt = minIso(s.firstPaidAt, o.paidAt);
    s.lastPaidAt = maxIso(s.lastPaidAt, o.paidAt);
    if (o.paidAt !== null && o.paidAt >= cutoff) {
      s.spent12mFen += net;
      s.orders12m += 1;
    }
    for (const it of o.items) {
      if (it.category) units.set(it.category, (units.get(it.category) ?? 0) + it.quantity);
    }
  }
  s.aovFen = averageFen(s.totalSpentFen, s.paidOrders);
  s.province = latest?.province ?? null;
  let best: [string, number] | null = null;
  for (const [cat, n] of units) {
    if (!best || n > best[1] || (n === best[1] && cat < best[0])) best = [cat, n];
  }
  s.favouriteCategory = best?.[0] ?? null;
  return s;
}
