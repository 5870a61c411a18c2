import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/modules/auth/service.js';
import { createWorkspaceWithOwner } from '../../src/modules/workspaces/members.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { rebuildAnalytics } from '../../src/modules/analytics/rebuild.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { orderRecord } from '../support/records.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';

describeBothDatabases('several shops for one login', (env) => {
  let app: FastifyInstance;
  let second = '';
  let third = '';

  const call = async (method: string, url: string, cookie: string, payload?: object) =>
    app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: {
        'x-huike-client': 'test',
        ...(cookie.startsWith('t.') ? { authorization: `Bearer ${cookie}` } : { cookie }),
      },
      ...(payload ? { payload } : {}),
    });
  const signIn = async (login: string, password: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-huike-client': 'test' },
      payload: { login, password },
    });
    return { status: res.statusCode, cookie: String(res.headers['set-cookie']).split(';')[0]!, me: res.json() };
  };

  beforeAll(async () => {
    const e = env();
    await createUser(e.ctx, e.workspaceId, { login: 'agency', password: 'agency-password', role: 'owner' });
    await createUser(e.ctx, e.workspaceId, { login: 'clerk', password: 'clerk-password', role: 'agent' });
    await ensureStore(e.ctx, e.workspaceId, '第一家店', 'taobao');
    app = await buildServer(e.ctx, { dataDir: scratchDir('huike-ws-') });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('huike workspace create links an existing login as owner; a new login needs a password', async () => {
    const e = env();
    const r = await createWorkspaceWithOwner(e.ctx, '客户B店铺', 'agency');
    expect(r.linked).toBe(true);
    second = r.workspace.id;
    await expect(createWorkspaceWithOwner(e.ctx, '客户C店铺', 'newbie')).rejects.toThrow(/password/);
    const c = await createWorkspaceWithOwner(e.ctx, '客户C店铺', 'newbie', { password: 'newbie-password' });
    expect(c.linked).toBe(false);
    third = c.workspace.id;
    await expect(createWorkspaceWithOwner(e.ctx, '客户B店铺', 'agency')).rejects.toThrow(/already exists/);
  });

  it('lists my workspaces and switches between them; each session sees only its own shop', async () => {
    const e = env();
    const { cookie } = await signIn('agency', 'agency-password');
    const mine = (await call('GET', '/workspaces', cookie)).json().items;
    expect(mine.map((w: { id: string; role: string; current: boolean }) => [w.id, w.role, w.current])).toEqual([
      [e.workspaceId, 'owner', true],
      [second, 'owner', false],
    ]);
    expect((await call('GET', '/stores', cookie)).json().items.map((s: { name: string }) => s.name)).toEqual([
      '第一家店',
    ]);
    const sw = await call('POST', '/auth/switch-workspace', cookie, { workspaceId: second });
    expect(sw.statusCode).toBe(200);
    expect(sw.json().workspace).toMatchObject({ id: second, name: '客户B店铺' });
    const next = String(sw.headers['set-cookie']).split(';')[0]!;
    expect((await call('GET', '/auth/me', next)).json().workspace.id).toBe(second);
    expect((await call('GET', '/stores', next)).json().items).toEqual([]);
    // The session it replaced is over.
    expect((await call('GET', '/auth/me', cookie)).statusCode).toBe(401);
    // A workspace I do not belong to is not found, like any other workspace's data.
    expect((await call('POST', '/auth/switch-workspace', next, { workspaceId: third })).statusCode).toBe(404);
  });

  it('someone in one workspace has no switcher entries and cannot switch; a token cannot switch', async () => {
    const e = env();
    const { cookie } = await signIn('clerk', 'clerk-password');
    expect((await call('GET', '/workspaces', cookie)).json().items).toHaveLength(1);
    expect((await call('POST', '/auth/switch-workspace', cookie, { workspaceId: second })).statusCode).toBe(404);
    const owner = await signIn('agency', 'agency-password');
    const t = (await call('POST', '/auth/tokens', owner.cookie, { name: 'script' })).json().token;
    expect((await call('POST', '/auth/switch-workspace', t, { workspaceId: second })).statusCode).toBe(403);
    expect(e.workspaceId).toBeTruthy();
  });

  it('a password change holds in every workspace of the login and ends all their sessions', async () => {
    const first = await signIn('agency', 'agency-password');
    const sw = await call('POST', '/auth/switch-workspace', first.cookie, { workspaceId: second });
    const inSecond = String(sw.headers['set-cookie']).split(';')[0]!;
    const other = await signIn('agency', 'agency-password');
    const r = await call('POST', '/auth/password', other.cookie, {
      currentPassword: 'agency-password',
      newPassword: 'agency-password-2',
    });
    expect(r.statusCode).toBe(204);
    expect((await call('GET', '/auth/me', inSecond)).statusCode).toBe(401);
    expect((await signIn('agency', 'agency-password')).status).toBe(401);
    const again = await signIn('agency', 'agency-password-2');
    expect(again.status).toBe(200);
    const sw2 = await call('POST', '/auth/switch-workspace', again.cookie, { workspaceId: second });
    expect(sw2.statusCode).toBe(200);
  });

  it('an owner moves the workspace to another time zone: nightly runs follow, figures are rebuilt', async () => {
    const e = env();
    const k = e.db.kysely;
    await createUser(e.ctx, e.workspaceId, { login: 'boss', password: 'boss-password', role: 'owner' });
    await createUser(e.ctx, e.workspaceId, { login: 'seller', password: 'seller-password', role: 'marketer' });
    // Paid at 20:00 UTC on 11-20: 11-21 in Shanghai, 11-20 in London.
    const store = await ensureStore(e.ctx, e.workspaceId, '第一家店', 'taobao');
    await k.transaction().execute(async (trx) => {
      const rec = orderRecord({ externalId: 'TZ1', createdAt: '2026-11-20T20:00:00.000Z', paidFen: 5000 });
      rec.buyer.nick = 'tz-buyer';
      await ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [rec]);
    });
    await rebuildAnalytics(e.ctx, e.workspaceId);
    const days = async () =>
      (await k.selectFrom('analytics_buyer_days').select('day').where('workspace_id', '=', e.workspaceId).execute())
        .map((r) => r.day)
        .sort();
    expect(await days()).toEqual(['2026-11-21']);
    const jobs = async () =>
      (
        await k
          .selectFrom('jobs')
          .select('kind')
          .where('workspace_id', '=', e.workspaceId)
          .where('dedupe_key', 'like', 'timezone:%')
          .execute()
      )
        .map((j) => j.kind)
        .sort();

    const marketer = await signIn('seller', 'seller-password');
    expect((await call('PUT', '/workspace/timezone', marketer.cookie, { timezone: 'Europe/London' })).statusCode).toBe(
      403,
    );
    const { cookie } = await signIn('boss', 'boss-password');
    const bad = await call('PUT', '/workspace/timezone', cookie, { timezone: 'Mars/Olympus' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('timezone');
    expect(await jobs()).toEqual([]);

    const r = await call('PUT', '/workspace/timezone', cookie, { timezone: 'Europe/London' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ timezone: 'Europe/London', previous: 'Asia/Shanghai' });
    expect(r.json().rebuilding).toEqual(['analytics', 'rfm', 'predict']);
    expect((await call('GET', '/auth/me', cookie)).json().workspace.timezone).toBe('Europe/London');
    // The nightly runs now fire at 03:00 London time (now is 2026-11-23T04:00Z: the next is tomorrow 03:00Z).
    const nightly = await k
      .selectFrom('schedules')
      .select(['timezone', 'next_run_at'])
      .where('workspace_id', '=', e.workspaceId)
      .where('name', '=', 'nightly-stats')
      .executeTakeFirstOrThrow();
    expect(nightly.timezone).toBe('Europe/London');
    expect(new Date(nightly.next_run_at).toISOString()).toBe('2026-11-24T03:00:00.000Z');
    expect(r.json().schedules).toBeGreaterThanOrEqual(5);
    expect(await jobs()).toEqual(['analytics.rebuild', 'predict.fit', 'rfm.recompute']);
    // The rebuild the change queued counts the order on its London day; another workspace keeps its zone.
    await rebuildAnalytics(e.ctx, e.workspaceId);
    expect(await days()).toEqual(['2026-11-20']);
    const other = await k.selectFrom('workspaces').select('timezone').where('id', '=', second).executeTakeFirst();
    expect(other?.timezone).toBe('Asia/Shanghai');
    // Saving the same zone again changes and queues nothing.
    const same = await call('PUT', '/workspace/timezone', cookie, { timezone: 'Europe/London' });
    expect(same.json()).toMatchObject({ rebuilding: [], schedules: 0 });
    expect(await jobs()).toHaveLength(3);
    await call('PUT', '/workspace/timezone', cookie, { timezone: 'Asia/Shanghai' });
  });
});
