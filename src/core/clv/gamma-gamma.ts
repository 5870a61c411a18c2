import { gammaln, minimisePositive } from './special.js';

/**
 * Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: using
 * iso-value curves"). A customer's transactions are Gamma(p, ν) with ν ~ Gamma(q, γ) across
 * customers; fitted on the mean spend m of the x repeat transactions of customers with x ≥ 1.
 */
export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

export interface SpendSummary {
  /** Repeat transactions. */
  x: number;
  /** Their mean value. */
  m: number;
}

/** ln f(m | p, q, γ, x): m is Gamma(px, νx) given ν, integrated over ν ~ Gamma(q, γ). */
export function gammaGammaCustomerLogLikelihood(g: GammaGammaParams, s: SpendSummary): number {
  const { p, q, gamma } = g;
  const { x, m } = s;
  return (
    gammaln(p * x + q) -
    gammaln(p * x) -
    gammaln(q) +
    q * Math.log(gamma) +
    (p * x - 1) * Math.log(m) +
    p * x * Math.log(x) -
    (p * x + q) * Math.log(x * m + gamma)
  );
}

export function gammaGammaLogLikelihood(g: GammaGammaParams, rows: readonly SpendSummary[]): number {
  const { p, q, gamma } = g;
  if (!(p > 0 && q > 0 && gamma > 0)) return Number.NEGATIVE_INFINITY;
  const byX = new Map<number, number>();
  const base = -gammaln(q) + q * Math.log(gamma);
  let ll = 0;
  for (const { x, m } of rows) {
    let k = byX.get(x);
    if (k === undefined) byX.set(x, (k = base + gammaln(p * x + q) - gammaln(p * x) + p * x * Math.log(x)));
    ll += k + (p * x - 1) * Math.log(m) - (p * x + q) * Math.log(x * m + gamma);
  }
  return ll;
}

export interface GammaGammaFit {
  params: GammaGammaParams;
  logLikelihood: number;
  customers: number;
}

/** Maximum-likelihood fit on the customers with at least one repeat transaction and positive spend. */
export function fitGammaGamma(rows: readonly SpendSummary[]): GammaGammaFit {
  const usable = rows.filter((r) => r.x >= 1 && r.m > 0);
  if (usable.length < 2) throw new RangeError('Gamma-Gamma needs at least two customers with repeat purchases');
  const mean = usable.reduce((s, r) => s + r.m, 0) / usable.length;
  const f = ([p, q, gamma]: number[]) =>
    -gammaGammaLogLikelihood({ p: p!, q: q!, gamma: gamma! }, usable) / usable.length;
  const { params } = minimisePositive(f, [1, 2, mean]);
  const [p, q, gamma] = params as [number, number, number];
  const fitted = { p, q, gamma };
  return { params: fitted, logLikelihood: gammaGammaLogLikelihood(fitted, usable), customers: usable.length };
}

/** Population mean spend per transaction, pγ/(q−1) (infinite when q ≤ 1). */
export function populationMeanSpend(g: GammaGammaParams): number {
  return g.q > 1 ? (g.p * g.gamma) / (g.q - 1) : Number.POSITIVE_INFINITY;
}

/**
 * E[M | p, q, γ, m, x] = p(γ + x·m)/(px + q − 1): a weighted mean of the population mean and the
 * customer's own mean, leaning on the customer's as x grows. x = 0 gives the population mean.
 */
export function conditionalExpectedSpend(g: GammaGammaParams, s: SpendSummary): number {
  if (s.x === 0) return populationMeanSpend(g);
  return (g.p * (g.gamma + s.x * s.m)) / (g.p * s.x + g.q - 1);
}
