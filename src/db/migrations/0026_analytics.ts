import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Pre-aggregates of the 数据分析 views, rebuilt per workspace from the orders in one SQL pass
 * (modules/analytics/rebuild.ts) by a job after every import, nightly, and by `huike recompute`:
 * buyer-days (who bought what on which local day in which store), hours (orders, sales and the
 * payment funnel per local day and hour), product-days and the first-order-month cohorts.
 */
export function analytics(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const fen = pg ? 'bigint' : 'integer';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('analytics_buyer_days')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('store_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('day', 'text', notNull)
        .addColumn('orders', 'integer', notNull)
        .addColumn('revenue_fen', fen, notNull)
        .addPrimaryKeyConstraint('analytics_buyer_days_pk', ['workspace_id', 'store_id', 'customer_id', 'day'])
        .addForeignKeyConstraint('analytics_buyer_days_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      // A range of days: covering, so a period's buyers are read from the index alone.
      await db.schema
        .createIndex('analytics_buyer_days_day_idx')
        .on('analytics_buyer_days')
        .columns(['workspace_id', 'day', 'store_id', 'customer_id', 'orders', 'revenue_fen'])
        .execute();
      // "Had this buyer bought before?" (老会员) across stores: one seek per buyer.
      await db.schema
        .createIndex('analytics_buyer_days_customer_idx')
        .on('analytics_buyer_days')
        .columns(['workspace_id', 'customer_id', 'day', 'store_id'])
        .execute();
      await db.schema
        .createTable('analytics_hours')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('store_id', 'text', notNull)
        .addColumn('day', 'text', notNull)
        .addColumn('hour', 'integer', notNull)
        // By the hour the order was created: the payment funnel.
        .addColumn('created_orders', 'integer', notNull)
        .addColumn('created_paid', 'integer', notNull)
        .addColumn('recovered_orders', 'integer', notNull)
        .addColumn('recovered_fen', fen, notNull)
        // By the hour it was paid: sales (purchases only, refunds taken off).
        .addColumn('paid_orders', 'integer', notNull)
        .addColumn('revenue_fen', fen, notNull)
        .addPrimaryKeyConstraint('analytics_hours_pk', ['workspace_id', 'store_id', 'day', 'hour'])
        .addForeignKeyConstraint('analytics_hours_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('analytics_hours_day_idx')
        .on('analytics_hours')
        .columns(['workspace_id', 'day', 'store_id'])
        .execute();
      await db.schema
        .createTable('analytics_product_days')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('store_id', 'text', notNull)
        .addColumn('day', 'text', notNull)
        .addColumn('product', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('orders', 'integer', notNull)
        .addColumn('units', 'integer', notNull)
        .addColumn('revenue_fen', fen, notNull)
        .addPrimaryKeyConstraint('analytics_product_days_pk', [
          'workspace_id',
          'day',
          'store_id',
          'product',
          'customer_id',
        ])
        .addForeignKeyConstraint('analytics_product_days_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createTable('analytics_cohorts')
        .addColumn('workspace_id', 'text', notNull)
        // '' = all stores together.
        .addColumn('store_id', 'text', notNull)
        .addColumn('cohort_month', 'text', notNull)
        .addColumn('active_month', 'text', notNull)
        .addColumn('buyers', 'integer', notNull)
        .addPrimaryKeyConstraint('analytics_cohorts_pk', ['workspace_id', 'store_id', 'cohort_month', 'active_month'])
        .addForeignKeyConstraint('analytics_cohorts_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createTable('analytics_builds')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('built_at', ts, notNull)
        .addColumn('orders', 'integer', notNull)
        .addColumn('build_ms', 'integer', notNull)
        .addPrimaryKeyConstraint('analytics_builds_pk', ['workspace_id'])
        .addForeignKeyConstraint('analytics_builds_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of [
        'analytics_builds',
        'analytics_cohorts',
        'analytics_product_days',
        'analytics_hours',
        'analytics_buyer_days',
      ])
        await db.schema.dropTable(t).ifExists().execute();
    },
  };
}
