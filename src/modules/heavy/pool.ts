import type { Reason } from '../../core/reasons.js';
import { Piscina } from 'piscina';
import { DomainError, type ErrorCode } from '../../core/errors.js';
import { piscinaEntry } from '../../jobs/threads.js';
import { ClientGone } from './abandon.js';
import { SHORT_TASKS, tooSlow } from './run.js';
import { memoryCapBytes } from '../analytics/memory.js';

export interface ReadPool {
  /**
   * Runs HEAVY_TASKS[task](ctx, ...args) on a read thread; stops the thread past limitMs, or when `gone` fires
   * (its client went away: a task not started yet leaves the queue, a running one's thread is stopped).
   */
  run(task: string, args: unknown[], nowIso: string, limitMs: number, gone?: AbortSignal): Promise<unknown>;
  close(): Promise<void>;
}

/** What a read thread answers: the result, or the domain error it threw (classes do not cross threads). */
export type ThreadAnswer =
  | { ok: unknown }
  | { error: { code: ErrorCode; message: string; reason: Reason; details?: unknown } };

/**
 * The views that answer from the analytics held in memory (analytics/memory.ts) run on one thread of their own,
 * which holds the index: one copy of it, loaded in the background between tasks. Off (they run with the other heavy
 * reads, from SQL) when HUIKE_ANALYTICS_MEMORY_MB is 0.
 */
const MEMORY_TASKS: ReadonlySet<string> = new Set([
  'analytics.distribution',
  'analytics.products',
  'analytics.memoryWarm',
]);

/**
 * Two small pools of worker threads (heavy reads, and the short lane above), each thread with a read-only
 * connection to the SQLite file (WAL lets them read while the server's writer connection writes). Running from
 * the TypeScript sources (tests, `npm run dev`), the threads load them through tsx as the main thread does.
 */
export function startReadPool(url: string, opts: { threads?: number; shortThreads?: number } = {}): ReadPool {
  // The heavy and memory lanes' threads yield the cores to the server's thread (jobs/threads.ts, yieldToRequests);
  // the short lane answers pages a user waits for and keeps the process's priority.
  const lane = (maxThreads: number, memory = false, background = true) =>
    new Piscina({
      ...piscinaEntry(import.meta.url, 'thread'),
      minThreads: 1,
      maxThreads,
      // A thread keeps its connection (and its statement cache) between tasks, the memory thread its index.
      idleTimeout: 5 * 60_000,
      // The memory thread loads in the background between tasks: piscina must not pause it while idle.
      ...(memory ? { atomics: 'disabled' as const } : {}),
      workerData: { url, memory, background },
    });
  const heavy = lane(Math.max(1, opts.threads ?? (Number(process.env.HUIKE_READ_THREADS) || 2)));
  const short = lane(Math.max(1, opts.shortThreads ?? (Number(process.env.HUIKE_SHORT_THREADS) || 1)), false, false);
  // Started at the first memory task (the warm-up at server start), so pools that never ask start no thread.
  let memory: Piscina | null = null;
  const memoryLane = () => {
    memory ??= lane(1, true);
    return memory;
  };
  const memoryOn = memoryCapBytes() > 0;
  return {
    async run(task, args, nowIso, limitMs, gone) {
      const timeout = AbortSignal.timeout(limitMs);
      const signal = gone ? AbortSignal.any([timeout, gone]) : timeout;
      const pool = SHORT_TASKS.has(task) ? short : memoryOn && MEMORY_TASKS.has(task) ? memoryLane() : heavy;
      let answer: ThreadAnswer;
      try {
        answer = (await pool.run({ task, args, now: nowIso }, { signal })) as ThreadAnswer;
      } catch (e) {
        // Aborting a running task stops its thread (and its query); the pool starts a fresh one.
        if (gone?.aborted) throw new ClientGone(task);
        if (timeout.aborted) throw tooSlow(limitMs);
        throw e;
      }
      if ('error' in answer)
        throw new DomainError(answer.error.code, answer.error.message, answer.error.reason, answer.error.details);
      return answer.ok;
    },
    close: async () => {
      await Promise.all([heavy.destroy(), short.destroy(), memory?.destroy()]);
    },
  };
}
