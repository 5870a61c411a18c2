import { expect, it } from 'vitest';
import { enqueue, backoffMs, getJob } from '../../src/jobs/queue.js';
import { nextRun, runDueSchedules, upsertSchedule } from '../../src/jobs/schedules.js';
import { createWorker, startWorker } from '../../src/jobs/worker.js';
import { startJobThreads, startWorkerThread } from '../../src/jobs/worker-thread.js';
import { describeBothDatabases } from '../helpers.js';
import { waitFor } from '../support/processes.js';

describeBothDatabases('jobs', (env) => {
  it('a job enqueued in a transaction that rolls back never exists', async () => {
    const { db, workspaceId } = env();
    await expect(
      db.kysely.transaction().execute(async (trx) => {
        await enqueue(trx, { workspaceId, kind: 'never', payload: {} });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const n = await db.kysely.selectFrom('jobs').select('id').where('kind', '=', 'never').execute();
    expect(n).toHaveLength(0);
  });

  it('a failing job is retried with backoff, then kept as failed with its error', async () => {
    const { ctx, db, workspaceId, setNow } = env();
    setNow('2026-11-23T04:00:00.000Z');
    const id = await enqueue(db.kysely, { workspaceId, kind: 'flaky', maxAttempts: 3 }, ctx.now().toISOString());
    let calls = 0;
    const worker = createWorker(ctx, {
      handlers: {
        flaky: async () => {
          calls += 1;
          throw new Error(`boom ${calls}`);
        },
      },
    });
    expect(await worker.drain()).toBe(1);
    let job = await db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect([job.status, job.attempts, job.last_error]).toEqual(['queued', 1, 'Error: boom 1']);
    expect(Date.parse(job.run_at) - Date.parse('2026-11-23T04:00:00.000Z')).toBe(backoffMs(1));
    expect(await worker.drain()).toBe(0); // not due yet
    setNow(new Date(Date.parse(job.run_at) + 1).toISOString());
    await worker.drain();
    job = await db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    setNow(new Date(Date.parse(job.run_at) + 1).toISOString());
    await worker.drain();
    job = await db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect([job.status, job.attempts, job.last_error, calls]).toEqual(['failed', 3, 'Error: boom 3', 3]);
    expect(job.finished_at).not.toBeNull();
  });

  it('an unknown job kind fails with a clear error instead of looping', async () => {
    const { ctx, db, workspaceId } = env();
    const id = await enqueue(db.kysely, { workspaceId, kind: 'mystery', maxAttempts: 1 }, ctx.now().toISOString());
    await createWorker(ctx, { handlers: {} }).drain();
    const job = await db.kysely.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(job.status).toBe('failed');
    expect(job.last_error).toMatch(/no handler for job kind "mystery"/);
  });

  it('two workers draining together run each job exactly once', async () => {
    const { ctx, db, workspaceId } = env();
    const ids = [];
    for (let i = 0; i < 30; i++)
      ids.push(await enqueue(db.kysely, { workspaceId, kind: 'count', payload: { i } }, ctx.now().toISOString()));
    const seen: number[] = [];
    const handlers = {
      count: async (_c: unknown, _j: unknown, h: { payload: unknown }) => {
        await new Promise((r) => setTimeout(r, 2));
        seen.push((h.payload as { i: number }).i);
      },
    };
    const a = createWorker(ctx, { handlers });
    const b = createWorker(ctx, { handlers });
    await Promise.all([a.drain(), b.drain()]);
    expect(seen.sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const done = await db.kysely.selectFrom('jobs').select('status').where('id', 'in', ids).execute();
    expect(done.every((j) => j.status === 'done')).toBe(true);
  });

  it('cron schedules run in the workspace time zone and are enqueued once per run', async () => {
    const { ctx, db, workspaceId, setNow } = env();
    // 03:00 in Shanghai is 19:00 UTC the day before.
    expect(nextRun('0 3 * * *', 'Asia/Shanghai', new Date('2026-11-23T04:00:00Z'))).toBe('2026-11-23T19:00:00.000Z');
    expect(() => nextRun('61 * * * *', 'Asia/Shanghai', new Date())).toThrow(/not a valid cron expression/);
    setNow('2026-11-23T04:00:00.000Z');
    await upsertSchedule(ctx, workspaceId, {
      name: 'hourly-test',
      cron: '0 * * * *',
      timezone: 'Asia/Shanghai',
      jobKind: 'tick',
      payload: { a: 1 },
    });
    expect(await runDueSchedules(ctx)).toBe(0);
    setNow('2026-11-23T05:00:30.000Z');
    // Two schedulers see the same due schedule: only one enqueues.
    const counts = await Promise.all([runDueSchedules(ctx), runDueSchedules(ctx)]);
    expect(counts.reduce((s, n) => s + n, 0)).toBe(1);
    const jobs = await db.kysely.selectFrom('jobs').selectAll().where('kind', '=', 'tick').execute();
    expect(jobs).toHaveLength(1);
    const s = await db.kysely
      .selectFrom('schedules')
      .selectAll()
      .where('name', '=', 'hourly-test')
      .executeTakeFirstOrThrow();
    expect(s.next_run_at).toBe('2026-11-23T06:00:00.000Z');
    // The default nightly recompute exists for every workspace.
    const nightly = await db.kysely
      .selectFrom('schedules')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', 'nightly-stats')
      .executeTakeFirstOrThrow();
    expect(nightly.job_kind).toBe('stats.recompute');
  });
});

describeBothDatabases('the lane of the jobs a request waits for', (env) => {
  it('such a job starts beside a long job; another job waits for the long one', async () => {
    const { ctx, db, workspaceId } = env();
    const at = ctx.now().toISOString();
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    let longStarted = false;
    const handlers = {
      'test.long': async () => {
        longStarted = true;
        await held;
      },
      'test.request': async () => ({ answered: true }),
      'test.other': async () => {},
    };
    const longId = await enqueue(db.kysely, { workspaceId, kind: 'test.long' }, at);
    const worker = startWorker(ctx, { handlers, pollMs: 20 });
    try {
      await waitFor('the long job to start', async () => longStarted);
      const otherId = await enqueue(db.kysely, { workspaceId, kind: 'test.other' }, at);
      const requestId = await enqueue(db.kysely, { workspaceId, kind: 'test.request', priority: 0 }, at);
      worker.wake();
      // Should the request's job wait for the long one, the long one is let go after 3 s, so the test ends.
      let released = false;
      const letGo = setTimeout(() => {
        released = true;
        release();
      }, 3_000);
      const answered = await waitFor('the request job', async () => {
        const j = await getJob(db.kysely, workspaceId, requestId);
        return j?.status === 'done' && j;
      });
      const meanwhile = { released, other: (await getJob(db.kysely, workspaceId, otherId))?.status };
      clearTimeout(letGo);
      release();
      expect(meanwhile).toEqual({ released: false, other: 'queued' });
      expect(answered.result).toEqual({ answered: true });
      await waitFor('the other job', async () => (await getJob(db.kysely, workspaceId, otherId))?.status === 'done');
      expect((await getJob(db.kysely, workspaceId, longId))?.status).toBe('done');
    } finally {
      release();
      await worker.stop();
    }
  });
});

describeBothDatabases("the server's job threads", (env) => {
  it('the thread of the jobs a request waits for runs only those; the other thread runs the rest', async () => {
    const { db, workspaceId, url } = env();
    const now = new Date().toISOString(); // the threads run on the clock
    const other = await enqueue(db.kysely, { workspaceId, kind: 'coupons.sync' }, now);
    const asked = await enqueue(db.kysely, { workspaceId, kind: 'coupons.sync', priority: 0 }, now);
    const status = async (id: string) => (await getJob(db.kysely, workspaceId, id))?.status;
    const requests = startWorkerThread(url, { lanes: 'requests', pollMs: 20, log: () => {} });
    try {
      await waitFor('the job a request waits for', async () => (await status(asked)) === 'done');
      await new Promise((r) => setTimeout(r, 300)); // polls of that thread meanwhile
      expect(await status(other)).toBe('queued');
    } finally {
      await requests.stop();
    }
    const both = startJobThreads(url, { pollMs: 20, log: () => {} });
    try {
      await waitFor('the other job', async () => (await status(other)) === 'done');
    } finally {
      await both.stop();
    }
  });
});
