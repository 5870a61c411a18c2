import { expect, it } from 'vitest';
import { normalizeCity, normalizeProvince } from '../../src/core/address.js';
import { parseRule } from '../../src/core/segments/rule.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ruleOptions } from '../../src/modules/segments/options.js';
import { countRuleHere } from '../../src/modules/segments/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases } from '../helpers.js';
import { orderRecord } from '../support/records.js';

it('short place names in a rule become the full names customers are stored with', () => {
  expect(normalizeProvince('浙江')).toBe('浙江省');
  expect(normalizeProvince('广西')).toBe('广西壮族自治区');
  expect(normalizeCity('杭州')).toBe('杭州市');
  expect(normalizeCity('上海')).toBe('上海市');
  const rule = parseRule({
    all: [
      { field: 'province', op: 'in', value: ['浙江', '江苏省', '火星'] },
      { field: 'city', op: 'eq', value: '杭州' },
      { field: 'province', op: 'contains', value: '浙' },
    ],
  });
  const values = rule.kind === 'group' ? rule.rules.map((r) => (r.kind === 'cond' ? r.value : null)) : [];
  // An unknown name stays as typed (it simply matches nobody); "contains" keeps the text.
  expect(values).toEqual([['浙江省', '江苏省', '火星'], '杭州市', '浙']);
});

describeBothDatabases('rule builder options', (env) => {
  it("offers every province and city, and the shop's categories at every level, activities and sources", async () => {
    const e = env();
    const store = await ensureStore(e.ctx, e.workspaceId, '选项店', 'taobao');
    const line = (lineKey: string, category: string) => ({
      lineKey,
      title: `${category} 商品`,
      sku: null,
      externalItemId: null,
      category,
      quantity: 1,
      priceFen: 1000,
      paidFen: 1000,
      refundStatus: null,
    });
    await e.db.kysely.transaction().execute((trx) =>
      ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
        orderRecord({
          externalId: 'o1',
          createdAt: '2026-11-11T02:00:00.000Z',
          paidFen: 1000,
          province: '浙江省',
          city: '杭州市',
          activity: '双11 2026',
          source: '直播',
          buyer: { nick: '甲', externalId: null, email: null, phone: null, name: null },
          items: [line('L1', '女装/连衣裙'), line('L2', '美妆/面膜')],
        }),
        orderRecord({
          externalId: 'o2',
          createdAt: '2026-06-18T02:00:00.000Z',
          paidFen: 1000,
          province: '广东省',
          buyer: { nick: '乙', externalId: null, email: null, phone: null, name: null },
          items: [line('L1', '女装/大衣')],
        }),
      ]),
    );
    const o = await ruleOptions(e.ctx, e.workspaceId);
    expect(o.provinces).toContain('浙江省');
    expect(o.provinces).toHaveLength(34);
    expect(o.cities).toContain('杭州市');
    expect(o.cities).toContain('北京市');
    expect(o.categories).toEqual(['女装', '女装/大衣', '女装/连衣裙', '美妆', '美妆/面膜'].sort());
    expect(o.activities).toEqual(['双11 2026']);
    expect(o.sources).toEqual(['直播']);
    // "浙江" and "女装" as a seller types them find the 浙江省 buyer of 女装/连衣裙.
    const typed = {
      all: [
        { field: 'province', op: 'in', value: ['浙江'] },
        { field: 'orders', op: 'exists', where: { category: ['女装'] } },
      ],
    };
    expect(await countRuleHere(e.ctx, e.workspaceId, typed)).toBe(1);
  });
});
