import type SqliteDatabase from 'better-sqlite3';

/**
 * SQLite's keys for a customer search of one or two characters (王, 王丽, `sn`), which no trigram holds: a name's
 * characters spelled with a separator before, between and after them (`王丽` → `␟王␟丽␟`), so the FTS5 trigram index
 * of 0086 holds every character (`␟王␟`) and every pair of neighbours (`王␟丽`) as a trigram of its own. A part of one
 * character is the trigram around it, a part of two the trigram of its pair: a name holds the part exactly when the
 * index holds that key (up to case, which the trigram tokenizer folds wider than LIKE; the search's LIKEs decide).
 * The display name and the real name are joined by another separator, so no key spans both.
 */
export const NAME_GRAMS_FN = 'huike_name_grams';

const AROUND = '\u001f';
const BETWEEN_NAMES = '\u001e';

function spelled(name: string | null): string {
  return name ? AROUND + [...name].join(AROUND) + AROUND : '';
}

/** The text the index of 0086 reads for a customer's two names. */
export function nameGrams(display: string | null, real: string | null): string {
  return spelled(display) + BETWEEN_NAMES + spelled(real);
}

/**
 * The index's key (one trigram) for a part of one or two characters; null for any other length, and for a part holding
 * a separator (which the index holds between names too: such a part is searched the LIKE's way).
 */
export function gramsKey(part: string): string | null {
  if (part.includes(AROUND) || part.includes(BETWEEN_NAMES)) return null;
  const chars = [...part];
  return chars.length === 1 ? AROUND + part + AROUND : chars.length === 2 ? chars.join(AROUND) : null;
}

/** Registered on every SQLite connection: the triggers of 0086 call it for each name written. */
export function registerNameGrams(db: SqliteDatabase.Database): void {
  db.function(NAME_GRAMS_FN, { deterministic: true }, (display: unknown, real: unknown) =>
    nameGrams(display === null ? null : String(display), real === null ? null : String(real)),
  );
}
