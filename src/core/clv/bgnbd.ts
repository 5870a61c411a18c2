import { gammaln, hyp2f1, logAddExp, logisticOfNegative, minimisePositive } from './special.js';

/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"). While alive a
 * customer buys at Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with
 * probability p ~ Beta(a, b). A customer is summarised by x (repeat purchases), tx (time of the
 * last purchase since the first: recency) and T (time since the first purchase: age), all in one
 * time unit (days or weeks). Everything is computed in logarithms so that a customer with
 * hundreds of purchases neither overflows Γ nor loses the hypergeometric term.
 */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

export interface Rft {
  /** Repeat purchases (purchase days after the first). */
  x: number;
  /** Time of the last purchase, counted from the first. */
  tx: number;
  /** Age: time from the first purchase to the end of the observation. */
  T: number;
}

/**
 * Customers with the same (x, tx, T) grouped, with how many there are: one likelihood term each.
 * The distinct values of x, tx and T are few (whole days), so the logarithms and Γ terms that
 * depend on one of them are computed once per value, not once per customer.
 */
export interface RftGroups {
  x: Float64Array;
  weight: Float64Array;
  xIndex: Int32Array;
  txIndex: Int32Array;
  TIndex: Int32Array;
  distinctX: Float64Array;
  distinctTx: Float64Array;
  distinctT: Float64Array;
}

function indexer() {
  const seen = new Map<number, number>();
  return {
    seen,
    of(v: number): number {
      let i = seen.get(v);
      if (i === undefined) seen.set(v, (i = seen.size));
      return i;
    },
  };
}

export function groupRft(rows: Iterable<Rft>): RftGroups {
  const counts = new Map<string, { r: Rft; n: number }>();
  for (const r of rows) {
    if (!(r.x >= 0 && r.tx >= 0 && r.T >= r.tx)) {
      throw new RangeError(`not a valid customer summary: x=${r.x}, tx=${r.tx}, T=${r.T} (need x ≥ 0, 0 ≤ tx ≤ T)`);
    }
    const key = `${r.x}|${r.tx}|${r.T}`;
    const c = counts.get(key);
    if (c) c.n += 1;
    else counts.set(key, { r, n: 1 });
  }
  const n = counts.size;
  const xs = indexer();
  const txs = indexer();
  const Ts = indexer();
  const g = {
    x: new Float64Array(n),
    weight: new Float64Array(n),
    xIndex: new Int32Array(n),
    txIndex: new Int32Array(n),
    TIndex: new Int32Array(n),
  };
  let i = 0;
  for (const { r, n: w } of counts.values()) {
    g.x[i] = r.x;
    g.weight[i] = w;
    g.xIndex[i] = xs.of(r.x);
    g.txIndex[i] = txs.of(r.tx);
    g.TIndex[i] = Ts.of(r.T);
    i += 1;
  }
  return {
    ...g,
    distinctX: Float64Array.from(xs.seen.keys()),
    distinctTx: Float64Array.from(txs.seen.keys()),
    distinctT: Float64Array.from(Ts.seen.keys()),
  };
}

/** One customer's log-likelihood, ln L(r, α, a, b | x, tx, T) (the paper's equation 6, in logs). */
export function bgnbdCustomerLogLikelihood(p: BgNbdParams, c: Rft): number {
  const { r, alpha, a, b } = p;
  const { x, tx, T } = c;
  const a1 = gammaln(r + x) - gammaln(r) + r * Math.log(alpha);
  const a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x);
  const a3 = -(r + x) * Math.log(alpha + T);
  const a4 = x > 0 ? Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx) : Number.NEGATIVE_INFINITY;
  return a1 + a2 + logAddExp(a3, a4);
}

/** The sample's log-likelihood. */
export function bgnbdLogLikelihood(p: BgNbdParams, g: RftGroups): number {
  const { r, alpha, a, b } = p;
  if (!(r > 0 && alpha > 0 && a > 0 && b > 0)) return Number.NEGATIVE_INFINITY;
  const lnA = Math.log(a);
  const base = -gammaln(r) + r * Math.log(alpha) + gammaln(a + b) - gammaln(b);
  const byX = new Float64Array(g.distinctX.length);
  const lnBx = new Float64Array(g.distinctX.length);
  for (let k = 0; k < byX.length; k++) {
    const x = g.distinctX[k]!;
    byX[k] = base + gammaln(r + x) + gammaln(b + x) - gammaln(a + b + x);
    lnBx[k] = x > 0 ? Math.log(b + x - 1) : 0;
  }
  const lnT = g.distinctT.map((T) => Math.log(alpha + T));
  const lnTx = g.distinctTx.map((tx) => Math.log(alpha + tx));
  let ll = 0;
  for (let i = 0; i < g.x.length; i++) {
    const x = g.x[i]!;
    const k = g.xIndex[i]!;
    const a3 = -(r + x) * lnT[g.TIndex[i]!]!;
    let term = a3;
    if (x > 0) {
      const a4 = lnA - lnBx[k]! - (r + x) * lnTx[g.txIndex[i]!]!;
      term = a3 > a4 ? a3 + Math.log1p(Math.exp(a4 - a3)) : a4 + Math.log1p(Math.exp(a3 - a4));
    }
    ll += g.weight[i]! * (byX[k]! + term);
  }
  return ll;
}

export interface BgNbdFit {
  params: BgNbdParams;
  logLikelihood: number;
  customers: number;
}

/** Maximum-likelihood fit. */
export function fitBgNbd(g: RftGroups): BgNbdFit {
  let customers = 0;
  for (const w of g.weight) customers += w;
  if (customers === 0) throw new RangeError('no customers to fit');
  let repeaters = 0;
  for (let i = 0; i < g.x.length; i++) if (g.x[i]! > 0) repeaters += g.weight[i]!;
  if (repeaters === 0) throw new RangeError('no customer has a repeat purchase: BG/NBD cannot be fitted');
  // The mean log-likelihood keeps the optimiser's tolerances the same whatever the sample size.
  const f = ([r, alpha, a, b]: number[]) => -bgnbdLogLikelihood({ r: r!, alpha: alpha!, a: a!, b: b! }, g) / customers;
  // Start from r = 0.5 with α matching the sample's mean purchase rate (E[λ] = r/α).
  let rate = 0;
  for (let i = 0; i < g.x.length; i++) {
    const T = g.distinctT[g.TIndex[i]!]!;
    if (T > 0) rate += (g.weight[i]! * g.x[i]!) / T;
  }
  rate /= customers;
  const { params } = minimisePositive(f, [0.5, rate > 0 ? 0.5 / rate : 1, 1, 3]);
  const [r, alpha, a, b] = params as [number, number, number, number];
  const fitted = { r, alpha, a, b };
  return { params: fitted, logLikelihood: bgnbdLogLikelihood(fitted, g), customers };
}

/** ln of the odds that the customer has dropped out: ln(a/(b+x−1)) + (r+x)·ln((α+T)/(α+tx)). */
function logOddsDead(p: BgNbdParams, c: Rft): number {
  if (c.x === 0) return Number.NEGATIVE_INFINITY;
  return Math.log(p.a) - Math.log(p.b + c.x - 1) + (p.r + c.x) * (Math.log(p.alpha + c.T) - Math.log(p.alpha + c.tx));
}

/**
 * P(alive | x, tx, T). A customer with no repeat purchase is always alive in BG/NBD: dropping
 * out can only happen right after a purchase.
 */
export function probabilityAlive(p: BgNbdParams, c: Rft): number {
  return logisticOfNegative(logOddsDead(p, c));
}

/**
 * E[Y(t) | x, tx, T]: expected purchases in the next t time units (the paper's equation 10),
 * (a+b+x−1)/(a−1) · (1 − H) · P(alive) with H = (1−z)^(r+x)·₂F₁(r+x, b+x; a+b+x−1; z) and
 * z = t/(α+T+t). H is computed two ways:
 * - Euler's transformation H = (1−z)^(a−1)·₂F₁(a+b−1−r, a−1; a+b+x−1; z) (stdlib's ₂F₁): its
 *   parameters do not grow with x, so customers with hundreds or thousands of purchases stay
 *   finite where the original ₂F₁ overflows. Fast, and right for the usual a, b of a few units.
 * - When that is not finite or not where H must lie (H ≤ 1 when a > 1, H ≥ 1 when a < 1), which
 *   happens when a and b are in the thousands (nearly the same dropout for everyone), H is summed
 *   from the original series term by term in logarithms: every term is positive and z < 1.
 */
export function expectedPurchases(p: BgNbdParams, c: Rft, t: number): number {
  if (t <= 0) return 0;
  const { a, b } = p;
  const h = hypergeometricTerm(p, c, t);
  const unconditional = ((a + b + c.x - 1) / (a - 1)) * (1 - h);
  return Math.max(0, unconditional * probabilityAlive(p, c));
}

function hypergeometricTerm(p: BgNbdParams, c: Rft, t: number): number {
  const { r, alpha, a, b } = p;
  const { x, T } = c;
  const lnOneMinusZ = Math.log(alpha + T) - Math.log(alpha + T + t);
  const z = t / (alpha + T + t);
  const euler = Math.exp((a - 1) * lnOneMinusZ) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z);
  if (Number.isFinite(euler) && (a > 1 ? euler > 0 && euler <= 1 : euler >= 1)) return euler;
  return Math.exp((r + x) * lnOneMinusZ + logHyp2f1PositiveSeries(r + x, b + x, a + b + x - 1, z));
}

/** ln ₂F₁(A, B; C; z) for A, B, C > 0 and 0 ≤ z < 1 (all terms positive), summed in logarithms. */
export function logHyp2f1PositiveSeries(A: number, B: number, C: number, z: number): number {
  if (z === 0) return 0;
  const lnZ = Math.log(z);
  let logTerm = 0;
  let logSum = 0;
  for (let k = 0; k < 10_000_000; k++) {
    const step = Math.log(A + k) + Math.log(B + k) - Math.log(C + k) - Math.log(k + 1) + lnZ;
    logTerm += step;
    logSum = logAddExp(logSum, logTerm);
    // Once terms shrink, every later ratio is at most max(this ratio, z) < 1: the rest is below a
    // geometric tail; stop when it cannot change the sum.
    const q = Math.max(Math.exp(step), z);
    if (step < 0 && logTerm + Math.log(q) - Math.log1p(-q) < logSum - 37) break;
  }
  return logSum;
}

/**
 * P(at least one purchase in the next t | x, tx, T) = P(alive)·(1 − ((α+T)/(α+T+t))^(r+x)): an
 * alive customer cannot drop out before their next purchase, which comes at the posterior rate
 * λ ~ Gamma(r+x, α+T).
 */
export function probabilityPurchaseWithin(p: BgNbdParams, c: Rft, t: number): number {
  if (t <= 0) return 0;
  const lnNone = (p.r + c.x) * (Math.log(p.alpha + c.T) - Math.log(p.alpha + c.T + t));
  return probabilityAlive(p, c) * -Math.expm1(lnNone);
}

/**
 * When the next purchase becomes more likely than not: the t solving
 * P(purchase within t) = 1/2, i.e. t = (α+T)·((1 − 1/(2·P(alive)))^(−1/(r+x)) − 1).
 * null when P(alive) ≤ 1/2 (the customer more likely than not never buys again).
 */
export function medianTimeToNextPurchase(p: BgNbdParams, c: Rft): number | null {
  const alive = probabilityAlive(p, c);
  if (alive <= 0.5) return null;
  const t = (p.alpha + c.T) * Math.expm1(-Math.log1p(-0.5 / alive) / (p.r + c.x));
  return Number.isFinite(t) ? t : null;
}
