import { reason } from './reasons.js';
import { Invalid } from './errors.js';
import { zoneOffsetMinutes } from './time.js';

/**
 * Points (积分) arithmetic. The ledger is append-only: credits (earn, positive adjust) are lots
 * with a time they become spendable (pending until the order's return window has passed) and an
 * expiry; debits (redeem, expire, negative adjust, reverse) consume lots, oldest expiry first, and
 * record which. Balances are derived from lots and what consumed them.
 */
export interface Lot {
  id: string;
  points: number;
  consumed: number;
  availableAt: string;
  expiresAt: string | null;
}

export interface Allocation {
  lotId: string;
  points: number;
}

export const remaining = (l: Lot) => l.points - l.consumed;

export function isSpendable(l: Lot, now: string): boolean {
  return remaining(l) > 0 && l.availableAt <= now && (l.expiresAt === null || l.expiresAt > now);
}

/** FIFO by expiry (lots that never expire last), then by when they became spendable. */
export function fifoOrder(a: Lot, b: Lot): number {
  if (a.expiresAt !== b.expiresAt) {
    if (a.expiresAt === null) return 1;
    if (b.expiresAt === null) return -1;
    return a.expiresAt < b.expiresAt ? -1 : 1;
  }
  return a.availableAt < b.availableAt ? -1 : a.availableAt > b.availableAt ? 1 : a.id < b.id ? -1 : 1;
}

/** Which lots pay for `points`; refuses when the spendable balance is short (never negative). */
export function allocate(lots: readonly Lot[], points: number, now: string): Allocation[] {
  if (!Number.isInteger(points) || points <= 0)
    throw new Invalid('points must be a whole number above 0', reason('points.positive'));
  const usable = lots.filter((l) => isSpendable(l, now)).sort(fifoOrder);
  const balance = usable.reduce((s, l) => s + remaining(l), 0);
  if (balance < points)
    throw new Invalid(
      `not enough points: ${points} asked, ${balance} spendable`,
      reason('points.notEnough', { points, balance }),
      { spendable: balance },
    );
  const out: Allocation[] = [];
  let left = points;
  for (const l of usable) {
    if (left === 0) break;
    const take = Math.min(left, remaining(l));
    out.push({ lotId: l.id, points: take });
    left -= take;
  }
  return out;
}

export interface PointsSummary {
  pending: number;
  spendable: number;
  spent: number;
  expired: number;
  lifetime: number;
}

/** Totals of one customer at `now`. Expired-but-not-yet-written-off lots count as expired. */
export function summarize(
  lots: readonly Lot[],
  debits: { kind: string; points: number }[],
  now: string,
): PointsSummary {
  const s: PointsSummary = { pending: 0, spendable: 0, spent: 0, expired: 0, lifetime: 0 };
  for (const l of lots) {
    s.lifetime += l.points;
    const r = remaining(l);
    if (r <= 0) continue;
    if (l.expiresAt !== null && l.expiresAt <= now) s.expired += r;
    else if (l.availableAt > now) s.pending += r;
    else s.spendable += r;
  }
  for (const d of debits) {
    if (d.kind === 'expire') s.expired += -d.points;
    else if (d.kind === 'redeem') s.spent += -d.points;
  }
  return s;
}

export type ExpiryPolicy = { kind: 'never' } | { kind: 'days'; days: number } | { kind: 'end_of_next_year' };

/**
 * When points earned at `earnedAt` expire. end_of_next_year: at the end of 31 December of the
 * year after the one they were earned in, in the shop's time zone (the common Taobao rule).
 */
export function expiryFor(earnedAt: string, policy: ExpiryPolicy, timeZone: string): string | null {
  if (policy.kind === 'never') return null;
  const t = Date.parse(earnedAt);
  if (policy.kind === 'days') return new Date(t + policy.days * 86_400_000).toISOString();
  const localYear = new Date(t + zoneOffsetMinutes(timeZone, t) * 60_000).getUTCFullYear();
  const wallEnd = Date.UTC(localYear + 2, 0, 1); // 1 January, two years on, 00:00 local
  return new Date(wallEnd - zoneOffsetMinutes(timeZone, wallEnd) * 60_000).toISOString();
}

/** Points for an order: floor(net yuan × rate). */
export function pointsForAmount(netFen: number, perYuan: number): number {
  return Math.max(0, Math.floor((netFen / 100) * perYuan));
}

/** available_at of order points still waiting for delivery: later than any real time. */
export const AWAITING_DELIVERY = '9999-12-31T00:00:00.000Z';

export interface DeliveryFacts {
  status: string;
  paidAt: string;
  shippedAt: string | null;
  signedAt: string | null;
}

/**
 * When an order's points become spendable: the platform's return window after delivery.
 * - Signed (签收) with a time: that time + the window.
 * - Delivered (signed/completed, 交易成功) without a signing time: from shipping (or payment when
 *   the export has no shipping time) — the buyer has the goods, only the moment is unknown.
 * - Still shipped: delivery is taken to happen `assumeDeliveredDays` after shipping (the platforms
 *   confirm receipt automatically, Taobao after 10 days); a later export that says signed moves it.
 * - Paid, not shipped: AWAITING_DELIVERY — pending until an export shows it on its way or delivered.
 */
export function orderPointsAvailableAt(o: DeliveryFacts, windowDays: number, assumeDeliveredDays: number): string {
  const plus = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000).toISOString();
  if (o.signedAt) return plus(o.signedAt, windowDays);
  if (o.status === 'signed' || o.status === 'completed') return plus(o.shippedAt ?? o.paidAt, windowDays);
  if (o.status === 'shipped') return plus(o.shippedAt ?? o.paidAt, assumeDeliveredDays + windowDays);
  return AWAITING_DELIVERY;
}
