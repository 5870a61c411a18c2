import { pinyin } from 'pinyin-pro';

/**
 * Pinyin search keys of a customer's names, so that a shop operator who types without switching the
 * IME finds 张佳怡 by `zjy`, `zj`, `zhang` or `zhangjiayi`. For each name holding Chinese characters:
 * its full pinyin and its initials, without tones or spaces, lower case (ü as `v`, as IMEs type it);
 * letters and digits around the characters kept as they are (`Amy张` → `amyzhang`, `amyz`). A search
 * matches a key by prefix. Polyphonic characters: the reading pinyin-pro gives in context, and the
 * reading as a surname when the name starts with one (曾 → zeng beside ceng, 单 → shan), nothing more,
 * so the keys stay few. Names without a Chinese character get no keys: the name search finds them.
 */

const HAN = /\p{Script=Han}/u;
const RUNS = /(\p{Script=Han}+)|([^\p{Script=Han}]+)/gu;
/** A longer name is cut: prefix search needs only its start, and the keys stay short. */
const MAX_NAME_CHARS = 16;
/** Keys per customer at most (names × readings × full/initials). */
export const MAX_PINYIN_KEYS = 16;

const plain = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The syllables of a run of Chinese characters (one per character; one pinyin-pro does not know is dropped). */
function syllables(run: string, surname: boolean): string[] {
  const out = pinyin(run, { toneType: 'none', type: 'array', v: true, surname: surname ? 'head' : 'off' });
  return out.map(plain);
}

/** The keys of one name: full pinyin and initials, for its usual reading and its reading as a surname. */
export function nameKeys(name: string): string[] {
  const text = [...name.normalize('NFKC')].slice(0, MAX_NAME_CHARS).join('');
  if (!HAN.test(text)) return [];
  const variants: { full: string[]; initials: string[] }[] = [
    { full: [], initials: [] },
    { full: [], initials: [] },
  ];
  let first = true;
  for (const m of text.matchAll(RUNS)) {
    if (m[1]) {
      const usual = syllables(m[1], false);
      // The surname reading differs only where a name starts with its surname.
      const asSurname = first ? syllables(m[1], true) : usual;
      for (const [v, syl] of [
        [variants[0]!, usual],
        [variants[1]!, asSurname],
      ] as const) {
        v.full.push(syl.join(''));
        v.initials.push(syl.map((s) => s.charAt(0)).join(''));
      }
    } else {
      const kept = plain(m[2] ?? '');
      for (const v of variants) {
        v.full.push(kept);
        v.initials.push(kept);
      }
    }
    first = false;
  }
  const keys = new Set<string>();
  for (const v of variants) {
    for (const k of [v.full.join(''), v.initials.join('')]) if (k) keys.add(k);
  }
  return [...keys];
}

/**
 * The stored keys of a customer (customers.name_pinyin): the keys of the display name, the real name
 * and the buyer nicks, space-separated, at most MAX_PINYIN_KEYS; null when no name holds a Chinese
 * character. The same names in the same order always give the same text.
 */
export function customerPinyin(
  displayName: string | null | undefined,
  realName: string | null | undefined,
  nicks: readonly string[] = [],
): string | null {
  const keys = new Set<string>();
  for (const name of [displayName, realName, ...[...new Set(nicks)].sort()]) {
    if (!name) continue;
    for (const k of nameKeys(name)) {
      if (keys.size >= MAX_PINYIN_KEYS) break;
      keys.add(k);
    }
  }
  return keys.size > 0 ? [...keys].join(' ') : null;
}

/** Whether a name's keys start with a pinyin query (which field a search found, for the console). */
export function nameMatchesPinyin(name: string | null | undefined, query: string): boolean {
  return !!name && nameKeys(name).some((k) => k.startsWith(query));
}
