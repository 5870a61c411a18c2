import { describe, expect, it } from 'vitest';
import { shownText, showsText } from '../../src/core/validation.js';

describe('names people read in a list', () => {
  it('show something: blanks, zero-width spaces and direction marks alone are no name', () => {
    for (const blank of ['', '   ', '\u200b', '\u202e', ' \u200d\u2060 ', '\u3000'])
      expect(showsText(blank), JSON.stringify(blank)).toBe(false);
    for (const name of ['双12 老客', 'a', '\u200b店', '【回客】']) expect(showsText(name), name).toBe(true);
  });
  it('a blank one is refused with its own reason; a real one is trimmed', () => {
    const r = shownText(10).safeParse('\u200b\u200b');
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => (i as { params?: { key?: string } }).params?.key)).toEqual(['input.blank']);
    expect(shownText(10).parse('  双12  ')).toBe('双12');
    expect(shownText(3).safeParse('四个字符').success).toBe(false);
  });
});
