import { describe, expect, it } from 'vitest';
import { count, lastDay, ratio } from '../../web/src/format.js';

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
