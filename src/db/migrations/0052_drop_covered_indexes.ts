import type { Kysely } from 'kysely';

/**
 * Two indexes whose every use another index serves: (workspace_id, display_name) is the head of
 * customers_name_search_idx (workspace_id, display_name, id) and (workspace_id, total_spent_fen) the
 * head of customer_stats_page_spent_idx (workspace_id, total_spent_fen, customer_id), both from 0014.
 * Each was written on every new buyer of an import for nothing (≈ 90 bytes per customer in each on
 * SQLite). The plans of the queries that read them were checked on both dialects (EXPLAIN): the
 * longer index takes their place.
 */
export function dropCoveredIndexes() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('customers_name_idx').ifExists().execute();
      await db.schema.dropIndex('customer_stats_spent_idx').ifExists().execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('customers_name_idx')
        .on('customers')
        .columns(['workspace_id', 'display_name'])
        .execute();
      await db.schema
        .createIndex('customer_stats_spent_idx')
        .on('customer_stats')
        .columns(['workspace_id', 'total_spent_fen'])
        .execute();
    },
  };
}
