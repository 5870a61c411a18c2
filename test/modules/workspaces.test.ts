import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/modules/auth/service.js';
import { createWorkspaceWithOwner } from '../../src/modules/workspaces/members.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases } from '../helpers.js';

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
    app = await buildServer(e.ctx, { dataDir: mkdtempSync(join(tmpdir(), 'huike-ws-')) });
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
});
