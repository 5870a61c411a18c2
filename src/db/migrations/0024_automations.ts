import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Order events (every observed change of an order, with the time it happened), the per-store
 * webhook secrets and the webhook ids already taken (a replay is accepted once), and automations:
 * definitions with their versions, each customer's run, and each step a run has taken (the step's
 * exactly-once key).
 */
export function automations(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const json = pg ? 'jsonb' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('order_events')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('order_id', 'text', notNull)
        .addColumn('store_id', 'text', notNull)
        .addColumn('customer_id', 'text')
        // created | paid | shipped | signed | completed | closed | refunded
        .addColumn('kind', 'text', notNull)
        .addColumn('happened_at', ts, notNull)
        .addColumn('observed_at', ts, notNull)
        // import | api | webhook | demo
        .addColumn('source', 'text', notNull)
        .addPrimaryKeyConstraint('order_events_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('order_events_once_uq', ['workspace_id', 'order_id', 'kind'])
        .addForeignKeyConstraint(
          'order_events_order_fk',
          ['workspace_id', 'order_id'],
          'orders',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('order_events_time_idx')
        .on('order_events')
        .columns(['workspace_id', 'kind', 'happened_at'])
        .execute();

      await db.schema
        .createTable('store_webhooks')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('store_id', 'text', notNull)
        .addColumn('secret', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('store_webhooks_pk', ['workspace_id', 'store_id'])
        .addForeignKeyConstraint(
          'store_webhooks_store_fk',
          ['workspace_id', 'store_id'],
          'stores',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createTable('webhook_receipts')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('store_id', 'text', notNull)
        .addColumn('webhook_id', 'text', notNull)
        .addColumn('topic', 'text', notNull)
        .addColumn('received_at', ts, notNull)
        .addPrimaryKeyConstraint('webhook_receipts_pk', ['workspace_id', 'store_id', 'webhook_id'])
        .execute();

      await db.schema
        .createTable('automations')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        // The built-in template it came from (cart_reminder …), null for a custom one.
        .addColumn('builtin', 'text')
        .addColumn('name', 'text', notNull)
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('version', 'integer', notNull)
        .addColumn('definition', json, notNull)
        .addColumn('settings', json)
        .addColumn('created_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('automations_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('automations_builtin_uq', ['workspace_id', 'builtin'])
        .addForeignKeyConstraint('automations_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema
        .createTable('automation_versions')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('automation_id', 'text', notNull)
        .addColumn('version', 'integer', notNull)
        .addColumn('definition', json, notNull)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('automation_versions_pk', ['workspace_id', 'automation_id', 'version'])
        .addForeignKeyConstraint(
          'automation_versions_fk',
          ['workspace_id', 'automation_id'],
          'automations',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createTable('automation_runs')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('automation_id', 'text', notNull)
        .addColumn('version', 'integer', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('order_id', 'text')
        // What started it, once: "order:<id>:created", "birthday:2026:<customer>" …
        .addColumn('trigger_key', 'text', notNull)
        .addColumn('trigger_at', ts, notNull)
        // waiting | done | exited | skipped | failed
        .addColumn('status', 'text', notNull)
        .addColumn('cursor', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_at', ts)
        .addColumn('reason', 'text')
        .addColumn('context', json, notNull)
        .addColumn('created_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addColumn('finished_at', ts)
        .addPrimaryKeyConstraint('automation_runs_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('automation_runs_once_uq', ['workspace_id', 'automation_id', 'trigger_key'])
        .addForeignKeyConstraint(
          'automation_runs_fk',
          ['workspace_id', 'automation_id'],
          'automations',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('automation_runs_customer_idx')
        .on('automation_runs')
        .columns(['workspace_id', 'customer_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('automation_runs_list_idx')
        .on('automation_runs')
        .columns(['workspace_id', 'automation_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('automation_steps')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('run_id', 'text', notNull)
        .addColumn('step_id', 'text', notNull)
        // done | skipped
        .addColumn('status', 'text', notNull)
        .addColumn('reason', 'text')
        .addColumn('at', ts, notNull)
        .addPrimaryKeyConstraint('automation_steps_pk', ['workspace_id', 'run_id', 'step_id'])
        .addForeignKeyConstraint(
          'automation_steps_run_fk',
          ['workspace_id', 'run_id'],
          'automation_runs',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of [
        'automation_steps',
        'automation_runs',
        'automation_versions',
        'automations',
        'webhook_receipts',
        'store_webhooks',
        'order_events',
      ])
        await db.schema.dropTable(t).execute();
    },
  };
}
