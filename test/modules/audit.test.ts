import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/modules/auth/service.js';
import { audit } from '../../src/modules/audit/service.js';
import { importFile } from '../../src/modules/imports/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';

/** A Taobao export with raw columns that carry personal data: Alipay account, changed address, a spare phone. */
const TAOBAO_CSV = [
  '订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,总金额,买家实际支付金额,订单状态,买家留言,收货人姓名,收货地址,' +
    '联系电话,联系手机,订单创建时间,订单付款时间,宝贝标题,宝贝总数量,物流单号,修改后的收货地址,备用联系方式,店铺名称',
  '4012345678901240001,tb_lili2019,lili@163.com,299.00,0.00,299.00,269.00,交易成功,电话 13911112222 白天打,李丽,' +
    '浙江省 杭州市 西湖区 文三路 138 号(310012),0571-88886666,13812345678,2025-11-11 00:01:23,2025-11-11 00:01:40,' +
    '羊毛混纺大衣,1,YT8901242488,浙江省 杭州市 西湖区 文二路 200 号,15800001111,回客旗舰店',
].join('\r\n');

const SHOPIFY_CSV = [
  'Name,Email,Financial Status,Paid at,Fulfillment Status,Currency,Subtotal,Shipping,Total,Created at,' +
    'Lineitem quantity,Lineitem name,Lineitem price,Billing Name,Billing Street,Billing Address1,Billing Zip,' +
    'Billing Phone,Shipping Name,Shipping Street,Shipping City,Shipping Phone,Notes',
  '#2001,amy@example.com,paid,2026-10-01 10:00:05 +0800,fulfilled,CNY,300.00,0.00,300.00,' +
    '2026-10-01 10:00:00 +0800,1,Silk scarf,300.00,Amy Zhang,88 Nanjing Rd,88 Nanjing Rd,200000,' +
    '+86 139 1234 5678,Amy Zhang,88 Nanjing Rd,Shanghai,+86 139 1234 5678,call amy.backup@example.org',
].join('\r\n');

const ROLES = ['owner', 'admin', 'marketer', 'agent', 'analyst'] as const;

describeBothDatabases('PII masking of raw order columns, reveals and the audit log', (env) => {
  let app: FastifyInstance;
  const cookies: Record<string, string> = {};
  let taobaoOrder = '';
  let shopifyOrder = '';
  let lili = '';

  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    const dir = scratchDir('huike-audit-');
    writeFileSync(join(dir, 'taobao.csv'), `\uFEFF${TAOBAO_CSV}`);
    writeFileSync(join(dir, 'shopify.csv'), SHOPIFY_CSV);
    const tb = await ensureStore(ctx, workspaceId, '淘宝店', 'taobao');
    const sh = await ensureStore(ctx, workspaceId, 'Shopify 店', 'shopify');
    for (const [store, format, file] of [
      [tb, 'taobao', 'taobao.csv'],
      [sh, 'shopify', 'shopify.csv'],
    ] as const) {
      const run = await importFile(ctx, { workspaceId, store, format, filePath: join(dir, file) });
      expect(run.rows_rejected, `${format} rejected rows`).toBe(0);
    }
    const orders = await ctx.db.kysely
      .selectFrom('orders')
      .select(['id', 'external_id', 'customer_id'])
      .where('workspace_id', '=', workspaceId)
      .execute();
    taobaoOrder = orders.find((o) => o.external_id === '4012345678901240001')!.id;
    shopifyOrder = orders.find((o) => o.external_id === '#2001')!.id;
    lili = orders.find((o) => o.external_id === '4012345678901240001')!.customer_id!;
    for (const role of ROLES)
      await createUser(ctx, workspaceId, { login: `${role}1`, password: `${role}-password`, role });
    app = await buildServer(ctx, { dataDir: dir });
    for (const role of ROLES) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: `${role}1`, password: `${role}-password` },
      });
      expect(r.statusCode, r.body).toBe(200);
      cookies[role] = String(r.headers['set-cookie']).split(';')[0]!;
    }
  });
  afterAll(async () => {
    await app?.close();
  });

  const call = (role: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { cookie: cookies[role]!, 'x-huike-client': 'test' },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  const auditEntries = async (query = '') => {
    const r = await call('owner', 'GET', `/audit${query}`);
    expect(r.statusCode, r.body).toBe(200);
    return r.json().items as {
      action: string;
      actor: string | null;
      target: string | null;
      details: any;
      ip: string;
    }[];
  };

  it('GET /orders/{id}: raw Taobao columns masked for analyst, marketer, agent; full for owner, admin', async () => {
    for (const role of ['owner', 'admin']) {
      const o = (await call(role, 'GET', `/orders/${taobaoOrder}`)).json();
      expect(o.raw['买家支付宝账号']).toBe('lili@163.com');
      expect(o.raw['修改后的收货地址']).toBe('浙江省 杭州市 西湖区 文二路 200 号');
      expect(o.raw['备用联系方式']).toBe('15800001111');
      expect(o.receiverName).toBe('李丽');
      expect(o.receiverPhone).toBe('13812345678');
    }
    for (const role of ['analyst', 'marketer', 'agent']) {
      const r = await call(role, 'GET', `/orders/${taobaoOrder}`);
      expect(r.statusCode, r.body).toBe(200);
      const o = r.json();
      expect(o.raw['买家支付宝账号'], role).toBe('l***@163.com');
      expect(o.raw['修改后的收货地址']).toBe('浙江省 杭州市 西湖区 ****');
      // An unknown column holding a phone is masked by its look.
      expect(o.raw['备用联系方式']).toBe('158****1111');
      expect(o.raw['物流单号']).toBe('YT8901242488');
      expect(o.raw['店铺名称']).toBe('回客旗舰店');
      expect(o.receiverName).toBe('李*');
      expect(o.receiverPhone).toBe('138****5678');
      expect(o.buyerMessage).toBe('电话 139****2222 白天打');
      expect(JSON.stringify(o)).not.toMatch(/13812345678|15800001111|13911112222|lili@163|文二路|88886666/);
    }
  });

  it('GET /orders/{id}: raw Shopify billing columns are masked for roles without pii:read', async () => {
    const full = (await call('owner', 'GET', `/orders/${shopifyOrder}`)).json();
    expect(full.raw['Billing Phone']).toBe('+86 139 1234 5678');
    expect(full.raw['Billing Street']).toBe('88 Nanjing Rd');
    for (const role of ['analyst', 'marketer', 'agent']) {
      const o = (await call(role, 'GET', `/orders/${shopifyOrder}`)).json();
      expect(o.raw['Billing Phone']).toBe('139****5678');
      expect(o.raw['Billing Street']).toBe('****');
      expect(o.raw['Billing Address1']).toBe('****');
      expect(o.raw['Billing Zip']).toBe('20****');
      expect(o.raw['Lineitem name'] ?? 'Silk scarf').toBe('Silk scarf');
      expect(JSON.stringify(o), role).not.toMatch(/1234 5678|Nanjing|amy\.backup@|Amy Zhang/);
    }
  });

  it('customer answers and the customer export mask names and e-mails for a marketer, not for the owner', async () => {
    const { ctx, workspaceId } = env();
    const amy = await ctx.db.kysely
      .selectFrom('customers')
      .select(['id', 'display_name', 'real_name', 'email'])
      .where('workspace_id', '=', workspaceId)
      .where('email', '=', 'amy@example.com')
      .executeTakeFirstOrThrow();
    const masked = (await call('marketer', 'GET', `/customers/${amy.id}`)).json();
    expect(masked.email).toBe('a***@example.com');
    expect(JSON.stringify(masked)).not.toMatch(/amy@example\.com|Amy Zhang|Nanjing/);
    const full = (await call('owner', 'GET', `/customers/${amy.id}`)).json();
    expect(full.email).toBe('amy@example.com');

    const exp = await call('marketer', 'POST', '/customers/export', { ids: [amy.id, lili] });
    expect(exp.statusCode, exp.body).toBe(200);
    const text = JSON.stringify(exp.json().rows);
    expect(text).toContain('a***@example.com');
    expect(text).toContain('138****5678');
    expect(text).not.toMatch(/amy@example\.com|13812345678/);
    const ownerExp = JSON.stringify((await call('owner', 'POST', '/customers/export', { ids: [amy.id, lili] })).json());
    expect(ownerExp).toContain('amy@example.com');
    expect(ownerExp).toContain('13812345678');
  });

  it('a phone in a note is masked for an agent, full for the owner', async () => {
    const added = await call('owner', 'POST', `/customers/${lili}/notes`, { body: '备用手机 15900001234，晚上联系' });
    expect(added.statusCode, added.body).toBeLessThan(300);
    const note = async (role: string) => (await call(role, 'GET', `/customers/${lili}/notes`)).json().items[0].body;
    expect(await note('agent')).toBe('备用手机 159****1234，晚上联系');
    expect(await note('owner')).toBe('备用手机 15900001234，晚上联系');
  });

  it('an agent reveals a phone for a call; the reveal is in the audit log with who and from where', async () => {
    const r = await call('agent', 'POST', `/customers/${lili}/reveal`, { fields: ['phone'], reason: '回访' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ id: lili, phone: '13812345678' });
    const [entry] = await auditEntries('?action=pii.reveal_customer');
    expect(entry).toMatchObject({
      action: 'pii.reveal_customer',
      actor: 'agent1',
      target: `customer ${lili}`,
      details: { fields: ['phone'], reason: '回访' },
      ip: '127.0.0.1',
    });
    // Body-less: everything.
    const all = await app.inject({
      method: 'POST',
      url: `/api/v1/orders/${taobaoOrder}/reveal`,
      headers: { cookie: cookies.agent!, 'x-huike-client': 'test' },
    });
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json().raw['买家支付宝账号']).toBe('lili@163.com');
    expect(all.json().raw['物流单号']).toBeUndefined();
    expect((await auditEntries('?action=pii.reveal_order'))[0]?.target).toBe(`order ${taobaoOrder}`);
  });

  it('a marketer and an analyst cannot reveal', async () => {
    for (const role of ['marketer', 'analyst']) {
      const r = await call(role, 'POST', `/customers/${lili}/reveal`, {});
      expect(r.statusCode, `${role}: ${r.body}`).toBe(403);
    }
  });

  it('a failed login, an export, a settings change and a token creation are audited', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'marketer1', password: 'not-the-password' },
    });
    expect(bad.statusCode).toBe(401);
    const [failed] = await auditEntries('?action=auth.login_failed');
    expect(failed).toMatchObject({ actor: 'marketer1', details: { reason: 'wrong_password' }, ip: '127.0.0.1' });

    const settings = (await call('owner', 'GET', '/points/settings')).json();
    const put = await call('owner', 'PUT', '/points/settings', settings);
    expect(put.statusCode, put.body).toBe(200);
    expect((await auditEntries('?action=settings.points'))[0]).toMatchObject({ actor: 'owner1' });

    const tok = await call('admin', 'POST', '/auth/tokens', { name: '对账脚本' });
    expect(tok.statusCode, tok.body).toBe(201);
    const [created] = await auditEntries('?action=token.create');
    expect(created).toMatchObject({ actor: 'admin1', details: { body: { name: '对账脚本' } } });
    expect(JSON.stringify(created)).not.toContain(tok.json().token);

    const exports = await auditEntries('?action=export.');
    expect(exports.map((e) => e.action)).toContain('export.customers');
    expect(exports.find((e) => e.actor === 'marketer1')?.details.body.ids).toHaveLength(2);
    expect((await auditEntries('?action=auth.login')).length).toBeGreaterThanOrEqual(ROLES.length);
  });

  it('points granted to one customer and a segment action are audited', async () => {
    // The console's 调整积分 (+), 发一张券 and 对这些客户 went unlogged.
    const earn = await app.inject({
      method: 'POST',
      url: `/api/v1/customers/${lili}/points/earn`,
      headers: { cookie: cookies.owner!, 'x-huike-client': 'test', 'idempotency-key': 'audit-earn-1' },
      payload: { points: 100, reason: '客服补偿' },
    });
    expect(earn.statusCode, earn.body).toBe(201);
    expect((await auditEntries('?action=points.earn'))[0]).toMatchObject({
      actor: 'owner1',
      details: { body: { points: 100, reason: '客服补偿' } },
    });
    const seg = await call('owner', 'POST', '/segments', {
      name: '审计人群',
      rule: { field: 'paid_orders', op: 'gte', value: 1 },
    });
    expect(seg.statusCode, seg.body).toBe(201);
    const tagged = await call('owner', 'POST', `/segments/${seg.json().id}/actions/tag`, { tag: '审计' });
    expect(tagged.statusCode, tagged.body).toBeLessThan(300);
    expect((await auditEntries('?action=bulk.segment_tag')).length).toBeGreaterThan(0);
    // A tag added on one customer's page names her (the log showed 批量打标签 and her bare id in the details).
    const one = await call('owner', 'POST', '/tags/apply', { customerIds: [lili], add: ['回头客'] });
    expect(one.statusCode, one.body).toBe(200);
    const name = (
      await env()
        .db.kysely.selectFrom('customers')
        .select('display_name')
        .where('id', '=', lili)
        .executeTakeFirstOrThrow()
    ).display_name;
    expect((await auditEntries('?action=bulk.tags_apply'))[0]).toMatchObject({
      target: `customer ${lili}`,
      targetName: name,
      details: { body: { customerIds: [lili], add: ['回头客'] } },
    });
    // Several customers: no one target.
    const two = await call('owner', 'POST', '/tags/apply', { customerIds: [lili, lili], add: ['回头客'] });
    expect(two.statusCode, two.body).toBe(200);
    expect((await auditEntries('?action=bulk.tags_apply'))[0]).toMatchObject({ target: null });
  });

  it('switching an automation on and off is audited, with who and which', async () => {
    const on = await call('owner', 'POST', '/automations', { builtin: 'winback', enabled: true });
    expect(on.statusCode, on.body).toBe(200);
    const id = on.json().id as string;
    expect((await auditEntries('?action=automation.create'))[0]).toMatchObject({
      actor: 'owner1',
      details: { body: { builtin: 'winback', enabled: true } },
    });
    expect((await call('owner', 'POST', `/automations/${id}/disable`, {})).statusCode).toBe(200);
    expect((await auditEntries('?action=automation.disable'))[0]).toMatchObject({
      actor: 'owner1',
      target: `automation ${id}`,
      // The target by its name, for the log's reader.
      targetName: '沉睡唤醒',
    });
  });

  it('the log is searchable by actor, text and date, newest first, page by page', async () => {
    const byAgent = await auditEntries('?actor=agent1');
    expect(byAgent.every((e) => e.actor === 'agent1')).toBe(true);
    expect((await auditEntries('?q=%E5%9B%9E%E8%AE%BF')).map((e) => e.action)).toEqual(['pii.reveal_customer']);
    expect(await auditEntries('?from=2099-01-01T00:00:00Z')).toEqual([]);
    const first = (await call('owner', 'GET', '/audit?limit=2')).json();
    expect(first.items).toHaveLength(2);
    const second = (await call('owner', 'GET', `/audit?limit=2&cursor=${first.nextCursor}`)).json();
    expect(second.items[0].id < first.items[1].id).toBe(true);
    expect((await call('marketer', 'GET', '/audit')).statusCode).toBe(403);
    expect((await call('owner', 'GET', '/audit?from=2026-02-30T00:00:00Z')).statusCode).toBe(400);
  });

  it('an erasure is audited without the name typed to confirm it', async () => {
    const r = await call('owner', 'POST', `/customers/${lili}/erase`, { confirm: lili, reason: '顾客来电要求' });
    expect(r.statusCode, r.body).toBe(200);
    const [entry] = await auditEntries('?action=customer.erase');
    expect(entry).toMatchObject({ actor: 'owner1', target: `customer ${lili}` });
    expect(entry!.details.body).toEqual({ confirm: '[hidden]', reason: '顾客来电要求' });
  });

  it('the database refuses to change or remove an audit entry', async () => {
    const { ctx, workspaceId } = env();
    await audit(ctx, { workspaceId, actor: null, action: 'test.entry', target: 'x' });
    const k = ctx.db.kysely;
    await expect(
      k.updateTable('audit_log').set({ action: 'changed' }).where('workspace_id', '=', workspaceId).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(k.deleteFrom('audit_log').where('workspace_id', '=', workspaceId).execute()).rejects.toThrow(
      /append-only/,
    );
    if (ctx.db.dialect === 'postgres') await expect(sql`TRUNCATE audit_log`.execute(k)).rejects.toThrow(/append-only/);
    const left = await k.selectFrom('audit_log').select('action').where('action', '=', 'test.entry').execute();
    expect(left).toHaveLength(1);
  });
});

describe('the audited route map', () => {
  it('names only routes the server has', async () => {
    const { AUDITED_ROUTES } = await import('../../src/modules/audit/hook.js');
    const { openDatabase } = await import('../../src/db/connect.js');
    const { migrateToLatest } = await import('../../src/db/migrate.js');
    const db = openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    const app = await buildServer({ db, now: () => new Date() });
    const routes = new Set<string>();
    await app.ready();
    for (const key of Object.keys(AUDITED_ROUTES)) {
      const [method, url] = key.split(' ') as [string, string];
      if (app.hasRoute({ method: method as 'GET', url })) routes.add(key);
    }
    const missing = Object.keys(AUDITED_ROUTES).filter((k) => !routes.has(k));
    expect(missing).toEqual([]);
    await app.close();
    await db.close();
  });
});
