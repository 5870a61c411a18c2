import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { JOB } from '../../src/jobs/kinds.js';
import { claimJob, completeJob, enqueue } from '../../src/jobs/queue.js';
import { runAsJob } from '../../src/jobs/wait.js';
import { createWorker, startWorker, type Worker } from '../../src/jobs/worker.js';
import { createUser } from '../../src/modules/auth/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/**
 * The writes a button asks for — evaluate tiers, recompute RFM, sync points, sync coupons — take a minute and more on
 * a shop of a million customers (106 s, 62 s, 69 s measured), and ran on the server's event loop: every other request
 * waited. Where jobs run off the loop (`ctx.jobs`, set by `huike serve`), the request queues the job, waits for it
 * without holding the loop, and answers what the job reported; past the wait it answers 202 naming the job.
 */
describeBothDatabases('long writes a request asks for run as jobs', (env) => {
  let app: FastifyInstance;
  let cookie = '';
  let worker: Worker | undefined;
  let segmentId = '';
  let templateId = '';

  beforeAll(async () => {
    const e = env();
    const store = await ensureStore(e.ctx, e.workspaceId, '回客旗舰店', 'taobao');
    const orders = [
      ['amy', '2026-11-01', 128_000],
      ['amy', '2026-11-10', 64_000],
      ['bo', '2026-06-01', 9_900],
      ['cy', '2025-01-05', 30_000],
    ] as const;
    await e.db.kysely.transaction().execute((trx) =>
      ingestBatch(
        e.ctx,
        trx,
        { store, runId: null, consentSource: 'test' },
        orders.map(([nick, day, paidFen], i) =>
          orderRecord({
            externalId: `j${i}`,
            createdAt: `${day}T02:00:00.000Z`,
            paidFen,
            buyer: { nick, externalId: null, email: null, phone: null, name: null },
          }),
        ),
      ),
    );
    await createUser(e.ctx, e.workspaceId, { login: 'boss', password: 'secret-pass-9', role: 'owner' });
    app = await buildServer(e.ctx, { dataDir: scratchDir('huike-jobreq-') });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'boss', password: 'secret-pass-9' },
    });
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const segment = await call('POST', '/segments', {
      name: '大客户',
      rule: { field: 'total_spent', op: '>=', value: 20_000 },
    });
    segmentId = segment.json().id;
    const template = await call('POST', '/coupons/templates', {
      name: '满100减10',
      rules: { kind: 'spend_off', minFen: 10_000, offFen: 1_000 },
      validity: { days: 30 },
    });
    templateId = template.json().id;
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    env().ctx.jobs = undefined;
  });
  afterAll(async () => {
    await app?.close();
  });

  const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url: `/api/v1${url}`, payload, headers: { 'x-huike-client': 'test', cookie } });
  const jobsOf = (kind: string) =>
    env()
      .db.kysely.selectFrom('jobs')
      .selectAll()
      .where('workspace_id', '=', env().workspaceId)
      .where('kind', '=', kind)
      .orderBy('id', 'desc')
      .execute();

  // Each request as it is made (the segment and the coupon template exist by then), its job's kind and its answer.
  const requests: { req: () => { url: string; body?: object }; kind: string; code?: number }[] = [
    { req: () => ({ url: '/tiers/evaluate', body: { yearly: true } }), kind: JOB.tiers },
    { req: () => ({ url: '/rfm/recompute', body: { asOf: '2026-11-20' } }), kind: JOB.rfmRecompute },
    { req: () => ({ url: '/points/sync' }), kind: JOB.points },
    { req: () => ({ url: '/coupons/sync' }), kind: JOB.coupons },
    { req: () => ({ url: `/segments/${segmentId}/tag`, body: { tag: '大客户' } }), kind: JOB.segmentTag },
    { req: () => ({ url: `/segments/${segmentId}/untag`, body: { tag: '大客户' } }), kind: JOB.segmentTag },
    {
      req: () => ({ url: `/segments/${segmentId}/snapshot`, body: { purpose: '对账' } }),
      kind: JOB.segmentSnapshot,
      code: 201,
    },
    {
      req: () => ({ url: '/points/grant', body: { segmentId, points: 100, batch: 'b1', reason: '店庆' } }),
      kind: JOB.pointsGrant,
    },
    {
      req: () => ({ url: `/coupons/templates/${templateId}/issue-segment`, body: { segmentId, batch: 'b1' } }),
      kind: JOB.couponsIssueSegment,
    },
  ];

  it('with a worker off the loop, each answers what its job reported, and the job keeps it', async () => {
    const e = env();
    const w = startWorker(e.ctx, { handlers: jobHandlers, pollMs: 50 });
    worker = w;
    e.ctx.jobs = { waitMs: 60_000, wake: () => w.wake() };
    for (const r of requests) {
      const { url, body } = r.req();
      const before = (await jobsOf(r.kind)).length;
      const res = await call('POST', url, body);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(r.code ?? 200);
      const jobs = await jobsOf(r.kind);
      expect(jobs.length, `${url} queued one job`).toBe(before + 1);
      const job = jobs[0]!;
      expect(job.status).toBe('done');
      expect(job.max_attempts).toBe(1);
      expect(res.json(), url).toEqual(typeof job.result === 'string' ? JSON.parse(job.result) : job.result);
      const shown = await call('GET', `/jobs/${job.id}`);
      expect(shown.json()).toMatchObject({ id: job.id, kind: r.kind, status: 'done', result: res.json() });
    }
    // What each job did is what the request used to do in place: RFM scored the three buyers as of the date asked…
    const rfm = await call('POST', '/rfm/recompute', { asOf: '2026-11-20' });
    expect(rfm.json()).toEqual({ customers: 3, asOf: '2026-11-20T16:00:00.000Z' });
    // …the segment's job tagged its two customers of ≥ ¥200 (amy, cy) and untagged them…
    const tagged = await call('POST', `/segments/${segmentId}/tag`, { tag: '大客户' });
    expect(tagged.json()).toEqual({ tagged: 2 });
    expect((await call('POST', `/segments/${segmentId}/untag`, { tag: '大客户' })).json()).toEqual({ untagged: 2 });
    // …the grant and the coupons reached the same two, once per batch (the loop's run was the first)…
    const again = { segmentId, points: 100, batch: 'b1', reason: '店庆' };
    expect((await call('POST', '/points/grant', again)).json()).toEqual({ granted: 0, already: 2, erased: 0 });
    const issued = await call('POST', `/coupons/templates/${templateId}/issue-segment`, { segmentId, batch: 'b1' });
    expect(issued.json()).toEqual({ issued: 0, skipped: 2, erased: 0, stoppedAtStock: false });
    const coupons = await e.db.kysely
      .selectFrom('coupons')
      .select('customer_id')
      .where('workspace_id', '=', e.workspaceId)
      .where('template_id', '=', templateId)
      .execute();
    expect(coupons).toHaveLength(2);
    // …a tag, a segment or a template that does not exist is the request's 404, before any job…
    const jobsBefore = (await jobsOf(JOB.segmentTag)).length;
    expect((await call('POST', `/segments/${segmentId}/untag`, { tag: '没有这个标签' })).statusCode).toBe(404);
    expect((await call('POST', '/segments/01JNOTHINGHERE00000000000/tag', { tag: '大客户' })).statusCode).toBe(404);
    const nowhere = { segmentId: '01JNOTHINGHERE00000000000', points: 1, batch: 'x', reason: '无' };
    expect((await call('POST', '/points/grant', nowhere)).statusCode).toBe(404);
    const noTemplate = await call('POST', '/coupons/templates/01JNOTHINGHERE00000000000/issue-segment', {
      segmentId,
      batch: 'x',
    });
    expect(noTemplate.statusCode).toBe(404);
    expect((await jobsOf(JOB.segmentTag)).length).toBe(jobsBefore);
    // …and a second points sync finds nothing left to earn (the first one's job earned it).
    const points = await call('POST', '/points/sync');
    expect(points.json()).toMatchObject({ earned: 0, reversed: 0 });
    const earned = await e.db.kysely
      .selectFrom('points_entries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', e.workspaceId)
      .executeTakeFirstOrThrow();
    expect(Number(earned.n)).toBeGreaterThan(0);
  });

  it('without jobs off the loop (tests, an in-memory database) the request does the work itself', async () => {
    for (const r of requests) {
      const { url, body } = r.req();
      const before = (await jobsOf(r.kind)).length;
      const res = await call('POST', url, body);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(r.code ?? 200);
      expect((await jobsOf(r.kind)).length, `${url} queued no job`).toBe(before);
    }
  });

  it('past the wait it answers 202 naming the job; a worker runs it, then GET /jobs/{id} has its result', async () => {
    const e = env();
    e.ctx.jobs = { waitMs: 150 }; // no worker: `serve --no-worker` with no `huike worker` running
    const res = await call('POST', '/tiers/evaluate', { yearly: false });
    expect(res.statusCode, res.body).toBe(202);
    const queued = res.json() as { jobId: string; kind: string; status: string };
    expect(queued).toEqual({ jobId: expect.any(String), kind: JOB.tiers, status: 'queued' });
    expect((await call('GET', `/jobs/${queued.jobId}`)).json()).toMatchObject({ status: 'queued', result: null });
    await createWorker(e.ctx, { handlers: jobHandlers }).drain();
    const done = (await call('GET', `/jobs/${queued.jobId}`)).json();
    expect(done).toMatchObject({ status: 'done', result: { joined: expect.any(Number), upgraded: 0, yearly: null } });
    expect((await call('GET', '/jobs/01JNOTHINGHERE00000000000')).statusCode).toBe(404);
  });

  it("a request's job is claimed before the jobs queued already (an import's follow-ups)", async () => {
    const e = env();
    e.ctx.jobs = { waitMs: 0 };
    const backlog = [JOB.rfmRecompute, JOB.points, JOB.analyticsRebuild];
    for (const kind of backlog)
      await enqueue(e.db.kysely, { workspaceId: e.workspaceId, kind }, '2026-11-23T03:00:00.000Z');
    const res = await call('POST', '/tiers/evaluate', { yearly: false });
    expect(res.statusCode).toBe(202);
    const claimed: string[] = [];
    for (
      let job = await claimJob(e.db, 'w', e.ctx.now(), 60_000);
      job;
      job = await claimJob(e.db, 'w', e.ctx.now(), 60_000)
    ) {
      claimed.push(job.kind);
      await completeJob(e.db.kysely, job, 'w', e.ctx.now().toISOString());
    }
    expect(claimed).toEqual([JOB.tiers, ...backlog]);
  });

  it("a job that fails is the request's failure, not a retry minutes later", async () => {
    const e = env();
    const w = startWorker(e.ctx, { handlers: jobHandlers, pollMs: 50 });
    worker = w;
    e.ctx.jobs = { waitMs: 60_000, wake: () => w.wake() };
    // A segment gone between the route's check and the job (deleted meanwhile): the job fails, once.
    const input = { segmentId: 'seg-gone-meanwhile', purpose: null };
    await expect(runAsJob(e.ctx, e.workspaceId, JOB.segmentSnapshot, input)).rejects.toThrow(
      /failed: .*seg-gone-meanwhile/,
    );
    const [job] = (await jobsOf(JOB.segmentSnapshot)).filter((j) =>
      JSON.stringify(j.payload).includes('seg-gone-meanwhile'),
    );
    expect(job).toMatchObject({ status: 'failed', attempts: 1, max_attempts: 1 });
  });
});
