import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Customer search by a part of the name from a trigram index on PostgreSQL (pg_trgm GIN on
 * lower(display_name) and on real_name, the expressions the search compares): at 1M customers a
 * search read every customer (300 ms, so 100 staff searching at once waited seconds). SQLite keeps
 * reading its (name, id) indexes without the rows (0014); nothing changes there.
 */
export function customerNameTrigram(dialect: Dialect) {
  const pg = dialect === 'postgres';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (!pg) return;
      await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
      await sql`CREATE INDEX customers_name_trgm_idx ON customers USING gin (lower(display_name) gin_trgm_ops)`.execute(
        db,
      );
      await sql`CREATE INDEX customers_real_name_trgm_idx ON customers USING gin (real_name gin_trgm_ops)`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (!pg) return;
      await sql`DROP INDEX customers_real_name_trgm_idx`.execute(db);
      await sql`DROP INDEX customers_name_trgm_idx`.execute(db);
    },
  };
}
