import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * SQLite: `orders (workspace_id, substr(paid_at, 1, 13))`, the hour an order was paid (UTC, as stored), for the
 * dashboard's reads of the orders paid in a window (today's KPIs; the period and the trend of a shop without
 * current analytics), which name that expression beside their exact bounds (`paidWithin`, analytics/service.ts).
 * It is the index 0074 could not give SQLite: a plain `(workspace_id, paid_at)` was taken by the planner for the
 * purchase condition `paid_at IS NOT NULL` of every per-customer read, while an index on an expression serves only
 * a statement that names that expression. At 1M customers / 3M orders today's KPIs went from 2.0–3.6 s to
 * 19–41 ms. PostgreSQL has `orders_paid_idx` (0074) and needs nothing here.
 */
export function ordersPaidHour(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'sqlite') return;
      // A file given the plain index by hand (0074 once made it on both databases in development) loses it: its
      // statistics sent every per-customer purchase read down it, a walk of the shop's paid orders per customer.
      await sql`DROP INDEX IF EXISTS orders_paid_idx`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS orders_paid_hour_idx
        ON orders (workspace_id, substr(paid_at, 1, 13))`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`DROP INDEX IF EXISTS orders_paid_hour_idx`.execute(db);
    },
  };
}
