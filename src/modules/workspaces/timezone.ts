import { z } from 'zod';
import { newId } from '../../core/ids.js';
import { parseInput } from '../../core/validation.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import { nextRun } from '../../jobs/schedules.js';
import { nowIso, type AppContext } from '../context.js';
import { timezoneSchema } from '../stores/schema.js';
import { workspaceTimezone } from './service.js';

export const workspaceTimezoneInput = z.object({ timezone: timezoneSchema }).strict();

/**
 * What a new time zone sets in motion: the figures built on local days are rebuilt in the background —
 * 数据分析's pre-aggregates (buyer days, hours, cohorts), the RFM classes (recency in local days) and the
 * predictions (ages in days). What already happened stays as it was written: points and coupons granted,
 * batch names, tier history, messages sent. Send windows, birthdays and date triggers read the zone live.
 */
export const REBUILT_ON_TIMEZONE_CHANGE = ['analytics', 'rfm', 'predict'] as const;

const JOBS_OF: Record<(typeof REBUILT_ON_TIMEZONE_CHANGE)[number], string> = {
  analytics: JOB.analyticsRebuild,
  rfm: JOB.rfmRecompute,
  predict: JOB.predictFit,
};

export const workspaceTimezoneOutput = z.object({
  timezone: z.string(),
  previous: z.string(),
  rebuilding: z
    .array(z.enum(REBUILT_ON_TIMEZONE_CHANGE))
    .describe('the figures queued for a rebuild in the background (none when the zone did not change)'),
  schedules: z.number().int().describe('recurring jobs (nightly runs, automation schedules) moved to the new zone'),
});

/**
 * Moves the workspace to another IANA time zone in one transaction: the zone, the recurring jobs that ran in the
 * old zone (their next run recomputed in the new one) and the rebuild of the figures built on local days.
 */
export async function setWorkspaceTimezone(
  ctx: AppContext,
  ws: string,
  input: unknown,
): Promise<z.infer<typeof workspaceTimezoneOutput>> {
  const { timezone } = parseInput(workspaceTimezoneInput, input, 'The time zone');
  const now = nowIso(ctx);
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const previous = await workspaceTimezone(trx, ws);
    if (previous === timezone) return { timezone, previous, rebuilding: [], schedules: 0 };
    await trx.updateTable('workspaces').set({ timezone }).where('id', '=', ws).execute();
    const schedules = await trx
      .selectFrom('schedules')
      .select(['name', 'cron'])
      .where('workspace_id', '=', ws)
      .where('timezone', '=', previous)
      .execute();
    for (const s of schedules)
      await trx
        .updateTable('schedules')
        .set({ timezone, next_run_at: nextRun(s.cron, timezone, ctx.now()) })
        .where('workspace_id', '=', ws)
        .where('name', '=', s.name)
        .execute();
    const change = newId();
    for (const what of REBUILT_ON_TIMEZONE_CHANGE)
      await enqueue(trx, { workspaceId: ws, kind: JOBS_OF[what], dedupeKey: `timezone:${change}` }, now);
    return { timezone, previous, rebuilding: [...REBUILT_ON_TIMEZONE_CHANGE], schedules: schedules.length };
  });
}
