import { shiftDate, type DateRange } from '../../core/analytics-views.js';
import { localDate } from '../../core/time.js';
import { JOB } from '../../jobs/kinds.js';
import { enqueue, type Executor } from '../../jobs/queue.js';
import { nowIso, type AppContext } from '../context.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { isKeptRange } from './snapshots.js';
import { rangeOf, type Scope } from './views.js';

/**
 * Ranges asked for that are not kept (a custom 12 March – 7 September …). The distribution (a buyer's order count
 * and average over the range) and the products by repurchase (a buyer's orders of a product in it) do not add up
 * over days, so such a range is answered from its buyer rows: seconds at 1M customers. The first ask records the
 * range and queues a rebuild (unless one is queued already); the rebuild keeps it like the usual ranges (staged,
 * filled customer by customer, switched on at its end, then kept exact per customer by the order upkeep), so from
 * then on it is read from a few kept rows. An ask not repeated for ASKED_DAYS days is dropped at a rebuild, and at
 * most ASKED_MAX asked ranges are kept (the latest asked).
 */
export const ASKED_DAYS = 30;
export const ASKED_MAX = 20;

/** Records an ask of the distribution or products for a range that is not kept; true when it queued a rebuild. */
export async function askRange(ctx: AppContext, ws: string, scope: Scope): Promise<boolean> {
  const k = ctx.db.kysely;
  const range = await rangeOf(ctx, ws, scope);
  if (await isKeptRange(k, ws, range.from, range.to)) return false;
  const now = nowIso(ctx);
  await k
    .insertInto('analytics_asked_ranges')
    .values({ workspace_id: ws, range_from: range.from, range_to: range.to, asked_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'range_from', 'range_to']).doUpdateSet({ asked_at: now }))
    .execute();
  const queued = await k
    .selectFrom('jobs')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('kind', '=', JOB.analyticsRebuild)
    .where('status', '=', 'queued')
    .limit(1)
    .execute();
  if (queued.length) return false;
  await enqueue(
    k,
    { workspaceId: ws, kind: JOB.analyticsRebuild, dedupeKey: `asked:${range.from}/${range.to}:${now}` },
    now,
  );
  return true;
}

/**
 * The asked ranges a rebuild keeps: asked within the last ASKED_DAYS local days (as of `now`), the ASKED_MAX latest;
 * the others are forgotten.
 */
export async function askedRanges(db: Executor, ws: string, now: string): Promise<DateRange[]> {
  const tz = await workspaceTimezone(db, ws);
  const since = shiftDate(localDate(now, tz), -ASKED_DAYS);
  const rows = await db
    .selectFrom('analytics_asked_ranges')
    .select(['range_from', 'range_to', 'asked_at'])
    .where('workspace_id', '=', ws)
    .execute();
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
  const sorted = rows
    .map((r) => ({ from: r.range_from, to: r.range_to, at: iso(r.asked_at), day: localDate(iso(r.asked_at), tz) }))
    .sort((a, b) => b.at.localeCompare(a.at));
  const keep = sorted.filter((r) => r.day > since).slice(0, ASKED_MAX);
  const drop = sorted.filter((r) => !keep.includes(r));
  for (const d of drop)
    await db
      .deleteFrom('analytics_asked_ranges')
      .where('workspace_id', '=', ws)
      .where('range_from', '=', d.from)
      .where('range_to', '=', d.to)
      .execute();
  return keep.map((r) => ({ from: r.from, to: r.to }));
}
