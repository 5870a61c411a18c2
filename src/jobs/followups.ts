import { sql } from 'kysely';
import { readJson } from '../db/json.js';
import { timestampCast } from '../db/dates.js';
import type { Job } from '../db/types.js';
import type { AppContext } from '../modules/context.js';
import { completeJob, extendLease, failJob, LeaseLost } from './queue.js';
import { handlerOf, type JobHandlers } from './worker.js';

export interface FollowupStep {
  kind: string;
  index: number;
  total: number;
  state: 'start' | 'done' | 'failed' | 'skipped';
  ms?: number;
  error?: string;
}

const LEASE_MS = 60_000;

/** Claims one queued job by id, as a worker would (a worker that got there first keeps it). */
async function claimQueued(ctx: AppContext, job: Job, workerId: string): Promise<Job | undefined> {
  const now = ctx.now();
  const ts = timestampCast(ctx.db.dialect);
  const until = new Date(now.getTime() + LEASE_MS).toISOString();
  const r = await sql<Job>`
    UPDATE jobs SET status = 'running', locked_by = ${workerId}, locked_until = ${until}${ts},
      attempts = attempts + 1, updated_at = ${now.toISOString()}${ts}
    WHERE workspace_id = ${job.workspace_id} AND id = ${job.id} AND status = 'queued'
    RETURNING *`.execute(ctx.db.kysely);
  return r.rows[0];
}

/**
 * Runs the queued jobs with this dedupe key now, in the order of `kinds` (what an import queues
 * for a worker: RFM, tiers, points …), so a command-line import leaves nothing waiting for a
 * worker that may never run. Each job is claimed like a worker claims it, so a worker running
 * at the same time never runs one twice; a failed job stays in the queue with its error.
 */
export async function runQueuedJobs(
  ctx: AppContext,
  workspaceId: string,
  dedupeKey: string,
  kinds: readonly string[],
  handlers: JobHandlers,
  workerId: string,
  onStep: (s: FollowupStep) => void = () => {},
): Promise<{ done: number; failed: number }> {
  const queued = await ctx.db.kysely
    .selectFrom('jobs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('dedupe_key', '=', dedupeKey)
    .where('status', '=', 'queued')
    .where('kind', 'in', [...kinds])
    .execute();
  queued.sort((a, b) => kinds.indexOf(a.kind) - kinds.indexOf(b.kind));
  let done = 0;
  let failed = 0;
  for (const [i, q] of queued.entries()) {
    const step = { kind: q.kind, index: i + 1, total: queued.length };
    const job = await claimQueued(ctx, q, workerId);
    const handler = handlerOf(handlers, q.kind);
    if (!job || !handler) {
      onStep({ ...step, state: 'skipped' });
      continue;
    }
    onStep({ ...step, state: 'start' });
    const t0 = Date.now();
    const heartbeat = setInterval(() => {
      void extendLease(ctx.db.kysely, job, workerId, new Date(ctx.now().getTime() + LEASE_MS).toISOString()).catch(
        () => {},
      );
    }, LEASE_MS / 3);
    try {
      await handler(ctx, job, {
        workerId,
        payload: readJson(job.payload),
        completeIn: async (trx) => {
          if (!(await completeJob(trx, job, workerId, ctx.now().toISOString()))) throw new LeaseLost(job.id);
        },
      });
      await completeJob(ctx.db.kysely, job, workerId, ctx.now().toISOString());
      done += 1;
      onStep({ ...step, state: 'done', ms: Date.now() - t0 });
    } catch (e) {
      failed += 1;
      if (!(e instanceof LeaseLost)) await failJob(ctx.db.kysely, job, workerId, e, ctx.now());
      onStep({ ...step, state: 'failed', ms: Date.now() - t0, error: e instanceof Error ? e.message : String(e) });
    } finally {
      clearInterval(heartbeat);
    }
  }
  return { done, failed };
}
