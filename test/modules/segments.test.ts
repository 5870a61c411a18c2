import { parseRule } from '../../src/core/segments/rule.js';
import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import type { OrderRecord } from '../../src/core/formats/types.js';
import { newId } from '../../src/core/ids.js';
import { SYSTEM_SEGMENTS } from '../../src/core/segments/system.js';
import { refreshCustomerStats } from '../../src/modules/customers/stats.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { recomputeRfm, rfmMatrix, setRfmSettings } from '../../src/modules/segments/rfm.js';
import {
  countRule,
  listSegments,
  ruleCsv,
  ruleMembers,
  saveSegment,
  tagRule,
  untagRule,
} from '../../src/modules/segments/service.js';
import { ruleOptions } from '../../src/modules/segments/options.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createGroup, setGroupMembers, tagCustomers } from '../../src/modules/tags/service.js';
import { describeBothDatabases } from '../helpers.js';
import { customerTimeline } from '../../src/modules/customers/timeline.js';
import { orderRecord, customerRow } from '../support/records.js';

/**
 * A hand-checked shop, seen on 2026-11-23 12:00 Shanghai time:
 *   alice  3 paid orders (双11 2025 ¥300 大衣, 618 2026 ¥100 面膜, 双11 2026 ¥200 大衣 via 聚划算), 杭州, VIP+老客, born 1995-03-15
 *   bob    1 paid order 2026-03-01 ¥50 口红, 深圳, VIP, bad reviewer, born 2004-12-01
 *   carol  2 paid orders 2024-10-01 ¥800 and 2024-12-01 ¥1000 (¥100 refunded), 拉萨
 *   dave   1 unpaid order 2026-11-22
 *   eve    1 order 2026-11-20 ¥2000, fully refunded
 *   frank  inquiry only, no orders
 */
const AS_OF = '2026-11-23T04:00:00.000Z';

function order(
  n: number,
  nick: string,
  phone: string,
  o: Partial<OrderRecord> & { at: string; paid?: number; category?: string },
): OrderRecord {
  const { at, paid, category, ...rest } = o;
  const created = new Date(`${at}T10:00:00+08:00`).toISOString();
  return orderRecord({
    line: n,
    externalId: String(900000 + n),
    createdAt: created,
    paidAt: o.status === 'created' ? null : created,
    paidFen: paid ?? 0,
    buyer: { nick, externalId: null, email: null, phone, name: null },
    receiverPhone: phone,
    title: category ? `商品 ${category}` : null,
    itemCount: 1,
    items: category
      ? [
          {
            lineKey: 'L1',
            title: `商品 ${category}`,
            sku: null,
            externalItemId: null,
            category,
            quantity: 1,
            priceFen: paid ?? 0,
            paidFen: null,
            refundStatus: null,
          },
        ]
      : null,
    ...rest,
  });
}

describeBothDatabases('segments', (env) => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    const e = env();
    e.setNow(AS_OF);
    const store = await ensureStore(e.ctx, e.workspaceId, '分群测试店', 'taobao');
    const zj = { province: '浙江省', city: '杭州市' };
    const records = [
      order(1, 'alice', '13800000001', {
        at: '2025-11-11',
        paid: 30000,
        category: '女装/大衣',
        activity: '双11 2025',
        ...zj,
      }),
      order(2, 'alice', '13800000001', {
        at: '2026-06-18',
        paid: 10000,
        category: '美妆/面膜',
        activity: '618 2026',
        ...zj,
      }),
      order(3, 'alice', '13800000001', {
        at: '2026-11-01',
        paid: 20000,
        category: '女装/大衣',
        activity: '双11 2026',
        source: '聚划算',
        ...zj,
      }),
      order(4, 'bob', '13800000002', {
        at: '2026-03-01',
        paid: 5000,
        category: '美妆/口红',
        province: '广东省',
        city: '深圳市',
      }),
      order(5, 'carol', '13800000003', { at: '2024-10-01', paid: 80000, province: '西藏自治区', city: '拉萨市' }),
      order(6, 'carol', '13800000003', {
        at: '2024-12-01',
        paid: 100000,
        refundedFen: 10000,
        province: '西藏自治区',
        city: '拉萨市',
      }),
      order(7, 'dave', '13800000004', { at: '2026-11-22', status: 'created' }),
      order(8, 'eve', '13800000005', { at: '2026-11-20', paid: 200000, refundedFen: 200000, status: 'refunded' }),
    ];
    await e.db.kysely
      .transaction()
      .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
    const rows = await e.db.kysely
      .selectFrom('customers')
      .select(['id', 'display_name'])
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    for (const r of rows) ids[r.display_name] = r.id;
    ids.frank = newId();
    await e.db.kysely
      .insertInto('customers')
      .values(customerRow(e.workspaceId, ids.frank, 'frank', AS_OF))
      .execute();
    await refreshCustomerStats(e.db.kysely, e.db.dialect, e.workspaceId, [ids.frank], AS_OF);
    const set = (name: string, v: Record<string, unknown>) =>
      e.db.kysely.updateTable('customers').set(v).where('id', '=', ids[name]!).execute();
    await set('alice', { birthday: '1995-03-15', gender: 'female', marketing_consent: 'granted' });
    await set('bob', { birthday: '2004-12-01', is_bad_reviewer: 1 });
    await tagCustomers(e.ctx, e.workspaceId, [ids.alice!], ['VIP', '老客']);
    await tagCustomers(e.ctx, e.workspaceId, [ids.bob!], ['VIP']);
    const g = await createGroup(e.ctx, e.workspaceId, '重点客户');
    await setGroupMembers(e.ctx, e.workspaceId, g.id, [ids.alice!, ids.carol!], []);
    await recomputeRfm(e.ctx, e.workspaceId);
  });

  const who = async (rule: unknown) => {
    const e = env();
    const page = await ruleMembers(e.ctx, e.workspaceId, rule, { limit: 100, role: 'owner' });
    const names = page.items.map((m) => m.name).sort();
    expect(await countRule(e.ctx, e.workspaceId, rule)).toBe(names.length);
    return names;
  };

  it('numbers and money', async () => {
    expect(await who({ field: 'paid_orders', op: '>=', value: 2 })).toEqual(['alice', 'carol']);
    expect(await who({ field: 'paid_orders', op: 'eq', value: 0 })).toEqual(['dave', 'eve', 'frank']);
    expect(await who({ field: 'total_spent', op: 'between', value: [5000, 60000] })).toEqual(['alice', 'bob']);
    expect(await who({ field: 'aov', op: 'gt', value: 50000 })).toEqual(['carol']);
    expect(await who({ field: 'paid_orders', op: 'in', value: [1, 3] })).toEqual(['alice', 'bob']);
    expect(await who({ field: 'refund_orders', op: '≠', value: 0 })).toEqual(['carol', 'eve']);
    expect(await who({ field: 'spent_12m', op: '<', value: 1 })).toEqual(['carol', 'dave', 'eve', 'frank']);
  });

  it('days since the last order and dates, in the shop time zone', async () => {
    expect(await who({ field: 'days_since_last_order', op: 'gte', value: 180 })).toEqual(['bob', 'carol']);
    expect(await who({ field: 'days_since_last_order', op: 'lt', value: 30 })).toEqual(['alice']);
    expect(await who({ field: 'days_since_last_order', op: 'between', value: [22, 22] })).toEqual(['alice']);
    // alice last paid 22 days and 2 hours ago: that is 22 whole days, not 23.
    expect(await who({ field: 'days_since_last_order', op: 'gte', value: 23 })).toEqual(['bob', 'carol']);
    expect(await who({ field: 'days_since_last_order', op: 'gte', value: 22 })).toEqual(['alice', 'bob', 'carol']);
    expect(await who({ field: 'days_since_last_order', op: 'gt', value: 22 })).toEqual(['bob', 'carol']);
    expect(await who({ field: 'days_since_last_order', op: 'lte', value: 22 })).toEqual(['alice']);
    expect(await who({ field: 'days_since_last_order', op: 'lt', value: 22 })).toEqual([]);
    expect(await who({ field: 'days_since_last_order', op: 'is_empty' })).toEqual(['dave', 'eve', 'frank']);
    expect(await who({ field: 'last_order_at', op: 'within_last_days', value: 7 })).toEqual(['dave', 'eve']);
    expect(await who({ field: 'first_order_at', op: 'before', value: '2025-01-01' })).toEqual(['carol']);
    expect(await who({ field: 'last_paid_at', op: 'on', value: '2026-03-01' })).toEqual(['bob']);
    // "on" is a whole day: with a time it matched nobody, silently.
    expect(() => parseRule({ field: 'last_paid_at', op: 'on', value: '2026-03-01T00:00:00Z' })).toThrow(
      /"on" takes a day like 2025-11-11 without a time/,
    );
    expect(await who({ field: 'first_paid_at', op: 'between', value: ['2025-11-11', '2026-03-01'] })).toEqual([
      'alice',
      'bob',
    ]);
    expect(await who({ field: 'last_paid_at', op: 'after', value: '2026-03-01' })).toEqual(['alice']);
  });

  it("a customer's source is the traffic source of their first order", async () => {
    expect(await who({ field: 'source', op: 'eq', value: '聚划算' })).toEqual([]);
    expect(await who({ field: 'source', op: 'is_empty' })).toEqual(['alice', 'bob', 'carol', 'dave', 'eve', 'frank']);
  });

  it('text and enums, with negations that include unknown values', async () => {
    expect(await who({ field: 'province', op: 'in', value: ['浙江省', '广东省'] })).toEqual(['alice', 'bob']);
    expect(await who({ field: 'province', op: 'neq', value: '浙江省' })).toEqual([
      'bob',
      'carol',
      'dave',
      'eve',
      'frank',
    ]);
    expect(await who({ field: 'name', op: 'contains', value: 'AR' })).toEqual(['carol']);
    expect(await who({ field: 'name', op: 'starts_with', value: 'e' })).toEqual(['eve']);
    expect(await who({ field: 'favourite_category', op: 'eq', value: '女装/大衣' })).toEqual(['alice']);
    expect(await who({ field: 'city_tier', op: 'eq', value: '一线' })).toEqual(['bob']);
    expect(await who({ field: 'city_tier', op: 'in', value: ['新一线', '三线及以下'] })).toEqual(['alice', 'carol']);
    expect(await who({ field: 'marketing_consent', op: 'eq', value: 'granted' })).toEqual(['alice']);
    expect(await who({ field: 'gender', op: 'is_empty' })).toEqual(['bob', 'carol', 'dave', 'eve', 'frank']);
  });

  it('birthdays, age bands and flags', async () => {
    expect(await who({ field: 'birthday_month', op: 'eq', value: 3 })).toEqual(['alice']);
    expect(await who({ field: 'birthday_month', op: 'between', value: [11, 12] })).toEqual(['bob']);
    expect(await who({ field: 'age_band', op: 'eq', value: '30-34' })).toEqual(['alice']);
    expect(await who({ field: 'age_band', op: 'in', value: ['18-24', '25-29'] })).toEqual(['bob']);
    expect(await who({ field: 'is_bad_reviewer', op: 'is_true' })).toEqual(['bob']);
  });

  it('tags and groups', async () => {
    expect(await who({ field: 'tags', op: 'has_any', value: ['VIP'] })).toEqual(['alice', 'bob']);
    expect(await who({ field: 'tags', op: 'has_all', value: ['VIP', '老客'] })).toEqual(['alice']);
    expect(await who({ field: 'tags', op: 'has_none', value: ['VIP'] })).toEqual(['carol', 'dave', 'eve', 'frank']);
    expect(await who({ field: 'groups', op: 'has_any', value: ['重点客户'] })).toEqual(['alice', 'carol']);
  });

  it('order facts: category, promotion, dates, source, counts', async () => {
    expect(await who({ field: 'orders', op: 'exists', where: { category: '女装/大衣' } })).toEqual(['alice']);
    expect(await who({ field: 'orders', op: 'exists', where: { activity: '双11 2025' } })).toEqual(['alice']);
    expect(await who({ field: 'orders', op: 'exists', where: { from: '2026-06-01', to: '2026-06-30' } })).toEqual([
      'alice',
    ]);
    expect(await who({ field: 'orders', op: 'exists', where: { source: ['聚划算'] } })).toEqual(['alice']);
    expect(await who({ field: 'orders', op: 'count_gte', value: 2 })).toEqual(['alice', 'carol']);
    expect(await who({ field: 'orders', op: 'not_exists' })).toEqual(['dave', 'eve', 'frank']);
    expect(await who({ field: 'orders', op: 'exists', where: { paid: false, status: ['created'] } })).toEqual(['dave']);
    expect(await who({ field: 'orders', op: 'exists', where: { titleContains: '口红' } })).toEqual(['bob']);
  });

  it('nested AND / OR / NOT', async () => {
    expect(
      await who({
        all: [
          {
            any: [
              { field: 'tags', op: 'has_any', value: ['VIP'] },
              { field: 'groups', op: 'has_any', value: ['重点客户'] },
            ],
          },
          { not: { field: 'is_bad_reviewer', op: 'is_true' } },
          {
            any: [
              { field: 'province', op: 'eq', value: '浙江省' },
              {
                all: [
                  { field: 'paid_orders', op: 'gte', value: 2 },
                  { field: 'days_since_last_order', op: 'gte', value: 365 },
                ],
              },
            ],
          },
        ],
      }),
    ).toEqual(['alice', 'carol']);
  });

  it('system segments select the lists sellers expect', async () => {
    const e = env();
    const expected: Record<string, string[]> = {
      buyers: ['alice', 'bob', 'carol'],
      'non-buyers': ['dave', 'eve'],
      inquiry: ['frank'],
      new: ['bob'],
      returning: ['alice', 'carol'],
      frequent: ['alice'],
      'dormant-90': ['bob', 'carol'],
      'dormant-180': ['bob', 'carol'],
      'dormant-365': ['carol'],
      refunded: ['carol', 'eve'],
      'bad-reviewers': ['bob'],
      'aov-lt-100': ['bob'],
      'aov-100-300': ['alice'],
      'aov-300-500': [],
      'aov-gt-500': ['carol'],
    };
    for (const s of SYSTEM_SEGMENTS) expect([s.key, await who(s.rule)]).toEqual([s.key, expected[s.key]]);
    const listed = await listSegments(e.ctx, e.workspaceId);
    expect(listed.map((s) => s.name)).toEqual(expect.arrayContaining(['成交客户', '活动：双11 2025', '来源：聚划算']));
    // One activity or source segment per value the rule builder offers (both read the purchases' facts), none empty.
    const options = await ruleOptions(e.ctx, e.workspaceId);
    const valuesOf = (kind: string) =>
      listed.filter((s) => s.id.startsWith(`sys:${kind}:`)).map((s) => s.id.slice(`sys:${kind}:`.length));
    expect([valuesOf('activity'), valuesOf('source')]).toEqual([options.activities, options.sources]);
    for (const s of listed.filter((x) => /^sys:(activity|source):/.test(x.id)))
      expect((await who(s.rule)).length, s.name).toBeGreaterThan(0);
  });

  it('RFM classes, scores, value tiers and lifecycle on the hand-checked shop', async () => {
    const e = env();
    const rows = await e.db.kysely
      .selectFrom('customer_rfm')
      .selectAll()
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    const by = Object.fromEntries(
      rows.map((r) => [
        Object.entries(ids).find(([, id]) => id === r.customer_id)![0],
        [r.rfm_class, r.r_score, r.f_score, r.m_score, r.value_tier, r.lifecycle],
      ]),
    );
    expect(by).toEqual({
      // R: recency 22 / 267 / 722 days (avg 337); F: 3 / 1 / 2 (avg 2); M: ¥600 / ¥50 / ¥1,700 (avg ¥783.33)
      // Spend percentile among buyers: bob 0, alice 0.5 (middle), carol 1.
      alice: ['一般价值', 5, 5, 3, 'middle', 'mature'],
      bob: ['一般发展', 3, 1, 1, 'churn_risk', 'dormant'],
      carol: ['重要挽留', 1, 3, 5, 'churn_risk', 'churned'],
      dave: ['none', 0, 0, 0, 'none', 'prospect'],
      eve: ['none', 0, 0, 0, 'none', 'prospect'],
      frank: ['none', 0, 0, 0, 'none', 'prospect'],
    });
    expect(await who({ field: 'rfm_class', op: 'eq', value: '重要挽留' })).toEqual(['carol']);
    expect(await who({ field: 'lifecycle', op: 'in', value: ['dormant', 'churned'] })).toEqual(['bob', 'carol']);
    const matrix = await rfmMatrix(e.ctx, e.workspaceId);
    expect(matrix.map((c) => [c.r_score, c.f_score, Number(c.customers), Number(c.spent_fen)])).toEqual([
      [1, 3, 1, 170000],
      [3, 1, 1, 5000],
      [5, 5, 1, 60000],
    ]);
  });

  it('hostile rules are refused, and hostile values stay plain values', async () => {
    const e = env();
    await expect(
      countRule(e.ctx, e.workspaceId, { field: 'name; DROP TABLE customers', op: 'eq', value: 'x' }),
    ).rejects.toThrow(/unknown field/);
    await expect(countRule(e.ctx, e.workspaceId, { field: 'name', op: '= 1 OR 1=1 --', value: 'x' })).rejects.toThrow(
      /operator .* does not apply to name/,
    );
    await expect(
      countRule(e.ctx, e.workspaceId, { field: 'total_spent', op: 'gte', value: '1; DELETE FROM orders' }),
    ).rejects.toThrow(/total_spent expects an amount in fen/);
    await expect(
      countRule(e.ctx, e.workspaceId, {
        field: 'province',
        op: 'in',
        value: Array.from({ length: 1001 }, (_, i) => `p${i}`),
      }),
    ).rejects.toThrow(/at most 1000 values/);
    let deep: unknown = { field: 'paid_orders', op: 'gte', value: 1 };
    for (let i = 0; i < 8; i++) deep = { all: [deep] };
    await expect(countRule(e.ctx, e.workspaceId, deep)).rejects.toThrow(/nest deeper/);
    await expect(
      countRule(e.ctx, e.workspaceId, {
        all: [
          { field: 'paid_orders', op: 'gte' },
          { field: 'gender', op: 'eq', value: 'robot' },
        ],
      }),
    ).rejects.toThrow(/all\[0\]\.value: paid_orders expects a number.*all\[1\]\.value: gender is one of female, male/);
    expect(await who({ field: 'name', op: 'eq', value: "alice' OR '1'='1" })).toEqual([]);
    expect(await who({ field: 'name', op: 'contains', value: '%' })).toEqual([]);
    expect(await who({ field: 'name', op: 'contains', value: '_' })).toEqual([]);
    expect(await who({ field: 'province', op: 'in', value: ["'); DROP TABLE customers; --", '浙江省'] })).toEqual([
      'alice',
    ]);
    const still = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM customers`.execute(e.db.kysely);
    expect(Number(still.rows[0]!.n)).toBeGreaterThanOrEqual(6);
  });

  it('saved segments: validated, unique names; tag everyone in one step; CSV export with BOM', async () => {
    const e = env();
    const rule = { field: 'paid_orders', op: 'gte', value: 1 };
    const s = await saveSegment(e.ctx, e.workspaceId, { name: '买过的人', rule });
    expect(s.rule).toEqual(rule);
    await expect(saveSegment(e.ctx, e.workspaceId, { name: '买过的人', rule })).rejects.toThrow(/already exists/);
    await expect(saveSegment(e.ctx, e.workspaceId, { name: '坏规则', rule: { field: 'nope' } })).rejects.toThrow(
      /unknown field/,
    );
    expect(await tagRule(e.ctx, e.workspaceId, rule, '已购', null)).toBe(3);
    expect(await tagRule(e.ctx, e.workspaceId, rule, '已购', null)).toBe(0);
    expect(await untagRule(e.ctx, e.workspaceId, { field: 'name', op: 'eq', value: 'bob' }, '已购', 'U7')).toBe(1);
    // Taken off, it stays on bob's timeline: when it was put on and when (and by whom) it was taken off.
    const removed = await e.db.kysely
      .selectFrom('customer_tag_removals')
      .select(['customer_id', 'tag_name', 'removed_by'])
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    expect(removed).toEqual([{ customer_id: expect.any(String), tag_name: '已购', removed_by: 'U7' }]);
    const bobLine = await customerTimeline(e.ctx, e.workspaceId, removed[0]!.customer_id);
    expect(
      bobLine
        .filter((t) => t.params?.name === '已购')
        .map((t) => t.kind)
        .sort(),
    ).toEqual(['tag.added', 'tag.removed']);
    expect(await who({ field: 'tags', op: 'has_any', value: ['已购'] })).toEqual(['alice', 'carol']);
    expect(await tagRule(e.ctx, e.workspaceId, rule, '已购', null)).toBe(1);
    await expect(untagRule(e.ctx, e.workspaceId, rule, '没有这个标签')).rejects.toThrow(/no tag named/);
    expect(await who({ field: 'tags', op: 'has_any', value: ['已购'] })).toEqual(['alice', 'bob', 'carol']);
    let csv = '';
    for await (const part of ruleCsv(e.ctx, e.workspaceId, rule, 'agent')) csv += part;
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines[0]!.startsWith('\uFEFF客户ID,')).toBe(true);
    expect(lines).toHaveLength(4);
    expect(csv).toContain('138****0001');
    expect(csv).toContain('600.00');
  });

  it('RFM scores by configurable thresholds instead of quintiles', async () => {
    const e = env();
    await expect(setRfmSettings(e.ctx, e.workspaceId, { scoring: 'thresholds' })).rejects.toThrow(/needs thresholds/);
    await expect(
      setRfmSettings(e.ctx, e.workspaceId, {
        scoring: 'thresholds',
        thresholds: { recencyDays: [30, 20, 90, 180], orders: [2, 3, 4, 5], spentFen: [1, 2, 3, 4] },
      }),
    ).rejects.toThrow(/must increase/);
    // R: ≤30 days → 5, ≤90 → 4, ≤180 → 3, ≤365 → 2; F from 2/3/5/8 orders; M from ¥100/¥500/¥1,000/¥1,500.
    await setRfmSettings(e.ctx, e.workspaceId, {
      scoring: 'thresholds',
      thresholds: { recencyDays: [30, 90, 180, 365], orders: [2, 3, 5, 8], spentFen: [10000, 50000, 100000, 150000] },
    });
    await recomputeRfm(e.ctx, e.workspaceId);
    const rows = await e.db.kysely
      .selectFrom('customer_rfm')
      .select(['customer_id', 'r_score', 'f_score', 'm_score'])
      .where('workspace_id', '=', e.workspaceId)
      .where('r_score', '>', 0)
      .execute();
    const by = Object.fromEntries(
      rows.map((r) => [
        Object.entries(ids).find(([, id]) => id === r.customer_id)![0],
        [r.r_score, r.f_score, r.m_score],
      ]),
    );
    expect(by).toEqual({ alice: [5, 3, 3], bob: [2, 1, 1], carol: [1, 2, 5] });
    await setRfmSettings(e.ctx, e.workspaceId, {});
    await recomputeRfm(e.ctx, e.workspaceId);
  });
});
