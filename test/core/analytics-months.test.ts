import { describe, expect, it } from 'vitest';
import { comparable, monthEnd, monthWindowLabel, monthWindows, sameDaysIn } from '../../src/core/analytics-views.js';

describe('the months of a range and what each is compared with (时段 by month)', () => {
  it('clips the first and last month to the range', () => {
    expect(monthWindows({ from: '2026-10-15', to: '2026-12-10' })).toEqual([
      { month: '2026-10', from: '2026-10-15', to: '2026-10-31', whole: false },
      { month: '2026-11', from: '2026-11-01', to: '2026-11-30', whole: true },
      { month: '2026-12', from: '2026-12-01', to: '2026-12-10', whole: false },
    ]);
    expect(monthWindows({ from: '2028-02-01', to: '2028-02-29' })).toEqual([
      { month: '2028-02', from: '2028-02-01', to: '2028-02-29', whole: true },
    ]);
    expect(monthWindows({ from: '2026-02-01', to: '2026-02-28' })[0]!.whole).toBe(true);
    expect(monthWindows({ from: '2026-02-01', to: '2026-02-27' })[0]!.whole).toBe(false);
  });

  it('knows the last day of every month, leap Februaries included', () => {
    expect(['2026-01', '2026-02', '2028-02', '2100-02', '2000-02', '2026-04', '2026-12'].map(monthEnd)).toEqual([
      '2026-01-31',
      '2026-02-28',
      '2028-02-29',
      '2100-02-28',
      '2000-02-29',
      '2026-04-30',
      '2026-12-31',
    ]);
  });

  it('compares a whole month with a whole month, part of one with the same days', () => {
    const [first, whole, last] = monthWindows({ from: '2026-03-15', to: '2026-05-31' });
    expect(sameDaysIn(whole!, '2026-03')).toEqual({ from: '2026-03-01', to: '2026-03-31' });
    expect(sameDaysIn(first!, '2026-02')).toEqual({ from: '2026-02-15', to: '2026-02-28' });
    expect(sameDaysIn(first!, '2025-03')).toEqual({ from: '2025-03-15', to: '2025-03-31' });
    // 31 May is whole: against all of April (30 days), not 1–30 April "and a day".
    expect(sameDaysIn(last!, '2026-04')).toEqual({ from: '2026-04-01', to: '2026-04-30' });
    // 30–31 March has no days in February.
    const [end] = monthWindows({ from: '2026-03-30', to: '2026-03-31' });
    expect(sameDaysIn(end!, '2026-02')).toBeNull();
    expect(sameDaysIn(end!, '2025-03')).toEqual({ from: '2025-03-30', to: '2025-03-31' });
  });

  it('names part of a month by its days', () => {
    const [a, b] = monthWindows({ from: '2026-11-01', to: '2026-12-31' });
    expect(monthWindowLabel(a!)).toBe('2026-11');
    expect(monthWindowLabel(monthWindows({ from: '2026-11-01', to: '2026-11-11' })[0]!)).toBe('2026-11（1–11日）');
    expect(monthWindowLabel(b!)).toBe('2026-12');
  });

  it("compares only with a range the shop's data had begun by", () => {
    const r = { from: '2025-06-01', to: '2025-06-30' };
    expect(comparable(r, '2025-06-01')).toBe(true);
    expect(comparable(r, '2025-06-02')).toBe(false);
    expect(comparable(r, '2024-01-01')).toBe(true);
    expect(comparable(r, null)).toBe(false);
    expect(comparable(null, '2024-01-01')).toBe(false);
  });
});
