import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The dashboard's reads (analytics/service.ts): today's orders (and, for a shop whose analytics are not
 * built, the period's) by `orders (workspace_id, paid_at)`, the buyers and customers new in a window by
 * `customer_stats (workspace_id, first_paid_at)` and `(workspace_id, first_order_at)`, the consented customers of the
 * file totals by `customers (workspace_id, marketing_consent)`. Without them each of these statements walked every
 * order, stats row or customer of the workspace (1M customers, 3M orders: seconds each); with them they read only
 * the entries they count (README, Dashboard speed at 1M customers). `IF NOT EXISTS`: a large database may have
 * been given them by hand first.
 *
 * The orders index on PostgreSQL only: SQLite, without statistics for it, took the purchase condition
 * `paid_at IS NOT NULL` of every per-customer read for a range of it and walked every paid order of the workspace
 * per customer (the segments' order conditions, test/modules/responsive.test.ts; a rebuild chunk at 1M).
 */
export function dashboardDayIndexes(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'postgres') {
        await sql`CREATE INDEX IF NOT EXISTS orders_paid_idx ON orders (workspace_id, paid_at)`.execute(db);
      }
      await sql`CREATE INDEX IF NOT EXISTS customer_stats_first_paid_idx
        ON customer_stats (workspace_id, first_paid_at)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS customer_stats_first_order_idx
        ON customer_stats (workspace_id, first_order_at)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS customers_consent_idx
        ON customers (workspace_id, marketing_consent)`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`DROP INDEX IF EXISTS customers_consent_idx`.execute(db);
      await sql`DROP INDEX IF EXISTS customer_stats_first_order_idx`.execute(db);
      await sql`DROP INDEX IF EXISTS customer_stats_first_paid_idx`.execute(db);
      await sql`DROP INDEX IF EXISTS orders_paid_idx`.execute(db);
    },
  };
}
