/** A read thread of the heavy-read pool (pool.ts): one read-only connection, tasks by name. */
import { workerData } from 'node:worker_threads';
import { DomainError } from '../../core/errors.js';
import { openDatabase, type Db } from '../../db/connect.js';
import type { AppContext } from '../context.js';
import type { ThreadAnswer } from './pool.js';
import { HEAVY_TASKS } from './tasks.js';
import { yieldToRequests } from '../../jobs/threads.js';
import { AnalyticsMemory, type MemoryLog } from '../analytics/memory.js';
import { memoryDirFor } from '../analytics/memory-file.js';

let db: Db | null = null;
let memory: AnalyticsMemory | undefined;

/** The memory thread's loads are logged as JSON lines on stderr at LOG_LEVEL info or below (no logger here). */
const logInfo = ['trace', 'debug', 'info'].includes(process.env.LOG_LEVEL ?? '');
const log: MemoryLog = (fields, msg) => {
  if (logInfo) process.stderr.write(`${JSON.stringify({ level: 30, time: Date.now(), msg, ...fields })}\n`);
};

export default async function runTask(msg: { task: string; args: unknown[]; now: string }): Promise<ThreadAnswer> {
  const data = workerData as { url: string; memory?: boolean; background?: boolean };
  if (!db && data.background) yieldToRequests();
  db ??= openDatabase(data.url, { readonly: true });
  if (data.memory) memory ??= new AnalyticsMemory(db, { log, dir: memoryDirFor(data.url) });
  const fn = HEAVY_TASKS[msg.task as keyof typeof HEAVY_TASKS] as
    | ((ctx: AppContext, ...args: unknown[]) => Promise<unknown>)
    | undefined;
  if (!fn) throw new Error(`no heavy read named ${msg.task}`);
  const now = new Date(msg.now);
  try {
    return { ok: await fn({ db, now: () => now, analyticsMemory: memory }, ...msg.args) };
  } catch (e) {
    if (e instanceof DomainError)
      return { error: { code: e.code, message: e.message, reason: e.reason, details: e.details } };
    throw e;
  }
}
