import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/modules/auth/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { injectedLogin } from '../support/http.js';
import { describeBothDatabases } from '../helpers.js';
import { orderRecord } from '../support/records.js';

interface Listed {
  id: string;
  name: string;
  system: boolean;
  count: number | null;
  countedAt: string | null;
}

describeBothDatabases('the segment list shows the last count of each segment and when it was taken', (env) => {
  let app: FastifyInstance;
  let cookie = '';
  const call = async <T>(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
    const res = await app.inject({ method, url: `/api/v1${url}`, payload, headers: { cookie, 'x-huike-client': 't' } });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json() as T;
  };
  const listed = async () => (await call<{ items: Listed[] }>('GET', '/segments')).items;

  beforeAll(async () => {
    const e = env();
    e.setNow('2026-11-23T04:00:00.000Z');
    const store = await ensureStore(e.ctx, e.workspaceId, '计数店', 'taobao');
    // Three buyers: a, b with two orders (回头客), c with one.
    const records = ['a', 'a', 'b', 'b', 'c'].map((nick, i) =>
      orderRecord({
        line: i + 1,
        externalId: `C${i}`,
        createdAt: `2026-11-${String(10 + i).padStart(2, '0')}T02:00:00.000Z`,
        paidFen: 10_000,
        buyer: { nick, externalId: null, email: null, phone: null, name: null },
      }),
    );
    await e.db.kysely
      .transaction()
      .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
    await createUser(e.ctx, e.workspaceId, { login: 'boss', password: 'secret-pass-1', role: 'owner' });
    app = await buildServer(e.ctx);
    cookie = await injectedLogin(app, 'boss', 'secret-pass-1');
  });
  afterAll(async () => app?.close());

  it('lists no size before a count, then the count and its time: listing counts nothing', async () => {
    const before = (await listed()).find((s) => s.id === 'sys:returning')!;
    expect([before.count, before.countedAt]).toEqual([null, null]);
    const counted = await call<{ count: number; countedAt: string }>('GET', '/segments/sys:returning');
    expect(counted).toMatchObject({ count: 2, countedAt: '2026-11-23T04:00:00.000Z' });
    env().setNow('2026-11-23T04:10:00.000Z');
    const after = await listed();
    expect(after.find((s) => s.id === 'sys:returning')).toMatchObject({
      count: 2,
      countedAt: '2026-11-23T04:00:00.000Z',
    });
    // The other rows were not counted by listing them.
    expect(after.filter((s) => s.id !== 'sys:returning' && s.count !== null)).toEqual([]);
  });

  it("a saved segment whose rule changed does not show the old rule's count", async () => {
    const saved = await call<{ id: string }>('POST', '/segments', {
      name: '两单以上',
      rule: { field: 'paid_orders', op: 'gte', value: 2 },
    });
    expect((await call<{ count: number }>('GET', `/segments/${saved.id}`)).count).toBe(2);
    expect((await listed()).find((s) => s.id === saved.id)!.count).toBe(2);
    await call('PUT', `/segments/${saved.id}`, {
      name: '两单以上',
      rule: { field: 'paid_orders', op: 'gte', value: 1 },
    });
    expect((await listed()).find((s) => s.id === saved.id)!.count).toBeNull();
    expect((await call<{ count: number }>('GET', `/segments/${saved.id}`)).count).toBe(3);
    expect((await listed()).find((s) => s.id === saved.id)!.count).toBe(3);
  });
});
