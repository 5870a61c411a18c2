import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildServer } from '../../src/server.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { startWorker, type Worker } from '../../src/jobs/worker.js';
import { createUser } from '../../src/modules/auth/service.js';
import { renderReason } from '../../src/core/reasons.js';
import { describeBothDatabases, fixture, scratchDir } from '../helpers.js';
import { waitFor } from '../support/processes.js';
import { listenLocal } from '../support/http.js';

describeBothDatabases('HTTP API', (env) => {
  let app: FastifyInstance;
  let base = '';
  let worker: Worker;
  let cookie = '';

  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    await createUser(ctx, workspaceId, { login: 'boss', password: 'secret-pass-1', role: 'owner' });
    await createUser(ctx, workspaceId, { login: 'agent', password: 'secret-pass-2', role: 'agent' });
    app = await buildServer(ctx, { dataDir: scratchDir('huike-api-') });
    base = await listenLocal(app);
    worker = startWorker(ctx, { handlers: jobHandlers, pollMs: 50 });
  });
  afterAll(async () => {
    await worker?.stop();
    await app?.close();
  });

  const call = async (path: string, init: RequestInit & { auth?: string } = {}) => {
    const headers = new Headers(init.headers);
    headers.set('x-huike-client', 'test');
    if (init.auth !== undefined) {
      if (init.auth) headers.set('cookie', init.auth);
    } else if (cookie) headers.set('cookie', cookie);
    if (init.body && typeof init.body === 'string') headers.set('content-type', 'application/json');
    const res = await fetch(base + path, { ...init, headers });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* CSV and other text bodies stay text */
    }
    return { status: res.status, body, headers: res.headers };
  };

  it('health is public; everything else asks for a login with a clear error body', async () => {
    expect((await call('/api/v1/health', { auth: '' })).body).toEqual({ status: 'ok', database: env().db.dialect });
    const r = await call('/api/v1/customers', { auth: '' });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
    expect(r.body.error.message).toMatch(/log in/);
  });

  it('a wrong password is refused; a right one sets an HttpOnly session cookie', async () => {
    const bad = await call('/api/v1/auth/login', {
      method: 'POST',
      body: JSON.stringify({ login: 'boss', password: 'nope' }),
      auth: '',
    });
    expect(bad.status).toBe(401);
    const missing = await call('/api/v1/auth/login', {
      method: 'POST',
      body: JSON.stringify({ login: 'boss' }),
      auth: '',
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/password/);
    const ok = await call('/api/v1/auth/login', {
      method: 'POST',
      body: JSON.stringify({ login: 'boss', password: 'secret-pass-1' }),
      auth: '',
    });
    expect(ok.status).toBe(200);
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/HttpOnly/i);
    cookie = setCookie.split(';')[0]!;
    const me = await call('/api/v1/auth/me');
    expect(me.body.user.login).toBe('boss');
    expect(me.body.via).toBe('session');
  });

  it('stores: create, validate, conflict, update, delete', async () => {
    const bad = await call('/api/v1/stores', { method: 'POST', body: JSON.stringify({ name: '', platform: 'ebay' }) });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/name/);
    expect(bad.body.error.message).toMatch(/platform/);
    const tz = await call('/api/v1/stores', {
      method: 'POST',
      body: JSON.stringify({ name: 'X', platform: 'jd', timezone: 'Mars/Olympus' }),
    });
    expect(tz.status).toBe(400);
    expect(tz.body.error.message).toMatch(/time zone/);
    const created = await call('/api/v1/stores', {
      method: 'POST',
      body: JSON.stringify({ name: '京东自营店', platform: 'jd' }),
    });
    expect(created.status).toBe(201);
    expect(created.body.timezone).toBe('Asia/Shanghai');
    const dup = await call('/api/v1/stores', {
      method: 'POST',
      body: JSON.stringify({ name: '京东自营店', platform: 'jd' }),
    });
    expect(dup.status).toBe(409);
    const renamed = await call(`/api/v1/stores/${created.body.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ name: '京东旗舰店' }),
    });
    expect(renamed.body.name).toBe('京东旗舰店');
    expect((await call(`/api/v1/stores/${created.body.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/api/v1/stores/${created.body.id}`)).status).toBe(404);
  });

  it('uploads a Taobao export, reports progress until done, and serves its rejected rows', async () => {
    const form = new FormData();
    form.set('store', '回客旗舰店');
    form.set('format', 'taobao');
    form.set('file', new Blob([readFileSync(fixture('taobao-orders-gbk.csv'))]), 'taobao-orders-gbk.csv');
    const started = await call('/api/v1/imports', { method: 'POST', body: form });
    expect(started.status).toBe(202);
    expect(started.body.status).toBe('queued');
    const done = await waitFor('the import to finish', async () => {
      const r = await call(`/api/v1/imports/${started.body.id}`);
      return r.body.status === 'done' ? r.body : null;
    });
    expect(done).toMatchObject({ ordersCreated: 12, rowsRejected: 5, customersCreated: 7, progress: 1 });
    const errors = await call(`/api/v1/imports/${started.body.id}/errors`);
    expect(errors.body.items[0]).toMatchObject({ line: 14, column: '订单状态' });
    const csv = await fetch(`${base}/api/v1/imports/${started.body.id}/errors.csv`, { headers: { cookie } });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const bytes = Buffer.from(await csv.arrayBuffer());
    // UTF-8 BOM first, so Excel opens the Chinese reasons correctly.
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    // In the reader's language: Chinese by default, English when asked (lang, else Accept-Language).
    const text = bytes.subarray(3).toString('utf8');
    expect(text.startsWith('行号,列,原因,值\r\n')).toBe(true);
    expect(text).toContain('未知的订单状态');
    expect(text.split('\r\n').filter(Boolean)).toHaveLength(6);
    for (const asked of [`?lang=en`, '']) {
      const en = await fetch(`${base}/api/v1/imports/${started.body.id}/errors.csv${asked}`, {
        headers: { cookie, 'accept-language': asked ? 'zh-CN' : 'en-US,en;q=0.9' },
      });
      const enText = Buffer.from(await en.arrayBuffer())
        .subarray(3)
        .toString('utf8');
      expect(enText.startsWith('line,column,reason,value\r\n'), enText).toBe(true);
      expect(enText).toContain('unknown order status ""神秘状态""'); // quotes doubled in CSV
    }
  });

  it('refuses an upload that is not an export, and a bad format, with what to fix', async () => {
    const form = new FormData();
    form.set('store', '回客旗舰店');
    form.set('format', 'taobao');
    form.set('file', new Blob([readFileSync(fixture('not-an-export.csv'))]), 'x.csv');
    const r = await call('/api/v1/imports', { method: 'POST', body: form });
    const run = await waitFor('the run to fail', async () => {
      const x = await call(`/api/v1/imports/${r.body.id}`);
      return x.body.status === 'failed' ? x.body : null;
    });
    expect(run.message).toMatch(/not a 淘宝/);
    // The console shows why in the reader's language: the failure keeps its code.
    expect(run.why.key).toBe('import.missingColumn');
    expect(renderReason(run.why, 'zh-CN')).toMatch(/^此文件不是淘宝\/天猫订单报表：缺少「/);
    const f2 = new FormData();
    f2.set('store', '回客旗舰店');
    f2.set('format', 'ebay');
    f2.set('file', new Blob(['a,b\n']), 'x.csv');
    const bad = await call('/api/v1/imports', { method: 'POST', body: f2 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/format must be one of/);
  });

  it('customers: search by nick, phone suffix and name; filters; cursor pages cover everyone once', async () => {
    const byNick = await call(`/api/v1/customers?q=${encodeURIComponent('tb_lili2019')}`);
    expect(byNick.body.items).toHaveLength(1);
    expect(byNick.body.items[0].stats.paidOrders).toBe(2);
    expect(byNick.body.items[0].phone).toBe('13812345678'); // owners see phones in full
    const bySuffix = await call('/api/v1/customers?q=5678');
    expect(bySuffix.body.items.map((c: { name: string }) => c.name)).toEqual(['tb_lili2019']);
    const byName = await call(`/api/v1/customers?q=${encodeURIComponent('余小鱼')}`);
    expect(byName.body.items[0].name).toBe('小鱼儿0815');
    const guangdong = await call(`/api/v1/customers?province=${encodeURIComponent('广东省')}`);
    expect(guangdong.body.items.length).toBe(2);
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await call(
        `/api/v1/customers?limit=2&sort=spent${cursor ? `&cursor=${cursor}` : ''}`,
      );
      all.push(...page.body.items.map((c) => c.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(all).toHaveLength(7);
    expect(new Set(all).size).toBe(7);
    const badLimit = await call('/api/v1/customers?limit=5000');
    expect(badLimit.status).toBe(400);
    expect(badLimit.body.error.message).toMatch(/limit/);
  });

  it('customer detail has identities, stats and orders; agents see masked phones', async () => {
    const list = await call(`/api/v1/customers?q=${encodeURIComponent('tb_lili2019')}`);
    const id = list.body.items[0].id;
    const detail = await call(`/api/v1/customers/${id}`);
    expect(detail.body.identities.map((i: { kind: string }) => i.kind).sort()).toEqual(['nick', 'phone']);
    expect(detail.body.orders).toHaveLength(3);
    expect(detail.body.orders[0].createdAt > detail.body.orders[2].createdAt).toBe(true);
    const agentLogin = await call('/api/v1/auth/login', {
      method: 'POST',
      body: JSON.stringify({ login: 'agent', password: 'secret-pass-2' }),
      auth: '',
    });
    const agentCookie = agentLogin.headers.get('set-cookie')!.split(';')[0]!;
    const seen = await call(`/api/v1/customers/${id}`, { auth: agentCookie });
    expect(seen.body.phone).toBe('138****5678');
    expect(seen.body.orders[0].receiverPhone).toBe('138****5678');
    expect(seen.body.identities.find((i: { kind: string }) => i.kind === 'phone').value).toBe('138****5678');
    expect((await call('/api/v1/customers/nope')).status).toBe(404);
  });

  it('orders: list with filters and detail with raw columns', async () => {
    const paid = await call('/api/v1/orders?status=refunded');
    expect(paid.body.items.map((o: { title: string }) => o.title)).toEqual(['真丝连衣裙']);
    const range = await call(`/api/v1/orders?from=${encodeURIComponent('2026-11-01T00:00:00+08:00')}`);
    expect(range.body.items.length).toBe(3);
    const badDate = await call('/api/v1/orders?from=yesterday');
    expect(badDate.status).toBe(400);
    const one = await call(`/api/v1/orders/${paid.body.items[0].id}`);
    expect(one.body.raw['物流公司']).toBe('圆通速递');
    // A search by the order number, or by the buyer's nick (every order of that nick, newest first).
    const all = (await call('/api/v1/orders?limit=200')).body.items as {
      id: string;
      externalId: string;
      buyerNick: string | null;
    }[];
    const byNumber = await call(`/api/v1/orders?q=${encodeURIComponent(one.body.externalId)}`);
    expect(byNumber.body.items.map((o: { id: string }) => o.id)).toEqual([one.body.id]);
    const nick = one.body.buyerNick as string;
    const byNick = await call(`/api/v1/orders?q=${encodeURIComponent(nick)}&limit=1`);
    const nicks = all.filter((o) => o.buyerNick === nick).map((o) => o.id);
    expect(nicks.length).toBeGreaterThan(0);
    expect(byNick.body.items.map((o: { id: string }) => o.id)).toEqual(nicks.slice(0, 1));
    if (nicks.length > 1) {
      const next = encodeURIComponent(byNick.body.nextCursor);
      const rest = await call(`/api/v1/orders?q=${encodeURIComponent(nick)}&limit=200&cursor=${next}`);
      expect(rest.body.items.map((o: { id: string }) => o.id)).toEqual(nicks.slice(1));
    } else expect(byNick.body.nextCursor).toBeNull();
    expect((await call('/api/v1/orders?q=no-such-order')).body.items).toEqual([]);
    // A store's orders (few: found by the number's key, then sorted), page after page, in the whole list's order.
    const storeId = one.body.storeId as string;
    const inStore = (all as unknown as { id: string; storeId: string }[])
      .filter((o) => o.storeId === storeId)
      .map((o) => o.id);
    expect(inStore.length).toBeGreaterThan(2);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const after: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await call(`/api/v1/orders?storeId=${storeId}&limit=2${after}`);
      paged.push(...page.body.items.map((o: { id: string }) => o.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(paged).toEqual(inStore);
  });

  it('API tokens work as bearer credentials; OpenAPI documents the routes', async () => {
    const t = await call('/api/v1/auth/tokens', { method: 'POST', body: JSON.stringify({ name: 'erp sync' }) });
    expect(t.status).toBe(201);
    const res = await fetch(`${base}/api/v1/stores`, { headers: { authorization: `Bearer ${t.body.token}` } });
    expect(res.status).toBe(200);
    const forged = await fetch(`${base}/api/v1/stores`, {
      headers: { authorization: `Bearer ${t.body.token.slice(0, -2)}xx` },
    });
    expect(forged.status).toBe(401);
    const spec = await call('/docs/json');
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining(['/api/v1/customers', '/api/v1/imports', '/api/v1/orders/{id}']),
    );
  });

  it('errors answer with a reason code and its parameters, which the console renders in zh-CN or en', async () => {
    const missing = await call('/api/v1/customers/no-such-customer');
    expect(missing.status).toBe(404);
    expect(missing.body.error.reason).toEqual({ key: 'customer.notFound', params: { id: 'no-such-customer' } });
    const store = { name: '错误码测试店', platform: 'taobao' };
    expect((await call('/api/v1/stores', { method: 'POST', body: JSON.stringify(store) })).status).toBe(201);
    const twice = await call('/api/v1/stores', { method: 'POST', body: JSON.stringify(store) });
    expect(twice.status).toBe(409);
    expect(twice.body.error.reason).toEqual({ key: 'store.nameTaken', params: { name: '错误码测试店' } });
    expect(renderReason(twice.body.error.reason, 'zh-CN')).toBe('已有名为「错误码测试店」的店铺，请换一个名称');
    expect(twice.body.error.message).toBe('a store named "错误码测试店" already exists');
    // Validation at the edge (zod): each problem is coded, naming the field and the limit.
    const bad = await call('/api/v1/stores', { method: 'POST', body: JSON.stringify({ name: 'x'.repeat(101) }) });
    expect(bad.status).toBe(400);
    expect(bad.body.error.reason).toEqual({ key: 'input.tooLong', params: { field: 'name', max: 100 } });
    expect(bad.body.error.details.map((d: { key: string }) => d.key)).toEqual(['input.tooLong', 'input.required']);
    expect(renderReason(bad.body.error.details[1], 'zh-CN')).toBe('请填写「平台」');
  });

  it('logout ends the session', async () => {
    expect((await call('/api/v1/auth/logout', { method: 'POST' })).status).toBe(204);
    expect((await call('/api/v1/auth/me')).status).toBe(401);
  });
});
