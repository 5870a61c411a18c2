import { describe, expect, it } from 'vitest';
import { dayWindow, fillDays, share, shortProvinceName } from '../../src/core/analytics.js';

describe('dashboard arithmetic', () => {
  it('a window of local days ends today in the shop zone and starts at local midnight', () => {
    // 2026-11-22 17:00 UTC is already the 23rd in Shanghai.
    const w = dayWindow('2026-11-22T17:00:00.000Z', 'Asia/Shanghai', 3);
    expect(w.days).toEqual(['2026-11-21', '2026-11-22', '2026-11-23']);
    expect(w.since).toBe('2026-11-20T16:00:00.000Z');
    expect(w.todayStart).toBe('2026-11-22T16:00:00.000Z');
    expect(w.offsetMinutes).toBe(480);
    const ny = dayWindow('2026-07-01T12:00:00.000Z', 'America/New_York', 1);
    expect(ny).toMatchObject({ days: ['2026-07-01'], todayStart: '2026-07-01T04:00:00.000Z', offsetMinutes: -240 });
    expect(() => dayWindow('2026-07-01T12:00:00.000Z', 'Asia/Shanghai', 0)).toThrow(/positive/);
  });

  it('fills days without rows with zeros and keeps the order of the window', () => {
    expect(
      fillDays(
        ['d1', 'd2', 'd3'],
        [
          { day: 'd3', n: 4 },
          { day: 'd1', n: 1 },
        ],
        ['n'] as const,
      ),
    ).toEqual([
      { day: 'd1', n: 1 },
      { day: 'd2', n: 0 },
      { day: 'd3', n: 4 },
    ]);
  });

  it('a share of nobody is 0, not NaN', () => {
    expect(share(1, 4)).toBe(0.25);
    expect(share(0, 0)).toBe(0);
  });

  it('province names match the map: 广东省 → 广东, 广西壮族自治区 → 广西, 北京市 → 北京', () => {
    expect(
      ['广东省', '广西壮族自治区', '北京市', '内蒙古自治区', '香港特别行政区', '新疆维吾尔自治区', '浙江'].map(
        shortProvinceName,
      ),
    ).toEqual(['广东', '广西', '北京', '内蒙古', '香港', '新疆', '浙江']);
  });
});
