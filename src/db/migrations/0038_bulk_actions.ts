import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Bulk actions on an audience (a segment): tag all, issue a coupon, grant points. One row per action, so the
 * console can follow a big audience's job and a retried request finds the action it already started (the
 * unique action key: kind, segment and batch). The customers' own records (tags, coupons, points) stay
 * idempotent per customer; this row is the action's history and outcome.
 *
 * Coupon templates can be paused (no issuing while paused, history kept) and rewards archived (hidden
 * from the catalogue, their redemptions kept).
 */
export function bulkActions(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const json = pg ? 'jsonb' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('bulk_actions')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('action_key', 'text', notNull)
        // tag | coupon | points
        .addColumn('kind', 'text', notNull)
        .addColumn('segment_id', 'text', notNull)
        .addColumn('segment_name', 'text', notNull)
        .addColumn('params', json, notNull)
        // queued | running | done | failed
        .addColumn('status', 'text', notNull)
        .addColumn('audience', 'integer', notNull)
        .addColumn('result', json)
        .addColumn('error', 'text')
        .addColumn('created_by', 'text')
        .addColumn('created_at', ts, notNull)
        .addColumn('finished_at', ts)
        .addPrimaryKeyConstraint('bulk_actions_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('bulk_actions_key_uq', ['workspace_id', 'action_key'])
        .addForeignKeyConstraint('bulk_actions_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema
        .createIndex('bulk_actions_segment_idx')
        .on('bulk_actions')
        .columns(['workspace_id', 'segment_id', 'created_at'])
        .execute();
      await db.schema.alterTable('coupon_templates').addColumn('paused_at', ts).execute();
      await db.schema.alterTable('rewards').addColumn('archived_at', ts).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('bulk_actions').execute();
      await db.schema.alterTable('coupon_templates').dropColumn('paused_at').execute();
      await db.schema.alterTable('rewards').dropColumn('archived_at').execute();
    },
  };
}
