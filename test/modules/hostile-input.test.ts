import { isReasonKey } from '../../src/core/reasons.js';
import { newId } from '../../src/core/ids.js';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/modules/auth/service.js';
import { pruneIdempotencyKeys } from '../../src/modules/idempotency.js';
import { loadDemo } from '../../src/modules/demo/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { waitFor } from '../support/processes.js';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describeBothDatabases('hostile input answers 4xx with the error shape, and leaves nothing behind', (env) => {
  let app: FastifyInstance;
  let small: FastifyInstance;
  let cramped: FastifyInstance;
  const dataDir = scratchDir('huike-hostile-in-');
  const uploads = join(dataDir, 'uploads');
  let cookie = '';
  let customerId = '';

  beforeAll(async () => {
    const { ctx, workspaceId, db } = env();
    await createUser(ctx, workspaceId, { login: 'boss', password: 'secret-pass-1', role: 'owner' });
    await loadDemo(ctx, workspaceId, { customers: 20, seed: 3 });
    customerId = (await db.kysely.selectFrom('customers').select('id').executeTakeFirstOrThrow()).id;
    app = await buildServer(ctx, { dataDir });
    await app.listen({ port: 0, host: '127.0.0.1' });
    // The same data behind an upload limit of 1 KB, and behind a disk that must keep 1 PB free.
    small = await buildServer(ctx, { dataDir, uploadLimit: 1024 });
    cramped = await buildServer(ctx, { dataDir, uploadMinFree: 1024 ** 5 });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'boss', password: 'secret-pass-1' },
    });
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
  });
  afterAll(async () => {
    await app?.close();
    await small?.close();
    await cramped?.close();
  });

  const expectError = (res: { statusCode: number; body: string }, status: number, message?: RegExp) => {
    expect(res.statusCode, res.body).toBe(status);
    const body = JSON.parse(res.body) as {
      error: { code: string; message: string; details: unknown; reason: { key: string; params: object } };
    };
    // Every error carries a reason the console renders in the reader's language.
    expect(Object.keys(body.error).sort()).toEqual(['code', 'details', 'message', 'reason']);
    expect(isReasonKey(body.error.reason.key), body.error.reason.key).toBe(true);
    if (message) expect(body.error.message).toMatch(message);
    return body.error;
  };

  it('forged pagination cursors are refused (they used to reach SQL)', async () => {
    for (const [url, cursor] of [
      ['/api/v1/customers', b64([{}, 'x'])],
      ['/api/v1/customers?sort=spent', b64([1e308, 'x'])],
      ['/api/v1/customers?sort=spent', b64(['abc', 'x'])],
      ['/api/v1/customers', b64(['2026-02-30T00:00:00.000Z', 'x'])],
      ['/api/v1/orders', b64([{ a: 1 }, 'x'])],
      ['/api/v1/orders', b64([null, 'x'])],
      ['/api/v1/orders', b64(['not a time', 'x'])],
      ['/api/v1/orders', 'not-base64-json'],
    ] as const) {
      const sep = url.includes('?') ? '&' : '?';
      const res = await app.inject({
        url: `${url}${sep}cursor=${cursor}`,
        headers: { 'x-huike-client': 'test', cookie },
      });
      expectError(res, 400, /cursor is not valid/);
    }
    // A real cursor still pages.
    const first = await app.inject({ url: '/api/v1/orders?limit=2', headers: { 'x-huike-client': 'test', cookie } });
    const next = await app.inject({
      url: `/api/v1/orders?limit=2&cursor=${first.json().nextCursor}`,
      headers: { 'x-huike-client': 'test', cookie },
    });
    expect(next.statusCode).toBe(200);
  });

  it('rule fields named after Object.prototype, numbers past safe ranges and impossible dates are 400s', async () => {
    for (const rule of [
      { field: '__proto__', op: '>=', value: 1 },
      { field: 'constructor', op: '>=', value: 1 },
      { field: 'toString', op: 'in', value: [1] },
      { field: 'total_spent', op: '__proto__', value: 1 },
      { field: 'last_order_at', op: 'within_last_days', value: 1e308 },
      { field: 'last_order_at', op: 'within_last_days', value: 40_000 },
      { field: 'total_spent', op: '>=', value: 2 ** 60 },
      { field: 'last_order_at', op: 'after', value: '2026-02-30' },
      { field: 'last_order_at', op: 'between', value: ['2026-02-01', '2026-02-30'] },
      { field: 'orders', op: 'count_gte', value: 1, where: { from: '2026-02-30' } },
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/segments/evaluate',
        headers: { 'x-huike-client': 'test', cookie },
        payload: { rule },
      });
      expectError(res, 400, /segment rule is not valid/);
    }
    const poisoned = await app.inject({
      method: 'POST',
      url: '/api/v1/segments/evaluate',
      headers: { 'x-huike-client': 'test', cookie, 'content-type': 'application/json' },
      payload: '{"rule":{"field":"total_spent","op":">=","value":1},"__proto__":{"polluted":true}}',
    });
    expectError(poisoned, 400);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it("a points adjustment past ten million is refused (2^53 − 1 twice made the shop's liability inexact)", async () => {
    const points = async () =>
      (
        await app.inject({
          method: 'GET',
          url: `/api/v1/customers/${customerId}/points`,
          headers: { 'x-huike-client': 'test', cookie },
        })
      ).json().summary.spendable as number;
    const before = await points();
    for (const n of [2 ** 53 - 1, -(2 ** 53 - 1), 10_000_001]) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/v1/customers/${customerId}/points/adjust`,
        headers: { 'x-huike-client': 'test', cookie },
        payload: { points: n, reason: '很多' },
      });
      expectError(res, 400, /points/);
    }
    expect(await points()).toBe(before);
  });

  it('a query parameter given twice that takes one value is refused naming it (it read "received NaN")', async () => {
    const res = await app.inject({
      url: '/api/v1/customers?limit=1&limit=2',
      headers: { 'x-huike-client': 'test', cookie },
    });
    const error = expectError(res, 400, /limit is given more than once/);
    expect(error.reason).toEqual({ key: 'input.repeated', params: { field: 'limit' } });
    const once = await app.inject({ url: '/api/v1/customers?limit=1', headers: { 'x-huike-client': 'test', cookie } });
    expect(once.statusCode).toBe(200);
  });

  it('a body key the route does not read is refused naming it (a 200 that did nothing, before)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/tags/apply',
      headers: { 'x-huike-client': 'test', cookie },
      payload: { customerIds: [customerId], tags: ['错键'] },
    });
    const error = expectError(res, 400, /tags/);
    expect(error.reason).toEqual({ key: 'input.unknownKeys', params: { keys: 'tags' } });
    const tagged = await env()
      .db.kysely.selectFrom('tags')
      .select('id')
      .where('workspace_id', '=', env().workspaceId)
      .where('name', '=', '错键')
      .execute();
    expect(tagged).toEqual([]);
  });

  it('text with a NUL character is refused at the edge (PostgreSQL cannot store it)', async () => {
    const search = await app.inject({
      url: '/api/v1/customers?q=a%00b',
      headers: { 'x-huike-client': 'test', cookie },
    });
    expectError(search, 400, /querystring\.q: text cannot contain the NUL character/);
    const body = await app.inject({
      method: 'POST',
      url: '/api/v1/segments/evaluate',
      headers: { 'x-huike-client': 'test', cookie },
      payload: { rule: { field: 'province', op: 'in', value: ['浙江\u0000省'] } },
    });
    expectError(body, 400, /body\.rule\.value\.0: text cannot contain the NUL/);
  });

  it('an error answer stays small, whatever the size of what it refuses', async () => {
    const headers = { 'x-huike-client': 'test', cookie };
    const keys = Object.fromEntries(Array.from({ length: 90_000 }, (_, i) => [`k${i}`, 1]));
    const unknown = await app.inject({ method: 'PUT', url: '/api/v1/stats/settings', headers, payload: keys });
    const e1 = expectError(unknown, 400);
    // It was 3.7 MB: every key named in the message, the reason and each detail.
    expect(unknown.body.length).toBeLessThan(20_000);
    expect(e1.reason.key).toBe('input.unknownKeys');
    expect((e1.reason.params as { keys: string }).keys).toMatch(/^k0、k1、.*k9 … \(\+89990\)$/);
    const conditions = Array.from({ length: 20_000 }, () => ({ field: 'paid_orders', op: 'gte', value: 1 }));
    const big = await app.inject({
      method: 'POST',
      url: '/api/v1/segments/evaluate',
      headers,
      payload: { rule: { all: conditions } },
    });
    const e2 = expectError(big, 400);
    expect(big.body.length).toBeLessThan(20_000);
    expect(e2.reason.key).toBe('rule.tooMany');
    const longId = 'x'.repeat(100_000);
    const task = await app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers,
      payload: { type: 'manual', customerId: longId, title: 't', dueAt: '2026-12-20T10:00:00Z' },
    });
    expect(task.statusCode).toBeGreaterThanOrEqual(400);
    expect(task.statusCode).toBeLessThan(500);
    expect(task.body.length).toBeLessThan(20_000);
  });

  it('a name of invisible characters only is refused as blank: a store, a tag, a tier', async () => {
    const headers = { 'x-huike-client': 'test', cookie };
    const store = await app.inject({
      method: 'POST',
      url: '/api/v1/stores',
      headers,
      payload: { name: '\u200b\u202e' },
    });
    expect(expectError(store, 400).reason.key).toBe('input.blank');
    const tag = await app.inject({
      method: 'POST',
      url: '/api/v1/tags/apply',
      headers,
      payload: { customerIds: [customerId], add: ['\u200b'] },
    });
    expect(expectError(tag, 400).reason.key).toBe('input.blank');
    const ladder = (await app.inject({ url: '/api/v1/tiers', headers })).json() as { tiers: { name: string }[] };
    const tiers = { ...ladder, tiers: ladder.tiers.map((t, i) => (i === 0 ? { ...t, name: '\ufeff\u200b' } : t)) };
    const tier = await app.inject({ method: 'PUT', url: '/api/v1/tiers', headers, payload: tiers });
    expect(expectError(tier, 400).reason.key).toBe('input.blank');
  });

  it("the server's own rules name their problem in the reader's language, not as 「此项」填写有误", async () => {
    const headers = { 'x-huike-client': 'test', cookie };
    const zero = await app.inject({
      method: 'POST',
      url: `/api/v1/customers/${customerId}/points/adjust`,
      headers,
      payload: { points: 0, reason: '补偿' },
    });
    expect(expectError(zero, 400).reason).toEqual({ key: 'input.notZero', params: { field: 'points' } });
    const range = await app.inject({
      method: 'PUT',
      url: '/api/v1/analytics/settings',
      headers,
      payload: { repurchaseReference: { label: '服装', low: 0.3, high: 0.2 } },
    });
    expect(expectError(range, 400).reason.key).toBe('input.lowAboveHigh');
    const both = await app.inject({
      method: 'POST',
      url: '/api/v1/automations',
      headers,
      payload: { builtin: 'birthday', definition: {} },
    });
    expect(expectError(both, 400).reason.key).toBe('input.oneOf');
  });

  it("a NUL in a record's id is refused before the record is looked up (a 500 on PostgreSQL)", async () => {
    const detail = await app.inject({
      url: '/api/v1/customers/ab%00cd',
      headers: { 'x-huike-client': 'test', cookie },
    });
    expectError(detail, 400, /params\.id: text cannot contain the NUL/);
    const task = await app.inject({
      method: 'POST',
      url: '/api/v1/tasks',
      headers: { 'x-huike-client': 'test', cookie },
      payload: { type: 'manual', customerId: 'a\u0000b', title: 't', dueAt: '2026-12-20T10:00:00Z' },
    });
    expectError(task, 400, /body\.customerId: text cannot contain the NUL/);
  });

  it('half of a surrogate pair is refused at the edge (it was stored as U+FFFD); a whole emoji passes', async () => {
    const post = (name: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/groups',
        headers: { 'x-huike-client': 'test', cookie, 'content-type': 'application/json' },
        // As JSON sends it: the escape of the half character (JSON.stringify would write it the same way).
        payload: `{"name":${JSON.stringify(name)}}`,
      });
    for (const name of ['高\ud800价值', 'x\udc00', '\udc00\ud800']) {
      const res = await post(name);
      expectError(res, 400, /body\.name: text holds half of a UTF-16 surrogate pair/);
      expect(res.json().error.reason.key).toBe('input.brokenChar');
    }
    const query = await app.inject({
      url: `/api/v1/customers?q=${encodeURIComponent('王')}%ED%A0%80`,
      headers: { 'x-huike-client': 'test', cookie },
    });
    expect(query.statusCode).toBeLessThan(500);
    expect((await post('会员😀')).statusCode).toBe(201);
  });

  it('a %-escape in the address that does not decode is refused, naming the parameter', async () => {
    const get = (query: string) =>
      app.inject({ url: `/api/v1/customers?limit=5&${query}`, headers: { 'x-huike-client': 'test', cookie } });
    for (const q of ['q=%E4%B8', 'q=100%', 'q=%zz', 'q=a%ED%A0%80']) {
      const res = await get(q);
      expectError(res, 400, /querystring\.q: a %-escape in the address is not valid UTF-8/);
      expect(res.json().error.reason).toEqual({ key: 'input.badEscape', params: { field: 'querystring.q' } });
    }
    for (const q of ['q=%E4%B8%AD', 'q=100%25', 'q=a+b', 'q=%e4%b8%ad']) expect((await get(q)).statusCode).toBe(200);
  });

  it('a JSON body that is not UTF-8 is refused (it was stored with U+FFFD in place of what was sent)', async () => {
    const post = (payload: Buffer | string, contentType = 'application/json') =>
      app.inject({
        method: 'POST',
        url: '/api/v1/groups',
        headers: { 'x-huike-client': 'test', cookie, 'content-type': contentType },
        payload,
      });
    const broken = Buffer.concat([Buffer.from('{"name":"a'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('b"}')]);
    const bad = await post(broken);
    expectError(bad, 400, /not valid UTF-8/);
    expect(bad.json().error.reason.key).toBe('input.badUtf8');
    const latin1 = await post(Buffer.from('{"name":"café"}', 'latin1'), 'application/json; charset=latin1');
    expectError(latin1, 400, /charset=latin1/);
    expect(latin1.json().error.reason).toEqual({ key: 'input.charset', params: { charset: 'latin1' } });
    const ok = await post('{"name":"咖啡馆 café"}', 'application/json; charset=UTF-8');
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().name).toBe('咖啡馆 café');
  });

  it('a password or a login over 256 characters is refused (one of 1 MB was hashed, or logged)', async () => {
    const long = 'p'.repeat(257);
    const add = await app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { 'x-huike-client': 'test', cookie },
      payload: { login: 'long-pass', password: long, role: 'agent' },
    });
    expectError(add, 400, /password/);
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'boss', password: 'p'.repeat(300) },
    });
    expect(login.statusCode).toBe(400);
    // A megabyte login naming the workspace was answered 401 and written, whole, to its audit log.
    const logged = () =>
      env()
        .db.kysely.selectFrom('audit_log')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', env().workspaceId)
        .where('action', '=', 'auth.login_failed')
        .executeTakeFirstOrThrow();
    const before = Number((await logged()).n);
    const giant = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'b'.repeat(1_000_000), password: 'wrong-pass', workspaceId: env().workspaceId },
    });
    expectError(giant, 400, /login/);
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'b'.repeat(256), password: 'wrong-pass', workspaceId: env().workspaceId },
    });
    expect(wrong.statusCode).toBe(401);
    expect(Number((await logged()).n)).toBe(before + 1);
    const ok = await app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { 'x-huike-client': 'test', cookie },
      payload: { login: 'long-pass', password: 'p'.repeat(256), role: 'agent' },
    });
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it("the messages' page cursor is a message id: anything else is refused, not compared as text", async () => {
    const get = (q: string) =>
      app.inject({ url: `/api/v1/messages?${q}`, headers: { 'x-huike-client': 'test', cookie } });
    for (const before of ['garbage', "' OR 1=1 --", '01M8T8AS120R7EZY7WWA51C42', '01M8T8AS120R7EZY7WWA51C42U'])
      expectError(await get(`before=${encodeURIComponent(before)}`), 400);
    expect((await get(`before=${newId()}`)).statusCode).toBe(200);
  });

  it('the send rules take a web address for links and their own keys only; what was stored stays', async () => {
    const put = (payload: object) =>
      app.inject({
        method: 'PUT',
        url: '/api/v1/messaging/settings',
        headers: { 'x-huike-client': 'test', cookie },
        payload,
      });
    const read = async () =>
      (await app.inject({ url: '/api/v1/messaging/settings', headers: { 'x-huike-client': 'test', cookie } })).json()
        .settings;
    expect((await put({ publicUrl: 'https://crm.example.cn', capDays: 20 })).statusCode).toBe(200);
    const before = await read();
    for (const [payload, field] of [
      [{ publicUrl: 'javascript:alert(1)' }, 'publicUrl'],
      [{ publicUrl: 'ftp://crm.example.cn' }, 'publicUrl'],
      [{ publicUrl: `https://crm.example.cn/${'a'.repeat(1_000_000)}` }, 'publicUrl'],
    ] as const) {
      const e = expectError(await put({ ...payload, capDays: 7 }), 400);
      expect(e.details).toEqual([expect.objectContaining({ params: expect.objectContaining({ field }) })]);
    }
    // A user name and password in the address went into every message's links.
    const creds = expectError(await put({ publicUrl: 'https://admin:s3cret@crm.example.cn', capDays: 7 }), 400);
    expect(creds.details).toEqual([
      expect.objectContaining({ key: 'messaging.publicUrlCredentials', params: { field: 'publicUrl' } }),
    ]);
    const unknown = expectError(await put({ bogus: 1, capDays: 7 }), 400);
    expect(unknown.reason).toEqual({ key: 'input.unknownKeys', params: { keys: 'bogus' } });
    expect(await read()).toEqual(before);
    expect(before).toMatchObject({ publicUrl: 'https://crm.example.cn', capDays: 20 });
    expect((await put({ publicUrl: 'http://127.0.0.1:3000', capDays: 30 })).statusCode).toBe(200);
  });

  it("fastify's own errors come in the same shape: an id too long, a broken address, a bad body", async () => {
    const long = await app.inject({
      url: `/api/v1/customers/${'a'.repeat(300)}`,
      headers: { 'x-huike-client': 'test', cookie },
    });
    expectError(long, 414, /too long/);
    const badUrl = await app.inject({
      url: '/api/v1/customers/%E0%A4%A',
      headers: { 'x-huike-client': 'test', cookie },
    });
    expect(badUrl.statusCode).toBeLessThan(500);
    expectError(badUrl, badUrl.statusCode);
    const json = await app.inject({
      method: 'POST',
      url: '/api/v1/segments/evaluate',
      headers: { 'x-huike-client': 'test', cookie, 'content-type': 'application/json' },
      payload: '{"rule":',
    });
    expectError(json, 400);
    const media = await app.inject({
      method: 'POST',
      url: '/api/v1/segments/evaluate',
      headers: { 'x-huike-client': 'test', cookie, 'content-type': 'application/x-nonsense' },
      payload: 'x',
    });
    expectError(media, 415);
  });

  const multipart = (boundary: string, file: string) =>
    [
      `--${boundary}\r\nContent-Disposition: form-data; name="store"\r\n\r\n回客旗舰店\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="format"\r\n\r\ntaobao\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n` +
        `Content-Type: text/csv\r\n\r\n${file}`,
    ].join('');

  it('an empty file is refused at once (it was queued, then failed by the import), and leaves no file', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/imports',
      headers: { 'x-huike-client': 'test', cookie, 'content-type': 'multipart/form-data; boundary=XyZ' },
      payload: `${multipart('XyZ', '')}\r\n--XyZ--\r\n`,
    });
    expect(expectError(res, 400, /empty/).reason.key).toBe('upload.empty');
    expect(readdirSync(uploads)).toEqual([]);
    const runs = await app.inject({ url: '/api/v1/imports', headers: { 'x-huike-client': 'test', cookie } });
    expect(runs.json().items).toEqual([]);
  });

  it('a truncated multipart body is a 400 and leaves no file', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/imports',
      headers: { 'x-huike-client': 'test', cookie, 'content-type': 'multipart/form-data; boundary=XyZ' },
      payload: multipart('XyZ', '订单编号,买家会员名\n1,a\n'), // no closing boundary
    });
    expectError(res, 400, /cut off or is not valid multipart/);
    expect(readdirSync(uploads)).toEqual([]);
  });

  it("an upload past multipart's own limits (a second file, many fields) says so, and leaves no file", async () => {
    const file = (name: string) =>
      `--XyZ\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n` +
      '订单编号,买家会员名\n1,a\n\r\n';
    const field = (i: number) => `--XyZ\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\nx\r\n`;
    for (const payload of [
      multipart('XyZ', '订单编号,买家会员名\n1,a\n\r\n') + file('second.csv') + '--XyZ--\r\n',
      Array.from({ length: 40 }, (_, i) => field(i)).join('') + '--XyZ--\r\n',
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/imports',
        headers: { 'x-huike-client': 'test', cookie, 'content-type': 'multipart/form-data; boundary=XyZ' },
        payload,
      });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.json().error.reason.key).toBe('upload.tooManyParts');
    }
    expect(readdirSync(uploads)).toEqual([]);
  });

  it('an upload the client abandons half-way leaves no file behind', async () => {
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const head = multipart('AbC', 'A'.repeat(256 * 1024));
    await new Promise<void>((resolve) => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/v1/imports',
        headers: {
          cookie,
          'x-huike-client': 'test',
          'content-type': 'multipart/form-data; boundary=AbC',
          'content-length': String(Buffer.byteLength(head) + 10 * 1024 * 1024),
        },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(head, () => setTimeout(() => req.destroy(), 200));
    });
    await waitFor('the partial upload to be removed', async () => readdirSync(uploads).length === 0);
    const health = await app.inject({ url: '/api/v1/health' });
    expect(health.statusCode).toBe(200);
  });

  it('an upload past the configured limit is a 413 naming the limit, and leaves no file', async () => {
    const res = await small.inject({
      method: 'POST',
      url: '/api/v1/imports',
      headers: { 'x-huike-client': 'test', cookie, 'content-type': 'multipart/form-data; boundary=XyZ' },
      payload: `${multipart('XyZ', 'A'.repeat(4096))}\r\n--XyZ--\r\n`,
    });
    expectError(res, 413, /larger than the upload limit of 0 MB.*HUIKE_UPLOAD_LIMIT_MB/);
    expect(readdirSync(uploads)).toEqual([]);
  });

  it('an upload the disk cannot take with room to spare is refused before it is written', async () => {
    const res = await cramped.inject({
      method: 'POST',
      url: '/api/v1/imports',
      headers: { 'x-huike-client': 'test', cookie, 'content-type': 'multipart/form-data; boundary=XyZ' },
      payload: `${multipart('XyZ', '订单编号\n1\n')}\r\n--XyZ--\r\n`,
    });
    expectError(res, 413, /not enough free disk space.*HUIKE_UPLOAD_MIN_FREE_MB/);
    expect(readdirSync(uploads)).toEqual([]);
  });

  it('an Idempotency-Key reused with a different body answers 422; the same body replays once', async () => {
    const earn = (points: number) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/customers/${customerId}/points/earn`,
        headers: { 'x-huike-client': 'test', cookie, 'idempotency-key': 'gift-2026-11-28' },
        payload: { points, reason: '补偿' },
      });
    const first = await earn(100);
    expect(first.statusCode, first.body).toBe(201);
    const again = await earn(100);
    expect(again.statusCode).toBe(201);
    expect(again.json().id).toBe(first.json().id);
    const other = await earn(5000);
    expectError(other, 422, /already used for a different request/);
    const balance = await app.inject({
      url: `/api/v1/customers/${customerId}/points`,
      headers: { 'x-huike-client': 'test', cookie },
    });
    const gifts = (balance.json().entries as { reason: string | null }[]).filter((e) => e.reason === '补偿');
    expect(gifts).toHaveLength(1);
    // A key whose request failed is free for the corrected request.
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/customers/no-such-customer/points/earn',
      headers: { 'x-huike-client': 'test', cookie, 'idempotency-key': 'retry-me' },
      payload: { points: 1 },
    });
    expect(bad.statusCode).toBe(404);
    const fixed = await app.inject({
      method: 'POST',
      url: `/api/v1/customers/${customerId}/points/earn`,
      headers: { 'x-huike-client': 'test', cookie, 'idempotency-key': 'retry-me' },
      payload: { points: 1 },
    });
    expect(fixed.statusCode, fixed.body).toBe(201);
  });

  it('an Idempotency-Key replays the first answer on every route; in flight 409; another user 422', async () => {
    const { ctx, workspaceId } = env();
    const note = (key: string, who = cookie) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/customers/${customerId}/notes`,
        headers: { 'x-huike-client': 'test', cookie: who, 'idempotency-key': key },
        payload: { body: `回访记录 ${key}` },
      });
    const notes = async (key: string) =>
      (
        (
          await app.inject({
            url: `/api/v1/customers/${customerId}/notes`,
            headers: { 'x-huike-client': 'test', cookie },
          })
        ).json().items as { body: string }[]
      ).filter((n) => n.body === `回访记录 ${key}`).length;
    // Notes have no key of their own: three posts made three notes.
    const first = await note('note-1');
    expect(first.statusCode, first.body).toBe(201);
    const replays = [await note('note-1'), await note('note-1')];
    for (const r of replays) {
      expect(r.statusCode).toBe(201);
      expect(r.json()).toEqual(first.json());
      expect(r.headers['idempotent-replayed']).toBe('true');
    }
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await notes('note-1')).toBe(1);
    // Ten at once: one note; the others are told it is being answered, or get its answer.
    const burst = await Promise.all(Array.from({ length: 10 }, () => note('note-burst')));
    expect(burst.every((r) => r.statusCode === 201 || r.statusCode === 409)).toBe(true);
    for (const r of burst.filter((x) => x.statusCode === 409))
      expect(r.json().error.reason.key).toBe('idempotency.inFlight');
    expect(await notes('note-burst')).toBe(1);
    // Another user with the same key and body is not a retry of the first: 422, nothing replayed to them.
    await createUser(ctx, workspaceId, { login: 'agent-idem', password: 'secret-pass-2', role: 'agent' });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'agent-idem', password: 'secret-pass-2' },
    });
    const agent = String(login.headers['set-cookie']).split(';')[0]!;
    expectError(await note('note-1', agent), 422, /already used for a different request/);
    expect(await notes('note-1')).toBe(1);
    // Kept a week, then dropped by the nightly stats job's housekeeping.
    const keys = () =>
      ctx.db.kysely
        .selectFrom('idempotency_keys')
        .select('key')
        .where('workspace_id', '=', workspaceId)
        .where('key', 'in', ['note-1', 'note-burst'])
        .execute();
    expect((await keys()).length).toBe(2);
    expect(await pruneIdempotencyKeys(ctx.db.kysely, workspaceId, new Date(ctx.now().getTime() + 6 * 86_400_000))).toBe(
      0,
    );
    expect(
      await pruneIdempotencyKeys(ctx.db.kysely, workspaceId, new Date(ctx.now().getTime() + 8 * 86_400_000)),
    ).toBeGreaterThan(1);
    expect(await keys()).toEqual([]);
  });
});
