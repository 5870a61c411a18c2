import type { Kysely, Transaction } from 'kysely';
import { letWritersIn, type Db, type Dialect } from '../../db/connect.js';
import type { Database } from '../../db/types.js';
import { bulkInsert } from '../../db/bulk.js';
import { inIds } from '../../db/in-list.js';
import { refreshBuyerRows } from '../analytics/rebuild.js';
import { refreshCustomerStats } from './stats.js';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * Customers per transaction of a drain: ~0.1–0.3 s of SQLite's write lock at a time (the stats, the order facts and the
 * analytics buyer rows of 4,000 customers), then a pause for other writers.
 */
export const PENDING_CHUNK = 4_000;

/**
 * Marks customers whose stats, order facts and analytics buyer rows are to be refreshed later (migration 0083), in
 * the caller's transaction: an import's batch, whose buyers are refreshed once when its file is done.
 */
export async function deferStatsRefresh(
  db: Executor,
  dialect: Dialect,
  ws: string,
  customerIds: Iterable<string>,
): Promise<void> {
  const rows = [...new Set(customerIds)].map((customer_id) => ({ workspace_id: ws, customer_id }));
  await bulkInsert(db, dialect, 'customer_stats_pending', rows, { onConflict: 'ignore' });
}

export interface RefreshPendingOptions {
  /** Only these customers (those of them that are marked); default: every marked customer of the workspace. */
  only?: readonly string[];
  /** The stats' "as of" time (the 12-month figures are counted back from it). Default: the clock. */
  now?: () => string;
  /** Customers per transaction (PENDING_CHUNK). */
  chunk?: number;
  /** Called after each chunk's transaction that refreshed any, with how many customers are refreshed so far. */
  onChunk?: (done: number) => void | Promise<void>;
}

/**
 * Refreshes the pending customers among these (all of the workspace's when none are named) and drops their marks,
 * each chunk in one transaction: the marks deleted, then the stats, facts and buyer rows computed from the orders the
 * transaction sees. A batch committed meanwhile marks its buyers again, so none is left behind. Returns how many were
 * refreshed.
 */
export async function refreshPendingStats(db: Db, ws: string, opts: RefreshPendingOptions = {}): Promise<number> {
  const { only, now = () => new Date().toISOString(), chunk = PENDING_CHUNK, onChunk } = opts;
  let done = 0;
  let after: string | null = null;
  for (;;) {
    const from: string | null = after;
    const ids: string[] = await db.kysely.transaction().execute(async (trx) => {
      const found = (
        await trx
          .selectFrom('customer_stats_pending')
          .select('customer_id')
          .where('workspace_id', '=', ws)
          .$if(only !== undefined, (q) => q.where(inIds(db.dialect, 'customer_id', only!)))
          .$if(from !== null, (q) => q.where('customer_id', '>', from!))
          .orderBy('customer_id')
          .limit(chunk)
          .execute()
      ).map((r) => r.customer_id);
      if (found.length === 0) return found;
      await trx
        .deleteFrom('customer_stats_pending')
        .where('workspace_id', '=', ws)
        .where(inIds(db.dialect, 'customer_id', found))
        .execute();
      const stamp = now();
      await refreshCustomerStats(trx, db.dialect, ws, found, stamp);
      await refreshBuyerRows(trx, db.dialect, ws, found, stamp);
      return found;
    });
    if (ids.length === 0) return done;
    done += ids.length;
    await onChunk?.(done);
    if (ids.length < chunk) return done;
    after = ids[ids.length - 1]!;
    await letWritersIn(db.dialect);
  }
}

/**
 * Brings these customers' stats up to date first when an import marked them and has not refreshed them yet: for a
 * reader that decides on them now (an automation's conditions on a buyer of an import still running). One read when
 * none is marked.
 */
export async function freshenStats(db: Db, ws: string, customerIds: readonly string[], now?: () => string) {
  if (customerIds.length === 0) return;
  const marked = await db.kysely
    .selectFrom('customer_stats_pending')
    .select('customer_id')
    .where('workspace_id', '=', ws)
    .where(inIds(db.dialect, 'customer_id', customerIds))
    .limit(1)
    .executeTakeFirst();
  if (marked) await refreshPendingStats(db, ws, { only: customerIds, ...(now ? { now } : {}) });
}

/** How many of the workspace's customers wait for a refresh. */
export async function countPendingStats(db: Executor, ws: string): Promise<number> {
  const r = await db
    .selectFrom('customer_stats_pending')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
