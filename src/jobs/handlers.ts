import { pruneIdempotencyKeys } from '../modules/idempotency.js';
import { reason } from '../core/reasons.js';
import { rm } from 'node:fs/promises';
import { z } from 'zod';
import { recomputeAllStats } from '../modules/customers/stats.js';
import { refreshPendingStats } from '../modules/customers/stats-pending.js';
import { executeRun, getRun, markRunFailed } from '../modules/imports/service.js';
import { readJson } from '../db/json.js';
import type { JobHandlers } from './worker.js';
import { JOB } from './kinds.js';
import { requestJobHandlers, runRequestJob } from './requests.js';
import { expireDue, syncOrderPoints } from '../modules/points/service.js';
import { recomputeRfm } from '../modules/segments/rfm.js';
import { deliverMessage } from '../modules/messaging/service.js';
import { deliverDue } from '../modules/messaging/deliver.js';
import type { DeliveryGate } from '../modules/messaging/send.js';
import type { AppContext } from '../modules/context.js';
import { campaignGate, planCampaign, SOURCE as CAMPAIGN } from '../modules/campaigns/service.js';
import { deliverStep } from '../modules/campaigns/deliver.js';
import { drawCampaign } from '../modules/campaigns/draw.js';
import { fitWorkspace } from '../modules/predict/service.js';
import { rebuildAnalytics } from '../modules/analytics/rebuild.js';
import { automationGate, handleOrderEvents, runDaily, SOURCE as AUTOMATION } from '../modules/automations/service.js';
import { advanceRun } from '../modules/automations/runner.js';
import { evaluateSegmentEntries, handleReview, runScheduled } from '../modules/automations/triggers.js';
import { runScheduledBackup } from '../modules/backups/schedule.js';
import { runAction } from '../modules/audiences/service.js';

/** Whether a queued message may still go: its campaign (paused, cancelled) or automation run (exited) says. */
function deliveryGate(ctx: AppContext, ws: string): DeliveryGate {
  return async (m) =>
    m.source_type === CAMPAIGN
      ? campaignGate(ctx, ws, m.source_id)
      : m.source_type === AUTOMATION
        ? automationGate(ctx, ws, m.source_id)
        : 'go';
}

/** The job kinds Huike runs, by name. */
export const jobHandlers: JobHandlers = {
  [JOB.import]: {
    run: async (ctx, job, { payload }) => {
      const { runId, keepFile } = z.object({ runId: z.string(), keepFile: z.boolean().optional() }).parse(payload);
      const run = await getRun(ctx, job.workspace_id, runId);
      if (run.status === 'done' || run.status === 'failed') return;
      try {
        // A run left "running" by a worker that died is resumed (refused while its process lives).
        await executeRun(ctx, run);
      } catch (e) {
        // A file that is not an export will not become one on retry: the run says why.
        const after = await getRun(ctx, job.workspace_id, runId);
        if (after.status !== 'failed') throw e;
      }
      if (run.file_path && !keepFile) await rm(run.file_path, { force: true });
    },
    // The process importing this file died on every try: the run fails, the file goes.
    abandoned: async (ctx, job) => {
      const parsed = z.object({ runId: z.string(), keepFile: z.boolean().optional() }).safeParse(readJson(job.payload));
      if (!parsed.success) return;
      const run = await getRun(ctx, job.workspace_id, parsed.data.runId).catch(() => null);
      if (!run) return;
      await markRunFailed(
        ctx,
        job.workspace_id,
        run.id,
        `the import stopped its worker process ${job.attempts} times and was given up: ` +
          'the file is damaged or too large to read',
        reason('import.abandoned', { attempts: job.attempts }),
      );
      if (run.file_path && !parsed.data.keepFile) await rm(run.file_path, { force: true });
      await refreshPendingStats(ctx.db, job.workspace_id, { now: () => ctx.now().toISOString() });
    },
  },
  [JOB.statsPending]: async (ctx, job) => {
    await refreshPendingStats(ctx.db, job.workspace_id, { now: () => ctx.now().toISOString() });
  },
  [JOB.statsRecompute]: async (ctx, job) => {
    // Marks an interrupted import left behind go first (their analytics buyer rows with them).
    await refreshPendingStats(ctx.db, job.workspace_id, { now: () => ctx.now().toISOString() });
    await recomputeAllStats(ctx.db, job.workspace_id, ctx.now().toISOString());
    // RFM classes rest on the stats: refresh them in the same nightly run.
    await recomputeRfm(ctx, job.workspace_id);
    // The analytics figures too (a changed purchase rule changes them).
    await rebuildAnalytics(ctx, job.workspace_id);
    // Housekeeping: Idempotency-Keys past their week, with the answers kept for them.
    await pruneIdempotencyKeys(ctx.db.kysely, job.workspace_id, ctx.now());
  },
  [JOB.analyticsRebuild]: async (ctx, job) => {
    await rebuildAnalytics(ctx, job.workspace_id);
  },
  // The kinds a request may wait for (POST /rfm/recompute, /tiers/evaluate, /segments/{id}/tag …): jobs/requests.ts.
  ...requestJobHandlers,
  [JOB.bulkAction]: async (ctx, job, { payload }) => {
    const { actionId } = z.object({ actionId: z.string() }).parse(payload);
    await runAction(ctx, job.workspace_id, actionId);
  },
  // One message per job: what earlier versions queued (and still may be waiting after an upgrade).
  [JOB.messageSend]: async (ctx, job, { payload, completeIn }) => {
    const { messageId } = z.object({ messageId: z.string() }).parse(payload);
    await deliverMessage(ctx, job.workspace_id, messageId, {
      finalAttempt: job.attempts >= job.max_attempts,
      completeIn,
      gate: deliveryGate(ctx, job.workspace_id),
    });
  },
  [JOB.messagesDeliver]: async (ctx, job, { completeIn }) => {
    await deliverDue(ctx, job.workspace_id, deliveryGate(ctx, job.workspace_id), completeIn);
  },
  [JOB.campaignPlan]: async (ctx, job, { payload }) => {
    const { campaignId } = z.object({ campaignId: z.string() }).parse(payload);
    await planCampaign(ctx, job.workspace_id, campaignId);
  },
  [JOB.campaignDraw]: async (ctx, job, { payload }) => {
    const { campaignId } = z.object({ campaignId: z.string() }).parse(payload);
    await drawCampaign(ctx, job.workspace_id, campaignId);
  },
  [JOB.backup]: async (ctx) => {
    await runScheduledBackup(ctx);
  },
  [JOB.campaignDeliver]: async (ctx, job, { payload, completeIn }) => {
    const p = z.object({ campaignId: z.string(), chain: z.string(), seq: z.number() }).parse(payload);
    await deliverStep(ctx, job.workspace_id, p.campaignId, { chain: p.chain, seq: p.seq }, completeIn);
  },
  [JOB.predictFit]: async (ctx, job) => {
    await fitWorkspace(ctx, job.workspace_id);
  },
  [JOB.automationEvents]: async (ctx, job, { payload }) => {
    const { eventIds } = z.object({ eventIds: z.array(z.string()) }).parse(payload);
    await handleOrderEvents(ctx, job.workspace_id, eventIds);
  },
  [JOB.automationStep]: async (ctx, job, { payload }) => {
    const { runId } = z.object({ runId: z.string() }).parse(payload);
    await advanceRun(ctx, job.workspace_id, runId);
  },
  [JOB.automationDaily]: async (ctx, job) => {
    await runDaily(ctx, job.workspace_id);
  },
  [JOB.automationReview]: async (ctx, job, { payload }) => {
    const { reviewId } = z.object({ reviewId: z.string() }).parse(payload);
    await handleReview(ctx, job.workspace_id, reviewId);
  },
  [JOB.automationSegments]: async (ctx, job) => {
    await evaluateSegmentEntries(ctx, job.workspace_id);
  },
  [JOB.automationSchedule]: async (ctx, job, { payload }) => {
    const { automationId } = z.object({ automationId: z.string() }).parse(payload);
    // The firing's dedupe key (name@time) names it: a retried job starts no second run per customer.
    await runScheduled(ctx, job.workspace_id, automationId, job.dedupe_key ?? job.id);
  },
  [JOB.points]: async (ctx, job, { payload }) => {
    // The demo shop's first run replays its history: points earned at their orders' times, then written off
    // when they expired, each dated when it happened.
    if (z.object({ atOrderTime: z.boolean() }).partial().parse(payload).atOrderTime) {
      await syncOrderPoints(ctx, job.workspace_id, { atOrderTime: true });
      await expireDue(ctx, job.workspace_id, { atExpiry: true });
      return;
    }
    return runRequestJob(ctx, job.workspace_id, JOB.points, payload);
  },
};
