import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/modules/auth/service.js';
import { loadDemo } from '../../src/modules/demo/service.js';
import { importFile } from '../../src/modules/imports/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createAudienceList } from '../../src/modules/campaigns/audiences.js';
import { droppedFields } from '../../src/modules/strict-responses.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, fixture, scratchDir } from '../helpers.js';

describe('strict responses', () => {
  it('name the fields a response schema would drop, however deep', () => {
    const sent = { a: 1, b: { c: 2, d: [{ e: 3, f: 4 }] }, g: undefined };
    const kept = { a: 1, b: { c: 2, d: [{ e: 3 }] } };
    expect(droppedFields(sent, kept)).toEqual(['b.d[0].f']);
    expect(droppedFields(kept, kept)).toEqual([]);
  });
});

/**
 * Every route answers what its response schema (the OpenAPI document, and so the console's
 * generated types) says: on a demo shop, each GET route and the console's writes are called with
 * strict responses, where a field the handler sends but the schema drops is a 500.
 */
describeBothDatabases('API contract', (env) => {
  let app: FastifyInstance;
  let cookie = '';
  const ids: Record<string, string> = {};
  const special: Record<string, string> = {};

  // Answers are checked by the server's schemas; the test reads them loosely.
  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: object,
  ): Promise<any> => {
    const headers: Record<string, string> = {
      cookie,
      'x-huike-client': 'test',
      'idempotency-key': `k-${method}-${url}`,
    };
    const res = await app.inject({
      method,
      url: `/api/v1${url}`,
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
    if (res.statusCode >= 300) throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
    return res.body ? (String(res.headers['content-type']).includes('json') ? res.json() : res.body) : undefined;
  };

  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    await loadDemo(ctx, workspaceId, { customers: 150, seed: 7 });
    const store = await ensureStore(ctx, workspaceId, '导入测试店', 'taobao');
    ids.imports = (
      await importFile(ctx, { workspaceId, store, format: 'taobao', filePath: fixture('taobao-orders-gbk.csv') })
    ).id;
    await createUser(ctx, workspaceId, { login: 'owner', password: 'secret-pass-1', role: 'owner' });
    app = await buildServer(ctx, { dataDir: scratchDir('huike-contract-'), strictResponses: true });
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'owner', password: 'secret-pass-1' },
    });
    expect(login.statusCode).toBe(200);
    cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const customers = await call('GET', '/customers?limit=5');
    ids.customers = customers.items[0].id;
    ids.orders = (await call('GET', '/orders?limit=1')).items[0].id;
    ids.stores = store.id;
    const seg = await call('POST', '/segments', { name: '高消费', rule: { field: 'total_spent', op: '>=', value: 0 } });
    ids.segments = seg.id;
    ids['segment-snapshots'] = (await call('POST', `/segments/${seg.id}/snapshot`, {})).id;
    await call('PUT', '/messaging/settings', { smsSignature: '回客旗舰店' });
    const variants = [{ key: 'A', content: { text: '会员日 8 折' } }];
    ids.campaigns = (await call('POST', '/campaigns', { name: '会员日', segmentId: seg.id, variants })).id;
    await call('POST', `/campaigns/${ids.campaigns}/launch`);
    ids.tasks = (
      await call('POST', '/tasks', {
        type: 'revisit',
        customerId: ids.customers,
        dueAt: '2026-12-01T02:00:00.000Z',
        title: '回访',
      })
    ).id;
    ids.surveys = (
      await call('POST', '/surveys', {
        name: '满意度',
        title: '请打分',
        questions: [{ id: 'overall', kind: 'score', label: '满意吗' }],
      })
    ).id;
    // A second campaign (its own idempotency key: the key is made from the URL).
    const second = (await call('POST', '/campaigns?second=1', { name: '满减', segmentId: seg.id, variants })).id;
    await call('POST', `/campaigns/${second}/launch`);
    const list = await createAudienceList(
      ctx,
      workspaceId,
      {
        name: '名单',
        fileName: null,
        lines: [
          { line: 1, value: ids.customers! },
          { line: 2, value: 'nobody' },
        ],
      },
      null,
    );
    ids.automations = (await call('POST', '/automations', { builtin: 'cart_reminder', enabled: true })).id;
    ids.jobs = (await call('GET', '/jobs?limit=1')).items[0].id; // the campaigns' launches queued some
    // Routes whose path or query the resource id alone does not fill.
    special['/campaigns/compare'] = `/campaigns/compare?ids=${ids.campaigns},${second}`;
    special['/campaigns/audiences/{id}/unmatched.csv'] = `/campaigns/audiences/${list.id}/unmatched.csv`;
  });
  afterAll(async () => {
    await app?.close();
  });

  it('every GET route answers 2xx with nothing its schema drops', async () => {
    const paths = Object.entries(app.swagger().paths ?? {}).filter(([, ops]) => ops && 'get' in ops);
    const uncovered: string[] = [];
    for (const [path] of paths) {
      const rel = path.replace(/^\/api\/v1/, '');
      if (special[rel]) {
        await call('GET', special[rel]);
        continue;
      }
      const resource = rel.split('/')[1]!;
      if (rel.includes('{id}') && !ids[resource]) {
        uncovered.push(path);
        continue;
      }
      await call('GET', rel.replace('{id}', ids[resource] ?? ''));
    }
    expect(uncovered, 'add an id for these routes in test/modules/api-contract.test.ts').toEqual([]);
    expect(paths.length).toBeGreaterThan(40);
  });

  it("the console's writes answer what their schemas say", async () => {
    const c = ids.customers!;
    await call('POST', '/users', { login: 'helper', password: 'secret-pass-2', role: 'marketer' });
    await call('POST', '/auth/tokens', { name: 'script' });
    await call('POST', `/customers/${c}/points/earn`, { points: 5000 });
    const reward = await call('POST', '/points/rewards', { name: '帆布袋', kind: 'gift', pointsCost: 100, stock: 5 });
    const redemption = await call('POST', `/points/rewards/${reward.id}/redeem`, { customerId: c });
    expect(redemption).toMatchObject({ rewardId: reward.id, customerId: c, replayed: false });
    await call('POST', `/points/redemptions/${redemption.id}/void`);
    const seg = ids.segments!;
    expect(await call('POST', '/points/grant', { segmentId: seg, points: 10, batch: 'b1', reason: '店庆' })).toEqual({
      granted: expect.any(Number),
      already: 0,
      erased: 0,
    });
    const { members: _members, ...ladder } = await call('GET', '/tiers');
    await call('POST', '/tiers/preview', ladder);
    await call('PUT', '/tiers', ladder);
    expect(await call('POST', '/tiers/evaluate', { yearly: true })).toMatchObject({
      yearly: { reviewed: expect.any(Number) },
    });
    await call('PUT', `/customers/${c}/tier`, { tierKey: ladder.tiers[1].key, reason: '老客户' });
    const template = await call('POST', '/coupons/templates', {
      name: '满100减10',
      rules: { kind: 'spend_off', minFen: 10_000, offFen: 1_000 },
      validity: { days: 30 },
    });
    await call('POST', `/coupons/templates/${template.id}/issue`, { customerId: c });
    await call('POST', `/coupons/templates/${template.id}/issue-segment`, { segmentId: seg, batch: 'b1' });
    await call('POST', `/segments/${seg}/actions/tag`, { tag: '批量' });
    await call('POST', `/segments/${seg}/actions/coupon`, { templateId: template.id, batch: 'b2' });
    await call('POST', `/segments/${seg}/actions/points`, { points: 5, reason: '店庆' });
    expect((await call('GET', `/segments/${seg}/actions`)).items.length).toBe(3);
    await call('POST', `/coupons/templates/${template.id}/pause`);
    await call('POST', `/coupons/templates/${template.id}/resume`);
    await call('POST', '/coupons/sync');
    await call('POST', '/points/sync');
    const group = await call('POST', '/groups', { name: '重点客户' });
    await call('POST', `/groups/${group.id}/members`, { add: [c] });
    const store = await call('POST', '/stores', { name: '空店', platform: 'jd' });
    await call('DELETE', `/stores/${store.id}`);
    // The campaign launched on `seg` above waits for a worker (none runs here) to freeze its audience, so `seg` is
    // kept (409 segment.campaignPreparing); a segment no campaign waits for is deleted.
    const spare = await call('POST', '/segments?spare=1', {
      name: '临时',
      rule: { field: 'total_spent', op: '>=', value: 1 },
    });
    await call('DELETE', `/segments/${spare.id}`);
    await call('POST', '/auth/logout');
  });
});
