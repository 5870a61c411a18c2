/**
 * Counts shared between the requests that ask the same while it runs: the customer list's total ("共 1,318 位客户")
 * for its first pages (customers/service.ts) and a segment's count (segments/service.ts: the evaluate, "count now", an
 * export's check). Counting a million customers takes a few hundred milliseconds, and every first page asked for it:
 * at 100 staff paging at once on a 1M-customer shop the counts queued behind each other (PostgreSQL: 7 pages/s, p99
 * 5 s; on SQLite the count blocks the event loop). So the same count asked while one runs waits for that one, and a
 * list's count that took at least SLOW_MS and found at least MIN_KEPT customers is reused for REUSE_MS: on a large
 * shop the total shown may be up to that old. A small total is always counted afresh, however long it took (a loaded
 * machine, a filter that reads much to find few): the seller who just added a customer to a small list sees it
 * counted, and the one stale count is where it would show least. The whole list, and the lists of buyers, repeat
 * buyers and consented customers, take the kept totals instead (customers/file-counts.ts): exact. A segment's count
 * is never reused (`reuse: false`).
 */
import { ClientGone, currentRequest } from './abandon.js';

export const SLOW_MS = 200;
export const REUSE_MS = 30_000;
export const MIN_KEPT = 50_000;
const MAX_KEPT = 500;

interface Entry {
  at: number;
  value?: number;
  pending?: Promise<number>;
}

const totals = new Map<string, Entry>();

/**
 * `reuse: false` shares only a count that is running (segment counts, segments/service.ts). A count that stopped
 * because the client that started it went away (heavy/abandon.ts) is run again for one that still waits, as its own.
 */
export async function sharedTotal(
  key: string,
  count: () => Promise<number>,
  now = Date.now,
  { reuse = true }: { reuse?: boolean } = {},
): Promise<number> {
  const kept = totals.get(key);
  if (kept?.pending !== undefined) {
    try {
      return await kept.pending;
    } catch (e) {
      if (e instanceof ClientGone && currentRequest()?.signal.aborted !== true)
        return sharedTotal(key, count, now, { reuse });
      throw e;
    }
  }
  if (kept?.value !== undefined && now() - kept.at < REUSE_MS) return kept.value;
  const started = now();
  const pending = count();
  totals.set(key, { at: started, pending });
  try {
    const value = await pending;
    const took = now() - started;
    totals.delete(key);
    if (reuse && took >= SLOW_MS && value >= MIN_KEPT) {
      if (totals.size >= MAX_KEPT) totals.delete(totals.keys().next().value!);
      totals.set(key, { at: now(), value });
    }
    return value;
  } catch (e) {
    totals.delete(key);
    throw e;
  }
}
