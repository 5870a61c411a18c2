import type { ColumnDefinitionBuilder, Kysely } from 'kysely';

/**
 * analytics_versions: a counter per workspace, raised in the same transaction as every write to the buyer-day and
 * product-day rows and to the people facts the distribution reads (modules/analytics/version.ts). The analytics
 * held in memory (modules/analytics/memory.ts) are tagged with it and answer only while it has not moved.
 */
export function analyticsVersions() {
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('analytics_versions')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('analytics_versions_pk', ['workspace_id'])
        .addForeignKeyConstraint('analytics_versions_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('analytics_versions').execute();
    },
  };
}
