import { expect, it } from 'vitest';
import { couponEffect } from '../../src/core/coupon-effect.js';

it('compares holders with the non-holders of their own stratum, weighted by the holders’ mix', () => {
  // Returning: 10 holders, 6 bought ¥600; 90 others, 30 bought ¥2,700 → control 1/3, ¥30 each.
  // New: 10 holders, 2 bought ¥100; 190 others, 19 bought ¥950 → control 0.1, ¥5 each.
  const e = couponEffect([
    {
      holders: 10,
      holderBuyers: 6,
      holderRevenueFen: 60000,
      population: 100,
      populationBuyers: 36,
      populationRevenueFen: 330000,
    },
    {
      holders: 10,
      holderBuyers: 2,
      holderRevenueFen: 10000,
      population: 200,
      populationBuyers: 21,
      populationRevenueFen: 105000,
    },
  ]);
  expect(e.holders).toBe(20);
  expect(e.holderConversion).toBeCloseTo(0.4, 12);
  expect(e.controlConversion).toBeCloseTo((10 / 3 + 1) / 20, 12);
  expect(e.conversionLift).toBeCloseTo(0.4 - (10 / 3 + 1) / 20, 12);
  // 60000 − 10×3000 + 10000 − 10×500 = 35000
  expect(e.incrementalRevenueFen).toBe(35000);
});

it('gives no comparison without holders, or when a stratum has no one left to compare with', () => {
  expect(couponEffect([]).conversionLift).toBeNull();
  const e = couponEffect([
    {
      holders: 3,
      holderBuyers: 1,
      holderRevenueFen: 100,
      population: 3,
      populationBuyers: 1,
      populationRevenueFen: 100,
    },
  ]);
  expect(e.holderConversion).toBeCloseTo(1 / 3, 12);
  expect(e.conversionLift).toBeNull();
});
