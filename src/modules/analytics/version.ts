import { sql } from 'kysely';
import type { Executor } from '../../jobs/queue.js';

/**
 * The data version of a workspace's buyer rows (migration 0058): raised in the same transaction as every write to
 * analytics_buyer_days, analytics_product_days and the people facts the distribution joins (the order upkeep, a
 * profile edit or erasure, each rebuild chunk, a clear). The analytics held in memory (memory.ts) are tagged with the
 * version they were read at and answer only while it is unchanged, so they never give stale numbers.
 *
 * Raised first in the transaction (before the rows): on PostgreSQL the row lock orders the writers of a workspace,
 * so two upkeeps never wait on each other's rows in opposite orders.
 */
export async function bumpAnalyticsVersion(db: Executor, ws: string): Promise<void> {
  await sql`INSERT INTO analytics_versions (workspace_id, version) VALUES (${ws}, 1)
    ON CONFLICT (workspace_id) DO UPDATE SET version = analytics_versions.version + 1`.execute(db);
}

/** The workspace's data version (0 before its first write). */
export async function analyticsVersion(db: Executor, ws: string): Promise<number> {
  const row = await db
    .selectFrom('analytics_versions')
    .select('version')
    .where('workspace_id', '=', ws)
    .executeTakeFirst();
  return Number(row?.version ?? 0);
}
