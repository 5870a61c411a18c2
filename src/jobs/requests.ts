/**
 * The jobs a request may wait for (jobs/wait.ts `runAsJob`): each kind's payload and the function it runs, named
 * once. The worker's handler checks the payload and runs the function; without a worker (tests, an in-memory
 * database) the request runs the same function with the same checked payload. The worker also runs most of these
 * kinds after imports and at night.
 */
import { z } from 'zod';
import type { AppContext } from '../modules/context.js';
import { issueSegment, syncCoupons } from '../modules/coupons/service.js';
import { evaluateTiers } from '../modules/membership/service.js';
import { syncPoints } from '../modules/points/service.js';
import { grantSegment } from '../modules/points/rewards.js';
import { rfmPass } from '../modules/segments/rfm.js';
import { snapshotSegment, tagSegment } from '../modules/segments/service.js';
import { JOB } from './kinds.js';
import type { JobHandler } from './worker.js';

interface RequestJob<S extends z.ZodType, R> {
  payload: S;
  run: (ctx: AppContext, ws: string, input: z.output<S>) => Promise<R>;
}

const requestJob = <S extends z.ZodType, R>(
  payload: S,
  run: (ctx: AppContext, ws: string, input: z.output<S>) => Promise<R>,
): RequestJob<S, R> => ({ payload, run });

export const requestJobs = {
  [JOB.rfmRecompute]: requestJob(z.object({ asOf: z.string().optional() }), (ctx, ws, p) => rfmPass(ctx, ws, p.asOf)),
  [JOB.tiers]: requestJob(z.object({ yearly: z.boolean().optional() }), (ctx, ws, p) =>
    evaluateTiers(ctx, ws, Boolean(p.yearly)),
  ),
  [JOB.points]: requestJob(z.object({}), (ctx, ws) => syncPoints(ctx, ws)),
  [JOB.coupons]: requestJob(z.object({}), (ctx, ws) => syncCoupons(ctx, ws)),
  [JOB.segmentTag]: requestJob(
    z.object({ segmentId: z.string(), tag: z.string(), untag: z.boolean().optional(), by: z.string().nullable() }),
    (ctx, ws, p) => tagSegment(ctx, ws, p),
  ),
  [JOB.segmentSnapshot]: requestJob(z.object({ segmentId: z.string(), purpose: z.string().nullable() }), (ctx, ws, p) =>
    snapshotSegment(ctx, ws, p.segmentId, p.purpose),
  ),
  [JOB.pointsGrant]: requestJob(
    z.object({ segmentId: z.string(), points: z.number(), batch: z.string(), reason: z.string() }),
    (ctx, ws, p) => grantSegment(ctx, ws, p),
  ),
  [JOB.couponsIssueSegment]: requestJob(
    z.object({ templateId: z.string(), segmentId: z.string(), batch: z.string() }),
    (ctx, ws, p) => issueSegment(ctx, ws, p),
  ),
};

export type RequestJobKind = keyof typeof requestJobs;
export type RequestJobInput<K extends RequestJobKind> = z.input<(typeof requestJobs)[K]['payload']>;
export type RequestJobResult<K extends RequestJobKind> = Awaited<ReturnType<(typeof requestJobs)[K]['run']>>;

/** Runs a request job's function on its payload, checked (the worker's handler, or the request without one). */
export function runRequestJob<K extends RequestJobKind>(
  ctx: AppContext,
  ws: string,
  kind: K,
  payload: unknown,
): Promise<RequestJobResult<K>> {
  const job = requestJobs[kind] as unknown as RequestJob<z.ZodType, RequestJobResult<K>>;
  return job.run(ctx, ws, job.payload.parse(payload));
}

/** The worker's handlers of these kinds: each reports what it did, the answer of the request waiting for it. */
export const requestJobHandlers: Record<RequestJobKind, JobHandler> = Object.fromEntries(
  Object.keys(requestJobs).map((kind) => [
    kind,
    (ctx, job, { payload }) => runRequestJob(ctx, job.workspace_id, kind as RequestJobKind, payload),
  ]),
) as Record<RequestJobKind, JobHandler>;
