import { describe, expect, it } from 'vitest';
import { readable } from '../../web/src/components/chart-defaults.js';

type Axis = { type: string; axisLabel?: { formatter?: (v: number) => string } };

describe('chart defaults', () => {
  it('keeps axis labels inside the grid and writes value axes with thousands separators', () => {
    const o = readable({
      grid: { left: 8 },
      xAxis: { type: 'category', data: ['a'] },
      yAxis: [{ type: 'value' }, { type: 'value', axisLabel: { formatter: (v: number) => `¥${v}` } }],
    }) as unknown as { grid: { containLabel: boolean; left: number }; xAxis: Axis; yAxis: Axis[] };
    expect(o.grid).toEqual({ containLabel: true, left: 8 });
    expect(o.xAxis.axisLabel).toBeUndefined();
    expect(o.yAxis[0]!.axisLabel!.formatter!(15_000_000)).toBe('15,000,000');
    // An axis with its own formatter keeps it.
    expect(o.yAxis[1]!.axisLabel!.formatter!(5)).toBe('¥5');
  });

  it('leaves a chart that opts out of containLabel, and one without a grid, as they are', () => {
    const o = readable({ grid: { containLabel: false }, series: [] }) as unknown as { grid: { containLabel: boolean } };
    expect(o.grid.containLabel).toBe(false);
    expect(readable({ series: [{ type: 'pie' }] })).toEqual({ series: [{ type: 'pie' }] });
  });
});
