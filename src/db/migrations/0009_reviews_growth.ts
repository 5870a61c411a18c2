import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Reviews (评价) a buyer left on an order, and growth-value entries (成长值) beyond what spend gives:
 * a photo review's bonus, staff adjustments.
 */
export function reviewsGrowth(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('reviews')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('order_id', 'text')
        // good | neutral | bad (好评 / 中评 / 差评)
        .addColumn('rating', 'text', notNull)
        .addColumn('has_photo', 'integer', notNull)
        .addColumn('body', 'text')
        .addColumn('reviewed_at', ts, notNull)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('reviews_pk', ['workspace_id', 'id'])
        // One review per order (a follow-up review updates it).
        .addUniqueConstraint('reviews_order_uq', ['workspace_id', 'order_id'])
        .addForeignKeyConstraint(
          'reviews_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .addForeignKeyConstraint('reviews_order_fk', ['workspace_id', 'order_id'], 'orders', ['workspace_id', 'id'])
        .execute();
      await db.schema
        .createIndex('reviews_customer_idx')
        .on('reviews')
        .columns(['workspace_id', 'customer_id'])
        .execute();
      await db.schema
        .createTable('growth_entries')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('points', 'integer', notNull)
        // photo_review | adjust
        .addColumn('source', 'text', notNull)
        .addColumn('reason', 'text')
        .addColumn('idempotency_key', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('growth_entries_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('growth_entries_key_uq', ['workspace_id', 'idempotency_key'])
        .addForeignKeyConstraint(
          'growth_entries_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('growth_entries_customer_idx')
        .on('growth_entries')
        .columns(['workspace_id', 'customer_id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('growth_entries').execute();
      await db.schema.dropTable('reviews').execute();
    },
  };
}
