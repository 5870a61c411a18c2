import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { pgTimestampToIso } from '../../src/db/connect.js';

const viaDate = (v: string) => (pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ)(v) as Date).toISOString();

describe('PostgreSQL timestamps as ISO text', () => {
  it('rearranges UTC text exactly as parsing into a Date did, for every fraction of a second', () => {
    const seen: string[] = [];
    for (let i = 0; i < 1_000_000; i += 7) {
      const fraction = String(i).padStart(6, '0').replace(/0+$/, '');
      const v = `2026-11-28 12:03:58${fraction ? `.${fraction}` : ''}+00`;
      if (pgTimestampToIso(v) !== viaDate(v)) seen.push(v);
    }
    expect(seen).toEqual([]);
  });

  it('leaves other forms to the Date parser', () => {
    for (const v of [
      '1970-01-01 00:00:00+00',
      '0099-06-01 00:00:00+00',
      '0001-12-31 23:59:59.999+00',
      '9999-12-31 23:59:59.999999+00',
      '2026-11-28 20:03:58.25+08',
      '2026-11-28 12:03:58-03:30',
    ])
      expect(pgTimestampToIso(v), v).toBe(viaDate(v));
    expect(pgTimestampToIso('2026-11-28 12:03:58.5+00')).toBe('2026-11-28T12:03:58.500Z');
  });
});
