import { PostgresAdapter, sql } from 'kysely';
import { indexedBy } from '../../db/in-list.js';
import type { Executor } from '../../jobs/queue.js';

/**
 * The rebuild redoes customers in short transactions (rebuild.ts) while orders keep arriving; on PostgreSQL an
 * order's upkeep (refreshBuyerRows, refreshBuyerPeople) and a rebuild chunk must not interleave on the same
 * customers, or a chunk could read a customer's orders before an ingest commits while the ingest reads the cursor
 * before the chunk commits, and neither would count the new orders in the ranges the rebuild adds. The upkeep takes
 * this transaction lock shared (upkeeps run side by side), a chunk takes it alone. SQLite runs one writer at a time.
 */
const key = (ws: string) => `analytics-rebuild:${ws}`;

export const onPostgres = (db: Executor) => db.getExecutor().adapter instanceof PostgresAdapter;

export async function shareRebuildLock(db: Executor, ws: string): Promise<void> {
  if (onPostgres(db)) await sql`SELECT pg_advisory_xact_lock_shared(hashtext(${key(ws)}))`.execute(db);
}

export async function holdRebuildLock(db: Executor, ws: string): Promise<void> {
  if (onPostgres(db)) await sql`SELECT pg_advisory_xact_lock(hashtext(${key(ws)}))`.execute(db);
}

/**
 * SQLite: read customers' rows by the customer index. Without fresh statistics (a first build, a table that grew)
 * the planner scans the covering day index of the whole workspace for a list of 400 customers instead: every chunk
 * of the rebuild and every order's upkeep then read all the workspace's buyer rows.
 */
export const byCustomer = (db: Executor, index = 'analytics_buyer_days_customer_idx') =>
  indexedBy(onPostgres(db) ? 'postgres' : 'sqlite', index);
