import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { type AppContext, nowIso } from '../modules/context.js';
import { readJson } from '../db/json.js';
import { enqueue } from './queue.js';
import { type RequestJobInput, type RequestJobKind, type RequestJobResult, runRequestJob } from './requests.js';

/** A job a request queued and stopped waiting for: it goes on in the background (GET /jobs/{id}). */
export const queuedJob = z
  .object({
    jobId: z.string().describe('follow it at GET /jobs/{id}'),
    kind: z.string(),
    status: z.enum(['queued', 'running']),
  })
  .describe(
    'still running after the wait (HUIKE_JOB_WAIT_MS, default 20 s; a big shop): it goes on in the background; ' +
      'GET /jobs/{id} gives its result when done',
  );
export type QueuedJob = z.infer<typeof queuedJob>;

export const DEFAULT_JOB_WAIT_MS = 20_000;

/** How long a request waits for the job it queued before answering 202 (HUIKE_JOB_WAIT_MS, default 20 s). */
export function jobWaitMs(): number {
  const env = Number(process.env.HUIKE_JOB_WAIT_MS);
  return Number.isFinite(env) && env >= 0 ? env : DEFAULT_JOB_WAIT_MS;
}

export type JobOutcome<T> = { done: true; result: T } | { done: false; job: QueuedJob };

/**
 * A write a request asks for that takes seconds to minutes on a big shop: evaluate tiers, recompute RFM, sync points
 * or coupons, tag or freeze a segment, grant points or issue a coupon to one. Where jobs run off the server's event
 * loop (`ctx.jobs`: the worker thread of `huike serve`, or a `huike worker` process), it is queued as the job `kind`
 * and waited for up to `ctx.jobs.waitMs`: its result is the job's, or, past the wait, the job to follow. Without
 * (tests, an in-memory database) the request runs the kind's function itself (jobs/requests.ts: the same one).
 */
export async function runAsJob<K extends RequestJobKind>(
  ctx: AppContext,
  workspaceId: string,
  kind: K,
  payload: RequestJobInput<K>,
): Promise<JobOutcome<RequestJobResult<K>>> {
  type T = RequestJobResult<K>;
  if (!ctx.jobs) return { done: true, result: await runRequestJob(ctx, workspaceId, kind, payload) };
  // One attempt: a failure is the caller's answer, not a retry minutes later behind its back.
  // First in the queue: a seller waits for it, not behind an import's follow-up jobs (only the running job).
  const job = { workspaceId, kind, payload, maxAttempts: 1, priority: 0 as const };
  const jobId = await enqueue(ctx.db.kysely, job, nowIso(ctx));
  ctx.jobs.wake?.();
  const until = Date.now() + ctx.jobs.waitMs;
  let pause = 20;
  for (;;) {
    const row = await ctx.db.kysely
      .selectFrom('jobs')
      .select(['status', 'result', 'last_error'])
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', jobId)
      .executeTakeFirstOrThrow();
    if (row.status === 'done') return { done: true, result: readJson<T>(row.result) };
    if (row.status === 'failed')
      throw new Error(`job ${jobId} (${kind}) failed: ${row.last_error ?? 'no error given'}`);
    if (Date.now() >= until)
      return { done: false, job: { jobId, kind, status: row.status === 'running' ? 'running' : 'queued' } };
    await sleep(Math.min(pause, until - Date.now()));
    pause = Math.min(pause * 2, 250);
  }
}

/** The answer of a route that ran `runAsJob`: `done` (200, 201) with the result, or 202 with the job still going. */
export function sendOutcome<T>(reply: FastifyReply, outcome: JobOutcome<T>, done: 200 | 201 = 200) {
  return outcome.done ? reply.code(done).send(outcome.result) : reply.code(202).send(outcome.job);
}
