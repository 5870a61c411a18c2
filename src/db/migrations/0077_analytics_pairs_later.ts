import type { ColumnDefinitionBuilder, Kysely } from 'kysely';

/**
 * A first build counts the day pairs once at its end instead of customer by customer (modules/analytics/rebuild.ts).
 * Each chunk's take-out and put-back touched rows of every day of the shop's history: on SQLite, whose journal
 * keeps whole pages, a 1,500-order chunk at 1M customers wrote 60 MB of pair pages, and the first full build wrote
 * ~436 GB for a 7.9 GB file.
 *   analytics_rebuilds.pairs_later  1 while a build nothing reads yet (no analytics_builds row) leaves the day pairs
 *                                   to its end: the chunks and the order upkeep do not touch them
 *   analytics_rebuilds.pairs_copied the day-pair rows of the count copied so far (a second rebuild at once stops)
 *   analytics_redo                  the customers the order upkeep left meanwhile (their orders, merges or people
 *                                   facts changed): redone, pairs and all, once the pairs are counted
 */
export function analyticsPairsLater() {
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('analytics_rebuilds')
        .addColumn('pairs_later', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('analytics_rebuilds')
        .addColumn('pairs_copied', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createTable('analytics_redo')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addPrimaryKeyConstraint('analytics_redo_pk', ['workspace_id', 'customer_id'])
        .addForeignKeyConstraint('analytics_redo_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('analytics_redo').execute();
      await db.schema.alterTable('analytics_rebuilds').dropColumn('pairs_copied').execute();
      await db.schema.alterTable('analytics_rebuilds').dropColumn('pairs_later').execute();
    },
  };
}
