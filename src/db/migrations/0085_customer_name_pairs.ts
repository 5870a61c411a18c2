import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Customer search by a part of two characters on PostgreSQL (a 2-character name like 王丽, pinyin initials like `sn`):
 * the trigram indexes of 0050 hold no key such a part has, so PostgreSQL read every customer they index and rechecked
 * each — 0.5–1.15 s at 1M customers, however few matched. huike_name_pairs(t) is the list of t's pairs of neighbouring
 * characters; a GIN index on it for each name the search compares (lower(display_name), real_name) finds exactly the
 * customers whose name holds the pair. A PL/pgSQL loop: a third of the time of an SQL version (4.4 against 12 µs a
 * name), which every insert and rename of a customer pays. A single character still reads the trigram index whole
 * (it matches many; pairs and characters together cost a 100k-row import 11–16 % more). SQLite has no such index (its
 * FTS5 has no tokenizer for pairs): there a part that short still reads the (name, id) index.
 */
export function customerNamePairs(dialect: Dialect) {
  const pg = dialect === 'postgres';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (!pg) return;
      await sql`CREATE FUNCTION huike_name_pairs(t text) RETURNS text[]
        LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ DECLARE pairs text[] := '{}';
        BEGIN
          FOR i IN 1 .. length(t) - 1 LOOP pairs := pairs || substr(t, i, 2); END LOOP;
          RETURN pairs;
        END $$`.execute(db);
      await sql`CREATE INDEX customers_name_pairs_idx ON customers
        USING gin (huike_name_pairs(lower(display_name)))`.execute(db);
      await sql`CREATE INDEX customers_real_name_pairs_idx ON customers
        USING gin (huike_name_pairs(real_name))`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (!pg) return;
      await sql`DROP INDEX customers_real_name_pairs_idx`.execute(db);
      await sql`DROP INDEX customers_name_pairs_idx`.execute(db);
      await sql`DROP FUNCTION huike_name_pairs(text)`.execute(db);
    },
  };
}
