import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Deleting a customer (a merge deletes its source, an import's phone merge too) checks every table that refers to
 * customers for the customer's rows. Three had no index that starts with the customer, so the check read all of the
 * workspace's rows of the table: survey invitations and responses, reward redemptions (PostgreSQL's foreign key check
 * the same way). Each gets a (workspace_id, customer_id) index.
 *
 * On SQLite, the order facts (a `WITHOUT ROWID` table keyed workspace, dim, value, customer) had one on
 * (workspace_id, customer_id), and SQLite without statistics (a user's file never has any) prefers the key's
 * workspace range to it: the cascade of one customer's delete read every fact of the workspace, 2.1–4.9 s at 1M
 * customers (9.7M facts). Declared on (customer_id) alone, the index still carries the key behind it (workspace, dim,
 * value), and the planner takes it: 2–7 ms. Its name stays, for the reads that name it (`INDEXED BY`).
 */
export function customerDeleteIndexes(dialect: Dialect) {
  const refs = ['survey_invitations', 'survey_responses', 'reward_redemptions'];
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const table of refs)
        await sql`CREATE INDEX IF NOT EXISTS ${sql.raw(`${table}_customer_idx`)}
          ON ${sql.table(table)} (workspace_id, customer_id)`.execute(db);
      if (dialect === 'sqlite') {
        await sql`DROP INDEX customer_order_facts_customer_idx`.execute(db);
        await sql`CREATE INDEX customer_order_facts_customer_idx ON customer_order_facts (customer_id)`.execute(db);
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'sqlite') {
        await sql`DROP INDEX customer_order_facts_customer_idx`.execute(db);
        await sql`CREATE INDEX customer_order_facts_customer_idx
          ON customer_order_facts (workspace_id, customer_id)`.execute(db);
      }
      for (const table of refs) await sql`DROP INDEX IF EXISTS ${sql.raw(`${table}_customer_idx`)}`.execute(db);
    },
  };
}
