/** A read thread of the heavy-read pool (pool.ts): one read-only connection, tasks by name. */
import { workerData } from 'node:worker_threads';
import { DomainError } from '../../core/errors.js';
import { openDatabase, type Db } from '../../db/connect.js';
import type { AppContext } from '../context.js';
import type { ThreadAnswer } from './pool.js';
import { HEAVY_TASKS } from './tasks.js';

let db: Db | null = null;

export default async function runTask(msg: { task: string; args: unknown[]; now: string }): Promise<ThreadAnswer> {
  db ??= openDatabase((workerData as { url: string }).url, { readonly: true });
  const fn = HEAVY_TASKS[msg.task as keyof typeof HEAVY_TASKS] as
    | ((ctx: AppContext, ...args: unknown[]) => Promise<unknown>)
    | undefined;
  if (!fn) throw new Error(`no heavy read named ${msg.task}`);
  const now = new Date(msg.now);
  try {
    return { ok: await fn({ db, now: () => now }, ...msg.args) };
  } catch (e) {
    if (e instanceof DomainError)
      return { error: { code: e.code, message: e.message, reason: e.reason, details: e.details } };
    throw e;
  }
}
