import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { enqueue } from '../../src/jobs/queue.js';
import { openDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { recomputeAllStats } from '../../src/modules/customers/stats.js';
import { writeTaobaoExport } from '../../src/modules/demo/taobao-export.js';
import { importFile } from '../../src/modules/imports/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import type { Db } from '../../src/db/connect.js';
import { describeBothDatabases, freshDatabaseUrl, scratchDir } from '../helpers.js';
import { exited, spawnTs, waitFor } from '../support/processes.js';

const ROWS = 20_000;
let file = '';
beforeAll(async () => {
  file = join(scratchDir('huike-crash-'), 'taobao-20k.csv');
  await writeTaobaoExport(file, ROWS);
});

async function totals(db: Db, workspaceId: string) {
  const k = db.kysely;
  const n = async (t: 'orders' | 'customers' | 'customer_identities') =>
    Number(
      (
        await k
          .selectFrom(t)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', workspaceId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const s = await k
    .selectFrom('customer_stats')
    .select((eb) => [
      eb.fn.sum<number>('total_spent_fen').as('spent'),
      eb.fn.sum<number>('paid_orders').as('paid'),
      eb.fn.countAll<number>().as('rows'),
    ])
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  return {
    orders: await n('orders'),
    customers: await n('customers'),
    identities: await n('customer_identities'),
    spent: Number(s.spent),
    paid: Number(s.paid),
    statsRows: Number(s.rows),
  };
}

describeBothDatabases('crash safety', (env) => {
  it('kill -9 in the middle of an import, then re-running, ends with exactly the right counts', async () => {
    const { db, workspaceId, url, ctx } = env();
    // Reference: the same file imported once, undisturbed, into another database.
    const ref = await freshDatabaseUrl(db.dialect);
    const refDb = openDatabase(ref.url);
    let expected;
    try {
      await migrateToLatest(refDb);
      const refCtx = { db: refDb, now: () => ctx.now() };
      const ws = await createWorkspace(refCtx, 'ref');
      const store = await ensureStore(refCtx, ws.id, '旗舰店', 'tmall');
      await importFile(refCtx, { workspaceId: ws.id, store, format: 'taobao', filePath: file });
      expected = await totals(refDb, ws.id);
    } finally {
      await refDb.close();
      await ref.drop();
    }
    expect(expected.orders).toBeGreaterThanOrEqual(ROWS);

    // Follow-ups (RFM, tiers, points) are not what this test is about: they would only add minutes.
    const cli = [
      'src/cli/index.ts',
      'import',
      file,
      '--store',
      '旗舰店',
      '--format',
      'taobao',
      '--no-progress',
      '--no-followups',
    ];
    const first = spawnTs(cli[0]!, cli.slice(1), { DATABASE_URL: url });
    await waitFor('two batches committed', async () => {
      const r = await db.kysely
        .selectFrom('import_runs')
        .select('rows_read')
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirst();
      return r && r.rows_read >= 4000;
    });
    first.kill('SIGKILL');
    await exited(first);
    const partial = await totals(db, workspaceId);
    expect(partial.orders).toBeGreaterThan(0);
    expect(partial.orders).toBeLessThan(expected.orders);

    const second = spawnTs(cli[0]!, cli.slice(1), { DATABASE_URL: url });
    expect(await exited(second), second.output()).toBe(0);
    const after = await totals(db, workspaceId);
    expect(after).toEqual(expected);
    // And the stats kept along the way equal a fresh recompute.
    const before = await db.kysely
      .selectFrom('customer_stats')
      .select(['customer_id', 'total_spent_fen', 'paid_orders', 'last_paid_at', 'province'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('customer_id')
      .execute();
    await recomputeAllStats(
      db,
      workspaceId,
      (
        await db.kysely
          .selectFrom('customer_stats')
          .select('as_of')
          .where('workspace_id', '=', workspaceId)
          .orderBy('as_of', 'desc')
          .executeTakeFirstOrThrow()
      ).as_of,
    );
    const recomputed = await db.kysely
      .selectFrom('customer_stats')
      .select(['customer_id', 'total_spent_fen', 'paid_orders', 'last_paid_at', 'province'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('customer_id')
      .execute();
    expect(recomputed).toEqual(before);
    // Three imports of 20k rows: half a minute on PostgreSQL with two cores while the other suites run.
  }, 240_000);

  it('a worker killed mid-job: another worker takes the job over and it completes once', async () => {
    const { db, workspaceId, url } = env();
    await sql`CREATE TABLE test_effects (job_id text PRIMARY KEY)`.execute(db.kysely);
    await sql`CREATE TABLE test_attempts (job_id text, worker text)`.execute(db.kysely);
    const jobId = await enqueue(db.kysely, { workspaceId, kind: 'test.slow', payload: { sleepMs: 2500 } });
    const a = spawnTs('test/support/worker-child.ts', [url, '1500'], {});
    await waitFor('worker A to start the job', async () => {
      const r = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM test_attempts`.execute(db.kysely);
      return Number(r.rows[0]!.n) === 1;
    });
    a.kill('SIGKILL');
    await exited(a);
    const mid = await db.kysely.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    expect(mid.status).toBe('running');
    const b = spawnTs('test/support/worker-child.ts', [url, '1500'], {});
    try {
      const done = await waitFor('the job to be done', async () => {
        const j = await db.kysely.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
        return j.status === 'done' ? j : null;
      });
      expect(done.attempts).toBe(2);
      const effects = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM test_effects`.execute(db.kysely);
      expect(Number(effects.rows[0]!.n)).toBe(1);
      const attempts = await sql<{ worker: string }>`SELECT worker FROM test_attempts`.execute(db.kysely);
      expect(new Set(attempts.rows.map((r) => r.worker)).size).toBe(2);
    } finally {
      b.kill('SIGKILL');
      await exited(b);
    }
  });
});
