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
  /** Run cron schedules from this worker too (its loop of all jobs). */
  schedules?: boolean;
  /**
   * Its loops: `all` claims any due job (a request's first), `requests` only the jobs a request waits for (priority
   * 0), `both` (the default) runs the two side by side. The server runs them in two threads (jobs/worker-thread.ts),
   * so a request's job is not held up by a long job's long statements either.
   */
  lanes?: 'all' | 'requests' | 'both';
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
  let loops: Promise<void>[] | null = null;
  // The loops waiting for their next poll; wake() ends their wait.
  const wakers = new Set<() => void>();

  async function runOne(lane: 'all' | 'requests' = 'all'): Promise<boolean> {
    if (lane === 'all')
      for (const dead of await failAbandonedJobs(ctx.db, ctx.now())) {
        log('job failed: its worker died on every attempt', { job: dead.id, kind: dead.kind });
        const entry = opts.handlers[dead.kind];
        if (entry && typeof entry !== 'function') await entry.abandoned?.(ctx, dead);
      }
    const job = await claimJob(ctx.db, id, ctx.now(), leaseMs, { requestsOnly: lane === 'requests' });
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

  const pause = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, pollMs);
      wakers.add(done);
    });

  const wakeAll = () => {
    for (const w of [...wakers]) w();
  };

  /**
   * One lane's loop. `all` claims any due job and runs the schedules; `requests` only the jobs a request waits for
   * (priority 0, jobs/wait.ts): beside the other, so such a job starts at once even while a long one runs (the
   * nightly stats recompute held the worker for minutes). Long jobs write in short transactions, so the two take
   * turns at SQLite's one writer.
   */
  async function run(lane: 'all' | 'requests'): Promise<void> {
    let lastSchedule = 0;
    while (!stopping) {
      try {
        if (lane === 'all' && opts.schedules && Date.now() - lastSchedule > 5_000) {
          lastSchedule = Date.now();
          await runDueSchedules(ctx);
        }
        if (await runOne(lane)) continue;
      } catch (e) {
        log('worker error', { error: e instanceof Error ? e.message : String(e) });
      }
      await pause();
    }
  }

  return {
    id,
    drain,
    wake: wakeAll,
    start() {
      const lanes = opts.lanes ?? 'both';
      loops ??= (lanes === 'both' ? (['all', 'requests'] as const) : [lanes]).map((l) => run(l));
    },
    async stop() {
      stopping = true;
      wakeAll();
      await Promise.all(loops ?? []);
    },
  } as Worker & { start(): void };
}

export function startWorker(ctx: AppContext, opts: WorkerOptions): Worker {
  const w = createWorker(ctx, opts) as Worker & { start(): void };
  w.start();
  return w;
}
