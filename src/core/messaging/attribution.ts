/**
 * Did the campaign make people buy? Recipients (treated) against the hold-out control: conversion
 * per group, and the incremental conversions, orders and revenue the treated group shows over
 * what the control's rate predicts for it, each with a 95 % confidence interval (normal
 * approximation: Wald for the conversion difference, Welch's standard error for the means).
 */
export interface GroupOutcome {
  customers: number;
  /** Customers with at least one order in the window. */
  converters: number;
  orders: number;
  /** Sum over customers of orders² (for the variance of orders per customer). */
  ordersSq: number;
  revenueFen: number;
  revenueSq: number;
}

export const Z95 = 1.959964;

export function outcomeOf(perCustomer: readonly { orders: number; revenueFen: number }[]): GroupOutcome {
  const o: GroupOutcome = { customers: 0, converters: 0, orders: 0, ordersSq: 0, revenueFen: 0, revenueSq: 0 };
  for (const c of perCustomer) {
    o.customers += 1;
    if (c.orders > 0) o.converters += 1;
    o.orders += c.orders;
    o.ordersSq += c.orders * c.orders;
    o.revenueFen += c.revenueFen;
    o.revenueSq += c.revenueFen * c.revenueFen;
  }
  return o;
}

/** Groups taken as one (the variants together as the treated group). */
export function sumOutcomes(groups: readonly GroupOutcome[]): GroupOutcome {
  const o: GroupOutcome = { customers: 0, converters: 0, orders: 0, ordersSq: 0, revenueFen: 0, revenueSq: 0 };
  for (const g of groups) for (const k of Object.keys(o) as (keyof GroupOutcome)[]) o[k] += g[k];
  return o;
}

/** Unbiased sample variance from n, Σx and Σx² (0 below two observations). */
function variance(n: number, sum: number, sumSq: number): number {
  if (n < 2) return 0;
  return Math.max(0, (sumSq - (sum * sum) / n) / (n - 1));
}

export interface Estimate {
  value: number;
  low: number;
  high: number;
}

function estimate(diff: number, se: number, scale: number): Estimate {
  return { value: diff * scale, low: (diff - Z95 * se) * scale, high: (diff + Z95 * se) * scale };
}

export interface Attribution {
  treated: { customers: number; conversion: number; orders: number; revenueFen: number };
  control: { customers: number; conversion: number; orders: number; revenueFen: number };
  /** Conversion difference in rate points (0.05 = 5 points), with its CI. */
  conversionLift: Estimate;
  /** treated ÷ control conversion − 1; null when the control never converted. */
  relativeLift: number | null;
  incrementalConversions: Estimate;
  incrementalOrders: Estimate;
  incrementalRevenueFen: Estimate;
}

export function attribute(treated: GroupOutcome, control: GroupOutcome): Attribution | null {
  const nt = treated.customers;
  const nc = control.customers;
  if (nt === 0 || nc === 0) return null;
  const pt = treated.converters / nt;
  const pc = control.converters / nc;
  const seP = Math.sqrt((pt * (1 - pt)) / nt + (pc * (1 - pc)) / nc);
  const mean = (g: GroupOutcome, k: 'orders' | 'revenueFen') => g[k] / g.customers;
  const seOf = (k: 'orders' | 'revenueFen', sq: 'ordersSq' | 'revenueSq') =>
    Math.sqrt(variance(nt, treated[k], treated[sq]) / nt + variance(nc, control[k], control[sq]) / nc);
  return {
    treated: { customers: nt, conversion: pt, orders: treated.orders, revenueFen: treated.revenueFen },
    control: { customers: nc, conversion: pc, orders: control.orders, revenueFen: control.revenueFen },
    conversionLift: estimate(pt - pc, seP, 1),
    relativeLift: pc > 0 ? pt / pc - 1 : null,
    incrementalConversions: estimate(pt - pc, seP, nt),
    incrementalOrders: estimate(mean(treated, 'orders') - mean(control, 'orders'), seOf('orders', 'ordersSq'), nt),
    incrementalRevenueFen: estimate(
      mean(treated, 'revenueFen') - mean(control, 'revenueFen'),
      seOf('revenueFen', 'revenueSq'),
      nt,
    ),
  };
}
