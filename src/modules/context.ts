import type { Db } from '../db/connect.js';
import type { AnalyticsMemory } from './analytics/memory.js';
import type { ReadPool } from './heavy/pool.js';

/** What every service needs: the database and a clock tests can control. */
export interface AppContext {
  db: Db;
  now(): Date;
  /**
   * SQLite: the threads heavy reads (segment counts, previews, exports, analytics) run on, each
   * with its own read-only connection, so one long query never stalls the server. Without it they
   * run here (PostgreSQL, in-memory databases, most tests).
   */
  readPool?: ReadPool;
  /**
   * The analytics held in memory (analytics/memory.ts) by whatever runs the views here: the server process on
   * PostgreSQL, the analytics read thread on SQLite. Without it a range that is not kept is read from SQL.
   */
  analyticsMemory?: AnalyticsMemory;
  /** Time limit of one heavy read in ms (default HUIKE_QUERY_TIMEOUT_MS, or 60 s). */
  queryTimeoutMs?: number;
  /** Bulk actions on an audience up to this size run in the request; bigger ones as a job (default 200). */
  bulkInlineLimit?: number;
  /**
   * Jobs run off this event loop (the job thread of `huike serve`, or a `huike worker` process): a long write a
   * request asks for is queued and waited for up to `waitMs` (jobs/wait.ts); `wake` starts the worker at once.
   * Without it such writes run in the request (tests, an in-memory database).
   */
  jobs?: { waitMs: number; wake?: () => void };
}

export function nowIso(ctx: AppContext): string {
  return ctx.now().toISOString();
}

/** Splits a list for IN (...) lists and multi-row inserts (SQLite allows 32,766 parameters). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
