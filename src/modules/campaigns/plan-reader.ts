import type { Insertable } from 'kysely';
import { startThread } from '../../jobs/threads.js';
import type { Database } from '../../db/types.js';
import type { PlanEnv } from './plan.js';

export interface PlanReaderData {
  url: string;
  env: PlanEnv;
  chunk: number;
  decidedUpTo: string | null;
}
export type ToPlanReader = { type: 'next'; now: string };
export type FromPlanReader =
  /** A decided chunk: its messages as one flat array (MESSAGE_COLUMNS order), links, whether any is queued. */
  | {
      type: 'chunk';
      values: unknown[];
      links: Insertable<Database['message_links']>[];
      queued: boolean;
      at: string;
      last: string | null;
      /** Milliseconds this chunk took to read with its facts, and to decide. */
      readMs: number;
      decideMs: number;
      /** Parts of readMs (ReadChunk's), and of decideMs: laying the rows out flat in `values`. */
      baseMs: number;
      factsMs: number;
      flattenMs: number;
    }
  | { type: 'end' }
  | { type: 'error'; message: string };
export type DecidedChunk = Extract<FromPlanReader, { type: 'chunk' }>;

export interface PlanReader {
  /** Asks for the next chunk decided at `now` (asked ahead: the thread works while the caller writes). */
  next(now: Date): Promise<DecidedChunk | null>;
  close(): Promise<void>;
}

/** Starts the plan's reading thread (plan-thread.ts/.js) on its own read-only connection to `data.url`. */
export function startPlanReader(data: PlanReaderData): PlanReader {
  const worker = startThread(import.meta.url, 'plan-thread', { workerData: data });
  const waiting: { ok: (c: DecidedChunk | null) => void; fail: (e: Error) => void }[] = [];
  let failure: Error | null = null;
  let closed = false;
  const failAll = (e: Error) => {
    failure ??= e;
    for (const w of waiting.splice(0)) w.fail(failure);
  };
  worker.on('message', (m: FromPlanReader) => {
    if (m.type === 'error') failAll(new Error(`the plan's reading thread failed: ${m.message}`));
    else waiting.shift()?.ok(m.type === 'end' ? null : m);
  });
  worker.on('error', (e) => failAll(e));
  worker.on('exit', () => {
    if (!closed) failAll(new Error("the plan's reading thread stopped"));
  });
  return {
    next(now) {
      if (failure) return Promise.reject(failure);
      const p = new Promise<DecidedChunk | null>((ok, fail) => waiting.push({ ok, fail }));
      worker.postMessage({ type: 'next', now: now.toISOString() } satisfies ToPlanReader);
      // Awaited (so thrown) by the caller; a request left pending when the plan stops is not an unhandled error.
      p.catch(() => undefined);
      return p;
    },
    async close() {
      closed = true;
      await worker.terminate();
    },
  };
}
