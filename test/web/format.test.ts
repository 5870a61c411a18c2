import { describe, expect, it } from 'vitest';
import {
  count,
  isoToShopWall,
  lastDay,
  moneyCompact,
  ratio,
  setDisplayZone,
  shopToday,
  shopDay,
  shopWallToIso,
} from '../../web/src/format.js';

describe('numbers on screen', () => {
  it('a return on spend is grouped like every other figure, one decimal, with ×', () => {
    expect(ratio(7496.73)).toBe('7,496.7×');
    expect(ratio(0.5)).toBe('0.5×');
    expect(ratio(null)).toBe('—');
    expect(count(Math.round(4690.4))).toBe('4,690');
  });

  it('points ending at midnight in Shanghai show the day before as the last day they can be used', () => {
    expect(lastDay('2027-12-31T16:00:00.000Z')).toBe('2027-12-31');
    expect(lastDay('2027-12-31T16:00:00.001Z')).toBe('2028-01-01');
    expect(lastDay(null)).toBe('—');
  });
});

describe("wall-clock times are the shop's, not the browser's", () => {
  it('turns a picked day or time into the instant in the shop zone, and back', () => {
    setDisplayZone('Asia/Shanghai');
    expect(shopWallToIso('2026-12-01 00:00:00')).toBe('2026-11-30T16:00:00.000Z');
    expect(shopWallToIso('2026-12-12 23:59:59.999')).toBe('2026-12-12T15:59:59.999Z');
    expect(shopWallToIso('2026-12-03T10:00')).toBe('2026-12-03T02:00:00.000Z');
    expect(isoToShopWall('2026-12-03T02:00:00.000Z')).toBe('2026-12-03T10:00');
    expect(shopDay('2026-12-12T15:59:59.999Z')).toBe('2026-12-12');
    setDisplayZone('Europe/London');
    expect(shopWallToIso('2026-07-01 00:00:00')).toBe('2026-06-30T23:00:00.000Z');
    setDisplayZone('Asia/Shanghai');
  });

  it("today is the shop's day: past 16:00 UTC Beijing is already on the next", () => {
    setDisplayZone('Asia/Shanghai');
    expect(shopToday(Date.parse('2026-12-02T15:59:59Z'))).toBe('2026-12-02');
    expect(shopToday(Date.parse('2026-12-02T18:00:00Z'))).toBe('2026-12-03');
    setDisplayZone('America/Los_Angeles');
    expect(shopToday(Date.parse('2026-12-02T06:00:00Z'))).toBe('2026-12-01');
    setDisplayZone('Asia/Shanghai');
  });
});

it('a chart axis says money short: 万 in Chinese, K/M in English, small sums whole', () => {
  expect(moneyCompact(100_000_000, 'zh-CN')).toBe('¥100万');
  expect(moneyCompact(250_000_000, 'zh-CN')).toBe('¥250万');
  expect(moneyCompact(12_000_000_000, 'zh-CN')).toBe('¥1.2亿');
  expect(moneyCompact(100_000_000, 'en')).toBe('¥1M');
  expect(moneyCompact(950_000, 'zh-CN')).toBe('¥9,500');
  expect(moneyCompact(0, 'en')).toBe('¥0');
});
