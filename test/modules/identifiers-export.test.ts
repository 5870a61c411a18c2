import { PassThrough } from 'node:stream';
import ExcelJS from 'exceljs';
import { beforeAll, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { displayNames } from '../../src/db/migrations/0011_display_names.js';
import { createUser } from '../../src/modules/auth/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { recomputeRfm } from '../../src/modules/segments/rfm.js';
import { ruleCsv, ruleXlsx } from '../../src/modules/segments/service.js';
import { tagCustomers } from '../../src/modules/tags/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { buildServer } from '../../src/server.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { orderRecord, customerRow } from '../support/records.js';

/**
 * A customer known only by a buyer id is named by it (not "—"), and every export carries who the
 * customer is in each shop: buyer nick and buyer id per platform, and the stores.
 *   amy      nick "amy" on Tmall, and the same phone on Douyin with Douyin buyer id dy-123
 *   tb-998   a Tmall buyer id only
 *   phone    only a phone on Douyin (named by the masked phone)
 */
describeBothDatabases('buyer identifiers in names and exports', (env) => {
  const everyone = { field: 'orders_count', op: 'gte', value: 0 };
  beforeAll(async () => {
    const e = env();
    const tmall = await ensureStore(e.ctx, e.workspaceId, '天猫旗舰店', 'tmall');
    const douyin = await ensureStore(e.ctx, e.workspaceId, '抖音小店', 'douyin');
    const buyer = (b: { nick?: string; id?: string; phone?: string }) => ({
      nick: b.nick ?? null,
      externalId: b.id ?? null,
      email: null,
      phone: b.phone ?? null,
      name: null,
    });
    const at = '2026-10-01T02:00:00.000Z';
    await e.db.kysely.transaction().execute(async (trx) => {
      await ingestBatch(e.ctx, trx, { store: tmall, runId: null, consentSource: 'test' }, [
        orderRecord({
          externalId: 't1',
          createdAt: at,
          paidFen: 5000,
          buyer: buyer({ nick: 'amy', phone: '13900000001' }),
        }),
        orderRecord({ externalId: 't2', createdAt: at, paidFen: 7000, buyer: buyer({ id: 'tb-998' }) }),
      ]);
      await ingestBatch(e.ctx, trx, { store: douyin, runId: null, consentSource: 'test' }, [
        orderRecord({
          externalId: 'd1',
          createdAt: at,
          paidFen: 3000,
          buyer: buyer({ id: 'dy-123', phone: '13900000001' }),
        }),
        orderRecord({ externalId: 'd2', createdAt: at, paidFen: 1000, buyer: buyer({ phone: '13900000002' }) }),
      ]);
    });
  });

  const names = async () =>
    (
      await env()
        .db.kysely.selectFrom('customers')
        .select('display_name')
        .where('workspace_id', '=', env().workspaceId)
        .orderBy('display_name')
        .execute()
    ).map((r) => r.display_name);

  it('a customer known only by a buyer id (or a phone) is named by it, never "—"', async () => {
    expect(await names()).toEqual(['139****0002', 'amy', 'tb-998']);
  });

  it('the upgrade names customers created as "—" by their best identifier', async () => {
    const e = env();
    const k = e.db.kysely;
    const now = e.ctx.now().toISOString();
    const add = async (idents: [string, string, string][]) => {
      const id = newId();
      await k
        .insertInto('customers')
        .values(customerRow(e.workspaceId, id, '—', now))
        .execute();
      for (const [kind, scope, value] of idents)
        await k
          .insertInto('customer_identities')
          .values({
            workspace_id: e.workspaceId,
            id: newId(),
            customer_id: id,
            kind,
            scope,
            value,
            store_id: null,
            created_at: now,
          })
          .execute();
      return id;
    };
    const a = await add([['buyer_id', 'jd', 'jd-77']]);
    const b = await add([
      ['phone', '', '13700000009'],
      ['email', '', 'x@example.com'],
    ]);
    const c = await add([]);
    await displayNames.up(k as never);
    const named = async (id: string) =>
      (
        await k
          .selectFrom('customers')
          .select('display_name')
          .where('workspace_id', '=', e.workspaceId)
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).display_name;
    expect([await named(a), await named(b), await named(c)]).toEqual(['jd-77', '137****0009', '—']);
    await k.deleteFrom('customers').where('workspace_id', '=', e.workspaceId).where('id', 'in', [a, b, c]).execute();
  });

  it('segment CSV and XLSX exports carry buyer nick and id per platform and the stores', async () => {
    const e = env();
    let csv = '';
    for await (const part of ruleCsv(e.ctx, e.workspaceId, everyone, 'agent')) csv += part;
    const [header, ...rows] = csv
      .replace('\uFEFF', '')
      .split('\r\n')
      .filter(Boolean)
      .map((l) => l.split(','));
    expect(header).toEqual([
      '客户ID',
      '客户',
      '淘宝/天猫买家昵称',
      '淘宝/天猫买家ID',
      '抖店买家ID',
      '店铺',
      '会员等级',
      '标签',
      '手机',
      '邮箱',
      '省份',
      '城市',
      '成交订单',
      '累计消费(元)',
      '最近购买日期',
      'RFM 分类',
      '生命周期',
    ]);
    const byName = Object.fromEntries(rows.map((r) => [r[1], r]));
    expect(byName.amy!.slice(1, 10)).toEqual([
      'amy',
      'amy',
      '',
      'dy-123',
      '天猫旗舰店、抖音小店',
      '普通会员',
      '',
      '139****0001',
      '',
    ]);
    expect(byName.amy![13]).toBe('80.00');
    expect(byName['tb-998']!.slice(1, 6)).toEqual(['tb-998', '', 'tb-998', '', '天猫旗舰店']);
    expect(byName['tb-998']![8]).toBe('');
    expect(byName['139****0002']!.slice(1, 6)).toEqual(['139****0002', '', '', '', '抖音小店']);
    expect(byName['139****0002']![8]).toBe('139****0002');

    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await ruleXlsx(e.ctx, e.workspaceId, everyone, 'owner', out, '全部');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.concat(chunks) as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    expect((sheet.getRow(1).values as unknown[]).slice(1, 7)).toEqual([
      '客户ID',
      '客户',
      '淘宝/天猫买家昵称',
      '淘宝/天猫买家ID',
      '抖店买家ID',
      '店铺',
    ]);
    const amy = sheet.getRows(2, 3)!.find((r) => r.getCell(2).value === 'amy')!;
    expect([amy.getCell(5).value, amy.getCell(6).value, amy.getCell(9).value]).toEqual([
      'dy-123',
      '天猫旗舰店、抖音小店',
      '13900000001',
    ]);
  });

  it('the customer list exports the same columns for chosen customers (POST /customers/export)', async () => {
    const e = env();
    await createUser(e.ctx, e.workspaceId, { login: 'clerk', password: 'secret-pass-8', role: 'marketer' });
    const app = await buildServer(e.ctx, { dataDir: scratchDir('huike-exp-') });
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: 'clerk', password: 'secret-pass-8' },
      });
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const ids = await e.db.kysely
        .selectFrom('customers')
        .select('id')
        .where('workspace_id', '=', e.workspaceId)
        .where('display_name', '=', 'amy')
        .execute();
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/customers/export',
        payload: { ids: ids.map((i) => i.id) },
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(r.statusCode, r.body).toBe(200);
      const body = r.json();
      expect(body.columns).toContain('抖店买家ID');
      expect(body.rows).toHaveLength(1);
      expect(body.rows[0].slice(1, 6)).toEqual(['amy', 'amy', null, 'dy-123', '天猫旗舰店、抖音小店']);
      expect(body.rows[0][8]).toBe('139****0001');
    } finally {
      await app.close();
    }
  });

  it('a segment export is named after the segment and the date, with tier, tags, no raw keys, zh or en', async () => {
    const e = env();
    await recomputeRfm(e.ctx, e.workspaceId);
    const amy = await e.db.kysely
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .where('display_name', '=', 'amy')
      .executeTakeFirstOrThrow();
    await tagCustomers(e.ctx, e.workspaceId, [amy.id], ['VIP', '大促敏感']);
    await createUser(e.ctx, e.workspaceId, { login: 'exporter', password: 'secret-pass-8', role: 'owner' });
    const app = await buildServer(e.ctx, { dataDir: scratchDir('huike-exp-') });
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: 'exporter', password: 'secret-pass-8' },
      });
      const headers = { 'x-huike-client': 'test', cookie: String(login.headers['set-cookie']).split(';')[0]! };
      const seg = await app.inject({
        method: 'POST',
        url: '/api/v1/segments',
        payload: { name: '江浙沪/复购客', rule: everyone },
        headers,
      });
      expect(seg.statusCode, seg.body).toBe(201);
      const url = `/api/v1/segments/${seg.json().id}/export`;
      const day = e.ctx.now().toISOString().slice(0, 10);
      const zh = await app.inject({ method: 'GET', url: `${url}.csv`, headers });
      expect(zh.statusCode, zh.body).toBe(200);
      // The shop's local date; the test clock is at noon UTC or earlier, the same day in Shanghai or the next.
      const disposition = String(zh.headers['content-disposition']);
      expect(disposition).toMatch(/^attachment; filename="segment-\d{4}-\d{2}-\d{2}\.csv"; filename\*=UTF-8''/);
      const named = decodeURIComponent(disposition.split("UTF-8''")[1]!);
      expect(named).toMatch(/^江浙沪 复购客-\d{4}-\d{2}-\d{2}\.csv$/);
      expect(named >= `江浙沪 复购客-${day}`).toBe(true);
      const rows = (body: string) =>
        body
          .replace('\uFEFF', '')
          .split('\r\n')
          .filter(Boolean)
          .map((l) => l.split(','));
      const [zhHead, ...zhRows] = rows(zh.body);
      const zhAmy = zhRows.find((r) => r[1] === 'amy')!;
      expect(zhAmy[zhHead!.indexOf('标签')]).toBe('VIP、大促敏感');
      expect(zhAmy[zhHead!.indexOf('会员等级')]).toBe('普通会员');
      expect(zhAmy[zhHead!.indexOf('生命周期')]).toBe('成长'); // two orders: 成长, not the key "growing"
      const en = await app.inject({ method: 'GET', url: `${url}.csv?lang=en`, headers });
      const [enHead, ...enRows] = rows(en.body);
      expect(enHead!.slice(0, 3)).toEqual(['Customer ID', 'Customer', 'Taobao/Tmall buyer nick']);
      const enAmy = enRows.find((r) => r[1] === 'amy')!;
      // Lifecycle is the last column (the tags cell holds a comma, so count from the end).
      expect(enAmy[enAmy.length - 1]).toBe('Growing');
      expect(en.body).toContain('"VIP, 大促敏感"');
      // No coded value in any cell of either language.
      const raw = /^(new|growing|mature|dormant|churned|prospect|none|order|adjust|[a-z_]+_[a-z_]+)$/;
      for (const r of [...zhRows, ...enRows]) expect(r.filter((c) => raw.test(c))).toEqual([]);
      const xlsx = await app.inject({ method: 'GET', url: `${url}.xlsx`, headers });
      expect(decodeURIComponent(String(xlsx.headers['content-disposition']).split("UTF-8''")[1]!)).toMatch(
        /^江浙沪 复购客-\d{4}-\d{2}-\d{2}\.xlsx$/,
      );
    } finally {
      await app.close();
    }
  });
});
