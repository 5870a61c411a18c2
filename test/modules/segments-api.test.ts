import ExcelJS from 'exceljs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildServer } from '../../src/server.js';
import { createUser } from '../../src/modules/auth/service.js';
import { loadDemo } from '../../src/modules/demo/service.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';

describeBothDatabases('segments, RFM, tags, groups and notes over HTTP', (env) => {
  let app: FastifyInstance;
  let cookie = '';
  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    await loadDemo(ctx, workspaceId, { customers: 400, until: new Date('2026-11-22T00:00:00Z') });
    await createUser(ctx, workspaceId, { login: 'boss', password: 'secret-pass-1' });
    app = await buildServer(ctx, { dataDir: scratchDir('huike-seg-') });
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { login: 'boss', password: 'secret-pass-1' },
    });
    cookie = String(r.headers['set-cookie']).split(';')[0]!;
  });
  afterAll(async () => app?.close());

  const call = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const r = await app.inject({
      method,
      url,
      payload: payload as object,
      headers: { 'x-huike-client': 'test', cookie },
    });
    return {
      status: r.statusCode,
      body: r.headers['content-type']?.toString().includes('json') ? r.json() : r.body,
      raw: r.rawPayload,
    };
  };

  it('evaluates a rule: count and preview; a bad rule gets a 400 naming the path', async () => {
    const rule = {
      all: [
        { field: 'paid_orders', op: '>=', value: 2 },
        { field: 'province', op: 'in', value: ['广东省', '浙江省'] },
      ],
    };
    const r = await call('POST', '/api/v1/segments/evaluate', { rule, limit: 5 });
    expect(r.status).toBe(200);
    expect(r.body.count).toBeGreaterThan(0);
    expect(r.body.preview.length).toBe(Math.min(5, r.body.count));
    expect(
      r.body.preview.every(
        (m: { paidOrders: number; province: string }) => m.paidOrders >= 2 && ['广东省', '浙江省'].includes(m.province),
      ),
    ).toBe(true);
    const bad = await call('POST', '/api/v1/segments/evaluate', {
      rule: { any: [{ field: 'spend', op: 'gte', value: 1 }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/any\[0\]\.field: unknown field "spend"/);
  });

  it('saves a segment, pages its customers, exports CSV with BOM, tags everyone', async () => {
    const rule = { field: 'orders', op: 'exists', where: { activity: '双11 2026' } };
    const saved = await call('POST', '/api/v1/segments', { name: '双11 2026 买家', rule });
    expect(saved.status).toBe(201);
    const one = await call('GET', `/api/v1/segments/${saved.body.id}`);
    expect(one.body.count).toBeGreaterThan(0);
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await call(
        'GET',
        `/api/v1/segments/${saved.body.id}/customers?limit=7${cursor ? `&cursor=${cursor}` : ''}`,
      );
      for (const m of page.body.items) seen.add(m.id);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.size).toBe(one.body.count);
    const csv = await call('GET', `/api/v1/segments/${saved.body.id}/export.csv`);
    expect([...csv.raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(csv.raw.toString('utf8').split('\r\n').filter(Boolean)).toHaveLength(one.body.count + 1);
    const xlsx = await call('GET', `/api/v1/segments/${saved.body.id}/export.xlsx`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.raw as unknown as ArrayBuffer);
    const sheet = wb.worksheets[0]!;
    expect(sheet.rowCount).toBe(one.body.count + 1);
    expect(sheet.getRow(1).getCell(2).value).toBe('客户');
    const spent = (sheet.getRow(1).values as unknown[]).indexOf('累计消费(元)');
    expect(typeof sheet.getRow(2).getCell(spent).value).toBe('number');
    const snap = await call('POST', `/api/v1/segments/${saved.body.id}/snapshot`, { purpose: '双11 回访活动' });
    expect(snap.status).toBe(201);
    expect(snap.body.customers).toBe(one.body.count);
    const frozen = await call('GET', `/api/v1/segment-snapshots/${snap.body.id}`);
    expect(frozen.body.customerIds.sort()).toEqual([...seen].sort());
    expect(frozen.body.nextAfter).toBeNull();
    // Page by page (10,000 at most a page; here 2): the same ids, in id order, each once.
    const paged: string[] = [];
    let after: string | null = null;
    do {
      const part: { body: { customerIds: string[]; nextAfter: string | null } } = await call(
        'GET',
        `/api/v1/segment-snapshots/${snap.body.id}?limit=2${after ? `&after=${after}` : ''}`,
      );
      expect(part.body.customerIds.length).toBeLessThanOrEqual(2);
      paged.push(...part.body.customerIds);
      after = part.body.nextAfter;
    } while (after);
    expect(paged).toEqual([...seen].sort());
    expect((await call('GET', `/api/v1/segment-snapshots/${snap.body.id}?limit=10001`)).status).toBe(400);
    const tagged = await call('POST', `/api/v1/segments/${saved.body.id}/tag`, { tag: '双11老客' });
    expect(tagged.body.tagged).toBe(one.body.count);
    const tags = await call('GET', '/api/v1/tags');
    expect(tags.body.items.find((t: { name: string }) => t.name === '双11老客').customers).toBe(one.body.count);
    const sys = await call('GET', '/api/v1/segments/sys:returning');
    expect(sys.body.system).toBe(true);
    expect((await call('DELETE', '/api/v1/segments/sys:returning')).status).toBe(400);
    expect((await call('DELETE', `/api/v1/segments/${saved.body.id}`)).status).toBe(204);
  });

  it('RFM summary and matrix add up to the buyers', async () => {
    const summary = await call('GET', '/api/v1/rfm/summary');
    const buyers = await call('POST', '/api/v1/segments/evaluate', {
      rule: { field: 'paid_orders', op: 'gte', value: 1 },
      limit: 0,
    });
    const classified = summary.body.rfmClass
      .filter((c: { key: string }) => c.key !== 'none')
      .reduce((s: number, c: { customers: number }) => s + c.customers, 0);
    expect(classified).toBe(buyers.body.count);
    const matrix = await call('GET', '/api/v1/rfm/matrix');
    expect(matrix.body.cells.reduce((s: number, c: { customers: number }) => s + c.customers, 0)).toBe(
      buyers.body.count,
    );
    expect(summary.body.lifecycle.map((l: { key: string }) => l.key)).toEqual(
      expect.arrayContaining(['new', 'mature', 'prospect']),
    );
    const bad = await call('PUT', '/api/v1/rfm/settings', {
      dormantDays: 400,
      churnDays: 300,
      matureOrders: 3,
      churnRiskDays: 180,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/churnDays must be larger than dormantDays/);
  });

  it('tags, groups and notes on customers', async () => {
    const list = await call('POST', '/api/v1/segments/evaluate', {
      rule: { field: 'paid_orders', op: 'gte', value: 1 },
      limit: 3,
    });
    const ids = list.body.preview.map((m: { id: string }) => m.id);
    expect((await call('POST', '/api/v1/tags/apply', { customerIds: ids, add: ['VIP', '爱买大衣'] })).status).toBe(200);
    expect((await call('POST', '/api/v1/tags/apply', { customerIds: [ids[0]], remove: ['VIP'] })).status).toBe(200);
    const t0 = await call('GET', `/api/v1/customers/${ids[0]}/tags`);
    expect(t0.body.items.map((t: { name: string }) => t.name)).toEqual(['爱买大衣']);
    expect((await call('POST', '/api/v1/tags/apply', { customerIds: ['nope'], add: ['x'] })).status).toBe(404);
    const g = await call('POST', '/api/v1/groups', { name: '重点跟进' });
    expect((await call('POST', `/api/v1/groups/${g.body.id}/members`, { add: ids })).status).toBe(204);
    const groups = await call('GET', '/api/v1/groups');
    expect(groups.body.items.find((x: { name: string }) => x.name === '重点跟进').customers).toBe(3);
    const inGroup = await call('POST', '/api/v1/segments/evaluate', {
      rule: { field: 'groups', op: 'has_any', value: ['重点跟进'] },
      limit: 0,
    });
    expect(inGroup.body.count).toBe(3);
    const n = await call('POST', `/api/v1/customers/${ids[0]}/notes`, { body: '喜欢驼色大衣，尺码 M' });
    expect(n.status).toBe(201);
    expect((await call('POST', `/api/v1/customers/${ids[0]}/notes`, { body: '   ' })).status).toBe(400);
    const notes = await call('GET', `/api/v1/customers/${ids[0]}/notes`);
    expect(notes.body.items[0]).toMatchObject({ body: '喜欢驼色大衣，尺码 M', author: 'boss' });
  });
});
