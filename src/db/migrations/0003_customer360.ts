import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** Merge history (so a merge can be undone) and segment snapshots (what a campaign was sent to). */
export function customer360(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const json = pg ? 'jsonb' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('customer_merges')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('target_id', 'text', notNull)
        .addColumn('source_id', 'text', notNull)
        // The merged-away customer as it was, and every row that moved: what undo puts back.
        .addColumn('source_snapshot', json, notNull)
        .addColumn('moved', json, notNull)
        .addColumn('merged_by', 'text')
        .addColumn('merged_at', ts, notNull)
        .addColumn('undone_at', ts)
        .addPrimaryKeyConstraint('customer_merges_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint('customer_merges_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema
        .createIndex('customer_merges_target_idx')
        .on('customer_merges')
        .columns(['workspace_id', 'target_id'])
        .execute();
      await db.schema
        .createIndex('customer_merges_source_idx')
        .on('customer_merges')
        .columns(['workspace_id', 'source_id'])
        .execute();

      await db.schema
        .createTable('segment_snapshots')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('segment_id', 'text', notNull)
        .addColumn('segment_name', 'text', notNull)
        .addColumn('rule', json, notNull)
        .addColumn('customers', 'integer', notNull)
        .addColumn('purpose', 'text')
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('segment_snapshots_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint('segment_snapshots_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema
        .createTable('segment_snapshot_members')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('snapshot_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addPrimaryKeyConstraint('segment_snapshot_members_pk', ['workspace_id', 'snapshot_id', 'customer_id'])
        .addForeignKeyConstraint(
          'segment_snapshot_members_fk',
          ['workspace_id', 'snapshot_id'],
          'segment_snapshots',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
    },
  };
}
