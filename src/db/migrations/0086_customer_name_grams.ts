import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';
import { NAME_GRAMS_FN } from '../name-grams.js';

/**
 * Customer search by a part of one or two characters on SQLite (王, 王丽, pinyin initials like `sn`): a trigram
 * needs three, so such a search read the whole (name, id) index — 200–470 ms at 400k customers, however few
 * matched. customer_name_grams_fts indexes each customer's names spelled with separators (db/name-grams.ts), where
 * every character and every pair of neighbours is a trigram of its own. Contentless (the text is derived, never
 * read back) and detail=none (a part is one key: no positions needed), kept by triggers on customer_names (0051),
 * whose integer key is its row id. The triggers call huike_name_grams, which every connection the server opens
 * registers (db/connect.ts): a tool without it (the sqlite3 shell) can read the database but not write a name.
 * PostgreSQL has its index of pairs (0085).
 */
export function customerNameGrams(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const grams = (row: 'new' | 'm') => sql.raw(`${NAME_GRAMS_FN}(${row}.display_name, ${row}.real_name)`);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (pg) return;
      // One transaction: SQLite runs a migration outside one, and a run stopped half-way is run again from the start.
      await db.transaction().execute(async (trx) => {
        await sql`CREATE VIRTUAL TABLE customer_name_grams_fts USING fts5(
          grams, content='', contentless_delete=1, detail=none, tokenize='trigram')`.execute(trx);
        await sql`INSERT INTO customer_name_grams_fts (rowid, grams)
          SELECT m.id, ${grams('m')} FROM customer_names m`.execute(trx);
        await sql`CREATE TRIGGER customer_name_grams_insert AFTER INSERT ON customer_names BEGIN
          INSERT INTO customer_name_grams_fts (rowid, grams) VALUES (new.id, ${grams('new')}); END`.execute(trx);
        await sql`CREATE TRIGGER customer_name_grams_delete AFTER DELETE ON customer_names BEGIN
          DELETE FROM customer_name_grams_fts WHERE rowid = old.id; END`.execute(trx);
        // customer_names is rewritten whenever a customer's key or a name is (0051): only a change of a name
        // (or of the row id, which no statement makes) writes the index again.
        await sql`CREATE TRIGGER customer_name_grams_update AFTER UPDATE ON customer_names
          WHEN old.id IS NOT new.id OR old.display_name IS NOT new.display_name OR old.real_name IS NOT new.real_name
          BEGIN
            DELETE FROM customer_name_grams_fts WHERE rowid = old.id;
            INSERT INTO customer_name_grams_fts (rowid, grams) VALUES (new.id, ${grams('new')});
          END`.execute(trx);
      });
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (pg) return;
      for (const t of ['customer_name_grams_insert', 'customer_name_grams_delete', 'customer_name_grams_update'])
        await sql`DROP TRIGGER ${sql.raw(t)}`.execute(db);
      await sql`DROP TABLE customer_name_grams_fts`.execute(db);
    },
  };
}
