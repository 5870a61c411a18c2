import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** The points redemption catalogue (gifts and cash vouchers) and what members redeemed. */
export function rewards(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('rewards')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        // gift | cash_voucher (becomes a coupon of coupon_template_id)
        .addColumn('kind', 'text', notNull)
        .addColumn('points_cost', 'integer', notNull)
        .addColumn('stock', 'integer')
        .addColumn('coupon_template_id', 'text')
        .addColumn('active', 'integer', notNull)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('rewards_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('rewards_name_uq', ['workspace_id', 'name'])
        .addForeignKeyConstraint('rewards_template_fk', ['workspace_id', 'coupon_template_id'], 'coupon_templates', [
          'workspace_id',
          'id',
        ])
        .execute();
      await db.schema
        .createTable('reward_redemptions')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('reward_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('points_entry_id', 'text', notNull)
        .addColumn('coupon_id', 'text')
        .addColumn('status', 'text', notNull)
        .addColumn('idempotency_key', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addColumn('voided_at', ts)
        .addPrimaryKeyConstraint('reward_redemptions_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('reward_redemptions_key_uq', ['workspace_id', 'idempotency_key'])
        .addForeignKeyConstraint('reward_redemptions_reward_fk', ['workspace_id', 'reward_id'], 'rewards', [
          'workspace_id',
          'id',
        ])
        .addForeignKeyConstraint(
          'reward_redemptions_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
    },
  };
}
