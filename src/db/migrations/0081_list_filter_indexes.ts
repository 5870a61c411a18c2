import { sql, type Kysely } from 'kysely';

/**
 * The list filters a page walked a whole shop for when few rows pass them (1M customers, 3M orders): a province
 * (the customer's own or their orders', `GET /customers?province=`: 11–24 s when nobody has it) and an order status
 * (`GET /orders?status=`: 16.5 s for the few unpaid orders). The province's customers are found by these two indexes
 * and sorted when few (customers/repo.ts); a status's orders are read newest first from their own index.
 *
 * Each is partial (`WHERE … IS NOT NULL`, which a test of the column's value implies): SQLite without statistics
 * walks the workspace's range of the last index created on a table for a statement that reads the whole workspace
 * ("customers of gender F", the count of an unindexed figure), reading the rows in that index's order. A partial
 * index is never that walk. The orders' nick index of 0080 was one (the orders in nick order: random reads), and is
 * made partial too. `IF NOT EXISTS`: a large database may have been given them by hand.
 */
export function listFilterIndexes() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`CREATE INDEX IF NOT EXISTS customers_province_idx ON customers (workspace_id, province)
        WHERE province IS NOT NULL`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS customer_stats_province_idx ON customer_stats (workspace_id, province)
        WHERE province IS NOT NULL`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS orders_status_idx ON orders (workspace_id, status, created_at)
        WHERE status IS NOT NULL`.execute(db);
      await sql`DROP INDEX IF EXISTS orders_buyer_nick_idx`.execute(db);
      await sql`CREATE INDEX orders_buyer_nick_idx ON orders (workspace_id, buyer_nick)
        WHERE buyer_nick IS NOT NULL`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`DROP INDEX IF EXISTS orders_buyer_nick_idx`.execute(db);
      await sql`CREATE INDEX orders_buyer_nick_idx ON orders (workspace_id, buyer_nick)`.execute(db);
      await sql`DROP INDEX IF EXISTS orders_status_idx`.execute(db);
      await sql`DROP INDEX IF EXISTS customer_stats_province_idx`.execute(db);
      await sql`DROP INDEX IF EXISTS customers_province_idx`.execute(db);
    },
  };
}
