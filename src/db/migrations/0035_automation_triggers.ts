import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * What the remaining automation triggers need: a presale order's balance window (when the 尾款 can no
 * longer be paid, for the 预售 balance reminder), and for segment-entry triggers who was in the segment
 * at the last evaluation (so only customers newly in it start a run) and when that evaluation was.
 */
export function automationTriggers(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('orders').addColumn('balance_due_at', ts).execute();
      await db.schema.alterTable('automations').addColumn('audience_checked_at', ts).execute();
      await db.schema
        .createTable('automation_audience')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('automation_id', 'text', (c) => c.notNull())
        .addColumn('customer_id', 'text', (c) => c.notNull())
        .addColumn('entered_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('automation_audience_pk', ['workspace_id', 'automation_id', 'customer_id'])
        .addForeignKeyConstraint(
          'automation_audience_fk',
          ['workspace_id', 'automation_id'],
          'automations',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('automation_audience').execute();
      await db.schema.alterTable('automations').dropColumn('audience_checked_at').execute();
      await db.schema.alterTable('orders').dropColumn('balance_due_at').execute();
    },
  };
}
