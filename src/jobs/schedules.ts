import { reason } from '../core/reasons.js';
import { Cron } from 'croner';
import { Invalid } from '../core/errors.js';
import { readJson, writeJson } from '../db/json.js';
import type { AppContext } from '../modules/context.js';
import { enqueue } from './queue.js';
import { JOB } from './kinds.js';

/** Recurring jobs from cron expressions, read in the workspace's time zone. */
export function nextRun(cron: string, timezone: string, after: Date): string {
  let job: Cron;
  try {
    job = new Cron(cron, { timezone, paused: true });
  } catch (e) {
    throw new Invalid(
      `not a valid cron expression "${cron}": ${e instanceof Error ? e.message : String(e)}`,
      reason('schedule.cron', { cron, error: e instanceof Error ? e.message : String(e) }),
    );
  }
  const next = job.nextRun(after);
  if (!next) throw new Invalid(`cron expression "${cron}" never runs again`, reason('schedule.cronNever', { cron }));
  return next.toISOString();
}

export const DEFAULT_SCHEDULES = [
  // 12-month figures and "days since" move with the calendar: refresh every night in one pass.
  { name: 'nightly-stats', cron: '0 3 * * *', jobKind: JOB.statsRecompute },
  { name: 'nightly-points', cron: '30 3 * * *', jobKind: JOB.points },
  { name: 'nightly-tiers', cron: '0 4 * * *', jobKind: JOB.tiers, payload: { yearly: true } },
  { name: 'nightly-coupons', cron: '10 0 * * *', jobKind: JOB.coupons },
  // After the stats: ages and "days since" move every day, so P(alive) and CLV do too.
  { name: 'nightly-predict', cron: '30 4 * * *', jobKind: JOB.predictFit },
] as const;

export async function ensureDefaultSchedules(ctx: AppContext, workspaceId: string, timezone: string): Promise<void> {
  for (const s of DEFAULT_SCHEDULES) {
    await upsertSchedule(ctx, workspaceId, { payload: {}, ...s, timezone }, false);
  }
}

export async function upsertSchedule(
  ctx: AppContext,
  workspaceId: string,
  s: { name: string; cron: string; timezone: string; jobKind: string; payload: unknown },
  replace = true,
): Promise<void> {
  const next = nextRun(s.cron, s.timezone, ctx.now());
  const q = ctx.db.kysely.insertInto('schedules').values({
    workspace_id: workspaceId,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    job_kind: s.jobKind,
    payload: writeJson(s.payload),
    next_run_at: next,
    last_run_at: null,
  });
  await (replace
    ? q.onConflict((oc) =>
        oc
          .columns(['workspace_id', 'name'])
          .doUpdateSet({ cron: s.cron, timezone: s.timezone, job_kind: s.jobKind, next_run_at: next }),
      )
    : q.onConflict((oc) => oc.doNothing())
  ).execute();
}

/**
 * Enqueues the due schedules. Moving next_run_at and enqueueing happen in one transaction, and
 * the move only succeeds for the scheduler that saw the old value, so several workers running
 * the scheduler never enqueue a run twice.
 */
export async function runDueSchedules(ctx: AppContext): Promise<number> {
  const now = ctx.now();
  const nowIso = now.toISOString();
  const due = await ctx.db.kysely
    .selectFrom('schedules')
    .selectAll()
    .where('enabled', '=', 1)
    .where('next_run_at', '<=', nowIso)
    .execute();
  let enqueued = 0;
  for (const s of due) {
    await ctx.db.kysely.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('schedules')
        .set({ next_run_at: nextRun(s.cron, s.timezone, now), last_run_at: nowIso })
        .where('workspace_id', '=', s.workspace_id)
        .where('name', '=', s.name)
        .where('next_run_at', '=', s.next_run_at)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return;
      await enqueue(
        trx,
        {
          workspaceId: s.workspace_id,
          kind: s.job_kind,
          payload: readJson(s.payload),
          dedupeKey: `${s.name}@${s.next_run_at}`,
        },
        nowIso,
      );
      enqueued += 1;
    });
  }
  return enqueued;
}
