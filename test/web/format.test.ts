import { describe, expect, it } from 'vitest';
import { count, ratio } from '../../web/src/format.js';

describe('numbers on screen', () => {
  it('a return on spend is grouped like every other figure, one decimal, with ×', () => {
    expect(ratio(7496.73)).toBe('7,496.7×');
    expect(ratio(0.5)).toBe('0.5×');
    expect(ratio(null)).toBe('—');
    expect(count(Math.round(4690.4))).toBe('4,690');
  });
});
