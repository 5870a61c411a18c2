import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** Coupon templates and the coupons issued from them. */
export function coupons(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const json = pg ? 'jsonb' : 'text';
  const fen = pg ? 'bigint' : 'integer';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('coupon_templates')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('rules', json, notNull)
        .addColumn('validity', json, notNull)
        .addColumn('per_customer_limit', 'integer', notNull)
        .addColumn('total_stock', 'integer')
        .addColumn('issued', 'integer', notNull)
        .addColumn('compensation', 'integer', notNull)
        .addColumn('archived_at', ts)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('coupon_templates_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('coupon_templates_name_uq', ['workspace_id', 'name'])
        .addForeignKeyConstraint('coupon_templates_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema
        .createTable('coupons')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('template_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('code', 'text', notNull)
        // issued | used | expired | void
        .addColumn('status', 'text', notNull)
        .addColumn('valid_from', ts, notNull)
        .addColumn('valid_to', ts, notNull)
        .addColumn('value_fen', fen)
        .addColumn('source', 'text', notNull)
        .addColumn('idempotency_key', 'text', notNull)
        .addColumn('issued_at', ts, notNull)
        .addColumn('used_at', ts)
        .addColumn('order_id', 'text')
        .addColumn('discount_fen', fen)
        .addPrimaryKeyConstraint('coupons_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('coupons_code_uq', ['workspace_id', 'code'])
        .addUniqueConstraint('coupons_key_uq', ['workspace_id', 'idempotency_key'])
        .addUniqueConstraint('coupons_order_uq', ['workspace_id', 'order_id'])
        .addForeignKeyConstraint('coupons_template_fk', ['workspace_id', 'template_id'], 'coupon_templates', [
          'workspace_id',
          'id',
        ])
        .addForeignKeyConstraint(
          'coupons_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('coupons_customer_idx')
        .on('coupons')
        .columns(['workspace_id', 'customer_id', 'status'])
        .execute();
      await db.schema
        .createIndex('coupons_valid_to_idx')
        .on('coupons')
        .columns(['workspace_id', 'status', 'valid_to'])
        .execute();
    },
  };
}
