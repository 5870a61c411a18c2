import { sql, type Kysely } from 'kysely';

/**
 * The list filters a page walked a whole shop for when few rows pass them (1M customers, 3M orders): a province
 * (the customer's own or their orders', `GET /customers?province=`: 11–24 s when nobody has it) and an order status
 * (`GET /orders?status=`: 16.5 s for the few unpaid orders). The province's customers are found by these two indexes
 * and sorted when few (customers/repo.ts); a status's orders are read newest first from its own index.
 * `IF NOT EXISTS`: a large database may have been given them by hand.
 */
export function listFilterIndexes() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`CREATE INDEX IF NOT EXISTS customers_province_idx ON customers (workspace_id, province)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS customer_stats_province_idx
        ON customer_stats (workspace_id, province)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS orders_status_idx ON orders (workspace_id, status, created_at)`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`DROP INDEX IF EXISTS orders_status_idx`.execute(db);
      await sql`DROP INDEX IF EXISTS customer_stats_province_idx`.execute(db);
      await sql`DROP INDEX IF EXISTS customers_province_idx`.execute(db);
    },
  };
}
