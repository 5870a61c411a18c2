/**
 * The plan's reading thread on SQLite (started by plan.ts): reads each chunk of treated recipients with
 * their facts on its own read-only connection and decides it with the pure engine, while the job's thread
 * writes the chunk before (WAL lets this connection read beside the writer). A chunk's facts never depend
 * on the chunks being written: the contact history read leaves out this campaign's own messages, the
 * contacts served, budget and throttle slots are carried here from one chunk to the next, and a campaign
 * with a coupon template (whose stock is read under the template's lock in the writing transaction) is
 * not planned here. Writes nothing: the writer commits each chunk in one transaction, as before.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { openDatabase } from '../../db/connect.js';
import type { AppContext } from '../context.js';
import { countDone, decideChunk, MESSAGE_COLUMNS, type PlanEnv, type PlanState, readChunk } from './plan.js';
import type { FromPlanReader, PlanReaderData, ToPlanReader } from './plan-reader.js';

async function main(port: NonNullable<typeof parentPort>, data: PlanReaderData) {
  const db = openDatabase(data.url, { readonly: true });
  // The writer's page cache (64 MB, db/connect.ts), not a reader's default 2 MB: the chunk read walks the
  // recipients, customers, stats and tiers of a large audience in key order.
  await sql`PRAGMA cache_size = -65536`.execute(db.kysely);
  let now = new Date();
  const ctx: AppContext = { db, now: () => now };
  const env: PlanEnv = data.env;
  const state: PlanState = { seen: new Set(), spentFen: 0, slots: 0 };
  let cursor = '';
  let ended = false;
  const next = async (at: string): Promise<FromPlanReader> => {
    if (ended) return { type: 'end' };
    now = new Date(at);
    const t0 = performance.now();
    const c = await readChunk(ctx, env, cursor, data.chunk, data.decidedUpTo);
    if (c === null) {
      ended = true;
      return { type: 'end' };
    }
    const t1 = performance.now();
    countDone(state, c);
    const { todo, missing, facts, held } = c;
    const { rows, links } = decideChunk(env, { todo, missing, facts, held, stock: { left: null }, state, now });
    const t2 = performance.now();
    const values: unknown[] = [];
    let queued = false;
    for (const m of rows) {
      for (const col of MESSAGE_COLUMNS) values.push(m[col] ?? null);
      if (m.status === 'queued') queued = true;
    }
    if (c.last === null) ended = true;
    else cursor = c.last;
    const readMs = t1 - t0;
    const t3 = performance.now();
    return {
      type: 'chunk',
      values,
      links,
      queued,
      at,
      last: c.last,
      readMs,
      decideMs: t3 - t1,
      baseMs: c.baseMs,
      factsMs: c.factsMs,
      flattenMs: t3 - t2,
    };
  };
  // Requests are answered in order, one at a time.
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (m: ToPlanReader) => {
    chain = chain
      .then(async () => port.postMessage(await next(m.now)))
      .catch((e: unknown) =>
        port.postMessage({
          type: 'error',
          message: e instanceof Error ? e.message : String(e),
        } satisfies FromPlanReader),
      );
  });
}

if (parentPort) await main(parentPort, workerData as PlanReaderData);
