import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** Member tiers: each member's tier, staff floor and 12-month cycle, and the history of changes. */
export function tiers(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('member_tiers')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('tier_key', 'text', notNull)
        .addColumn('floor_key', 'text')
        .addColumn('cycle_started_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('member_tiers_pk', ['workspace_id', 'customer_id'])
        .addForeignKeyConstraint(
          'member_tiers_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('member_tiers_tier_idx')
        .on('member_tiers')
        .columns(['workspace_id', 'tier_key'])
        .execute();
      await db.schema
        .createIndex('member_tiers_cycle_idx')
        .on('member_tiers')
        .columns(['workspace_id', 'cycle_started_at'])
        .execute();
      await db.schema
        .createTable('tier_history')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('from_key', 'text')
        .addColumn('to_key', 'text', notNull)
        .addColumn('reason', 'text', notNull)
        .addColumn('created_by', 'text')
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('tier_history_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint(
          'tier_history_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('tier_history_customer_idx')
        .on('tier_history')
        .columns(['workspace_id', 'customer_id', 'created_at'])
        .execute();
    },
  };
}
