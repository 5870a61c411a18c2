import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildServer } from '../../src/server.js';
import { createApiToken, createUser, setPassword } from '../../src/modules/auth/service.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { listenLocal } from '../support/http.js';

interface Answer {
  status: number;
  body: any;
  cookie?: string;
}

describeBothDatabases('users and API tokens: disable, delete, role, revoke, expiry, scopes', (env) => {
  let app: FastifyInstance;
  let base = '';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    for (const [login, role] of [
      ['owner1', 'owner'],
      ['admin1', 'admin'],
      ['mkt1', 'marketer'],
      ['mkt2', 'marketer'],
      ['gone1', 'agent'],
    ] as const) {
      ids[login] = (await createUser(ctx, workspaceId, { login, password: `${login}-password`, role })).id;
    }
    app = await buildServer(ctx, { dataDir: scratchDir('huike-acc-') });
    base = await listenLocal(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const call = async (path: string, auth: string, init: { method?: string; body?: unknown } = {}): Promise<Answer> => {
    const headers: Record<string, string> = { 'x-huike-client': 'test' };
    if (auth.startsWith('t.')) headers.authorization = `Bearer ${auth}`;
    else if (auth) headers.cookie = auth;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(base + path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : null,
      cookie: res.headers.get('set-cookie')?.split(';')[0],
    };
  };
  const signIn = async (login: string, password = `${login}-password`) => {
    const r = await call('/api/v1/auth/login', '', { body: { login, password } });
    expect(r.status).toBe(200);
    return r.cookie!;
  };
  const token = async (cookie: string, body: object = { name: 'script' }) => {
    const r = await call('/api/v1/auth/tokens', cookie, { body });
    expect(r.status).toBe(201);
    return r.body.token as string;
  };

  it('a login is one whatever its case: Boss logs in as boss or BOSS, and BOSS cannot be added beside it', async () => {
    const { ctx, workspaceId } = env();
    await createUser(ctx, workspaceId, { login: 'Boss', password: 'boss-password', role: 'admin' });
    for (const typed of ['Boss', 'boss', 'BOSS']) {
      const r = await call('/api/v1/auth/login', '', { body: { login: typed, password: 'boss-password' } });
      expect(r.status, typed).toBe(200);
      expect(r.body.user.login).toBe('Boss');
    }
    expect((await call('/api/v1/auth/login', '', { body: { login: 'boss', password: 'wrong-password' } })).status).toBe(
      401,
    );
    const admin = await signIn('admin1');
    const again = await call('/api/v1/users', admin, {
      body: { login: 'BOSS', password: 'other-password', role: 'agent' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.reason).toMatchObject({ key: 'user.loginTaken' });
    // Two made before logins were one whatever the case: each logs in with their own password, and a password set by
    // login (the CLI) goes to the one spelled exactly so.
    const twin = async (login: string) => {
      const u = await createUser(ctx, workspaceId, {
        login: `${login}-tmp`,
        password: `${login}-password`,
        role: 'agent',
      });
      await ctx.db.kysely.updateTable('users').set({ login }).where('id', '=', u.id).execute();
      return u.id;
    };
    await twin('Twin');
    await twin('twin');
    expect((await call('/api/v1/auth/login', '', { body: { login: 'TWIN', password: 'Twin-password' } })).status).toBe(
      200,
    );
    expect((await call('/api/v1/auth/login', '', { body: { login: 'TWIN', password: 'twin-password' } })).status).toBe(
      200,
    );
    await setPassword(ctx, workspaceId, 'twin', 'twin-new-password');
    const who = await call('/api/v1/auth/login', '', { body: { login: 'Twin', password: 'twin-new-password' } });
    expect(who.status).toBe(200);
    expect(who.body.user.login).toBe('twin');
  });

  it('disabling a user ends their sessions and tokens at once; enabling lets them log in again', async () => {
    const admin = await signIn('admin1');
    const mkt = await signIn('mkt1');
    const tok = await token(mkt);
    expect((await call('/api/v1/auth/me', tok)).status).toBe(200);
    const off = await call(`/api/v1/users/${ids.mkt1}`, admin, { method: 'PATCH', body: { disabled: true } });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ login: 'mkt1', disabled: true });
    expect((await call('/api/v1/auth/me', mkt)).status).toBe(401);
    expect((await call('/api/v1/auth/me', tok)).status).toBe(401);
    expect((await call('/api/v1/auth/login', '', { body: { login: 'mkt1', password: 'mkt1-password' } })).status).toBe(
      401,
    );
    await call(`/api/v1/users/${ids.mkt1}`, admin, { method: 'PATCH', body: { disabled: false } });
    await signIn('mkt1');
    // The token stays revoked: re-enabling does not bring old credentials back.
    expect((await call('/api/v1/auth/me', tok)).status).toBe(401);
  });

  it('a password change ends every session and token; the changer keeps a fresh session', async () => {
    const { ctx, workspaceId } = env();
    const other = await signIn('mkt2');
    const here = await signIn('mkt2');
    const tok = await token(here);
    const wrong = await call('/api/v1/auth/password', here, {
      body: { currentPassword: 'nope-nope', newPassword: 'new-password-2' },
    });
    expect(wrong.status).toBe(400);
    const changed = await call('/api/v1/auth/password', here, {
      body: { currentPassword: 'mkt2-password', newPassword: 'new-password-2' },
    });
    expect(changed.status).toBe(204);
    expect((await call('/api/v1/auth/me', other)).status).toBe(401);
    expect((await call('/api/v1/auth/me', here)).status).toBe(401);
    expect((await call('/api/v1/auth/me', tok)).status).toBe(401);
    expect((await call('/api/v1/auth/me', changed.cookie!)).status).toBe(200);
    // The CLI's `huike user passwd` does the same.
    await setPassword(ctx, workspaceId, 'mkt2', 'newer-password-3');
    expect((await call('/api/v1/auth/me', changed.cookie!)).status).toBe(401);
  });

  it('role changes: only an owner touches owners, and the last active owner cannot be demoted or removed', async () => {
    const admin = await signIn('admin1');
    const owner = await signIn('owner1');
    expect(
      (await call(`/api/v1/users/${ids.owner1}`, admin, { method: 'PATCH', body: { role: 'analyst' } })).status,
    ).toBe(403);
    expect((await call(`/api/v1/users/${ids.mkt1}`, admin, { method: 'PATCH', body: { role: 'owner' } })).status).toBe(
      403,
    );
    const demote = await call(`/api/v1/users/${ids.owner1}`, owner, { method: 'PATCH', body: { role: 'admin' } });
    expect(demote.status).toBe(409);
    expect(demote.body.error.message).toMatch(/last active owner/);
    const mkt = await signIn('mkt1');
    expect((await call(`/api/v1/users/${ids.gone1}`, mkt, { method: 'PATCH', body: { role: 'admin' } })).status).toBe(
      403,
    );
    // A new user's role is said: left out, it was owner.
    const unsaid = await call('/api/v1/users', owner, {
      method: 'POST',
      body: { login: 'norole', password: 'secret-pass-9' },
    });
    expect(unsaid.status).toBe(400);
    expect(unsaid.body.error.message).toMatch(/role/);
    const promoted = await call(`/api/v1/users/${ids.mkt1}`, admin, { method: 'PATCH', body: { role: 'analyst' } });
    expect(promoted.body.role).toBe('analyst');
    expect((await call('/api/v1/auth/me', mkt)).body.user.role).toBe('analyst');
  });

  it('deleting a user removes them with their sessions and tokens', async () => {
    const admin = await signIn('admin1');
    const gone = await signIn('gone1');
    // An agent has no tokens:manage: their token comes from the CLI (huike token create).
    const tok = (await createApiToken(env().ctx, env().workspaceId, ids.gone1!, 'cli')).token;
    expect((await call(`/api/v1/users/${ids.admin1}`, admin, { method: 'DELETE' })).status).toBe(400);
    expect((await call(`/api/v1/users/${ids.gone1}`, admin, { method: 'DELETE' })).status).toBe(204);
    expect((await call('/api/v1/auth/me', gone)).status).toBe(401);
    expect((await call('/api/v1/auth/me', tok)).status).toBe(401);
    const users = await call('/api/v1/users', admin);
    expect(users.body.items.map((u: { login: string }) => u.login)).not.toContain('gone1');
    expect((await call(`/api/v1/users/${ids.gone1}`, admin, { method: 'DELETE' })).status).toBe(404);
  });

  it('tokens: listed with name, scopes and expiry, revoked by their user or an admin, and expire', async () => {
    const owner = await signIn('owner1');
    const admin = await signIn('admin1');
    const ro = await token(owner, { name: '只读报表', scopes: ['read'], expiresAt: '2026-12-01T00:00:00+08:00' });
    const rw = await token(owner, { name: 'ERP 同步' });
    const mine = await call('/api/v1/auth/tokens', owner);
    const named = (items: { name: string }[], name: string) => items.find((t) => t.name === name);
    expect(mine.body.items.map((t: { name: string }) => t.name).sort()).toEqual(['ERP 同步', '只读报表']);
    expect(named(mine.body.items, '只读报表')).toMatchObject({
      scopes: ['read'],
      expiresAt: '2026-11-30T16:00:00.000Z',
      active: true,
      login: 'owner1',
    });
    expect(named(mine.body.items, 'ERP 同步')).toMatchObject({ scopes: ['read', 'write'], expiresAt: null });
    expect(JSON.stringify(mine.body)).not.toContain(ro.split('.')[3]);

    // A read-only token reads but does not change anything, and cannot mint itself a better one.
    expect((await call('/api/v1/stores', ro)).status).toBe(200);
    const refused = await call('/api/v1/stores', ro, { body: { name: '只读店', platform: 'jd' } });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/read-only/);
    expect((await call('/api/v1/stores', rw, { body: { name: '同步店', platform: 'jd' } })).status).toBe(201);
    expect((await call('/api/v1/auth/tokens', rw, { body: { name: 'more' } })).status).toBe(403);

    // Others see only their own; an admin sees all and may revoke any.
    const mkt = await signIn('mkt1');
    expect((await call('/api/v1/auth/tokens', mkt)).body.items.map((t: { login: string }) => t.login)).toEqual([
      'mkt1',
    ]);
    expect((await call('/api/v1/auth/tokens?all=true', mkt)).status).toBe(403);
    const rwId = (named(mine.body.items, 'ERP 同步') as unknown as { id: string }).id;
    expect((await call(`/api/v1/auth/tokens/${rwId}`, mkt, { method: 'DELETE' })).status).toBe(404);
    const all = await call('/api/v1/auth/tokens?all=true', admin);
    expect(all.body.items.map((t: { id: string }) => t.id)).toContain(rwId);
    expect((await call(`/api/v1/auth/tokens/${rwId}`, admin, { method: 'DELETE' })).status).toBe(204);
    expect((await call('/api/v1/stores', rw)).status).toBe(401);
    expect(named((await call('/api/v1/auth/tokens', owner)).body.items, 'ERP 同步')).toMatchObject({ active: false });

    // The read-only token stops on its expiry date.
    env().setNow('2026-12-02T00:00:00.000Z');
    expect((await call('/api/v1/stores', ro)).status).toBe(401);
    const past = await call('/api/v1/auth/tokens', await signIn('owner1'), {
      body: { name: 'old', expiresAt: '2026-01-01T00:00:00Z' },
    });
    expect(past.status).toBe(400);
  });

  it("a token's last use is listed, recorded at most once a minute (not a write at every request)", async () => {
    env().setNow('2026-12-03T00:00:00.000Z');
    const owner = await signIn('owner1');
    const t = await token(owner, { name: '最近使用' });
    const lastUsed = async () =>
      (await call('/api/v1/auth/tokens', owner)).body.items.find((x: { name: string }) => x.name === '最近使用')
        .lastUsedAt;
    expect(await lastUsed()).toBeNull();
    expect((await call('/api/v1/stores', t)).status).toBe(200);
    expect(await lastUsed()).toBe('2026-12-03T00:00:00.000Z');
    env().setNow('2026-12-03T00:00:59.000Z');
    expect((await call('/api/v1/stores', t)).status).toBe(200);
    expect(await lastUsed()).toBe('2026-12-03T00:00:00.000Z');
    env().setNow('2026-12-03T00:01:00.000Z');
    expect((await call('/api/v1/stores', t)).status).toBe(200);
    expect(await lastUsed()).toBe('2026-12-03T00:01:00.000Z');
  });
});
