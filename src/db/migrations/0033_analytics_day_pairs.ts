import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * analytics_day_pairs: the buyer-day rows (analytics_buyer_days) folded into counts per pair of local
 * days, so a range's distinct buyers, 老会员, repeat buyers and churn are sums over the days of the
 * range instead of a GROUP BY over its buyers. Each buyer-day row of a scope ('s:' + store id, or
 * 'c:' + currency for all the stores of that currency) has its day d, the buyer's previous purchase
 * day p ('' if none), next purchase day n, first purchase day f, orders o and revenue. Kinds:
 *   dp (a = d, b = p): rows, rows with o = 1 (singles), orders, revenue
 *   np (a = n, b = p): singles          nd (a = n, b = d): rows, singles, singles with p = '' (new_singles)
 *   fd (a = f, b = d): revenue          f1 (a = f, b = ''): buyers with that first day
 * Sizes are bounded by days × days per scope, not by customers (modules/analytics/pairs.ts has the algebra).
 */
export function analyticsDayPairs(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const fen = pg ? 'bigint' : 'integer';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      let t = db.schema
        .createTable('analytics_day_pairs')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('scope', 'text', notNull)
        .addColumn('kind', 'text', notNull)
        .addColumn('a', 'text', notNull)
        .addColumn('b', 'text', notNull)
        .addColumn('rows', 'integer', notNull)
        .addColumn('singles', 'integer', notNull)
        .addColumn('new_singles', 'integer', notNull)
        .addColumn('orders', 'integer', notNull)
        .addColumn('revenue_fen', fen, notNull)
        .addPrimaryKeyConstraint('analytics_day_pairs_pk', ['workspace_id', 'scope', 'kind', 'a', 'b'])
        .addForeignKeyConstraint('analytics_day_pairs_ws_fk', ['workspace_id'], 'workspaces', ['id'], (c) =>
          c.onDelete('cascade'),
        );
      // SQLite: the rows stored in key order, so a range of days is one contiguous read.
      if (!pg) t = t.modifyEnd(sql`WITHOUT ROWID`);
      await t.execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('analytics_day_pairs').execute();
    },
  };
}
