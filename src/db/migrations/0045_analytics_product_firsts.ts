import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * analytics_product_firsts: each product's first sale day per store, written by the analytics rebuild
 * from analytics_product_days. The slow sellers list the products sold before a range and not in it;
 * reading that from the product-day rows meant reading every row before the range (seconds at 1M
 * customers even for a 30-day range); this table has one row per store × product.
 *
 * And an index of analytics_day_pairs by (kind, b, a): the member counts of a range read the month kinds
 * (dP, nP, nD, fD: b cut to its month, written by the rebuild and the per-customer upkeep) for whole months
 * and the day kinds only for b in the range's first (or last) month, found through this index
 * (modules/analytics/pairs.ts).
 */
export function analyticsProductFirsts(_dialect: Dialect) {
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('analytics_product_firsts')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('store_id', 'text', notNull)
        .addColumn('product', 'text', notNull)
        .addColumn('first_day', 'text', notNull)
        .addPrimaryKeyConstraint('analytics_product_firsts_pk', ['workspace_id', 'store_id', 'product'])
        .addForeignKeyConstraint('analytics_product_firsts_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        )
        .execute();
      await sql`
        INSERT INTO analytics_product_firsts (workspace_id, store_id, product, first_day)
        SELECT workspace_id, store_id, product, MIN(day) FROM analytics_product_days
        GROUP BY workspace_id, store_id, product`.execute(db);
      await db.schema
        .createIndex('analytics_day_pairs_b_idx')
        .on('analytics_day_pairs')
        .columns(['workspace_id', 'scope', 'kind', 'b', 'a'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('analytics_day_pairs_b_idx').execute();
      await db.schema.dropTable('analytics_product_firsts').execute();
    },
  };
}
