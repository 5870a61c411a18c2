/**
 * A heavy read whose client went away is stopped, on PostgreSQL: the server cancels the running statement
 * (pg_cancel_backend) instead of letting it run to its time limit. (SQLite's path, a read thread stopped,
 * is in responsive.test.ts, on the demo shop whose counts take long enough.) The count is made to wait
 * for a table lock held here, so it runs exactly as long as this test wants: no timing.
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { createUser } from '../../src/modules/auth/service.js';
import type { AppContext } from '../../src/modules/context.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { buildServer } from '../../src/server.js';
import { freshMigratedDatabase, PG_URL } from '../helpers.js';
import { waitFor } from '../support/processes.js';
import { listenLocal, loginCookie, postEvaluate } from '../support/http.js';

const ordersRule = { field: 'orders', op: 'count_gte', value: 1, where: { status: ['completed'] } };

describe.skipIf(!PG_URL)('a heavy read whose client went away [postgres]', () => {
  let db: Db;
  let locker: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let base = '';
  let cookie = '';
  const logs: string[] = [];

  beforeAll(async () => {
    const fresh = await freshMigratedDatabase('postgres');
    drop = fresh.drop;
    db = openDatabase(fresh.url);
    locker = openDatabase(fresh.url);
    const ctx: AppContext = { db, now: () => new Date('2026-11-23T04:00:00Z'), queryTimeoutMs: 600_000 };
    const ws = await createWorkspace(ctx, '测试店铺');
    await createUser(ctx, ws.id, { login: 'boss', password: 'secret-pass-1', role: 'owner' });
    app = await buildServer(ctx, { logger: { level: 'warn', stream: { write: (line: string) => logs.push(line) } } });
    base = await listenLocal(app);
    cookie = await loginCookie(base, 'boss', 'secret-pass-1');
  });
  afterAll(async () => {
    await app?.close();
    await locker?.close();
    await db?.close();
    await drop?.();
  });

  const evaluate = (rule: unknown, signal?: AbortSignal) => postEvaluate(base, cookie, rule, signal);
  /** Backends of this database waiting for a lock (the count, blocked by the lock held below). */
  const waiting = async () =>
    Number(
      (
        await sql<{ n: string }>`SELECT count(*) AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(db.kysely)
      ).rows[0]!.n,
    );

  it('cancels the running statement when the client disconnects, and logs it', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    // Holds orders exclusively until released: a count over orders waits for it.
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    const lock = locker.kysely.transaction().execute(async (trx) => {
      await sql`LOCK TABLE orders IN ACCESS EXCLUSIVE MODE`.execute(trx);
      locked();
      await released;
    });
    await holding;
    const client = new AbortController();
    const abandoned = evaluate(ordersRule, client.signal).catch((e: unknown) => e);
    await waitFor('the count to wait for the lock', async () => (await waiting()) === 1, 30_000, 20);
    client.abort();
    expect(await abandoned).toBeInstanceOf(Error);
    // The server cancelled the statement: nothing waits for the lock any more, though it is still held.
    // (Before, the count waited on until its 10-minute limit.)
    await waitFor('the count to be cancelled', async () => (await waiting()) === 0, 30_000, 20);
    await waitFor('the log line', async () => logs.some((l) => l.includes('its client went away')), 5_000, 20);
    const line = JSON.parse(logs.find((l) => l.includes('its client went away'))!) as Record<string, unknown>;
    expect(line).toMatchObject({ task: 'segments.count', where: 'statement cancelled' });
    // Not an internal error: the answer nobody waits for is dropped.
    expect(logs.filter((l) => /"level":50/.test(l))).toEqual([]);
    release();
    await lock;
    // The next count is answered.
    const next = await evaluate(ordersRule);
    expect(next.status, await next.clone().text()).toBe(200);
    expect(((await next.json()) as { count: number }).count).toBe(0);
  });
});
