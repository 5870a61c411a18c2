import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createUser, login, SESSION_COOKIE } from '../../src/modules/auth/service.js';
import { createAudienceList } from '../../src/modules/campaigns/audiences.js';
import { loadDemo } from '../../src/modules/demo/service.js';
import { importFile } from '../../src/modules/imports/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, fixture, scratchDir, type TestEnv } from '../helpers.js';

/** Which kind of record the {id} of a route names, by the start of its path. */
const KINDS: [RegExp, string][] = [
  [/^\/users\/\{id\}/, 'user'],
  [/^\/auth\/tokens\/\{id\}/, 'token'],
  [/^\/stores\/\{id\}/, 'store'],
  [/^\/customers\/\{id\}/, 'customer'],
  [/^\/merges\/\{id\}/, 'merge'],
  [/^\/orders\/\{id\}/, 'order'],
  [/^\/imports\/\{id\}/, 'import'],
  [/^\/segments\/\{id\}/, 'segment'],
  [/^\/segment-snapshots\/\{id\}/, 'snapshot'],
  [/^\/groups\/\{id\}/, 'group'],
  [/^\/points\/rewards\/\{id\}/, 'reward'],
  [/^\/points\/redemptions\/\{id\}/, 'redemption'],
  [/^\/coupons\/templates\/\{id\}/, 'couponTemplate'],
  [/^\/messaging\/channels\/\{id\}/, 'channel'],
  [/^\/campaigns\/\{id\}/, 'campaign'],
  [/^\/campaigns\/audiences\/\{id\}/, 'audienceList'],
  [/^\/tasks\/\{id\}/, 'task'],
  [/^\/surveys\/\{id\}/, 'survey'],
  [/^\/automations\/\{id\}/, 'automation'],
  [/^\/jobs\/\{id\}/, 'job'],
];

const SURVEY = {
  name: '满意度',
  title: '请打分',
  questions: [{ id: 'overall', kind: 'score', label: '满意吗' }],
};

/** Every row of every table that has a workspace_id, of one workspace, as sorted JSON lines. */
async function snapshotOf(env: TestEnv, workspaceId: string): Promise<Record<string, string[]>> {
  const k = env.db.kysely;
  const out: Record<string, string[]> = {};
  for (const t of await k.introspection.getTables()) {
    if (!t.columns.some((c) => c.name === 'workspace_id')) continue;
    // Every business table, whatever its columns: the table name is only known at run time.
    const rows = await (k as any).selectFrom(t.name).selectAll().where('workspace_id', '=', workspaceId).execute();
    out[t.name] = (rows as object[]).map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

/**
 * Two shops on one server: every route with an {id} in its path, called by the owner of workspace B with the id of
 * workspace A's record (and a body valid for the route, so the id is what decides), answers 404 — and afterwards
 * every row of workspace A is as it was.
 */
describeBothDatabases('another workspace’s ids are never read or written', (env) => {
  let app: FastifyInstance;
  let cookieA = '';
  let cookieB = '';
  const a: Record<string, string> = {};
  const b: Record<string, string> = {};
  let wsB = '';
  let n = 0;

  const call = async (cookie: string, method: string, url: string, payload?: object) => {
    const res = await app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: { cookie, 'x-huike-client': 'test', 'idempotency-key': `ws-${++n}` },
      ...(payload === undefined ? {} : { payload }),
    });
    let body: any;
    try {
      body = res.json();
    } catch {
      body = res.body;
    }
    return { status: res.statusCode, body };
  };
  const ok = async (cookie: string, method: string, url: string, payload?: object) => {
    const r = await call(cookie, method, url, payload);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  /** A shop with one record of every kind; ids go into `ids`. */
  const stock = async (workspaceId: string, owner: string, ids: Record<string, string>, seed: number) => {
    const { ctx } = env();
    await loadDemo(ctx, workspaceId, { customers: 30, seed });
    const password = `${owner}-password`;
    await createUser(ctx, workspaceId, { login: owner, password, role: 'owner' });
    const cookie = `${SESSION_COOKIE}=${(await login(ctx, { login: owner, password, workspaceId })).token}`;
    ids.user = (
      await createUser(ctx, workspaceId, { login: `${owner}-helper`, password: 'helper-password', role: 'marketer' })
    ).id;
    ids.token = (await ok(cookie, 'POST', '/auth/tokens', { name: 'script' })).id;
    const store = await ensureStore(ctx, workspaceId, '导入测试店', 'taobao');
    ids.store = store.id;
    ids.import = (
      await importFile(ctx, { workspaceId, store, format: 'taobao', filePath: fixture('taobao-orders-gbk.csv') })
    ).id;
    const customers = (await ok(cookie, 'GET', '/customers?limit=5')).items as { id: string }[];
    ids.customer = customers[0]!.id;
    ids.customer2 = customers[1]!.id;
    ids.order = (await ok(cookie, 'GET', '/orders?limit=1')).items[0].id;
    ids.merge = (await ok(cookie, 'POST', `/customers/${customers[3]!.id}/merge`, { sourceId: customers[4]!.id })).id;
    ids.segment = (
      await ok(cookie, 'POST', '/segments', { name: '全部', rule: { field: 'total_spent', op: '>=', value: 0 } })
    ).id;
    ids.snapshot = (await ok(cookie, 'POST', `/segments/${ids.segment}/snapshot`, {})).id;
    ids.group = (await ok(cookie, 'POST', '/groups', { name: '重点客户' })).id;
    await ok(cookie, 'POST', `/customers/${ids.customer}/points/earn`, { points: 5000 });
    ids.reward = (await ok(cookie, 'POST', '/points/rewards', { name: '帆布袋', kind: 'gift', pointsCost: 100 })).id;
    ids.redemption = (
      await ok(cookie, 'POST', `/points/rewards/${ids.reward}/redeem`, { customerId: ids.customer })
    ).id;
    ids.couponTemplate = (
      await ok(cookie, 'POST', '/coupons/templates', {
        name: '满100减10',
        rules: { kind: 'spend_off', minFen: 10_000, offFen: 1_000 },
        validity: { days: 30 },
      })
    ).id;
    ids.channel = (await ok(cookie, 'POST', '/messaging/channels', { name: '短信', kind: 'outbox' })).id;
    await ok(cookie, 'PUT', '/messaging/settings', { smsSignature: '回客旗舰店' });
    ids.campaign = (
      await ok(cookie, 'POST', '/campaigns', {
        name: '会员日',
        segmentId: ids.segment,
        variants: [{ key: 'A', content: { text: '会员日 8 折' } }],
      })
    ).id;
    ids.tier = (await ok(cookie, 'GET', '/tiers')).tiers[1].key;
    ids.task = (
      await ok(cookie, 'POST', '/tasks', {
        type: 'revisit',
        customerId: ids.customer,
        dueAt: '2026-12-01T02:00:00.000Z',
        title: '回访',
      })
    ).id;
    ids.survey = (await ok(cookie, 'POST', '/surveys', SURVEY)).id;
    ids.automation = (await ok(cookie, 'POST', '/automations', { builtin: 'cart_reminder', enabled: true })).id;
    ids.audienceList = (
      await createAudienceList(
        ctx,
        workspaceId,
        { name: '名单', fileName: null, lines: [{ line: 1, value: ids.customer! }] },
        null,
      )
    ).id;
    ids.job = (await ok(cookie, 'GET', '/jobs?limit=1')).items[0].id; // the import's and the demo's
    return cookie;
  };

  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    app = await buildServer(ctx, { dataDir: scratchDir('huike-ws-') });
    await app.ready();
    cookieA = await stock(workspaceId, 'owner-a', a, 7);
    wsB = (await createWorkspace(ctx, '另一家店')).id;
    cookieB = await stock(wsB, 'owner-b', b, 9);
  });
  afterAll(async () => {
    await app?.close();
  });

  /** A body the route takes, naming workspace B's own records where it names any. */
  const bodyFor = (method: string, path: string): object | undefined => {
    const bodies: Record<string, object> = {
      'PATCH /users/{id}': { name: '改名' },
      'PATCH /stores/{id}': { name: '改名' },
      'PATCH /customers/{id}': { realName: '改名' },
      'POST /customers/{id}/merge': { sourceId: b.customer2! },
      'PUT /segments/{id}': { name: '改名', rule: { field: 'total_spent', op: '>=', value: 1 } },
      'POST /segments/{id}/snapshot': {},
      'POST /segments/{id}/tag': { tag: '越权' },
      'POST /segments/{id}/untag': { tag: '越权' },
      'POST /segments/{id}/actions/tag': { tag: '越权' },
      'POST /segments/{id}/actions/coupon': { templateId: b.couponTemplate!, batch: '越权' },
      'POST /segments/{id}/actions/points': { points: 10, reason: '越权', batch: '越权' },
      'POST /groups/{id}/members': { add: [b.customer!] },
      'POST /customers/{id}/notes': { body: '越权' },
      'POST /customers/{id}/points/earn': { points: 10 },
      'POST /customers/{id}/points/redeem': { points: 1 },
      'POST /customers/{id}/points/adjust': { points: 10, reason: '越权' },
      'POST /customers/{id}/points/sign-in': {},
      'POST /customers/{id}/referrals': { referredCustomerId: b.customer2! },
      'POST /points/rewards/{id}/redeem': { customerId: b.customer! },
      'PUT /points/rewards/{id}': { name: '越权', kind: 'gift', pointsCost: 1 },
      'PUT /customers/{id}/tier': { tierKey: b.tier!, reason: '越权' },
      'POST /coupons/templates/{id}/issue': { customerId: b.customer! },
      'POST /coupons/templates/{id}/issue-segment': { segmentId: b.segment!, batch: 'x' },
      'PUT /coupons/templates/{id}': {
        name: '越权',
        rules: { kind: 'cash', offFen: 100 },
        validity: { days: 30 },
      },
      'POST /customers/{id}/reviews': { orderId: b.order!, rating: 'bad' },
      'POST /messaging/channels/{id}/test': { to: '13800000000', text: '测试' },
      'POST /messaging/channels/{id}/replies': { from: '13800000000', text: 'TD' },
      'PUT /campaigns/{id}': {
        name: '改名',
        segmentId: b.segment!,
        variants: [{ key: 'A', content: { text: '越权' } }],
      },
      'PATCH /tasks/{id}': { title: '越权' },
      'POST /tasks/{id}/complete': { outcome: '越权' },
      'PUT /surveys/{id}': { ...SURVEY, name: '改名' },
      'POST /surveys/{id}/invitations': { customerId: b.customer! },
      'PUT /automations/{id}': { builtin: 'cart_reminder', settings: { delayMinutes: 5 } },
    };
    const key = `${method} ${path}`;
    if (bodies[key]) return bodies[key];
    return method === 'POST' || method === 'PUT' || method === 'PATCH' ? {} : undefined;
  };

  it('every route with an {id}, given an id of another workspace, answers 404 and changes nothing there', async () => {
    const before = await snapshotOf(env(), env().workspaceId);
    const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const wrong: string[] = [];
    let walked = 0;
    for (const [full, ops] of Object.entries(doc.paths)) {
      const path = full.replace(/^\/api\/v1/, '');
      if (!path.includes('{id}')) continue;
      const kind = KINDS.find(([rx]) => rx.test(path))?.[1];
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
        if (!ops[method]) continue;
        const M = method.toUpperCase();
        if (!kind || !a[kind]) {
          wrong.push(`${M} ${full}: no record kind for its {id} (add it to KINDS and stock())`);
          continue;
        }
        walked += 1;
        const r = await call(cookieB, M, path.replace('{id}', a[kind]!), bodyFor(M, path));
        if (r.status !== 404 || r.body?.error?.code !== 'not_found')
          wrong.push(`${M} ${full}: ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(walked).toBeGreaterThan(60);
    expect(await snapshotOf(env(), env().workspaceId)).toEqual(before);
  });

  it('the same calls with the workspace’s own ids are let through (the walk above is not vacuous)', async () => {
    // A few reads and writes with B's own ids succeed for B, and A's succeed for A.
    expect((await call(cookieB, 'GET', `/customers/${b.customer}`)).status).toBe(200);
    expect((await call(cookieA, 'GET', `/customers/${a.customer}`)).status).toBe(200);
    expect((await call(cookieB, 'PATCH', `/stores/${b.store}`, { name: '改名' })).status).toBe(200);
    expect((await call(cookieB, 'POST', `/customers/${b.customer}/notes`, { body: '自己的' })).status).toBe(201);
    expect((await call(cookieB, 'GET', `/campaigns/${b.campaign}`)).status).toBe(200);
  });
});
