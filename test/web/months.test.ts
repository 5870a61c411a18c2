import { describe, expect, it } from 'vitest';
import { monthLabel, monthPart } from '../../web/src/pages/analytics/months.js';

describe('a month as a range holds it', () => {
  it('whole, or the days of it the range holds at either end', () => {
    expect(monthPart('2026-11', '2026-11-01', '2026-12-02')).toEqual({ whole: true, fromDay: 1, toDay: 30 });
    expect(monthPart('2026-12', '2026-11-01', '2026-12-02')).toEqual({ whole: false, fromDay: 1, toDay: 2 });
    expect(monthPart('2026-11', '2026-11-03', '2026-12-02')).toEqual({ whole: false, fromDay: 3, toDay: 30 });
    expect(monthPart('2024-02', '2024-01-15', '2024-03-01')).toEqual({ whole: true, fromDay: 1, toDay: 29 });
    expect(monthPart('2026-06', '2026-06-01', '2026-06-18')).toEqual({ whole: false, fromDay: 1, toDay: 18 });
  });
  it('labels a part month with its days, a whole one as it is', () => {
    const t = ((key: string, p: Record<string, unknown>) => `${key}:${p.month}:${p.from}-${p.to}`) as never;
    expect(monthLabel(t, '2026-11', '2026-11-01', '2026-12-02')).toBe('2026-11');
    expect(monthLabel(t, '2026-12', '2026-11-01', '2026-12-02')).toBe('memberAnalytics.monthPart:2026-12:1-2');
  });
});
