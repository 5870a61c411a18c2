import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildServer } from '../../src/server.js';
import { createApiToken, createUser } from '../../src/modules/auth/service.js';
import { passwordChecks } from '../../src/modules/auth/passwords.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { listenLocal } from '../support/http.js';

const errorOf = async (r: Response) => ((await r.json()) as { error: { code: string; message: string } }).error;

describeBothDatabases('login throttling, CSRF and security headers', (env) => {
  let app: FastifyInstance;
  let base = '';
  let clock = Date.parse('2026-11-23T04:00:00.000Z');
  const tick = (ms: number) => {
    clock += ms;
    env().setNow(new Date(clock).toISOString());
  };

  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    await createUser(ctx, workspaceId, { login: 'boss', password: 'right-pass-1', role: 'owner' });
    await createUser(ctx, workspaceId, { login: 'clerk', password: 'right-pass-2', role: 'agent' });
    app = await buildServer(ctx, { dataDir: scratchDir('huike-sec-'), trustProxy: '127.0.0.1' });
    base = await listenLocal(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const login = (login: string, password: string, from = '10.0.0.1') =>
    fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
      body: JSON.stringify({ login, password }),
    });

  it('one login added ten times at once, in any case, makes one user; the others are told it is taken', async () => {
    const { ctx, workspaceId } = env();
    // Twice, TWICE, tWiCe …: one login whatever its case, and the unique key is on the login as spelled.
    const spellings = ['twice', 'Twice', 'TWICE', 'tWice', 'twIce', 'twiCe', 'twicE', 'TWice', 'twICE', 'TwIcE'];
    const tries = await Promise.allSettled(
      spellings.map((login) => createUser(ctx, workspaceId, { login, password: 'right-pass-3', role: 'agent' })),
    );
    expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
    for (const t of tries)
      if (t.status === 'rejected')
        expect(t.reason).toMatchObject({ code: 'conflict', reason: { key: 'user.loginTaken' } });
    const rows = await ctx.db.kysely
      .selectFrom('users')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where(sql`lower(login)`, '=', 'twice')
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('after three wrong passwords each further try must wait twice as long, even with the right password', async () => {
    tick(2 * 3_600_000);
    for (let i = 0; i < 3; i++) expect((await login('boss', 'wrong-pass')).status).toBe(401);
    const held = await login('boss', 'right-pass-1');
    expect(held.status).toBe(429);
    expect(held.headers.get('retry-after')).toBe('1');
    expect((await errorOf(held)).message).toMatch(/try again in 1 s/);
    tick(1_000);
    expect((await login('boss', 'wrong-pass')).status).toBe(401);
    expect((await login('boss', 'right-pass-1')).headers.get('retry-after')).toBe('2');
    tick(2_000);
    expect((await login('boss', 'right-pass-1')).status).toBe(200);
    // The right password cleared the login's count: three free tries again.
    expect((await login('boss', 'wrong-pass')).status).toBe(401);
  });

  it('ten failures lock the login for 15 minutes, whatever the address', async () => {
    tick(2 * 3_600_000);
    for (let i = 0; i < 10; i++) {
      expect((await login('clerk', 'wrong-pass', `10.1.0.${i}`)).status).toBe(401);
      tick(120_000);
    }
    const locked = await login('clerk', 'right-pass-2', '10.9.9.9');
    expect(locked.status).toBe(429);
    expect((await errorOf(locked)).message).toMatch(/locked for \d+ minutes/);
    tick(15 * 60_000);
    expect((await login('clerk', 'right-pass-2', '10.9.9.9')).status).toBe(200);
  });

  it('one address guessing many logins is held back too; other addresses are not', async () => {
    tick(2 * 3_600_000);
    for (let i = 0; i < 10; i++) expect((await login(`guess${i}`, 'whatever', '10.2.0.1')).status).toBe(401);
    const held = await login('boss', 'right-pass-1', '10.2.0.1');
    expect(held.status).toBe(429);
    expect((await errorOf(held)).message).toMatch(/this address/);
    expect((await login('boss', 'right-pass-1', '10.2.0.2')).status).toBe(200);
  });

  it('without a trusted proxy, rotating X-Forwarded-For is still one address', async () => {
    tick(2 * 3_600_000);
    const direct = await buildServer(env().ctx, { dataDir: scratchDir('huike-sec-') });
    try {
      await direct.listen({ port: 0, host: '127.0.0.1' });
      const addr = direct.server.address();
      const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api/v1/auth/login`;
      const post = (login: string, password: string, from: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
          body: JSON.stringify({ login, password }),
        });
      for (let i = 0; i < 10; i++) expect((await post(`spoof${i}`, 'whatever', `10.9.0.${i}`)).status).toBe(401);
      const held = await post('clerk', 'right-pass-2', '10.9.1.1');
      expect(held.status).toBe(429);
      expect((await errorOf(held)).message).toMatch(/this address/);
    } finally {
      await direct.close();
    }
  });

  it('an unknown login costs one password check, like a wrong password, and gets the same answer', async () => {
    tick(2 * 3_600_000);
    const before = passwordChecks();
    const unknown = await login('nobody-here', 'wrong-pass', '10.3.0.1');
    const afterUnknown = passwordChecks();
    const wrong = await login('boss', 'wrong-pass', '10.3.0.2');
    expect(afterUnknown - before).toBe(1);
    expect(passwordChecks() - afterUnknown).toBe(1);
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual(await wrong.json());
  });

  const session = async () => {
    tick(2 * 3_600_000);
    const r = await login('boss', 'right-pass-1', '10.4.0.1');
    expect(r.status).toBe(200);
    return r.headers.get('set-cookie')!.split(';')[0]!;
  };

  it('a cookie-authenticated change needs the same origin or the console header (JSON, multipart, empty)', async () => {
    const cookie = await session();
    const host = new URL(base).host;
    const post = (path: string, headers: Record<string, string>, body?: RequestInit['body']) =>
      fetch(base + path, { method: 'POST', headers: { cookie, ...headers }, body });
    const json = { 'content-type': 'application/json' };
    const store = (name: string) => JSON.stringify({ name, platform: 'jd' });

    const bare = await post('/api/v1/stores', json, store('店一'));
    expect(bare.status).toBe(403);
    expect((await errorOf(bare)).message).toMatch(/x-huike-client/);
    expect((await post('/api/v1/stores', { ...json, origin: 'https://evil.example' }, store('店一'))).status).toBe(403);
    expect(
      (await post('/api/v1/stores', { ...json, 'sec-fetch-site': 'cross-site', origin: 'null' }, store('店一'))).status,
    ).toBe(403);
    const form = new FormData();
    form.set('store', '店一');
    form.set('format', 'taobao');
    form.set('file', new Blob(['a,b\n1,2\n']), 'x.csv');
    expect((await post('/api/v1/imports', {}, form)).status).toBe(403);
    expect((await post('/api/v1/auth/logout', {})).status).toBe(403);
    expect((await fetch(`${base}/api/v1/auth/me`, { headers: { cookie } })).status).toBe(200);

    expect((await post('/api/v1/stores', { ...json, origin: `http://${host}` }, store('店一'))).status).toBe(201);
    expect((await post('/api/v1/stores', { ...json, 'sec-fetch-site': 'same-origin' }, store('店二'))).status).toBe(
      201,
    );
    expect((await post('/api/v1/stores', { ...json, 'x-huike-client': 'console' }, store('店三'))).status).toBe(201);
  });

  it('bearer tokens are not affected, and another site cannot post a login', async () => {
    const { ctx, workspaceId } = env();
    const user = await ctx.db.kysely
      .selectFrom('users')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('login', '=', 'boss')
      .executeTakeFirstOrThrow();
    const t = await createApiToken(ctx, workspaceId, user.id, 'script');
    const r = await fetch(`${base}/api/v1/stores`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${t.token}`,
        'content-type': 'application/json',
        origin: 'https://evil.example',
      },
      body: JSON.stringify({ name: '脚本店', platform: 'jd' }),
    });
    expect(r.status).toBe(201);
    tick(2 * 3_600_000);
    const forged = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ login: 'boss', password: 'right-pass-1' }),
    });
    expect(forged.status).toBe(403);
  });

  it('pages carry a CSP that forbids framing and nosniff; API answers are never cached', async () => {
    const page = await fetch(`${base}/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const health = await fetch(`${base}/api/v1/health`);
    expect(health.headers.get('cache-control')).toBe('no-store');
    const refused = await fetch(`${base}/api/v1/customers`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('cache-control')).toBe('no-store');
  });
});
