import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Each analytics_buyer_days row carries the buyer's first purchase day in its store
 * (store_first_day) and in all the stores of its store's currency (currency_first_day), so
 * 老会员 / 复购 / distributions are read from the rows of the range alone, without a lookup of the
 * buyer's history per buyer. The covering day index gets both columns. Existing rows are filled here;
 * the rebuild (analytics/rebuild.ts) writes them from then on.
 */

/** Writes both first days of every row from the rows themselves (the state the rebuild leaves). */
export async function fillFirstDays(db: Kysely<any>): Promise<void> {
  await sql`
    UPDATE analytics_buyer_days SET store_first_day = (
      SELECT MIN(p.day) FROM analytics_buyer_days p
      WHERE p.workspace_id = analytics_buyer_days.workspace_id AND p.store_id = analytics_buyer_days.store_id
        AND p.customer_id = analytics_buyer_days.customer_id)`.execute(db);
  await sql`
    UPDATE analytics_buyer_days SET currency_first_day = (
      SELECT MIN(p.day) FROM analytics_buyer_days p
      JOIN stores s ON s.workspace_id = p.workspace_id AND s.id = p.store_id
      WHERE p.workspace_id = analytics_buyer_days.workspace_id AND p.customer_id = analytics_buyer_days.customer_id
        AND s.currency = (SELECT t.currency FROM stores t WHERE t.workspace_id = analytics_buyer_days.workspace_id
                            AND t.id = analytics_buyer_days.store_id))`.execute(db);
}

export function analyticsFirstDays(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const c of ['store_first_day', 'currency_first_day'])
        await db.schema
          .alterTable('analytics_buyer_days')
          .addColumn(c, 'text', (col) => col.notNull().defaultTo(''))
          .execute();
      await fillFirstDays(db);
      await db.schema.dropIndex('analytics_buyer_days_day_idx').execute();
      await db.schema
        .createIndex('analytics_buyer_days_day_idx')
        .on('analytics_buyer_days')
        .columns([
          'workspace_id',
          'day',
          'store_id',
          'customer_id',
          'orders',
          'revenue_fen',
          'store_first_day',
          'currency_first_day',
        ])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('analytics_buyer_days_day_idx').execute();
      for (const c of ['store_first_day', 'currency_first_day'])
        await db.schema.alterTable('analytics_buyer_days').dropColumn(c).execute();
      await db.schema
        .createIndex('analytics_buyer_days_day_idx')
        .on('analytics_buyer_days')
        .columns(['workspace_id', 'day', 'store_id', 'customer_id', 'orders', 'revenue_fen'])
        .execute();
    },
  };
}
