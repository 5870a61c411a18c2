import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** The points ledger: append-only entries, which lots each debit consumed, and a lock row per customer. */
export function points(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('points_accounts')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('points_accounts_pk', ['workspace_id', 'customer_id'])
        .addForeignKeyConstraint(
          'points_accounts_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createTable('points_entries')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        // earn | adjust | redeem | expire | reverse; credits are positive, debits negative.
        .addColumn('kind', 'text', notNull)
        .addColumn('points', 'integer', notNull)
        .addColumn('source', 'text', notNull)
        .addColumn('reason', 'text')
        .addColumn('order_id', 'text')
        .addColumn('available_at', ts)
        .addColumn('expires_at', ts)
        .addColumn('idempotency_key', 'text', notNull)
        .addColumn('created_by', 'text')
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('points_entries_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('points_entries_key_uq', ['workspace_id', 'idempotency_key'])
        .addForeignKeyConstraint(
          'points_entries_account_fk',
          ['workspace_id', 'customer_id'],
          'points_accounts',
          ['workspace_id', 'customer_id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('points_entries_customer_idx')
        .on('points_entries')
        .columns(['workspace_id', 'customer_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('points_entries_expiry_idx')
        .on('points_entries')
        .columns(['workspace_id', 'expires_at'])
        .execute();
      await db.schema
        .createTable('points_allocations')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('debit_id', 'text', notNull)
        .addColumn('lot_id', 'text', notNull)
        .addColumn('points', 'integer', notNull)
        .addPrimaryKeyConstraint('points_allocations_pk', ['workspace_id', 'debit_id', 'lot_id'])
        .addForeignKeyConstraint(
          'points_allocations_debit_fk',
          ['workspace_id', 'debit_id'],
          'points_entries',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .addForeignKeyConstraint(
          'points_allocations_lot_fk',
          ['workspace_id', 'lot_id'],
          'points_entries',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('points_allocations_lot_idx')
        .on('points_allocations')
        .columns(['workspace_id', 'lot_id'])
        .execute();
    },
  };
}
