import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * On SQLite, the indexes of customer_stats become partial (`WHERE … IS NOT NULL`, implied by any test of the column's
 * value: each reads as before), as 0081's are. SQLite keeps no statistics here, and read a whole workspace's stats
 * ("average order ≥ 100 yuan", any figure without an index of its own) by walking the range of the last index made
 * on the table, fetching each row in that index's order: at 1M customers the stats in first-order-date order, a
 * random read per row (5.7 s for that count; 0.6 s now, by the table's key). PostgreSQL is unchanged (it has
 * statistics). The indexes are those of 0001, 0014 and 0074.
 */
const INDEXES: [name: string, column: string, withId: boolean][] = [
  ['customer_stats_last_paid_idx', 'last_paid_at', false],
  ['customer_stats_page_last_order_idx', 'last_order_at', true],
  ['customer_stats_page_spent_idx', 'total_spent_fen', true],
  ['customer_stats_page_orders_idx', 'paid_orders', true],
  ['customer_stats_first_paid_idx', 'first_paid_at', false],
  ['customer_stats_first_order_idx', 'first_order_at', false],
];

export function customerStatsPartialIndexes(dialect: Dialect) {
  const remake = async (db: Kysely<unknown>, partial: boolean) => {
    for (const [name, column, withId] of INDEXES) {
      const key = sql.raw(['workspace_id', column, ...(withId ? ['customer_id'] : [])].join(', '));
      await sql`DROP INDEX IF EXISTS ${sql.raw(name)}`.execute(db);
      await sql`CREATE INDEX ${sql.raw(name)} ON customer_stats (${key})
        ${partial ? sql.raw(`WHERE ${column} IS NOT NULL`) : sql``}`.execute(db);
    }
  };
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'sqlite') await remake(db, true);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (dialect === 'sqlite') await remake(db, false);
    },
  };
}
