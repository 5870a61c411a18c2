import { hostname } from 'node:os';
import { newId } from '../core/ids.js';
import type { Transaction } from 'kysely';
import type { Database, Job } from '../db/types.js';
import { readJson } from '../db/json.js';
import type { AppContext } from '../modules/context.js';
import { claimJob, completeJob, extendLease, failAbandonedJobs, failJob, LeaseLost } from './queue.js';
import { runDueSchedules } from './schedules.js';

export interface JobHelpers {
  workerId: string;
  payload: unknown;
  /**
   * Marks the job done inside the handler's transaction, so the job's effect and its completion
   * commit together; throws LeaseLost (rolling the transaction back) when another worker has
   * taken the job over.
   */
  completeIn(trx: Transaction<Database>): Promise<void>;
}

/** Runs one job; what it returns (JSON: counts …) is kept with the job for a request waiting for it (jobs/wait.ts). */
export type JobHandler = (ctx: AppContext, job: Job, helpers: JobHelpers) => Promise<unknown>;
/**
 * A kind's handler, or the handler and what to do when its job is given up after its worker died
 * on every attempt (e.g. mark the import run failed).
 */
export type JobHandlerEntry =
  | JobHandler
  | { run: JobHandler; abandoned?: (ctx: AppContext, job: Job) => Promise<void> };
export type JobHandlers = Record<string, JobHandlerEntry>;

/** The function that runs a kind's jobs. */
export function handlerOf(handlers: JobHandlers, kind: string): JobHandler | undefined {
  const entry = handlers[kind];
  return typeof entry === 'function' ? entry : entry?.run;
}

export interface WorkerOptions {
  handlers: JobHandlers;
  pollMs?: number;
  leaseMs?: number;
  /** Run cron schedules from this worker too. */
  schedules?: boolean;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

export interface Worker {
  id: string;
  stop(): Promise<void>;
  /** Runs due jobs until none is left (tests, CLI one-shot). */
  drain(): Promise<number>;
  /** Looks for a due job now instead of at the next poll (a request has just queued one). */
  wake(): void;
}

export function createWorker(ctx: AppContext, opts: WorkerOptions): Worker {
  const id = `${hostname()}:${process.pid}:${newId().slice(-6)}`;
  const pollMs = opts.pollMs ?? 500;
  const leaseMs = opts.leaseMs ?? 60_000;
  const log = opts.log ?? (() => {});
  let stopping = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;

  async function runOne(): Promise<boolean> {
    for (const dead of await failAbandonedJobs(ctx.db, ctx.now())) {
      log('job failed: its worker died on every attempt', { job: dead.id, kind: dead.kind });
      const entry = opts.handlers[dead.kind];
      if (entry && typeof entry !== 'function') await entry.abandoned?.(ctx, dead);
    }
    const job = await claimJob(ctx.db, id, ctx.now(), leaseMs);
    if (!job) return false;
    const handler = handlerOf(opts.handlers, job.kind);
    const heartbeat = setInterval(
      () => {
        void extendLease(ctx.db.kysely, job, id, new Date(ctx.now().getTime() + leaseMs).toISOString()).catch(() => {});
      },
      Math.max(250, leaseMs / 3),
    );
    try {
      if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
      const result = await handler(ctx, job, {
        workerId: id,
        payload: readJson(job.payload),
        completeIn: async (trx) => {
          if (!(await completeJob(trx, job, id, ctx.now().toISOString()))) throw new LeaseLost(job.id);
        },
      });
      await completeJob(ctx.db.kysely, job, id, ctx.now().toISOString(), result);
      log('job done', { job: job.id, kind: job.kind });
    } catch (e) {
      if (e instanceof LeaseLost) {
        log('job lease lost', { job: job.id });
      } else {
        const outcome = await failJob(ctx.db.kysely, job, id, e, ctx.now());
        log(`job ${outcome === 'failed' ? 'failed' : 'will retry'}`, {
          job: job.id,
          kind: job.kind,
          error: e instanceof Error ? e.message : String(e),
        });
      }
    } finally {
      clearInterval(heartbeat);
    }
    return true;
  }

  async function drain(): Promise<number> {
    let n = 0;
    if (opts.schedules) await runDueSchedules(ctx);
    while (await runOne()) n += 1;
    return n;
  }

  async function run(): Promise<void> {
    let lastSchedule = 0;
    while (!stopping) {
      try {
        if (opts.schedules && Date.now() - lastSchedule > 5_000) {
          lastSchedule = Date.now();
          await runDueSchedules(ctx);
        }
        if (await runOne()) continue;
      } catch (e) {
        log('worker error', { error: e instanceof Error ? e.message : String(e) });
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
    }
  }

  return {
    id,
    drain,
    wake: () => wake?.(),
    start() {
      loop ??= run();
    },
    async stop() {
      stopping = true;
      wake?.();
      await loop;
    },
  } as Worker & { start(): void };
}

export function startWorker(ctx: AppContext, opts: WorkerOptions): Worker {
  const w = createWorker(ctx, opts) as Worker & { start(): void };
  w.start();
  return w;
}
