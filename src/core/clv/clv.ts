import { expectedPurchases, probabilityAlive, type BgNbdParams, type Rft } from './bgnbd.js';

/**
 * Customer lifetime value over `months` months: expected purchases in each month (BG/NBD) times
 * the expected spend per purchase (Gamma-Gamma), each month discounted at `monthlyDiscount`
 * (0.01 = 1 % a month), as lifetimes' customer_lifetime_value does. `monthLength` is a month in
 * the model's time unit (30 for days, 30/7 for weeks). Revenue, not margin.
 */
export function customerLifetimeValue(
  p: BgNbdParams,
  c: Rft,
  spendPerPurchase: number,
  opts: { months: number; monthlyDiscount: number; monthLength: number },
): number {
  let value = 0;
  let before = 0;
  for (let i = 1; i <= opts.months; i++) {
    const upTo = expectedPurchases(p, c, i * opts.monthLength);
    value += ((upTo - before) * spendPerPurchase) / (1 + opts.monthlyDiscount) ** i;
    before = upTo;
  }
  return value;
}

export type ChurnBand = 'low' | 'medium' | 'high' | 'one_time';

/**
 * Churn risk from P(alive): high below 0.3, medium below 0.7, low otherwise. Customers without a
 * repeat purchase get 'one_time': BG/NBD holds them alive by construction (P(alive) = 1), so the
 * band would say nothing about them.
 */
export function churnBand(p: BgNbdParams, c: Rft): ChurnBand {
  if (c.x === 0) return 'one_time';
  const alive = probabilityAlive(p, c);
  return alive < 0.3 ? 'high' : alive < 0.7 ? 'medium' : 'low';
}
