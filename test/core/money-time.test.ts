import { describe, expect, it } from 'vitest';
import { formatFen, parseYuanToFen } from '../../src/core/money.js';
import { localDate, parseLocalDateTime, zoneOffsetMinutes } from '../../src/core/time.js';

describe('money', () => {
  it('reads marketplace amounts into integer fen', () => {
    expect(parseYuanToFen('128.00')).toBe(12800);
    expect(parseYuanToFen('¥1,234.5')).toBe(123450);
    expect(parseYuanToFen(' 88 ')).toBe(8800);
    expect(parseYuanToFen('-3')).toBe(-300);
    expect(parseYuanToFen('0.1')).toBe(10);
    expect(parseYuanToFen('19.999')).toBe(2000);
    expect(parseYuanToFen('19.994')).toBe(1999);
    expect(parseYuanToFen('')).toBeNull();
    expect(parseYuanToFen(12.34)).toBe(1234);
  });
  it('refuses what is not an amount', () => {
    expect(() => parseYuanToFen('十二块')).toThrow(/not an amount/);
    expect(() => parseYuanToFen('1.2.3')).toThrow();
    expect(() => parseYuanToFen('99999999999999999999')).toThrow(/too large/);
  });
  it('formats fen for people', () => {
    expect(formatFen(123450)).toBe('¥1,234.50');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(-12800)).toBe('-¥128.00');
  });
});

describe('time', () => {
  it('reads export wall-clock times in the store time zone', () => {
    expect(parseLocalDateTime('2025-11-11 00:01:23', 'Asia/Shanghai')).toBe('2025-11-10T16:01:23.000Z');
    expect(parseLocalDateTime('2025/11/11 0:01', 'Asia/Shanghai')).toBe('2025-11-10T16:01:00.000Z');
    expect(parseLocalDateTime('2025-11-11', 'Asia/Shanghai')).toBe('2025-11-10T16:00:00.000Z');
    expect(parseLocalDateTime('2026-10-01 10:00:00 +0800', 'America/New_York')).toBe('2026-10-01T02:00:00.000Z');
    expect(parseLocalDateTime('2026-10-01T02:00:00Z', 'Asia/Shanghai')).toBe('2026-10-01T02:00:00.000Z');
    expect(parseLocalDateTime('', 'Asia/Shanghai')).toBeNull();
  });
  it('handles daylight saving time in other zones', () => {
    expect(parseLocalDateTime('2026-07-01 12:00:00', 'America/New_York')).toBe('2026-07-01T16:00:00.000Z');
    expect(parseLocalDateTime('2026-01-15 12:00:00', 'America/New_York')).toBe('2026-01-15T17:00:00.000Z');
    expect(zoneOffsetMinutes('Europe/Berlin', Date.parse('2026-03-29T00:59:00Z'))).toBe(60);
    expect(zoneOffsetMinutes('Europe/Berlin', Date.parse('2026-03-29T01:00:00Z'))).toBe(120);
    expect(zoneOffsetMinutes('Asia/Shanghai', Date.parse('2026-07-01T00:00:00Z'))).toBe(480);
  });
  it('refuses impossible dates', () => {
    expect(() => parseLocalDateTime('2025-13-45 25:61:00', 'Asia/Shanghai')).toThrow(/not a valid date/);
    expect(() => parseLocalDateTime('2025-02-30', 'Asia/Shanghai')).toThrow(/not a valid date/);
    expect(() => parseLocalDateTime('yesterday', 'Asia/Shanghai')).toThrow(/not a date/);
  });
  it('gives the local calendar date of an instant', () => {
    expect(localDate('2025-11-10T16:01:23.000Z', 'Asia/Shanghai')).toBe('2025-11-11');
    expect(localDate('2025-11-10T15:59:59.000Z', 'Asia/Shanghai')).toBe('2025-11-10');
  });
});
