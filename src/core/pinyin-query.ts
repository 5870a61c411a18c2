/**
 * A search text read as pinyin (core/pinyin-keys.ts makes the keys it is matched with). Kept apart from
 * pinyin-pro, whose dictionary the read threads that run searches need not load.
 */

/** Longest pinyin a search looks up (longer keys are not stored either: 16 characters × 6 letters). */
const MAX_QUERY = 96;

/**
 * A search text as a pinyin prefix (`Zhang Jia` → `zhangjia`), or null when it cannot be one: it must be
 * letters (digits after them allowed), two at least, once spaces, apostrophes (xi'an) and dashes are
 * taken out. Only [a-z0-9] ever reaches SQL.
 */
export function pinyinQuery(text: string): string | null {
  const q = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s'’·-]/g, '');
  if (q.length < 2 || q.length > MAX_QUERY || !/^[a-z][a-z0-9]*$/.test(q)) return null;
  return q;
}
