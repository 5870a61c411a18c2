import { readFileSync } from 'node:fs';
import betaln from '@stdlib/math-base-special-betaln';
import { describe, expect, it } from 'vitest';
import {
  bgnbdCustomerLogLikelihood,
  bgnbdLogLikelihood,
  expectedPurchases,
  fitBgNbd,
  groupRft,
  medianTimeToNextPurchase,
  probabilityAlive,
  probabilityPurchaseWithin,
  type BgNbdParams,
  type Rft,
} from '../../src/core/clv/bgnbd.js';
import { churnBand, customerLifetimeValue } from '../../src/core/clv/clv.js';
import {
  conditionalExpectedSpend,
  fitGammaGamma,
  gammaGammaCustomerLogLikelihood,
  gammaGammaLogLikelihood,
  type SpendSummary,
} from '../../src/core/clv/gamma-gamma.js';
import { gammaln, hyp2f1, logAddExp } from '../../src/core/clv/special.js';

const CDNOW = '/work/shared/datasets/cdnow_sample';
const cdnowSummary = (): Rft[] =>
  readFileSync(`${CDNOW}/cdnow_customers_summary.csv`, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [, x, tx, T] = line.split(',').map(Number);
      return { x: x!, tx: tx!, T: T! };
    });

/** Mean value of the repeat transactions to 1997-09-30, same-day purchases summed (the README's recipe). */
function cdnowSpend(): SpendSummary[] {
  const byCustomer = new Map<string, Map<string, number>>();
  for (const line of readFileSync(`${CDNOW}/CDNOW_sample.txt`, 'utf8').trim().split('\n')) {
    const [id, , day, , value] = line.trim().split(/\s+/);
    if (day! > '19970930') continue;
    let days = byCustomer.get(id!);
    if (!days) byCustomer.set(id!, (days = new Map()));
    days.set(day!, (days.get(day!) ?? 0) + Number(value));
  }
  const out: SpendSummary[] = [];
  for (const days of byCustomer.values()) {
    const repeat = [...days.keys()]
      .sort()
      .slice(1)
      .map((d) => days.get(d)!);
    if (repeat.length > 0) out.push({ x: repeat.length, m: repeat.reduce((s, v) => s + v, 0) / repeat.length });
  }
  return out;
}

const PUBLISHED: BgNbdParams = { r: 0.2426, alpha: 4.4137, a: 0.793, b: 2.4262 };

/** The paper's equation (6) as written, with Beta functions: a second way to the same likelihood. */
function likelihoodByBetaFunctions(p: BgNbdParams, c: Rft): number {
  const { r, alpha, a, b } = p;
  const { x, tx, T } = c;
  const gammaPart = gammaln(r + x) - gammaln(r) + r * Math.log(alpha);
  const first = betaln(a, b + x) - betaln(a, b) + gammaPart - (r + x) * Math.log(alpha + T);
  if (x === 0) return first;
  const second = betaln(a + 1, b + x - 1) - betaln(a, b) + gammaPart - (r + x) * Math.log(alpha + tx);
  return logAddExp(first, second);
}

/** ₂F₁(A, B; C; z) summed term by term in logarithms: slow, but no overflow, for any size of parameters. */
function logHyp2f1BySeries(A: number, B: number, C: number, z: number): number {
  let logTerm = 0;
  let logSum = 0;
  for (let k = 0; k < 200_000; k++) {
    logTerm += Math.log(A + k) + Math.log(B + k) - Math.log(C + k) - Math.log(k + 1) + Math.log(z);
    logSum = logAddExp(logSum, logTerm);
    if (k > 10 && logTerm < logSum - 40) break;
  }
  return logSum;
}

describe('BG/NBD on the CDNOW sample', () => {
  const rows = cdnowSummary();
  const fit = fitBgNbd(groupRft(rows));

  it('reproduces the published fit: r, α, a, b within 1e-3 and the log-likelihood −9582.43', () => {
    expect(rows).toHaveLength(2357);
    expect(Math.abs(fit.params.r - PUBLISHED.r)).toBeLessThan(1e-3);
    expect(Math.abs(fit.params.alpha - PUBLISHED.alpha)).toBeLessThan(1e-3);
    expect(Math.abs(fit.params.a - PUBLISHED.a)).toBeLessThan(1e-3);
    expect(Math.abs(fit.params.b - PUBLISHED.b)).toBeLessThan(1e-3);
    expect(fit.logLikelihood).toBeCloseTo(-9582.43, 2);
    // The published parameters, rounded to 4 places, sit on the same maximum.
    expect(bgnbdLogLikelihood(PUBLISHED, groupRft(rows))).toBeCloseTo(-9582.43, 1);
  });

  it('the likelihood agrees with the paper’s Beta-function form for every customer', () => {
    for (const c of rows) {
      expect(bgnbdCustomerLogLikelihood(PUBLISHED, c)).toBeCloseTo(likelihoodByBetaFunctions(PUBLISHED, c), 9);
    }
    const sum = rows.reduce((s, c) => s + likelihoodByBetaFunctions(PUBLISHED, c), 0);
    expect(bgnbdLogLikelihood(PUBLISHED, groupRft(rows))).toBeCloseTo(sum, 6);
  });

  it('conditional expectation: 1.226 purchases in 39 weeks for x = 2, tx = 30.43, T = 38.86 (Hardie’s note)', () => {
    expect(expectedPurchases(PUBLISHED, { x: 2, tx: 30.43, T: 38.86 }, 39)).toBeCloseTo(1.226, 3);
  });
});

describe('BG/NBD by hand', () => {
  // a = 2, b = 1, r = 2 make a+b−1−r = 0, so the hypergeometric term is 1 and everything is arithmetic.
  const p: BgNbdParams = { r: 2, alpha: 1, a: 2, b: 1 };
  const c: Rft = { x: 1, tx: 1, T: 3 };

  it('P(alive) = 1/(1 + a/(b+x−1)·((α+T)/(α+tx))^(r+x)) = 1/(1 + 2·2³) = 1/17', () => {
    expect(probabilityAlive(p, c)).toBeCloseTo(1 / 17, 12);
  });

  it('a customer without a repeat purchase is alive (dropout only follows a purchase)', () => {
    expect(probabilityAlive(p, { x: 0, tx: 0, T: 100 })).toBe(1);
  });

  it('E[Y(4)] = (a+b+x−1)/(a−1)·z·P(alive) with z = 4/(1+3+4): 3 · 0.5 / 17', () => {
    expect(expectedPurchases(p, c, 4)).toBeCloseTo(1.5 / 17, 12);
    expect(expectedPurchases(p, c, 0)).toBe(0);
  });

  it('the Euler-transformed expectation equals the paper’s form where the latter is finite', () => {
    const q = PUBLISHED;
    for (const cust of [
      { x: 0, tx: 0, T: 20 },
      { x: 3, tx: 10, T: 30 },
      { x: 12, tx: 35, T: 38 },
    ]) {
      for (const t of [1, 10, 52]) {
        const z = t / (q.alpha + cust.T + t);
        const paper =
          ((q.a + q.b + cust.x - 1) / (q.a - 1)) *
          (1 - (1 - z) ** (q.r + cust.x) * hyp2f1(q.r + cust.x, q.b + cust.x, q.a + q.b + cust.x - 1, z)) *
          probabilityAlive(q, cust);
        expect(expectedPurchases(q, cust, t)).toBeCloseTo(paper, 9);
      }
    }
  });

  it('the next order is as likely as not at the median time', () => {
    const cust = { x: 4, tx: 20, T: 24 };
    const t = medianTimeToNextPurchase(PUBLISHED, cust)!;
    expect(t).toBeGreaterThan(0);
    expect(probabilityPurchaseWithin(PUBLISHED, cust, t)).toBeCloseTo(0.5, 10);
    // More likely gone than not: no date.
    expect(medianTimeToNextPurchase(PUBLISHED, { x: 4, tx: 2, T: 200 })).toBeNull();
  });
});

/** ₂F₁(A, B; C; z) by its defining series Σ (A)ₖ(B)ₖ/((C)ₖ k!) zᵏ, in plain arithmetic (small parameters only). */
function hyp2f1BySeries(A: number, B: number, C: number, z: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 0; k < 1000 && Math.abs(term) > 1e-18 * Math.abs(sum); k++) {
    term *= ((A + k) * (B + k) * z) / ((C + k) * (k + 1));
    sum += term;
  }
  return sum;
}

/**
 * Fader, Hardie & Lee (2005), written out here independently of src:
 *   P(alive | x, tx, T) = 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+tx))^(r+x))                  (eq. 13)
 *   E[Y(t) | x, tx, T]  = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z)]
 *                         · P(alive),   z = t/(α+T+t)                                               (eq. 10)
 * The literal numbers were checked with mpmath (30 digits); the series above gives the same.
 */
describe('BG/NBD conditional expectation and P(alive), small cases by hand', () => {
  const byHand = (q: BgNbdParams, c: Rft, t: number) => {
    const z = t / (q.alpha + c.T + t);
    const alive =
      c.x === 0 ? 1 : 1 / (1 + (q.a / (q.b + c.x - 1)) * ((q.alpha + c.T) / (q.alpha + c.tx)) ** (q.r + c.x));
    const h =
      ((q.alpha + c.T) / (q.alpha + c.T + t)) ** (q.r + c.x) *
      hyp2f1BySeries(q.r + c.x, q.b + c.x, q.a + q.b + c.x - 1, z);
    return { alive, expected: ((q.a + q.b + c.x - 1) / (q.a - 1)) * (1 - h) * alive };
  };

  // r = 1, α = 2, a = 3, b = 4; T = 6, t = 8, so z = 8/16 = 1/2 and (α+T)/(α+T+t) = 1/2.
  const p: BgNbdParams = { r: 1, alpha: 2, a: 3, b: 4 };

  it('x = 0: alive for sure; E[Y(8)] = 6/2 · (1 − ½ · ₂F₁(1, 4; 6; ½)) = 3 · (1 − ½ · 1.526236) = 0.710647', () => {
    const c: Rft = { x: 0, tx: 0, T: 6 };
    expect(hyp2f1BySeries(1, 4, 6, 0.5)).toBeCloseTo(1.5262355541508343, 12);
    expect(probabilityAlive(p, c)).toBe(1);
    expect(byHand(p, c, 8).expected).toBeCloseTo(0.7106466687737485, 12);
    expect(expectedPurchases(p, c, 8)).toBeCloseTo(0.7106466687737485, 12);
  });

  it('x = 2, tx = 2: P(alive) = 1/(1 + 3/5 · (8/4)³) = 5/29; E[Y(8)] = 8/2 · (1 − ⅛ · ₂F₁(3, 6; 8; ½)) · 5/29', () => {
    const c: Rft = { x: 2, tx: 2, T: 6 };
    expect(probabilityAlive(p, c)).toBeCloseTo(5 / 29, 14);
    expect(hyp2f1BySeries(3, 6, 8, 0.5)).toBeCloseTo(4.407573097340166, 11);
    const expected = 4 * (1 - 4.407573097340166 / 8) * (5 / 29);
    expect(expected).toBeCloseTo(0.3096919743672271, 12);
    expect(byHand(p, c, 8).expected).toBeCloseTo(expected, 12);
    expect(expectedPurchases(p, c, 8)).toBeCloseTo(expected, 12);
  });

  it('a < 1 (both factors of the expectation negative): r = ½, α = 3, a = ½, b = 2, T = 5, t = 4', () => {
    const q: BgNbdParams = { r: 0.5, alpha: 3, a: 0.5, b: 2 };
    // x = 0: 1.5/(−0.5) · (1 − (8/12)^½ · ₂F₁(½, 2; 1.5; ⅓)) = −3 · (1 − 0.816497 · 1.320259)
    const none: Rft = { x: 0, tx: 0, T: 5 };
    expect(byHand(q, none, 4).expected).toBeCloseTo(0.23396209626645184, 12);
    expect(expectedPurchases(q, none, 4)).toBeCloseTo(0.23396209626645184, 12);
    // x = 2, tx = 4: P(alive) = 1/(1 + (½/3) · (8/7)^2.5) = 0.811216
    const two: Rft = { x: 2, tx: 4, T: 5 };
    expect(probabilityAlive(q, two)).toBeCloseTo(1 / (1 + (0.5 / 3) * (8 / 7) ** 2.5), 14);
    expect(probabilityAlive(q, two)).toBeCloseTo(0.8112160207535473, 12);
    expect(expectedPurchases(q, two, 4)).toBeCloseTo(0.9314879384061689, 12);
  });

  it('the 30/90/365-day horizons of the customer page, in days, against the series', () => {
    // Daily units: a customer with 2 repeat days, the last on day 40 of 100 since their first order.
    const q: BgNbdParams = { r: 0.8, alpha: 40, a: 1.5, b: 6 };
    const c: Rft = { x: 2, tx: 40, T: 100 };
    for (const t of [30, 90, 365]) {
      const { alive, expected } = byHand(q, c, t);
      expect(probabilityAlive(q, c)).toBeCloseTo(alive, 14);
      expect(expectedPurchases(q, c, t) / expected).toBeCloseTo(1, 11);
    }
  });
});

describe('a customer with 500 orders', () => {
  const heavy: Rft = { x: 500, tx: 38.5, T: 39 };

  it('has a finite likelihood equal to the Beta-function form, where Γ(r+x) alone overflows', () => {
    const ll = bgnbdCustomerLogLikelihood(PUBLISHED, heavy);
    expect(Number.isFinite(ll)).toBe(true);
    expect(ll).toBeCloseTo(likelihoodByBetaFunctions(PUBLISHED, heavy), 8);
  });

  it('expected purchases match a term-by-term log-space series of the paper’s ₂F₁', () => {
    const q = PUBLISHED;
    for (const t of [1, 13, 52]) {
      const z = t / (q.alpha + heavy.T + t);
      const logTerm =
        (q.r + heavy.x) * Math.log(1 - z) + logHyp2f1BySeries(q.r + heavy.x, q.b + heavy.x, q.a + q.b + heavy.x - 1, z);
      const bySeries = ((q.a + q.b + heavy.x - 1) / (q.a - 1)) * (1 - Math.exp(logTerm)) * probabilityAlive(q, heavy);
      const ours = expectedPurchases(q, heavy, t);
      expect(Number.isFinite(ours)).toBe(true);
      expect(ours / bySeries).toBeCloseTo(1, 8);
      // Never more than the posterior mean rate times t (dropping out only lowers it).
      expect(ours).toBeLessThanOrEqual(((q.r + heavy.x) / (q.alpha + heavy.T)) * t);
    }
  });

  it('stays finite at 2,000 orders, where the paper’s form overflows', () => {
    const huge = { x: 2000, tx: 38.9, T: 39 };
    const z = 52 / (PUBLISHED.alpha + huge.T + 52);
    expect(Number.isFinite(hyp2f1(PUBLISHED.r + 2000, PUBLISHED.b + 2000, PUBLISHED.a + PUBLISHED.b + 1999, z))).toBe(
      false,
    );
    const e = expectedPurchases(PUBLISHED, huge, 52);
    expect(Number.isFinite(e)).toBe(true);
    expect(e).toBeGreaterThan(1000);
  });

  it(
    'with a and b in the thousands (one shared dropout rate), ' + 'expectations stay finite and match the paper’s form',
    () => {
      // The demo shop's fit: stdlib's ₂F₁ of the Euler form overflows here, so the series takes over.
      const q: BgNbdParams = { r: 0.2, alpha: 21.3, a: 3819, b: 24923 };
      for (const cust of [
        { x: 0, tx: 0, T: 64 },
        { x: 1, tx: 184, T: 211 },
        { x: 6, tx: 112, T: 195 },
        { x: 500, tx: 700, T: 710 },
      ]) {
        let before = 0;
        for (const t of [30, 90, 365]) {
          const z = t / (q.alpha + cust.T + t);
          const logTerm =
            (q.r + cust.x) * Math.log(1 - z) + logHyp2f1BySeries(q.r + cust.x, q.b + cust.x, q.a + q.b + cust.x - 1, z);
          const paper = ((q.a + q.b + cust.x - 1) / (q.a - 1)) * -Math.expm1(logTerm) * probabilityAlive(q, cust);
          const ours = expectedPurchases(q, cust, t);
          expect(Number.isFinite(ours)).toBe(true);
          expect(ours / paper).toBeCloseTo(1, 8);
          expect(ours).toBeGreaterThan(before);
          before = ours;
        }
      }
    },
  );

  it('fitting a sample that holds such customers still converges', () => {
    const rows = [...cdnowSummary(), heavy, { x: 300, tx: 30, T: 39 }];
    const fit = fitBgNbd(groupRft(rows));
    expect(Number.isFinite(fit.logLikelihood)).toBe(true);
    for (const v of Object.values(fit.params)) expect(v).toBeGreaterThan(0);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(bgnbdLogLikelihood(PUBLISHED, groupRft(rows)));
  });
});

describe('Gamma-Gamma on the CDNOW sample', () => {
  const spend = cdnowSpend();
  const fit = fitGammaGamma(spend);

  it('reproduces the published p = 6.25, q = 3.74, γ = 15.44 (to their two decimals) on 946 customers', () => {
    expect(spend).toHaveLength(946);
    expect(Math.abs(fit.params.p - 6.25)).toBeLessThan(0.005);
    expect(Math.abs(fit.params.q - 3.74)).toBeLessThan(0.005);
    expect(Math.abs(fit.params.gamma - 15.44)).toBeLessThan(0.005);
  });

  it('the likelihood agrees with its Beta-function form', () => {
    const g = { p: 6.25, q: 3.74, gamma: 15.44 };
    let sum = 0;
    for (const s of spend) {
      const byBeta =
        -betaln(g.p * s.x, g.q) +
        g.q * Math.log(g.gamma) +
        (g.p * s.x - 1) * Math.log(s.m) +
        g.p * s.x * Math.log(s.x) -
        (g.p * s.x + g.q) * Math.log(s.x * s.m + g.gamma);
      expect(gammaGammaCustomerLogLikelihood(g, s)).toBeCloseTo(byBeta, 9);
      sum += byBeta;
    }
    expect(gammaGammaLogLikelihood(g, spend)).toBeCloseTo(sum, 6);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(sum);
  });

  it('conditional expected spend by hand: p(γ + x·m)/(px + q − 1)', () => {
    const g = { p: 6, q: 4, gamma: 15 };
    expect(conditionalExpectedSpend(g, { x: 2, m: 20 })).toBeCloseTo((6 * (15 + 40)) / (12 + 3), 12);
    // No repeat purchase: the population mean pγ/(q−1) = 30.
    expect(conditionalExpectedSpend(g, { x: 0, m: 0 })).toBeCloseTo(30, 12);
  });

  it('conditional expected spend is the weighted mean of the population mean and the customer’s own', () => {
    // p = 2, q = 3, γ = 10: population mean pγ/(q−1) = 10. A customer with x = 3 repeat orders averaging
    // m = 20: weight on the population (q−1)/(px+q−1) = 2/8, so 0.25·10 + 0.75·20 = 17.5 (= 2·(10+60)/8).
    const g = { p: 2, q: 3, gamma: 10 };
    expect(conditionalExpectedSpend(g, { x: 3, m: 20 })).toBeCloseTo(17.5, 12);
    // One repeat order of 4: weight 2/4 → 0.5·10 + 0.5·4 = 7.
    expect(conditionalExpectedSpend(g, { x: 1, m: 4 })).toBeCloseTo(7, 12);
  });
});

describe('CLV and churn band', () => {
  const p: BgNbdParams = { r: 2, alpha: 1, a: 2, b: 1 };
  const c: Rft = { x: 1, tx: 1, T: 3 };

  it('one undiscounted month is the expected purchases in that month times the spend', () => {
    expect(customerLifetimeValue(p, c, 100, { months: 1, monthlyDiscount: 0, monthLength: 4 })).toBeCloseTo(
      (100 * 1.5) / 17,
      10,
    );
  });

  it('discounts each month’s purchases at the monthly rate', () => {
    const m1 = expectedPurchases(PUBLISHED, { x: 3, tx: 20, T: 30 }, 4);
    const m2 = expectedPurchases(PUBLISHED, { x: 3, tx: 20, T: 30 }, 8) - m1;
    const clv = customerLifetimeValue(PUBLISHED, { x: 3, tx: 20, T: 30 }, 50, {
      months: 2,
      monthlyDiscount: 0.1,
      monthLength: 4,
    });
    expect(clv).toBeCloseTo((m1 * 50) / 1.1 + (m2 * 50) / 1.21, 10);
  });

  it('bands P(alive) at 0.3 and 0.7; one-time buyers get their own band', () => {
    expect(churnBand(p, c)).toBe('high'); // 1/17
    expect(churnBand(PUBLISHED, { x: 4, tx: 29, T: 30 })).toBe('low');
    expect(churnBand(PUBLISHED, { x: 0, tx: 0, T: 30 })).toBe('one_time');
  });
});
