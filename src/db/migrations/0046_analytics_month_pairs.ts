import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The month kinds of analytics_day_pairs (dP, nP, nD, fD: the day kinds dp, np, nd, fd with b cut to its
 * month, read by the views since 0045) for a database whose pre-aggregates were built before them: without
 * this, repurchase, churn and daily buyers would read no month rows — wrong figures — until the next rebuild.
 * Each month row is the sum of its day rows, exactly what the rebuild writes (modules/analytics/pairs.ts).
 */
export async function fillMonthPairs(db: Kysely<unknown>): Promise<void> {
  await sql`DELETE FROM analytics_day_pairs WHERE kind IN ('dP', 'nP', 'nD', 'fD')`.execute(db);
  await sql`
    INSERT INTO analytics_day_pairs (workspace_id, scope, kind, a, b, rows, singles, new_singles, orders, revenue_fen)
    SELECT workspace_id, scope,
      CASE kind WHEN 'dp' THEN 'dP' WHEN 'np' THEN 'nP' WHEN 'nd' THEN 'nD' ELSE 'fD' END,
      a, substr(b, 1, 7), SUM(rows), SUM(singles), SUM(new_singles), SUM(orders), SUM(revenue_fen)
    FROM analytics_day_pairs
    WHERE kind IN ('dp', 'np', 'nd', 'fd')
    GROUP BY workspace_id, scope, kind, a, substr(b, 1, 7)`.execute(db);
}

export function analyticsMonthPairs(_dialect: Dialect) {
  return {
    up: fillMonthPairs,
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`DELETE FROM analytics_day_pairs WHERE kind IN ('dP', 'nP', 'nD', 'fD')`.execute(db);
    },
  };
}
