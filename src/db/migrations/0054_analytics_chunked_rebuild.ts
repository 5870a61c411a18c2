import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The analytics rebuild in short transactions (modules/analytics/rebuild.ts) instead of one that held SQLite's write
 * lock for the whole build (951 s at 1M customers):
 *   analytics_rebuilds           one row per workspace while a rebuild runs: what it is building for (fingerprint of
 *                                the purchase rule, zone offset and build day), the last customer id it has redone
 *                                (`cursor`), so a killed rebuild resumes where it stopped
 *   analytics_ranges.ready       0 for a kept range the running rebuild is adding (a new rolling window …): filled
 *                                customer by customer and not read by the views until the rebuild switches it on
 *   analytics_product_days_customer_idx  the rebuild rewrites product-day rows by customer range
 *   analytics_builds.stores      the stores and currencies the build grouped by: a store whose currency changed
 *                                makes the next rebuild start from nothing (the counts of 'c:' scopes cannot be
 *                                taken out customer by customer under a currency they were not put in under)
 */
export function analyticsChunkedRebuild(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('analytics_rebuilds')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('fingerprint', 'text', notNull)
        .addColumn('cursor', 'text', notNull)
        .addColumn('done', 'integer', notNull)
        .addColumn('chunks', 'integer', notNull)
        .addColumn('started_at', ts, notNull)
        .addPrimaryKeyConstraint('analytics_rebuilds_pk', ['workspace_id'])
        .addForeignKeyConstraint('analytics_rebuilds_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .alterTable('analytics_ranges')
        .addColumn('ready', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.alterTable('analytics_builds').addColumn('stores', 'text').execute();
      await db.schema
        .createIndex('analytics_product_days_customer_idx')
        .on('analytics_product_days')
        .columns(['workspace_id', 'customer_id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('analytics_product_days_customer_idx').execute();
      await db.schema.alterTable('analytics_builds').dropColumn('stores').execute();
      await db.schema.alterTable('analytics_ranges').dropColumn('ready').execute();
      await db.schema.dropTable('analytics_rebuilds').execute();
    },
  };
}
