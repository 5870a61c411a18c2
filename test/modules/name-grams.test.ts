import SqliteDatabase from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { gramsKey, nameGrams, registerNameGrams } from '../../src/db/name-grams.js';
import { ftsPhrase } from '../../src/modules/customers/repo.js';

/**
 * The keys of SQLite's index for 1–2 character searches (0086), asked of a real FTS5 trigram table as the migration
 * makes it: a part is found in exactly the names that hold it (up to case), never in a name that holds it only across
 * its two names or its separators.
 */
describe('the index of characters and pairs (SQLite)', () => {
  const db = new SqliteDatabase(':memory:');
  registerNameGrams(db);
  afterAll(() => db.close());
  db.exec(
    `CREATE VIRTUAL TABLE g USING fts5(grams, content='', contentless_delete=1, detail=none, tokenize='trigram')`,
  );
  const insert = db.prepare('INSERT INTO g (rowid, grams) VALUES (?, huike_name_grams(?, ?))');
  const found = (part: string) =>
    (
      db.prepare('SELECT rowid AS id FROM g WHERE g MATCH ? ORDER BY rowid').all(ftsPhrase(gramsKey(part)!)) as {
        id: number;
      }[]
    ).map((r) => r.id);

  it('spells each character between separators, and the two names apart', () => {
    expect(nameGrams('王丽', null)).toBe('\u001f王\u001f丽\u001f\u001e');
    expect(nameGrams('a', 'Bc')).toBe('\u001fa\u001f\u001e\u001fB\u001fc\u001f');
    expect(gramsKey('王')).toBe('\u001f王\u001f');
    expect(gramsKey('"a')).toBe('"\u001fa');
    expect(gramsKey('王丽华')).toBeNull();
    expect(gramsKey('')).toBeNull();
    expect(gramsKey('a\u001f')).toBeNull();
    expect(gramsKey('\u001e')).toBeNull();
    // A character outside the BMP is one character, as the trigram tokenizer counts.
    expect(gramsKey('😀a')).toBe('😀\u001fa');
  });

  it('finds a part of one or two characters in exactly the names holding it', () => {
    let seed = 20261130;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = [...'王丽华aAbB1 "\'*%_-\u001f\u001e😀é'];
    const word = () => Array.from({ length: 1 + rand(6) }, () => alphabet[rand(alphabet.length)]).join('');
    const names = Array.from({ length: 400 }, (_, i) => ({
      id: i + 1,
      display: word(),
      real: rand(3) ? word() : null,
    }));
    for (const n of names) insert.run(n.id, n.display, n.real);
    // The trigram tokenizer folds case (ASCII here); the search's LIKEs decide the rest.
    const holds = (name: string | null, part: string) =>
      name !== null && name.toLowerCase().includes(part.toLowerCase());
    let parts = 0;
    for (let k = 0; k < 300; k++) {
      const part = Array.from({ length: 1 + rand(2) }, () => alphabet[rand(alphabet.length)]).join('');
      if (gramsKey(part) === null) continue;
      const want = names.filter((n) => holds(n.display, part) || holds(n.real, part)).map((n) => n.id);
      expect(found(part), JSON.stringify(part)).toEqual(want);
      if (want.length > 0 && want.length < names.length) parts += 1;
    }
    expect(parts).toBeGreaterThan(100);
    // Across the two names: the last character of one and the first of the other are no pair.
    insert.run(1000, 'xq', 'zw');
    expect(found('qz')).not.toContain(1000);
    expect(found('xq')).toContain(1000);
    expect(found('zw')).toContain(1000);
  });
});
