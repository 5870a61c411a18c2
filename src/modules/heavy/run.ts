import { reason } from '../../core/reasons.js';
import { sql } from 'kysely';
import { TooSlow } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import type { HEAVY_TASKS } from './tasks.js';

type Tasks = typeof HEAVY_TASKS;
export type HeavyTaskName = keyof Tasks;
type Rest<F> = F extends (ctx: AppContext, ...args: infer A) => unknown ? A : never;
export type HeavyArgs<K extends HeavyTaskName> = Rest<Tasks[K]>;
export type HeavyResult<K extends HeavyTaskName> = Awaited<ReturnType<Tasks[K]>>;

export const DEFAULT_QUERY_TIMEOUT_MS = 60_000;

export function queryTimeoutMs(ctx: AppContext): number {
  if (ctx.queryTimeoutMs) return ctx.queryTimeoutMs;
  const env = Number(process.env.HUIKE_QUERY_TIMEOUT_MS);
  return Number.isFinite(env) && env > 0 ? env : DEFAULT_QUERY_TIMEOUT_MS;
}

export function tooSlow(limitMs: number): TooSlow {
  const limit = limitMs >= 1000 ? `${(limitMs / 1000).toLocaleString('en-US')} s` : `${limitMs} ms`;
  return new TooSlow(
    `the query ran past its ${limit} time limit (HUIKE_QUERY_TIMEOUT_MS) and was stopped: ` +
      'narrow the rule, or raise the limit',
    reason('heavy.tooSlow', { limit }),
    { limitMs },
  );
}

/**
 * Runs one heavy read where it cannot stall the server, under the time limit: on SQLite on a read
 * thread (the pool stops the thread when the limit passes); on PostgreSQL in a read transaction with
 * statement_timeout. `direct` is the same function as HEAVY_TASKS[task], for running it here.
 */
export async function offLoop<K extends HeavyTaskName>(
  ctx: AppContext,
  task: K,
  direct: Tasks[K],
  ...args: HeavyArgs<K>
): Promise<HeavyResult<K>> {
  const limitMs = queryTimeoutMs(ctx);
  const run = direct as unknown as (ctx: AppContext, ...a: HeavyArgs<K>) => Promise<HeavyResult<K>>;
  if (ctx.readPool) return (await ctx.readPool.run(task, args, ctx.now().toISOString(), limitMs)) as HeavyResult<K>;
  if (ctx.db.dialect !== 'postgres' || ctx.db.kysely.isTransaction) return run(ctx, ...args);
  try {
    return await ctx.db.kysely.transaction().execute(async (trx) => {
      // SET LOCAL: the limit ends with this transaction and never leaks to the pooled connection.
      // No JIT: a segment's correlated subqueries look costly to the planner, and compiling them took
      // 1.2 s of a 1.8 s count on the 20,000-customer demo (0.6 s without).
      await sql`SELECT set_config('statement_timeout', ${String(Math.ceil(limitMs))}, true),
        set_config('jit', 'off', true)`.execute(trx);
      return run({ ...ctx, db: { ...ctx.db, kysely: trx } }, ...args);
    });
  } catch (e) {
    // 57014 query_canceled: statement_timeout fired.
    if ((e as { code?: string }).code === '57014') throw tooSlow(limitMs);
    throw e;
  }
}
