import type { ColumnDefinitionBuilder, Kysely } from 'kysely';

/**
 * analytics_changes: what each raise of a workspace's analytics data version (0058) changed — the customers whose
 * buyer-day rows, product-day rows or people facts were rewritten (a JSON array), or `whole` = 1 for a write over
 * many customers at once (a rebuild chunk, a clear). Written in the same transaction as the raise
 * (modules/analytics/version.ts), so the analytics held in memory (modules/analytics/memory.ts) can re-read just
 * those customers instead of every row; pruned to the last few thousand versions per workspace.
 */
export function analyticsChanges() {
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('analytics_changes')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('version', 'bigint', notNull)
        .addColumn('customers', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('whole', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('analytics_changes_pk', ['workspace_id', 'version'])
        .addForeignKeyConstraint('analytics_changes_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('analytics_changes').execute();
    },
  };
}
