import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { startWorker, type Worker } from '../../src/jobs/worker.js';
import { createUser } from '../../src/modules/auth/service.js';
import type { AppContext } from '../../src/modules/context.js';
import { recomputeAllStats } from '../../src/modules/customers/stats.js';
import { countPendingStats } from '../../src/modules/customers/stats-pending.js';
import { writeTaobaoExport } from '../../src/modules/demo/taobao-export.js';
import { detectInterrupted, getRun, importFile, newRun } from '../../src/modules/imports/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, fixture, freshDatabaseUrl, scratchDir } from '../helpers.js';
import { exited, spawnTs, waitFor } from '../support/processes.js';
import { listenLocal, loginCookie } from '../support/http.js';
import { statsAndFacts } from '../support/derived.js';

const ROWS = 20_000;
let bigFile = '';
beforeAll(async () => {
  bigFile = join(scratchDir('huike-resume-'), 'taobao-20k.csv');
  await writeTaobaoExport(bigFile, ROWS);
});

const COUNTERS = [
  'rows_read',
  'orders_created',
  'orders_updated',
  'orders_unchanged',
  'items_written',
  'customers_created',
  'rows_rejected',
  'orders_rejected',
] as const;

async function count(db: Db, table: 'customers' | 'customer_stats', ws: string): Promise<number> {
  const r = await db.kysely
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The workspace's stats and order facts are those the one-pass recompute writes (on the machine's clock). */
async function expectStatsAsRecomputed(ctx: AppContext, ws: string): Promise<void> {
  const read = () => statsAndFacts(ctx.db, ws);
  const kept = await read();
  await recomputeAllStats(ctx.db, ws, new Date().toISOString());
  expect(kept).toEqual(await read());
}

describeBothDatabases('interrupted imports', (env) => {
  it('a CLI import killed mid-way shows as interrupted, ' +
    'and --resume finishes it with the whole run’s totals', async () => {
    const { db, workspaceId, url, ctx } = env();
    // Reference: the same file imported once, undisturbed, into another database.
    const ref = await freshDatabaseUrl(db.dialect);
    const refDb = openDatabase(ref.url);
    let expected: Record<string, number>;
    try {
      await migrateToLatest(refDb);
      const refCtx = { db: refDb, now: () => ctx.now() };
      const ws = await createWorkspace(refCtx, 'ref');
      const store = await ensureStore(refCtx, ws.id, '旗舰店', 'tmall');
      const r = await importFile(refCtx, { workspaceId: ws.id, store, format: 'taobao', filePath: bigFile });
      expected = Object.fromEntries(COUNTERS.map((c) => [c, r[c]]));
    } finally {
      await refDb.close();
      await ref.drop();
    }

    const cli = ['import', bigFile, '--store', '旗舰店', '--format', 'taobao', '--no-progress', '--no-followups'];
    const first = spawnTs('src/cli/index.ts', cli, { DATABASE_URL: url });
    const started = await waitFor(
      'two batches committed',
      async () => {
        const r = await db.kysely
          .selectFrom('import_runs')
          .selectAll()
          .where('workspace_id', '=', workspaceId)
          .executeTakeFirst();
        return r && r.rows_committed >= 4000 ? r : null;
      },
      120_000,
    );
    first.kill('SIGKILL');
    await exited(first);

    // The process is gone: the run is marked interrupted (not "running" for ever).
    await detectInterrupted(ctx, workspaceId);
    const stuck = await getRun(ctx, workspaceId, started.id);
    expect(stuck.status).toBe('interrupted');
    expect(stuck.customers_created).toBeGreaterThan(0);
    expect(stuck.customers_created).toBeLessThan(expected.customers_created!);

    // Its batches marked their buyers for the refresh the run's end would have done (new buyers have no stats
    // yet), and a job to do it instead is queued: the worker brings them to the one-pass recompute's figures.
    expect(await countPendingStats(db.kysely, workspaceId)).toBeGreaterThan(0);
    expect(await count(db, 'customer_stats', workspaceId)).toBeLessThan(await count(db, 'customers', workspaceId));
    // (On the machine's clock, as the CLI: the 12-month figures depend on the time.)
    const worker = startWorker({ ...ctx, now: () => new Date() }, { handlers: jobHandlers, pollMs: 20 });
    try {
      await waitFor('the queued refresh', async () =>
        (await countPendingStats(db.kysely, workspaceId)) === 0 ? true : null,
      );
    } finally {
      await worker.stop();
    }
    expect(await count(db, 'customer_stats', workspaceId)).toBe(await count(db, 'customers', workspaceId));
    await expectStatsAsRecomputed(ctx, workspaceId);

    const second = spawnTs('src/cli/index.ts', ['import', '--resume', started.id, '--no-progress', '--no-followups'], {
      DATABASE_URL: url,
    });
    expect(await exited(second), second.output()).toBe(0);
    expect(second.output()).toMatch(/resumed after an interruption at row \d+/);
    const done = await getRun(ctx, workspaceId, started.id);
    expect(done.status).toBe('done');
    // The counters are those of the whole file, as if nothing had happened.
    expect(Object.fromEntries(COUNTERS.map((c) => [c, done[c]]))).toEqual(expected);
    const orders = await db.kysely
      .selectFrom('orders')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    expect(Number(orders.n)).toBe(expected.orders_created);
    // Every buyer refreshed once at the end, to the recompute's figures.
    expect(await countPendingStats(db.kysely, workspaceId)).toBe(0);
    expect(await count(db, 'customer_stats', workspaceId)).toBe(expected.customers_created);
    await expectStatsAsRecomputed(ctx, workspaceId);

    // A finished run cannot be resumed again.
    const again = spawnTs('src/cli/index.ts', ['import', '--resume', started.id], { DATABASE_URL: url });
    expect(await exited(again)).toBe(1);
    expect(again.output()).toMatch(/is done: only an interrupted import can be resumed/);
  }, 300_000);
});

describeBothDatabases('resuming an import through the API', (env) => {
  let app: FastifyInstance;
  let base = '';
  let worker: Worker;
  let cookie = '';
  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    await createUser(ctx, workspaceId, { login: 'boss', password: 'secret-pass-1', role: 'owner' });
    app = await buildServer(ctx, { dataDir: scratchDir('huike-resume-api-') });
    base = await listenLocal(app);
    cookie = await loginCookie(base, 'boss', 'secret-pass-1');
  });
  afterAll(async () => {
    await worker?.stop();
    await app?.close();
  });
  const call = async (path: string, method = 'GET') => {
    const res = await fetch(base + path, { method, headers: { 'x-huike-client': 'test', cookie } });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('an interrupted run is listed as such and POST /imports/{id}/resume completes it', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '回客旗舰店', 'taobao');
    const file = join(scratchDir('huike-resume-file-'), 'orders.csv');
    copyFileSync(fixture('taobao-orders-gbk.csv'), file);
    // A run whose process (on another machine) stopped sending heartbeats two minutes ago.
    const run = newRun(ctx, { workspaceId, store, format: 'taobao', filePath: file }, 'running');
    const twoMinutesAgo = new Date(ctx.now().getTime() - 120_000).toISOString();
    await ctx.db.kysely
      .insertInto('import_runs')
      .values({ ...run, owner: 'elsewhere:4242', heartbeat_at: twoMinutesAgo })
      .execute();

    const list = await call('/api/v1/imports');
    expect(list.body.items.find((r: { id: string }) => r.id === run.id).status).toBe('interrupted');
    expect((await getRun(ctx, workspaceId, run.id)).status).toBe('interrupted');

    const resumed = await call(`/api/v1/imports/${run.id}/resume`, 'POST');
    expect(resumed.status, JSON.stringify(resumed.body)).toBe(202);
    expect(resumed.body.status).toBe('queued');
    worker = startWorker(ctx, { handlers: jobHandlers, pollMs: 50 });
    const done = await waitFor('the resumed import to finish', async () => {
      const r = await call(`/api/v1/imports/${run.id}`);
      return r.body.status === 'done' ? r.body : null;
    });
    expect(done).toMatchObject({ ordersCreated: 12, customersCreated: 7, rowsRejected: 5, ordersRejected: 5 });
    const twice = await call(`/api/v1/imports/${run.id}/resume`, 'POST');
    expect(twice.status).toBe(409);
    expect(twice.body.error.message).toMatch(/only an interrupted import can be resumed/);
  });
});
