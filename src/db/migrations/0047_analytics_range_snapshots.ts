import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Exact answers, kept ready, for the ranges sellers use (modules/analytics/snapshots.ts): the distribution bands,
 * the province map and the products of a range are per buyer (a buyer's orders, average and people over the
 * range), so over a long range they read every buyer of it. For the ranges listed in analytics_ranges (the last
 * 7/30/90/180/365 days up to the build day and up to the day before, each calendar month, quarter and year, the
 * activity presets) the rebuild stores the answers:
 *   analytics_ranges          one row per range, with the birthdays that cut its age bands (age at its last day)
 *   analytics_range_bands     scope × range × dimension (freq, aov, age, gender, city, province) × key: buyers,
 *                             their orders and revenue in the range
 *   analytics_range_products  scope × range × product: units, orders, revenue, buyers, buyers with two or more orders
 *   analytics_buyer_attrs     the people facts each buyer is counted under (gender, city, birthday, province), so
 *                             that taking a buyer out takes out exactly what was put in
 * The bands are counts that add up over buyers: the per-customer upkeep (refreshBuyerRows) takes a customer's
 * contribution out and puts it back, like the day pairs, so they stay exact between rebuilds.
 */
export function analyticsRangeSnapshots(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const fen = pg ? 'bigint' : 'integer';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('analytics_ranges')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('range_from', 'text', notNull)
        .addColumn('range_to', 'text', notNull)
        .addColumn('cut18', 'text', notNull)
        .addColumn('cut25', 'text', notNull)
        .addColumn('cut30', 'text', notNull)
        .addColumn('cut35', 'text', notNull)
        .addColumn('cut40', 'text', notNull)
        .addColumn('cut50', 'text', notNull)
        .addPrimaryKeyConstraint('analytics_ranges_pk', ['workspace_id', 'range_from', 'range_to'])
        .addForeignKeyConstraint('analytics_ranges_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      let bands = db.schema
        .createTable('analytics_range_bands')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('scope', 'text', notNull)
        .addColumn('range_from', 'text', notNull)
        .addColumn('range_to', 'text', notNull)
        .addColumn('dim', 'text', notNull)
        .addColumn('key', 'text', notNull)
        .addColumn('buyers', 'integer', notNull)
        .addColumn('orders', 'integer', notNull)
        .addColumn('revenue_fen', fen, notNull)
        .addPrimaryKeyConstraint('analytics_range_bands_pk', [
          'workspace_id',
          'scope',
          'range_from',
          'range_to',
          'dim',
          'key',
        ])
        .addForeignKeyConstraint('analytics_range_bands_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        );
      if (!pg) bands = bands.modifyEnd(sql`WITHOUT ROWID`);
      await bands.execute();
      let products = db.schema
        .createTable('analytics_range_products')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('scope', 'text', notNull)
        .addColumn('range_from', 'text', notNull)
        .addColumn('range_to', 'text', notNull)
        .addColumn('product', 'text', notNull)
        .addColumn('units', 'integer', notNull)
        .addColumn('orders', 'integer', notNull)
        .addColumn('revenue_fen', fen, notNull)
        .addColumn('buyers', 'integer', notNull)
        .addColumn('repeaters', 'integer', notNull)
        .addPrimaryKeyConstraint('analytics_range_products_pk', [
          'workspace_id',
          'scope',
          'range_from',
          'range_to',
          'product',
        ])
        .addForeignKeyConstraint('analytics_range_products_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        );
      if (!pg) products = products.modifyEnd(sql`WITHOUT ROWID`);
      await products.execute();
      await db.schema
        .createTable('analytics_buyer_attrs')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('has_customer', 'integer', notNull)
        .addColumn('province', 'text')
        .addColumn('gender', 'text')
        .addColumn('city', 'text')
        .addColumn('birthday', 'text')
        .addPrimaryKeyConstraint('analytics_buyer_attrs_pk', ['workspace_id', 'customer_id'])
        .addForeignKeyConstraint('analytics_buyer_attrs_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const t of [
        'analytics_buyer_attrs',
        'analytics_range_products',
        'analytics_range_bands',
        'analytics_ranges',
      ])
        await db.schema.dropTable(t).execute();
    },
  };
}
