import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Order-fact conditions without a walk of every customer's orders:
 * - customer_order_facts: per customer and value of an order dimension (category at each level of
 *   its path, activity, source, store) the purchases that had it (core/order-facts.ts), maintained
 *   with customer_stats and rebuilt by the full recompute;
 * - substring search of item titles by trigram: on PostgreSQL a pg_trgm GIN index on lower(title);
 *   on SQLite an FTS5 trigram index over the distinct titles (item_titles, filled by a trigger on
 *   order_items) and an index from a title to its lines. item_titles is an index structure of SQLite
 *   only: its integer key is the FTS5 row id, and (workspace_id, title) is unique.
 */
export function orderFacts(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const fen = pg ? 'bigint' : 'integer';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('customer_order_facts')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('dim', 'text', notNull)
        .addColumn('value', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('orders', 'integer', notNull)
        .addColumn('spend_fen', fen, notNull)
        .addColumn('first_at', ts, notNull)
        .addColumn('last_at', ts, notNull)
        .addPrimaryKeyConstraint('customer_order_facts_pk', ['workspace_id', 'dim', 'value', 'customer_id'])
        .addForeignKeyConstraint(
          'customer_order_facts_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('customer_order_facts_customer_idx')
        .on('customer_order_facts')
        .columns(['workspace_id', 'customer_id'])
        .execute();
      if (pg) {
        // pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
        await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
        await sql`CREATE INDEX order_items_title_trgm_idx ON order_items USING gin (lower(title) gin_trgm_ops)`.execute(
          db,
        );
        return;
      }
      await sql`CREATE TABLE item_titles (
        id INTEGER PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        title TEXT NOT NULL,
        UNIQUE (workspace_id, title))`.execute(db);
      await sql`CREATE VIRTUAL TABLE item_titles_fts USING fts5(
        title, content='item_titles', content_rowid='id', tokenize='trigram')`.execute(db);
      await sql`CREATE TRIGGER item_titles_fts_insert AFTER INSERT ON item_titles BEGIN
        INSERT INTO item_titles_fts (rowid, title) VALUES (new.id, new.title); END`.execute(db);
      for (const [name, when] of [
        ['order_items_title_insert', 'AFTER INSERT ON order_items'],
        ['order_items_title_update', 'AFTER UPDATE OF title ON order_items'],
      ] as const) {
        await sql`CREATE TRIGGER ${sql.raw(name)} ${sql.raw(when)} WHEN new.title IS NOT NULL AND new.title <> '' BEGIN
          INSERT OR IGNORE INTO item_titles (workspace_id, title) VALUES (new.workspace_id, new.title); END`.execute(
          db,
        );
      }
      await sql`INSERT OR IGNORE INTO item_titles (workspace_id, title)
        SELECT DISTINCT workspace_id, title FROM order_items WHERE title IS NOT NULL AND title <> ''`.execute(db);
      await db.schema
        .createIndex('order_items_title_idx')
        .on('order_items')
        .columns(['workspace_id', 'title'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (pg) {
        await sql`DROP INDEX order_items_title_trgm_idx`.execute(db);
      } else {
        await db.schema.dropIndex('order_items_title_idx').execute();
        for (const t of ['order_items_title_insert', 'order_items_title_update', 'item_titles_fts_insert'])
          await sql`DROP TRIGGER ${sql.raw(t)}`.execute(db);
        await sql`DROP TABLE item_titles_fts`.execute(db);
        await sql`DROP TABLE item_titles`.execute(db);
      }
      await db.schema.dropTable('customer_order_facts').execute();
    },
  };
}
