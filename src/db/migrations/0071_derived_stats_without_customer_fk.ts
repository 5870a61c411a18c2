import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * On PostgreSQL, customer_stats and customer_order_facts lose their foreign keys to customers: both are
 * derived tables, rewritten for a batch's customers by every import batch and rebuilt by the recompute,
 * and the checks were expected to cost a share of the import's server time. Measured, they did not
 * (README, Import): 0072 puts them back. SQLite kept its keys throughout.
 */
export function derivedStatsWithoutCustomerFk(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      await sql`ALTER TABLE customer_stats DROP CONSTRAINT IF EXISTS customer_stats_customer_fk`.execute(db);
      await sql`ALTER TABLE customer_order_facts DROP CONSTRAINT IF EXISTS customer_order_facts_customer_fk`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'postgres') return;
      for (const table of ['customer_stats', 'customer_order_facts']) {
        await sql`DELETE FROM ${sql.table(table)} t WHERE NOT EXISTS (SELECT 1 FROM customers c
          WHERE c.workspace_id = t.workspace_id AND c.id = t.customer_id)`.execute(db);
        await sql`ALTER TABLE ${sql.table(table)} ADD CONSTRAINT ${sql.id(`${table}_customer_fk`)}
          FOREIGN KEY (workspace_id, customer_id) REFERENCES customers (workspace_id, id) ON DELETE CASCADE`.execute(
          db,
        );
      }
    },
  };
}
