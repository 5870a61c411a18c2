import type { ColumnDefinitionBuilder, CreateTableBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The data spine. One definition for both dialects: only the column types differ. Every business
 * table carries workspace_id inside its primary key, unique keys and foreign keys, so that a large
 * installation can distribute all tables by workspace_id (Citus) without a schema change.
 */
export function foundation(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const json = pg ? 'jsonb' : 'text';
  const fen = pg ? 'bigint' : 'integer';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Tb = CreateTableBuilder<any, any>;
  const withWorkspace = (t: Tb): Tb => t.addColumn('workspace_id', 'text', notNull).addColumn('id', 'text', notNull);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('workspaces')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', notNull)
        .addColumn('timezone', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .execute();

      await withWorkspace(db.schema.createTable('users'))
        .addColumn('login', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('password_hash', 'text', notNull)
        .addColumn('role', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addColumn('disabled_at', ts)
        .addPrimaryKeyConstraint('users_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('users_login_uq', ['workspace_id', 'login'])
        .addForeignKeyConstraint('users_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema.createIndex('users_login_idx').on('users').column('login').execute();

      await withWorkspace(db.schema.createTable('sessions'))
        .addColumn('user_id', 'text', notNull)
        .addColumn('token_hash', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addColumn('expires_at', ts, notNull)
        .addPrimaryKeyConstraint('sessions_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint(
          'sessions_user_fk',
          ['workspace_id', 'user_id'],
          'users',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();

      await withWorkspace(db.schema.createTable('api_tokens'))
        .addColumn('user_id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('token_hash', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addColumn('last_used_at', ts)
        .addColumn('revoked_at', ts)
        .addPrimaryKeyConstraint('api_tokens_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint(
          'api_tokens_user_fk',
          ['workspace_id', 'user_id'],
          'users',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();

      await withWorkspace(db.schema.createTable('stores'))
        .addColumn('platform', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('timezone', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('stores_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('stores_name_uq', ['workspace_id', 'name'])
        .addForeignKeyConstraint('stores_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();

      await withWorkspace(db.schema.createTable('customers'))
        .addColumn('display_name', 'text', notNull)
        .addColumn('real_name', 'text')
        .addColumn('phone', 'text')
        .addColumn('email', 'text')
        .addColumn('province', 'text')
        .addColumn('city', 'text')
        .addColumn('gender', 'text')
        .addColumn('birthday', 'text')
        // PIPL: marketing needs consent (granted / denied / unknown); order-care messages do not.
        .addColumn('marketing_consent', 'text', (c) => c.notNull().defaultTo('unknown'))
        .addColumn('consent_source', 'text')
        .addColumn('consent_at', ts)
        .addColumn('first_store_id', 'text')
        .addColumn('created_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('customers_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint('customers_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema.createIndex('customers_phone_idx').on('customers').columns(['workspace_id', 'phone']).execute();
      await db.schema.createIndex('customers_email_idx').on('customers').columns(['workspace_id', 'email']).execute();
      await db.schema
        .createIndex('customers_name_idx')
        .on('customers')
        .columns(['workspace_id', 'display_name'])
        .execute();

      await withWorkspace(db.schema.createTable('customer_identities'))
        .addColumn('customer_id', 'text', notNull)
        // kind: nick | buyer_id | phone | email; scope: the platform family for marketplace
        // accounts (a Taobao nick is the same buyer in every Taobao/Tmall shop), '' for phone/email.
        .addColumn('kind', 'text', notNull)
        .addColumn('scope', 'text', notNull)
        .addColumn('value', 'text', notNull)
        .addColumn('store_id', 'text')
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('customer_identities_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('customer_identities_uq', ['workspace_id', 'kind', 'scope', 'value'])
        .addForeignKeyConstraint(
          'customer_identities_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('customer_identities_customer_idx')
        .on('customer_identities')
        .columns(['workspace_id', 'customer_id'])
        .execute();

      await withWorkspace(db.schema.createTable('orders'))
        .addColumn('store_id', 'text', notNull)
        .addColumn('external_id', 'text', notNull)
        .addColumn('customer_id', 'text')
        .addColumn('status', 'text', notNull)
        .addColumn('platform_status', 'text')
        .addColumn('goods_fen', fen, notNull)
        .addColumn('shipping_fen', fen, notNull)
        .addColumn('discount_fen', fen, notNull)
        .addColumn('total_fen', fen, notNull)
        .addColumn('paid_fen', fen, notNull)
        .addColumn('refunded_fen', fen, notNull)
        .addColumn('created_at', ts, notNull)
        .addColumn('paid_at', ts)
        .addColumn('shipped_at', ts)
        .addColumn('signed_at', ts)
        .addColumn('closed_at', ts)
        .addColumn('buyer_nick', 'text')
        .addColumn('receiver_name', 'text')
        .addColumn('receiver_phone', 'text')
        .addColumn('province', 'text')
        .addColumn('city', 'text')
        .addColumn('district', 'text')
        .addColumn('address', 'text')
        .addColumn('buyer_message', 'text')
        .addColumn('seller_note', 'text')
        .addColumn('source', 'text')
        .addColumn('activity', 'text')
        .addColumn('title', 'text')
        .addColumn('item_count', 'integer')
        .addColumn('raw', json, notNull)
        // Digest of everything an export says about the order: re-importing it unchanged is a no-op.
        .addColumn('content_hash', 'text', notNull)
        .addColumn('import_run_id', 'text')
        .addColumn('imported_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('orders_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('orders_external_uq', ['workspace_id', 'store_id', 'external_id'])
        .addForeignKeyConstraint('orders_store_fk', ['workspace_id', 'store_id'], 'stores', ['workspace_id', 'id'])
        .addForeignKeyConstraint('orders_customer_fk', ['workspace_id', 'customer_id'], 'customers', [
          'workspace_id',
          'id',
        ])
        .execute();
      await db.schema
        .createIndex('orders_customer_idx')
        .on('orders')
        .columns(['workspace_id', 'customer_id', 'created_at'])
        .execute();
      await db.schema.createIndex('orders_created_idx').on('orders').columns(['workspace_id', 'created_at']).execute();

      await db.schema
        .createTable('order_items')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('order_id', 'text', notNull)
        .addColumn('line_key', 'text', notNull)
        .addColumn('title', 'text')
        .addColumn('sku', 'text')
        .addColumn('external_item_id', 'text')
        .addColumn('category', 'text')
        .addColumn('quantity', 'integer', notNull)
        .addColumn('price_fen', fen, notNull)
        .addColumn('paid_fen', fen)
        .addColumn('refund_status', 'text')
        .addPrimaryKeyConstraint('order_items_pk', ['workspace_id', 'order_id', 'line_key'])
        .addForeignKeyConstraint(
          'order_items_order_fk',
          ['workspace_id', 'order_id'],
          'orders',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();

      await db.schema
        .createTable('customer_stats')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('orders_count', 'integer', notNull)
        .addColumn('paid_orders', 'integer', notNull)
        .addColumn('first_order_at', ts)
        .addColumn('last_order_at', ts)
        .addColumn('first_paid_at', ts)
        .addColumn('last_paid_at', ts)
        .addColumn('total_spent_fen', fen, notNull)
        .addColumn('refund_fen', fen, notNull)
        .addColumn('refund_orders', 'integer', notNull)
        .addColumn('aov_fen', fen, notNull)
        .addColumn('spent_12m_fen', fen, notNull)
        .addColumn('orders_12m', 'integer', notNull)
        .addColumn('favourite_category', 'text')
        .addColumn('province', 'text')
        .addColumn('as_of', ts, notNull)
        .addPrimaryKeyConstraint('customer_stats_pk', ['workspace_id', 'customer_id'])
        .addForeignKeyConstraint(
          'customer_stats_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('customer_stats_last_paid_idx')
        .on('customer_stats')
        .columns(['workspace_id', 'last_paid_at'])
        .execute();
      await db.schema
        .createIndex('customer_stats_spent_idx')
        .on('customer_stats')
        .columns(['workspace_id', 'total_spent_fen'])
        .execute();

      await withWorkspace(db.schema.createTable('import_runs'))
        .addColumn('store_id', 'text', notNull)
        .addColumn('format', 'text', notNull)
        .addColumn('file_name', 'text', notNull)
        .addColumn('file_path', 'text')
        .addColumn('mapping', json)
        .addColumn('status', 'text', notNull)
        .addColumn('rows_read', 'integer', notNull)
        .addColumn('orders_created', 'integer', notNull)
        .addColumn('orders_updated', 'integer', notNull)
        .addColumn('orders_unchanged', 'integer', notNull)
        .addColumn('items_written', 'integer', notNull)
        .addColumn('customers_created', 'integer', notNull)
        .addColumn('rows_rejected', 'integer', notNull)
        .addColumn('bytes_total', fen)
        .addColumn('bytes_read', fen, notNull)
        .addColumn('message', 'text')
        .addColumn('created_by', 'text')
        .addColumn('started_at', ts, notNull)
        .addColumn('finished_at', ts)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('import_runs_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint('import_runs_store_fk', ['workspace_id', 'store_id'], 'stores', ['workspace_id', 'id'])
        .execute();

      await db.schema
        .createTable('import_errors')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('run_id', 'text', notNull)
        .addColumn('seq', 'integer', notNull)
        .addColumn('line', 'integer', notNull)
        .addColumn('column_name', 'text')
        .addColumn('reason', 'text', notNull)
        .addColumn('value', 'text')
        .addPrimaryKeyConstraint('import_errors_pk', ['workspace_id', 'run_id', 'seq'])
        .addForeignKeyConstraint(
          'import_errors_run_fk',
          ['workspace_id', 'run_id'],
          'import_runs',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();

      await withWorkspace(db.schema.createTable('jobs'))
        .addColumn('kind', 'text', notNull)
        .addColumn('payload', json, notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('attempts', 'integer', notNull)
        .addColumn('max_attempts', 'integer', notNull)
        .addColumn('run_at', ts, notNull)
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', ts)
        .addColumn('last_error', 'text')
        .addColumn('dedupe_key', 'text')
        .addColumn('created_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addColumn('finished_at', ts)
        .addPrimaryKeyConstraint('jobs_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('jobs_dedupe_uq', ['workspace_id', 'kind', 'dedupe_key'])
        .addForeignKeyConstraint('jobs_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema.createIndex('jobs_due_idx').on('jobs').columns(['status', 'run_at']).execute();

      await db.schema
        .createTable('schedules')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('cron', 'text', notNull)
        .addColumn('timezone', 'text', notNull)
        .addColumn('job_kind', 'text', notNull)
        .addColumn('payload', json, notNull)
        .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('next_run_at', ts, notNull)
        .addColumn('last_run_at', ts)
        .addPrimaryKeyConstraint('schedules_pk', ['workspace_id', 'name'])
        .addForeignKeyConstraint('schedules_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
    },
  };
}
