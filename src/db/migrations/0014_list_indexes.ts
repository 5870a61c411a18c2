import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** The phone's last four digits, as the search and its index spell it on each dialect. */
export function phoneTailSql(dialect: Dialect, column = 'phone') {
  return dialect === 'postgres' ? sql`right(${sql.ref(column)}, 4)` : sql`substr(${sql.ref(column)}, -4)`;
}

/**
 * Indexes the customer list pages and searches on, so no page sorts or scans the whole table:
 * one per stats sort key ending in customer_id (the keyset is value, then id); for search, names
 * with ids (a substring search reads the index, not the rows), identities by value (a nick or
 * buyer id), and the phone's last four digits.
 */
export function listIndexes(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const [name, col] of [
        ['customer_stats_page_last_order_idx', 'last_order_at'],
        ['customer_stats_page_spent_idx', 'total_spent_fen'],
        ['customer_stats_page_orders_idx', 'paid_orders'],
      ] as const) {
        await db.schema.createIndex(name).on('customer_stats').columns(['workspace_id', col, 'customer_id']).execute();
      }
      await db.schema
        .createIndex('customer_identities_value_idx')
        .on('customer_identities')
        .columns(['workspace_id', 'value'])
        .execute();
      // Name searches read (name, id) from these alone, never the customers' rows.
      await db.schema
        .createIndex('customers_name_search_idx')
        .on('customers')
        .columns(['workspace_id', 'display_name', 'id'])
        .execute();
      await db.schema
        .createIndex('customers_real_name_search_idx')
        .on('customers')
        .columns(['workspace_id', 'real_name', 'id'])
        .execute();
      await sql`CREATE INDEX customers_phone_tail_idx ON customers (workspace_id, ${phoneTailSql(dialect)})`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const name of [
        'customers_phone_tail_idx',
        'customers_real_name_search_idx',
        'customers_name_search_idx',
        'customer_identities_value_idx',
        'customer_stats_page_orders_idx',
        'customer_stats_page_spent_idx',
        'customer_stats_page_last_order_idx',
      ])
        await db.schema.dropIndex(name).execute();
    },
  };
}
