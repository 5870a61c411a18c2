import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * analytics_asked_ranges: the ranges a seller asked the distribution or products for that were not kept
 * (modules/analytics/asked.ts). The next rebuild (queued at the ask) keeps them like the usual ranges, so from then
 * on they answer from a few kept rows; an ask not repeated for 30 days is dropped at a rebuild.
 */
export function analyticsAskedRanges(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('analytics_asked_ranges')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('range_from', 'text', notNull)
        .addColumn('range_to', 'text', notNull)
        .addColumn('asked_at', ts, notNull)
        .addPrimaryKeyConstraint('analytics_asked_ranges_pk', ['workspace_id', 'range_from', 'range_to'])
        .addForeignKeyConstraint('analytics_asked_ranges_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('analytics_asked_ranges').execute();
    },
  };
}
