import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * On SQLite, customer_order_facts becomes a `WITHOUT ROWID` table: the rows are stored in the primary
 * key's order (workspace_id, dim, value, customer_id), so a condition read from the facts ("≥ 2 orders in
 * 女装": the customers of one value with orders ≥ n) is one range of the key with the counts in it, where
 * the rowid table fetched a table row per key entry for its `orders` (1M customers: ~750k rows for 女装).
 * The table is rewritten once (rows copied in key order), with the same columns, key, foreign key and
 * customer index, and an index of the key alone for the reads that need only membership. PostgreSQL is
 * unchanged here (0064 makes its key carry `orders`).
 */
export function orderFactsWithoutRowid(dialect: Dialect) {
  const rewrite = async (db: Kysely<unknown>, withoutRowid: boolean) => {
    await sql`CREATE TABLE customer_order_facts_next (
      workspace_id TEXT NOT NULL,
      dim TEXT NOT NULL,
      value TEXT NOT NULL,
      customer_id TEXT NOT NULL,
      orders INTEGER NOT NULL,
      spend_fen INTEGER NOT NULL,
      first_at TEXT NOT NULL,
      last_at TEXT NOT NULL,
      CONSTRAINT customer_order_facts_pk PRIMARY KEY (workspace_id, dim, value, customer_id),
      CONSTRAINT customer_order_facts_customer_fk FOREIGN KEY (workspace_id, customer_id)
        REFERENCES customers (workspace_id, id) ON DELETE CASCADE
    )${sql.raw(withoutRowid ? ' WITHOUT ROWID' : '')}`.execute(db);
    await sql`INSERT INTO customer_order_facts_next
      SELECT workspace_id, dim, value, customer_id, orders, spend_fen, first_at, last_at
      FROM customer_order_facts ORDER BY workspace_id, dim, value, customer_id`.execute(db);
    await sql`DROP TABLE customer_order_facts`.execute(db);
    await sql`ALTER TABLE customer_order_facts_next RENAME TO customer_order_facts`.execute(db);
    await sql`CREATE INDEX customer_order_facts_customer_idx
      ON customer_order_facts (workspace_id, customer_id)`.execute(db);
    // The key alone, narrow, for reads that need only membership ("bought in 双11 2026", the prefilter's
    // ranges and probes): the table's rows carry the spend and dates too, and reading them made rule (b)'s
    // page 2–3× slower. The rowid table had this index already (its primary key's): as many writes as before.
    if (withoutRowid)
      await sql`CREATE INDEX customer_order_facts_key_idx
        ON customer_order_facts (workspace_id, dim, value, customer_id)`.execute(db);
  };
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'sqlite') await rewrite(db, true);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'sqlite') await rewrite(db, false);
    },
  };
}
