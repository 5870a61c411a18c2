import { describe, expect, it } from 'vitest';
import { type CouponRules, couponRules, templateIssues, type Validity } from '../../src/core/coupons.js';

const keys = (rules: unknown, validity: Validity = { days: 30 }) =>
  templateIssues(couponRules.parse(rules) as CouponRules, validity).map((i) => i.why.key);

describe('a coupon template that could work', () => {
  it('a tiered coupon’s steps ask more and give more, step by step', () => {
    const tiered = (steps: [number, number][]) =>
      keys({ kind: 'tiered', steps: steps.map(([minFen, offFen]) => ({ minFen, offFen })) });
    expect(
      tiered([
        [20000, 2000],
        [50000, 8000],
      ]),
    ).toEqual([]);
    expect(
      tiered([
        [50000, 2000],
        [20000, 8000],
      ]),
    ).toEqual(['coupon.stepsOrder']);
    expect(
      tiered([
        [20000, 8000],
        [50000, 2000],
      ]),
    ).toEqual(['coupon.stepsOrder']);
    expect(
      tiered([
        [20000, 2000],
        [20000, 2000],
      ]),
    ).toEqual(['coupon.stepsOrder']);
  });
  it('a discount capped at 0 is worth nothing; no cap is null', () => {
    expect(keys({ kind: 'discount', percent: 50, capFen: 0 })).toEqual(['coupon.capZero']);
    expect(keys({ kind: 'discount', percent: 50, capFen: null })).toEqual([]);
    expect(keys({ kind: 'discount', percent: 50, capFen: 1000 })).toEqual([]);
  });
  it('fixed dates end after they start', () => {
    const cash = { kind: 'cash', offFen: 500 };
    const span = (from: string, to: string) => keys(cash, { from, to });
    expect(span('2026-12-01T00:00:00+08:00', '2026-12-12T00:00:00+08:00')).toEqual([]);
    expect(span('2026-12-12T00:00:00+08:00', '2026-12-01T00:00:00+08:00')).toEqual(['coupon.validityOrder']);
  });
});
