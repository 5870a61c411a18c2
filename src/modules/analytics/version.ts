import { sql } from 'kysely';
import { newId } from '../../core/ids.js';
import type { Executor } from '../../jobs/queue.js';

/**
 * The data version of a workspace's buyer rows (migration 0058): raised in the same transaction as every write to
 * analytics_buyer_days, analytics_product_days and the people facts the distribution joins (the order upkeep, a
 * profile edit or erasure, each rebuild chunk, a clear). The analytics held in memory (memory.ts) are tagged with the
 * version they were read at and answer only while it is unchanged, so they never give stale numbers.
 *
 * Each raise also records what it changed (analytics_changes, migration 0059): the customers whose rows or people
 * facts the transaction rewrites, or "whole" for a write over many customers (a rebuild chunk, a clear). The memory
 * catches up from version a to b by re-reading only the customers of a + 1 … b, when every one of those versions is
 * still recorded and none is whole; otherwise it reloads every row.
 *
 * Raised first in the transaction (before the rows): on PostgreSQL the row lock orders the writers of a workspace,
 * so two upkeeps never wait on each other's rows in opposite orders, and versions commit in their order.
 */
export async function bumpAnalyticsVersion(
  db: Executor,
  ws: string,
  touched: Iterable<string> | 'whole',
): Promise<void> {
  await sql`INSERT INTO analytics_versions (workspace_id, version) VALUES (${ws}, 1)
    ON CONFLICT (workspace_id) DO UPDATE SET version = analytics_versions.version + 1`.execute(db);
  const ids = touched === 'whole' ? [] : [...new Set(touched)];
  const whole = touched === 'whole' || ids.length > MAX_LOGGED_CUSTOMERS;
  const version = sql`(SELECT version FROM analytics_versions WHERE workspace_id = ${ws})`;
  await sql`INSERT INTO analytics_changes (workspace_id, version, customers, whole, stamp)
    VALUES (${ws}, ${version}, ${whole ? '[]' : JSON.stringify(ids)}, ${whole ? 1 : 0}, ${newId()})`.execute(db);
  // The log of a workspace keeps its last KEPT_CHANGES versions (a memory further behind reloads every row).
  await sql`DELETE FROM analytics_changes WHERE workspace_id = ${ws}
    AND version <= ${version} - ${KEPT_CHANGES}`.execute(db);
}

/**
 * Narrows the current version's change, recorded as whole, to these customers (a rebuild chunk learns whom it
 * changed only after its writes; its version is raised first, for the lock order). More than the most logged
 * stay whole.
 */
export async function recordChangedCustomers(db: Executor, ws: string, customerIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(customerIds)];
  if (ids.length > MAX_LOGGED_CUSTOMERS) return;
  const version = sql`(SELECT version FROM analytics_versions WHERE workspace_id = ${ws})`;
  await sql`UPDATE analytics_changes SET customers = ${JSON.stringify(ids)}, whole = 0
    WHERE workspace_id = ${ws} AND version = ${version}`.execute(db);
}

/** Versions of changes kept per workspace. */
export const KEPT_CHANGES = 1024;
/** More customers than this in one write are recorded as whole (the memory reloads rather than re-read them). */
export const MAX_LOGGED_CUSTOMERS = 20_000;

/** The workspace's data version (0 before its first write). */
export async function analyticsVersion(db: Executor, ws: string): Promise<number> {
  const row = await db
    .selectFrom('analytics_versions')
    .select('version')
    .where('workspace_id', '=', ws)
    .executeTakeFirst();
  return Number(row?.version ?? 0);
}

/**
 * The customers changed by versions `from` + 1 … `to`, or null when the memory must reload every row instead: a
 * version of them is no longer recorded (pruned, or written before migration 0059) or changed many customers
 * (whole), or together they name more than `max` customers.
 */
export async function changedCustomers(db: Executor, ws: string, from: number, to: number, max: number) {
  if (to <= from) return new Set<string>();
  const rows = await db
    .selectFrom('analytics_changes')
    .select(['customers', 'whole'])
    .where('workspace_id', '=', ws)
    .where('version', '>', from)
    .where('version', '<=', to)
    .execute();
  if (rows.length !== to - from) return null;
  const ids = new Set<string>();
  for (const r of rows) {
    if (Number(r.whole) === 1) return null;
    for (const id of JSON.parse(r.customers) as string[]) ids.add(id);
    if (ids.size > max) return null;
  }
  return ids;
}

/** The stamp of the workspace's change at this version (migration 0060), or null when it is not recorded. */
export async function changeStamp(db: Executor, ws: string, version: number): Promise<string | null> {
  const row = await db
    .selectFrom('analytics_changes')
    .select('stamp')
    .where('workspace_id', '=', ws)
    .where('version', '=', version)
    .executeTakeFirst();
  return row?.stamp ?? null;
}
