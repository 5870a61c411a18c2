import { describe, expect, it } from 'vitest';
import { ageCuts, keptRanges } from '../../src/core/analytics-ranges.js';

describe('the ranges whose answers the analytics rebuild keeps', () => {
  const ranges = keptRanges('2025-11-20', '2026-02-10');
  const has = (from: string, to: string) => ranges.some((r) => r.from === from && r.to === to);

  it('has the last 7/30/90/180/365 days up to today and up to yesterday (the console opens on the last 30)', () => {
    expect(has('2026-01-12', '2026-02-10')).toBe(true);
    expect(has('2026-01-11', '2026-02-09')).toBe(true);
    expect(has('2026-02-04', '2026-02-10')).toBe(true);
    expect(has('2025-02-11', '2026-02-10')).toBe(true);
  });

  it('has every month, quarter and year from the first purchase, whole and the current ones up to today', () => {
    expect(has('2025-11-01', '2025-11-30')).toBe(true);
    expect(has('2025-10-01', '2025-10-31')).toBe(false);
    expect(has('2025-12-01', '2025-12-31')).toBe(true);
    expect(has('2026-02-01', '2026-02-28')).toBe(true);
    expect(has('2026-02-01', '2026-02-10')).toBe(true);
    expect(has('2026-03-01', '2026-03-31')).toBe(false);
    expect(has('2025-10-01', '2025-12-31')).toBe(true);
    expect(has('2026-01-01', '2026-03-31')).toBe(true);
    expect(has('2026-01-01', '2026-02-10')).toBe(true);
    expect(has('2025-01-01', '2025-12-31')).toBe(true);
    expect(has('2026-01-01', '2026-12-31')).toBe(true);
  });

  it('has the activity presets of those years that have begun, and no range twice', () => {
    expect(has('2025-11-01', '2025-11-11')).toBe(true);
    expect(has('2025-06-01', '2025-06-18')).toBe(true);
    expect(has('2026-01-05', '2026-01-20')).toBe(true);
    expect(has('2026-06-01', '2026-06-18')).toBe(false);
    expect(new Set(ranges.map((r) => `${r.from}/${r.to}`)).size).toBe(ranges.length);
  });

  it('goes back at most ten years, and without buyers keeps the rolling and current ranges', () => {
    expect(keptRanges('1990-05-05', '2026-02-10').some((r) => r.from < '2016-01-01')).toBe(false);
    expect(keptRanges(null, '2026-02-10').some((r) => r.from === '2026-01-12' && r.to === '2026-02-10')).toBe(true);
  });

  it('cuts the age bands at the birthdays of the last day (29 February in a common year is 28 February)', () => {
    expect(ageCuts('2026-02-10')).toMatchObject({ cut18: '2008-02-10', cut50: '1976-02-10' });
    expect(ageCuts('2024-02-29')).toMatchObject({ cut18: '2006-02-28', cut25: '1999-02-28' });
  });
});
