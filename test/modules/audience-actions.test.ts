import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { runAction } from '../../src/modules/audiences/service.js';
import { createUser } from '../../src/modules/auth/service.js';
import { loadDemo } from '../../src/modules/demo/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';

describeBothDatabases('bulk actions on a segment: tag all, issue a coupon, grant points', (env) => {
  let app: FastifyInstance;
  const cookies: Record<string, string> = {};
  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    await loadDemo(ctx, workspaceId, { customers: 120, until: new Date('2026-11-22T00:00:00Z') });
    // The demo's background jobs (points history, model fit) are not these tests' business: the jobs they
    // drain are the actions' alone.
    await ctx.db.kysely.deleteFrom('jobs').where('workspace_id', '=', workspaceId).execute();
    // Audiences above 20 customers go to the worker, so a small shop shows both paths.
    ctx.bulkInlineLimit = 20;
    for (const role of ['owner', 'analyst', 'marketer'] as const)
      await createUser(ctx, workspaceId, { login: role, password: 'secret-pass-1', role });
    app = await buildServer(ctx, { dataDir: scratchDir('huike-bulk-') });
    for (const role of ['owner', 'analyst', 'marketer']) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: role, password: 'secret-pass-1' },
      });
      cookies[role] = String(r.headers['set-cookie']).split(';')[0]!;
    }
  });
  afterAll(async () => app?.close());

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, as = 'owner') => {
    const r = await app.inject({
      method,
      url: `/api/v1${url}`,
      payload: payload as object,
      headers: { 'x-huike-client': 'test', cookie: cookies[as]! },
    });
    return { status: r.statusCode, body: r.body ? r.json() : null };
  };
  const seg = (id: string) => encodeURIComponent(id);
  const countOf = async (id: string) => (await call('GET', `/segments/${seg(id)}`)).body.count as number;
  const coupons = async (templateId: string) =>
    Number(
      (
        await env()
          .db.kysely.selectFrom('coupons')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('workspace_id', '=', env().workspaceId)
          .where('template_id', '=', templateId)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('RFM classes and lifecycle stages are segments whose counts match the summary', async () => {
    const summary = (await call('GET', '/rfm/summary')).body;
    const cls = summary.rfmClass.find((c: { key: string; customers: number }) => c.key === '重要价值');
    expect(await countOf('sys:rfmclass:重要价值')).toBe(cls?.customers ?? 0);
    for (const l of summary.lifecycle as { key: string; customers: number }[])
      if (l.key) expect(await countOf(`sys:lifecycle:${l.key}`)).toBe(l.customers);
    expect((await call('GET', `/segments/${seg('sys:lifecycle:nobody')}`)).status).toBe(404);
  });

  it('tags a small audience in the request and every member carries the tag', async () => {
    const cell = (await call('GET', '/rfm/matrix')).body.cells.find(
      (c: { customers: number }) => c.customers > 0 && c.customers <= 20,
    );
    const id = `sys:rfm:R${cell.r}F${cell.f}`;
    const r = await call('POST', `/segments/${seg(id)}/actions/tag`, { tag: '重点跟进' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'tag', status: 'done', audience: cell.customers, done: cell.customers });
    const tagged = await call('POST', '/segments/evaluate', {
      rule: { field: 'tags', op: 'has_any', value: ['重点跟进'] },
      limit: 0,
    });
    expect(tagged.body.count).toBe(cell.customers);
  });

  it('issues a coupon to a big audience as a job, once per customer, and a repeat is the same action', async () => {
    const template = (
      await call('POST', '/coupons/templates', {
        name: '回购券',
        rules: { kind: 'spend_off', minFen: 10000, offFen: 1000 },
        validity: { days: 30 },
      })
    ).body;
    const audience = await countOf('sys:buyers');
    expect(audience).toBeGreaterThan(20);
    const first = await call('POST', `/segments/${seg('sys:buyers')}/actions/coupon`, {
      templateId: template.id,
      batch: '双12 回购',
    });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ status: 'queued', audience, done: null });
    // Nothing issued by the request itself: the worker does it.
    expect(await coupons(template.id)).toBe(0);
    const listed = (await call('GET', `/segments/${seg('sys:buyers')}/actions`)).body.items;
    expect(listed[0]).toMatchObject({ id: first.body.id, status: 'queued' });
    expect(await createWorker(env().ctx, { handlers: jobHandlers }).drain()).toBe(1);
    const after = (await call('GET', `/segments/${seg('sys:buyers')}/actions`)).body.items[0];
    expect(after).toMatchObject({ id: first.body.id, status: 'done', done: audience, skipped: 0 });
    expect(await coupons(template.id)).toBe(audience);
    // The same batch again answers the first action; a job run twice issues nothing more.
    const again = await call('POST', `/segments/${seg('sys:buyers')}/actions/coupon`, {
      templateId: template.id,
      batch: '双12 回购',
    });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    await env()
      .db.kysely.updateTable('bulk_actions')
      .set({ status: 'running' })
      .where('id', '=', first.body.id)
      .execute();
    await runAction(env().ctx, env().workspaceId, first.body.id);
    expect(await coupons(template.id)).toBe(audience);
    const rerun = (await call('GET', `/segments/${seg('sys:buyers')}/actions`)).body.items[0];
    expect(rerun).toMatchObject({ status: 'done', done: 0, skipped: audience });
  });

  it("grants points under a batch named by the shop's local date, once per customer", async () => {
    // 17:30 UTC on 11-10 is already 11-11 in Shanghai.
    env().setNow('2026-11-10T17:30:00.000Z');
    try {
      const id = 'sys:lifecycle:new';
      const n = await countOf(id);
      const r = await call('POST', `/segments/${seg(id)}/actions/points`, { points: 50, reason: '双11 回馈' });
      expect(r.status).toBe(n > 20 ? 202 : 201);
      expect(r.body.params.batch).toBe('生命周期 新客 2026-11-11');
      await createWorker(env().ctx, { handlers: jobHandlers }).drain();
      const again = await call('POST', `/segments/${seg(id)}/actions/points`, {
        points: 50,
        reason: '双11 回馈',
        batch: '生命周期 新客 2026-11-11',
      });
      expect(again.status).toBe(200);
      const entries = await env()
        .db.kysely.selectFrom('points_entries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', env().workspaceId)
        .where('reason', '=', '双11 回馈')
        .executeTakeFirstOrThrow();
      expect(Number(entries.n)).toBe(n);
    } finally {
      env().setNow('2026-11-23T04:00:00.000Z');
    }
  });

  it('a coupon template is edited, paused and archived without losing what it issued', async () => {
    const made = await call('POST', '/coupons/templates', {
      name: '会员券',
      rules: { kind: 'cash', offFen: 500 },
      validity: { days: 7 },
      totalStock: 50,
    });
    const id = made.body.id as string;
    const cell = (await call('GET', '/rfm/matrix')).body.cells.find(
      (c: { customers: number }) => c.customers > 0 && c.customers <= 20,
    );
    const audience = seg(`sys:rfm:R${cell.r}F${cell.f}`);
    expect((await call('POST', `/coupons/templates/${id}/pause`)).body.paused).toBe(true);
    const refused = await call('POST', `/segments/${audience}/actions/coupon`, { templateId: id, batch: 'p1' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/paused/);
    expect((await call('POST', `/coupons/templates/${id}/resume`)).body.paused).toBe(false);
    const issued = await call('POST', `/segments/${audience}/actions/coupon`, { templateId: id, batch: 'p1' });
    expect(issued.body).toMatchObject({ status: 'done', done: cell.customers });
    // Coupons are out: the name, validity and stock change, the rules do not, the stock not below the issued.
    const edit = { name: '会员专享券', rules: { kind: 'cash', offFen: 500 }, validity: { days: 14 }, totalStock: 60 };
    expect((await call('PUT', `/coupons/templates/${id}`, edit)).body).toMatchObject({
      name: '会员专享券',
      totalStock: 60,
      issued: cell.customers,
    });
    const rules = await call('PUT', `/coupons/templates/${id}`, { ...edit, rules: { kind: 'cash', offFen: 900 } });
    expect(rules.status).toBe(409);
    const stock = await call('PUT', `/coupons/templates/${id}`, { ...edit, totalStock: 1 });
    expect(stock.status).toBe(400);
    expect((await call('DELETE', `/coupons/templates/${id}`)).status).toBe(204);
    expect((await call('GET', '/coupons/templates')).body.items.some((x: { id: string }) => x.id === id)).toBe(false);
    expect(await coupons(id)).toBe(cell.customers);
    const report = (await call('GET', '/coupons/report')).body.items.find((x: { id: string }) => x.id === id);
    expect(report).toMatchObject({ name: '会员专享券', issued: cell.customers });
    expect((await call('POST', `/coupons/templates/${id}/pause`)).status).toBe(404);
  });

  it('passes by the erased customers of a segment: no tag, coupon or points for them, and says how many', async () => {
    const cell = (await call('GET', '/rfm/matrix')).body.cells.find(
      (c: { customers: number }) => c.customers >= 3 && c.customers <= 20,
    );
    const id = seg(`sys:rfm:R${cell.r}F${cell.f}`);
    const members: string[] = (await call('GET', `/segments/${id}/customers?limit=50`)).body.items.map(
      (m: { id: string }) => m.id,
    );
    expect(members).toHaveLength(cell.customers);
    const gone = members.slice(0, 2);
    for (const c of gone) expect((await call('POST', `/customers/${c}/erase`, { confirm: c })).status).toBe(200);
    // Erased customers stay in the shop's figures, so in the segment.
    expect(await countOf(`sys:rfm:R${cell.r}F${cell.f}`)).toBe(cell.customers);
    const live = cell.customers - 2;
    const tag = await call('POST', `/segments/${id}/actions/tag`, { tag: '已删测试' });
    expect(tag.body).toMatchObject({ status: 'done', done: live, skipped: 0, erased: 2 });
    const template = (
      await call('POST', '/coupons/templates', {
        name: '删除测试券',
        rules: { kind: 'spend_off', minFen: 5000, offFen: 500 },
        validity: { days: 30 },
      })
    ).body;
    const coupon = await call('POST', `/segments/${id}/actions/coupon`, { templateId: template.id });
    expect(coupon.body).toMatchObject({ status: 'done', done: live, skipped: 0, erased: 2 });
    const points = await call('POST', `/segments/${id}/actions/points`, { points: 7, reason: '删除测试' });
    expect(points.body).toMatchObject({ status: 'done', done: live, skipped: 0, erased: 2 });
    const k = env().db.kysely;
    const ws = env().workspaceId;
    const tagged = await k
      .selectFrom('customer_tags as ct')
      .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'ct.workspace_id').onRef('t.id', '=', 'ct.tag_id'))
      .select('ct.customer_id')
      .where('ct.workspace_id', '=', ws)
      .where('t.name', '=', '已删测试')
      .execute();
    const issued = await k
      .selectFrom('coupons')
      .select('customer_id')
      .where('workspace_id', '=', ws)
      .where('template_id', '=', template.id)
      .execute();
    const granted = await k
      .selectFrom('points_entries')
      .select('customer_id')
      .where('workspace_id', '=', ws)
      .where('reason', '=', '删除测试')
      .execute();
    for (const rows of [tagged, issued, granted]) {
      const ids = rows.map((r) => r.customer_id).sort();
      expect(ids).toEqual(members.filter((m) => !gone.includes(m)).sort());
    }
  });

  it('each action needs the permission of its effect; a bad body names the field', async () => {
    const id = seg('sys:buyers');
    expect((await call('POST', `/segments/${id}/actions/points`, { points: 5, reason: 'x' }, 'analyst')).status).toBe(
      403,
    );
    expect((await call('POST', `/segments/${id}/actions/tag`, { tag: 'x' }, 'analyst')).status).toBe(403);
    expect((await call('GET', `/segments/${id}/actions`, undefined, 'analyst')).status).toBe(200);
    const bad = await call('POST', `/segments/${id}/actions/points`, { points: 0, reason: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/points/);
    expect((await call('POST', `/segments/nope/actions/tag`, { tag: 'x' })).status).toBe(404);
  });
});
