import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Customer search by a part of the name on SQLite from an FTS5 trigram index, as item titles have
 * (0027): at 1M customers the search read the whole (name, id) index on the event loop for every
 * search. customer_names mirrors each customer's display_name and real_name (kept by triggers on
 * customers); customer_names_fts indexes them by trigram (external content, kept by triggers on
 * customer_names). customer_names is an index structure of SQLite only: its integer key is the FTS5
 * row id, and (workspace_id, customer_id) is unique. PostgreSQL has its pg_trgm indexes (0050).
 */
export function customerNameSearch(dialect: Dialect) {
  const pg = dialect === 'postgres';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (pg) return;
      await sql`CREATE TABLE customer_names (
        id INTEGER PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        real_name TEXT,
        UNIQUE (workspace_id, customer_id))`.execute(db);
      await sql`CREATE VIRTUAL TABLE customer_names_fts USING fts5(
        display_name, real_name, content='customer_names', content_rowid='id', tokenize='trigram')`.execute(db);
      // Filled set-wise, then indexed in one pass; the triggers keep both from here on.
      await sql`INSERT INTO customer_names (workspace_id, customer_id, display_name, real_name)
        SELECT workspace_id, id, display_name, real_name FROM customers`.execute(db);
      await sql`INSERT INTO customer_names_fts (customer_names_fts) VALUES ('rebuild')`.execute(db);
      await sql`CREATE TRIGGER customer_names_fts_insert AFTER INSERT ON customer_names BEGIN
        INSERT INTO customer_names_fts (rowid, display_name, real_name)
          VALUES (new.id, new.display_name, new.real_name); END`.execute(db);
      await sql`CREATE TRIGGER customer_names_fts_delete AFTER DELETE ON customer_names BEGIN
        INSERT INTO customer_names_fts (customer_names_fts, rowid, display_name, real_name)
          VALUES ('delete', old.id, old.display_name, old.real_name); END`.execute(db);
      await sql`CREATE TRIGGER customer_names_fts_update AFTER UPDATE ON customer_names BEGIN
        INSERT INTO customer_names_fts (customer_names_fts, rowid, display_name, real_name)
          VALUES ('delete', old.id, old.display_name, old.real_name);
        INSERT INTO customer_names_fts (rowid, display_name, real_name)
          VALUES (new.id, new.display_name, new.real_name); END`.execute(db);
      await sql`CREATE TRIGGER customers_names_insert AFTER INSERT ON customers BEGIN
        INSERT INTO customer_names (workspace_id, customer_id, display_name, real_name)
          VALUES (new.workspace_id, new.id, new.display_name, new.real_name); END`.execute(db);
      await sql`CREATE TRIGGER customers_names_update AFTER UPDATE OF workspace_id, id, display_name, real_name
        ON customers BEGIN
        UPDATE customer_names SET workspace_id = new.workspace_id, customer_id = new.id,
          display_name = new.display_name, real_name = new.real_name
          WHERE workspace_id = old.workspace_id AND customer_id = old.id; END`.execute(db);
      await sql`CREATE TRIGGER customers_names_delete AFTER DELETE ON customers BEGIN
        DELETE FROM customer_names WHERE workspace_id = old.workspace_id AND customer_id = old.id; END`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (pg) return;
      for (const t of [
        'customers_names_insert',
        'customers_names_update',
        'customers_names_delete',
        'customer_names_fts_insert',
        'customer_names_fts_delete',
        'customer_names_fts_update',
      ])
        await sql`DROP TRIGGER ${sql.raw(t)}`.execute(db);
      await sql`DROP TABLE customer_names_fts`.execute(db);
      await sql`DROP TABLE customer_names`.execute(db);
    },
  };
}
