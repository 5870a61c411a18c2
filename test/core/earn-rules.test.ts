import { describe, expect, it } from 'vitest';
import {
  birthdayMultiplier,
  DEFAULT_EARN_RULES as R,
  photoReviewPoints,
  referralPoints,
  signInPoints,
} from '../../src/core/earn-rules.js';
import { growthValue, multiplierFor } from '../../src/core/tiers.js';

describe('earn rules', () => {
  const review = {
    reviewId: 'r1',
    rating: 'good' as const,
    hasPhoto: true,
    deliveredAt: '2026-11-20T02:00:00.000Z',
    reviewedAt: '2026-11-24T02:00:00.000Z',
  };
  it(
    'a photo review within 5 days of delivery earns; late, ' +
      'photo-less, bad or undelivered does not, with the reason',
    () => {
      expect(photoReviewPoints(R, review)).toEqual({ points: 20, key: 'review:r1', reason: 'photo review' });
      expect(photoReviewPoints(R, { ...review, reviewedAt: '2026-11-25T02:00:00.000Z' })).toMatchObject({ points: 20 });
      expect(photoReviewPoints(R, { ...review, reviewedAt: '2026-11-25T02:00:01.000Z' })).toEqual({
        points: 0,
        refused: 'reviewed 5 days after delivery (the rule is within 5)',
        why: { key: 'points.reviewTooLate', params: { days: 5, within: 5 } },
      });
      expect(photoReviewPoints(R, { ...review, hasPhoto: false })).toMatchObject({
        refused: 'the review has no photo',
      });
      expect(photoReviewPoints(R, { ...review, rating: 'bad' })).toMatchObject({
        refused: 'a bad review earns no points',
      });
      expect(photoReviewPoints(R, { ...review, deliveredAt: null })).toMatchObject({
        refused: 'the order is not delivered yet',
      });
    },
  );

  it('sign-in is keyed by the local day of the shop, so 23:59 and 00:01 in Shanghai are two days', () => {
    const a = signInPoints(R, 'c1', '2026-11-23T15:59:00.000Z', 'Asia/Shanghai');
    const b = signInPoints(R, 'c1', '2026-11-23T16:01:00.000Z', 'Asia/Shanghai');
    const c = signInPoints(R, 'c1', '2026-11-23T01:00:00.000Z', 'Asia/Shanghai');
    expect([a, b, c].map((d) => ('key' in d ? d.key : d.refused))).toEqual([
      'signin:c1:2026-11-23',
      'signin:c1:2026-11-24',
      'signin:c1:2026-11-23',
    ]);
    expect(
      signInPoints({ ...R, signIn: { points: 0 } }, 'c1', '2026-11-23T01:00:00.000Z', 'Asia/Shanghai'),
    ).toMatchObject({ points: 0 });
  });

  it('a referral is keyed by the referred customer; nobody refers themselves', () => {
    expect(referralPoints(R, 'a', 'b')).toEqual({ points: 100, key: 'referral:b', reason: 'referred b' });
    expect(referralPoints(R, 'a', 'a')).toMatchObject({ refused: 'a customer cannot refer themselves' });
  });

  it('the birthday multiplier applies in the birthday month of the shop zone only', () => {
    expect(birthdayMultiplier(R, '1995-11-15', '2026-11-03T02:00:00.000Z', 'Asia/Shanghai', 2)).toBe(2);
    // 2026-10-31 17:00 UTC is already November 1st in Shanghai.
    expect(birthdayMultiplier(R, '1995-11-15', '2026-10-31T17:00:00.000Z', 'Asia/Shanghai', 2)).toBe(2);
    expect(birthdayMultiplier(R, '1995-11-15', '2026-10-31T15:00:00.000Z', 'Asia/Shanghai', 2)).toBe(1);
    expect(birthdayMultiplier(R, null, '2026-11-03T02:00:00.000Z', 'Asia/Shanghai', 2)).toBe(1);
    expect(
      birthdayMultiplier(
        { ...R, birthdayMultiplier: false },
        '1995-11-15',
        '2026-11-03T02:00:00.000Z',
        'Asia/Shanghai',
        2,
      ),
    ).toBe(1);
  });
});

describe('growth value', () => {
  const s = {
    growthPerYuan: 1,
    growthMultipliers: [
      { category: '女装/大衣', multiplier: 3 },
      { category: '女装', multiplier: 2 },
    ],
  };
  it('chosen categories count at their multiplier (first matching rule, parents cover children); bonus adds', () => {
    expect(multiplierFor('女装/大衣', s.growthMultipliers)).toBe(3);
    expect(multiplierFor('女装/卫衣', s.growthMultipliers)).toBe(2);
    expect(multiplierFor('女装鞋', s.growthMultipliers)).toBe(1);
    expect(multiplierFor(null, s.growthMultipliers)).toBe(1);
    // ¥300 in all: ¥100 coats ×3, ¥100 sweaters ×2, ¥100 of other things.
    expect(
      growthValue(s, {
        totalSpentFen: 30000,
        categorySpend: [
          { category: '女装/大衣', fen: 10000 },
          { category: '女装/卫衣', fen: 10000 },
          { category: '美妆', fen: 10000 },
        ],
        bonus: 50,
      }),
    ).toBe(650);
    expect(growthValue({ growthPerYuan: 1, growthMultipliers: [] }, { totalSpentFen: 12345 })).toBe(123);
    expect(growthValue(s, { totalSpentFen: 0, bonus: -80 })).toBe(0);
  });
});
