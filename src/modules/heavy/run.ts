import { reason } from '../../core/reasons.js';
import { type KyselyPlugin, sql } from 'kysely';
import { TooSlow } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { ClientGone, currentRequest } from './abandon.js';
import type { HEAVY_TASKS } from './tasks.js';

type Tasks = typeof HEAVY_TASKS;
export type HeavyTaskName = keyof Tasks;
type Rest<F> = F extends (ctx: AppContext, ...args: infer A) => unknown ? A : never;
export type HeavyArgs<K extends HeavyTaskName> = Rest<Tasks[K]>;
export type HeavyResult<K extends HeavyTaskName> = Awaited<ReturnType<Tasks[K]>>;

/**
 * The reads a page waits for — a customer list's first-page count, a search or filtered page, a filtered page of
 * orders — run on a lane of their own, so they never queue behind segment counts, exports or analytics views
 * that may each take up to the time limit (at 1M customers a list's total waited for abandoned segment evaluations
 * on both threads).
 * One thread by default (HUIKE_SHORT_THREADS): two measured no better at 1M on two cores (README, session 31).
 * On PostgreSQL they keep the server connection's serial plans (connect.ts `serialReads`), as its requests do.
 */
export const SHORT_TASKS: ReadonlySet<string> = new Set([
  'customers.count',
  'customers.search',
  'orders.page',
  'messages.page',
  'audit.page',
]);

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
/** A Kysely plugin refusing every further statement once `gone` fired (as a cancelled one fails: 57014). */
function stopWhen(gone: AbortSignal): KyselyPlugin {
  return {
    transformQuery(args) {
      if (gone.aborted) throw Object.assign(new Error('canceling statement: the client went away'), { code: '57014' });
      return args.node;
    },
    transformResult: async (args) => args.result,
  };
}

export async function offLoop<K extends HeavyTaskName>(
  ctx: AppContext,
  task: K,
  direct: Tasks[K],
  ...args: HeavyArgs<K>
): Promise<HeavyResult<K>> {
  const limitMs = queryTimeoutMs(ctx);
  const run = direct as unknown as (ctx: AppContext, ...a: HeavyArgs<K>) => Promise<HeavyResult<K>>;
  // The request this read answers: when its client goes away, the read is stopped (abandon.ts).
  const request = currentRequest();
  const gone = request?.signal;
  const started = performance.now();
  const stopped = (where: string) => {
    request?.warn(
      { task, ms: Math.round(performance.now() - started), where },
      `heavy read ${task} stopped: its client went away`,
    );
    return new ClientGone(task);
  };
  if (gone?.aborted) throw stopped('before it started');
  if (ctx.readPool) {
    try {
      return (await ctx.readPool.run(task, args, ctx.now().toISOString(), limitMs, gone)) as HeavyResult<K>;
    } catch (e) {
      if (e instanceof ClientGone) throw stopped('read thread');
      throw e;
    }
  }
  if (ctx.db.dialect !== 'postgres' || ctx.db.kysely.isTransaction) return run(ctx, ...args);
  let cancel: (() => void) | undefined;
  const onGone = () => cancel?.();
  gone?.addEventListener('abort', onGone, { once: true });
  try {
    return await ctx.db.kysely.transaction().execute(async (trx) => {
      // SET LOCAL: the limit ends with this transaction and never leaks to the pooled connection.
      // No JIT: a segment's correlated subqueries look costly to the planner, and compiling them took
      // 1.2 s of a 1.8 s count on the 20,000-customer demo (0.6 s without).
      const me = (
        await sql<{
          pid: number;
          since: string;
        }>`SELECT set_config('statement_timeout', ${String(Math.ceil(limitMs))}, true),
          set_config('jit', 'off', true), pg_backend_pid() AS pid, now()::text AS since`.execute(trx)
      ).rows[0]!;
      // A connection whose statements plan no parallel workers (the server's requests: connect.ts `serialReads`)
      // gets the database's own setting back for a heavy read, which a single user waits for alone.
      if (ctx.db.serialReads && !SHORT_TASKS.has(task))
        await sql`SET LOCAL max_parallel_workers_per_gather TO DEFAULT`.execute(trx);
      // Cancels this transaction's statement from another connection, only while the backend still runs this
      // very transaction (a connection back in the pool may already serve someone else).
      let open = true;
      cancel = () => {
        if (!open) return;
        sql`SELECT pg_cancel_backend(pid) FROM pg_stat_activity
          WHERE pid = ${me.pid} AND xact_start = ${me.since}::timestamptz`
          .execute(ctx.db.kysely)
          .catch(() => {});
      };
      if (gone?.aborted) cancel();
      // A read of several statements stops at the next one too (a cancel between two finds none running).
      const guarded = gone ? trx.withPlugin(stopWhen(gone)) : trx;
      try {
        return await run({ ...ctx, db: { ...ctx.db, kysely: guarded } }, ...args);
      } finally {
        open = false;
      }
    });
  } catch (e) {
    // 57014 query_canceled: statement_timeout fired, or the client went away and the statement was cancelled.
    if ((e as { code?: string }).code === '57014')
      throw gone?.aborted ? stopped('statement cancelled') : tooSlow(limitMs);
    throw e;
  } finally {
    gone?.removeEventListener('abort', onGone);
  }
}
