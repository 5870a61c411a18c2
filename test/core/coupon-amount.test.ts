import { describe, expect, it } from 'vitest';
import { type CouponRules, couponAmountText, couponRules } from '../../src/core/coupons.js';

const rules = (r: unknown) => couponRules.parse(r) as CouponRules;

describe('#优惠券金额#: what a message says a coupon is worth', () => {
  it('the yuan a fixed coupon takes off', () => {
    expect(couponAmountText(rules({ kind: 'spend_off', minFen: 20000, offFen: 2000 }))).toBe('20');
    expect(couponAmountText(rules({ kind: 'cash', offFen: 1990 }))).toBe('19.90');
    expect(couponAmountText(rules({ kind: 'birthday', minFen: 0, offFen: 500 }))).toBe('5');
  });
  it('"最高" where the amount is only its most: a tiered coupon’s top step, a cap (a bare 80 read as 80 off)', () => {
    const tiered = rules({
      kind: 'tiered',
      steps: [
        { minFen: 20000, offFen: 2000 },
        { minFen: 50000, offFen: 8000 },
      ],
    });
    expect(couponAmountText(tiered)).toBe('最高80');
    expect(couponAmountText(rules({ kind: 'discount', percent: 88, capFen: 3000 }))).toBe('最高30');
    expect(couponAmountText(rules({ kind: 'free_order', capFen: 9900 }))).toBe('最高99');
  });
  it('a value of its own (compensation) as it is; none for what has no amount', () => {
    expect(couponAmountText(rules({ kind: 'cash', offFen: 1000 }), 1250)).toBe('12.50');
    expect(couponAmountText(rules({ kind: 'discount', percent: 88 }))).toBeNull();
    expect(couponAmountText(rules({ kind: 'free_shipping' }))).toBeNull();
    expect(couponAmountText(rules({ kind: 'trial', sku: 'S1' }))).toBeNull();
  });
});
