import fc from 'fast-check';
import { expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { AGE_BANDS, CITY_TIERS, FIELDS, LIFECYCLES, RFM_CLASSES, VALUE_TIERS } from '../../src/core/segments/fields.js';
import { writeJson } from '../../src/db/json.js';
import { countRule } from '../../src/modules/segments/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { describeBothDatabases } from '../helpers.js';
import { customerRow } from '../support/records.js';

/**
 * A rule and its negation split the workspace: count(rule) + count(not rule) = customers, whatever
 * is empty. Customers here often have no province, no birthday, no stats row, no RFM row, no
 * orders; rules are random nests of all/any/not over the whole field catalogue.
 */
const maybe = <T>(a: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: a });
const texts = ['浙江省', '广东省', '杭州市', '深圳市', '上海市', '张三', 'a', '女装/大衣', '直播', ''];
const text = fc.constantFrom(...texts);
const dates = ['2025-11-11', '2026-01-01', '2026-06-18', '2026-11-20'];
const instant = fc.constantFrom(...dates.map((d) => `${d}T02:00:00.000Z`));
const money = fc.constantFrom(0, 100, 5000, 10000, 50000);
const small = fc.integer({ min: 0, max: 4 });

const orderArb = fc.record({
  status: fc.constantFrom('created', 'paid', 'shipped', 'completed', 'closed', 'refunded'),
  paidFen: money,
  refundedFen: fc.constantFrom(0, 0, 100, 5000),
  createdAt: instant,
  paid: fc.boolean(),
  category: maybe(fc.constantFrom('女装/大衣', '美妆/面膜')),
  activity: maybe(fc.constantFrom('双11 2025', '618 2026')),
  source: maybe(fc.constantFrom('直播', '聚划算')),
});

const customerArb = fc.record({
  name: text,
  province: maybe(text),
  city: maybe(fc.constantFrom('杭州市', '深圳市', '北京市', '拉萨市', '')),
  gender: maybe(fc.constantFrom('female', 'male')),
  birthday: maybe(fc.constantFrom('1995-03-15', '2004-12-01', '1970-07-07')),
  source: maybe(text),
  consent: fc.constantFrom('granted', 'denied', 'unknown'),
  flags: fc.array(fc.constantFrom(0, 1), { minLength: 5, maxLength: 5 }),
  stats: maybe(
    fc.record({
      ordersCount: small,
      paidOrders: small,
      spent: money,
      refund: money,
      at: maybe(instant),
      paidAt: maybe(instant),
      favourite: maybe(text),
      province: maybe(text),
    }),
  ),
  rfm: maybe(
    fc.record({
      cls: fc.constantFrom(...RFM_CLASSES, 'none'),
      tier: fc.constantFrom(...VALUE_TIERS),
      life: fc.constantFrom(...LIFECYCLES),
    }),
  ),
  tags: fc.subarray(['VIP', '老客']),
  orders: fc.array(orderArb, { maxLength: 3 }),
});

function valueFor(field: string, type: string, op: string): fc.Arbitrary<unknown> {
  const def = FIELDS[field as keyof typeof FIELDS] as { values?: readonly string[] };
  if (['is_empty', 'is_not_empty', 'is_true', 'is_false', 'exists', 'not_exists'].includes(op))
    return fc.constant(null);
  switch (type) {
    case 'number':
    case 'money':
    case 'days':
      if (op === 'between') return fc.tuple(money, money).map(([a, b]) => [Math.min(a, b), Math.max(a, b)]);
      if (op === 'in') return fc.array(small, { minLength: 1, maxLength: 3 });
      return type === 'money' ? money : small;
    case 'month':
      if (op === 'between') return fc.constant([3, 7]);
      if (op === 'in') return fc.subarray([3, 7, 12], { minLength: 1 });
      return fc.constantFrom(3, 7, 12);
    case 'date':
      if (op === 'between') return fc.constant(['2026-01-01', '2026-06-18']);
      if (op === 'within_last_days' || op === 'not_within_last_days') return fc.constantFrom(0, 30, 400);
      return fc.constantFrom(...dates);
    case 'text':
    case 'enum': {
      const pool = def.values ?? texts.filter((t) => t !== '');
      return op === 'in' || op === 'not_in' ? fc.subarray([...pool], { minLength: 1 }) : fc.constantFrom(...pool);
    }
    case 'set':
      return fc.subarray(['VIP', '老客', '无人'], { minLength: 1 });
    case 'orders':
      return small;
    default:
      throw new Error(type);
  }
}

const OPS: Record<string, readonly string[]> = {
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'is_empty', 'is_not_empty'],
  money: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'is_empty', 'is_not_empty'],
  days: ['gt', 'gte', 'lt', 'lte', 'between', 'is_empty', 'is_not_empty'],
  date: ['before', 'after', 'on', 'between', 'within_last_days', 'not_within_last_days', 'is_empty', 'is_not_empty'],
  text: ['eq', 'neq', 'in', 'not_in', 'contains', 'not_contains', 'starts_with', 'is_empty', 'is_not_empty'],
  enum: ['eq', 'neq', 'in', 'not_in', 'is_empty', 'is_not_empty'],
  boolean: ['is_true', 'is_false'],
  set: ['has_any', 'has_all', 'has_none'],
  month: ['eq', 'in', 'between'],
  orders: ['exists', 'not_exists', 'count_gte', 'count_lte'],
};

const whereArb = fc.record(
  {
    category: fc.constantFrom(['女装/大衣'], ['美妆/面膜']),
    activity: fc.constantFrom(['双11 2025']),
    source: fc.constantFrom(['直播']),
    status: fc.constantFrom(['completed'], ['paid', 'shipped']),
    from: fc.constantFrom('2026-01-01'),
    paid: fc.boolean(),
  },
  { requiredKeys: [] },
);

const conditionArb: fc.Arbitrary<unknown> = fc.constantFrom(...Object.keys(FIELDS)).chain((field) => {
  const type = (FIELDS[field as keyof typeof FIELDS] as { type: string }).type;
  return fc.constantFrom(...OPS[type]!).chain((op) =>
    fc.tuple(valueFor(field, type, op), whereArb).map(([value, where]) => ({
      field,
      op,
      ...(value === null ? {} : { value }),
      ...(type === 'orders' ? { where } : {}),
    })),
  );
});

/** Nested at most 4 groups deep, so that wrapping it in one more "not" stays within the limit of 6. */
function ruleAt(depth: number): fc.Arbitrary<unknown> {
  if (depth === 0) return conditionArb;
  const inner = ruleAt(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: conditionArb },
    { weight: 1, arbitrary: fc.array(inner, { minLength: 1, maxLength: 3 }).map((all) => ({ all })) },
    { weight: 1, arbitrary: fc.array(inner, { minLength: 1, maxLength: 3 }).map((any) => ({ any })) },
    { weight: 1, arbitrary: inner.map((r) => ({ not: r })) },
  );
}
const ruleArb = ruleAt(4);

describeBothDatabases('segment rules partition the workspace', (env) => {
  it('count(rule) + count(not rule) = customers, with empty values in every field', async () => {
    const e = env();
    const k = e.db.kysely;
    const now = e.ctx.now().toISOString();
    await fc.assert(
      fc.asyncProperty(
        fc.array(customerArb, { minLength: 1, maxLength: 12 }),
        fc.array(ruleArb, { minLength: 1, maxLength: 12 }),
        async (customers, rules) => {
          const ws = (await createWorkspace(e.ctx, `分区 ${newId()}`)).id;
          const store = await ensureStore(e.ctx, ws, '店', 'taobao');
          for (const [n, c] of customers.entries()) {
            const id = newId();
            await k
              .insertInto('customers')
              .values({
                workspace_id: ws,
                id,
                display_name: c.name,
                real_name: null,
                phone: null,
                email: null,
                province: c.province,
                city: c.city,
                gender: c.gender,
                birthday: c.birthday,
                marketing_consent: c.consent,
                consent_source: null,
                consent_at: null,
                first_store_id: null,
                created_at: now,
                updated_at: now,
                source: c.source,
                is_blacklisted: c.flags[0]!,
                is_bad_reviewer: c.flags[1]!,
                is_picky: c.flags[2]!,
                opt_out_sms: c.flags[3]!,
                opt_out_email: c.flags[4]!,
              })
              .execute();
            if (c.stats) {
              const s = c.stats;
              await k
                .insertInto('customer_stats')
                .values({
                  workspace_id: ws,
                  customer_id: id,
                  orders_count: s.ordersCount,
                  paid_orders: s.paidOrders,
                  first_order_at: s.at,
                  last_order_at: s.at,
                  first_paid_at: s.paidAt,
                  last_paid_at: s.paidAt,
                  total_spent_fen: s.spent,
                  refund_fen: s.refund,
                  refund_orders: 0,
                  aov_fen: s.spent,
                  spent_12m_fen: s.spent,
                  orders_12m: s.paidOrders,
                  favourite_category: s.favourite,
                  province: s.province,
                  as_of: now,
                })
                .execute();
            }
            if (c.rfm) {
              await k
                .insertInto('customer_rfm')
                .values({
                  workspace_id: ws,
                  customer_id: id,
                  r_score: 1,
                  f_score: 1,
                  m_score: 1,
                  rfm_class: c.rfm.cls,
                  value_tier: c.rfm.tier,
                  lifecycle: c.rfm.life,
                  computed_at: now,
                })
                .execute();
            }
            for (const name of c.tags) {
              const tag = await k
                .selectFrom('tags')
                .select('id')
                .where('workspace_id', '=', ws)
                .where('name', '=', name)
                .executeTakeFirst();
              const tagId = tag?.id ?? newId();
              if (!tag)
                await k
                  .insertInto('tags')
                  .values({ workspace_id: ws, id: tagId, name, color: 'blue', created_at: now })
                  .execute();
              await k
                .insertInto('customer_tags')
                .values({ workspace_id: ws, customer_id: id, tag_id: tagId, created_at: now, created_by: null })
                .execute();
            }
            for (const [i, o] of c.orders.entries()) {
              const orderId = newId();
              await k
                .insertInto('orders')
                .values({
                  workspace_id: ws,
                  id: orderId,
                  store_id: store.id,
                  external_id: `${n}-${i}`,
                  customer_id: id,
                  status: o.status,
                  platform_status: null,
                  goods_fen: o.paidFen,
                  shipping_fen: 0,
                  discount_fen: 0,
                  total_fen: o.paidFen,
                  paid_fen: o.paidFen,
                  refunded_fen: o.refundedFen,
                  created_at: o.createdAt,
                  paid_at: o.paid ? o.createdAt : null,
                  shipped_at: null,
                  signed_at: null,
                  closed_at: null,
                  buyer_nick: null,
                  receiver_name: null,
                  receiver_phone: null,
                  province: null,
                  city: null,
                  district: null,
                  address: null,
                  buyer_message: null,
                  seller_note: null,
                  source: o.source,
                  activity: o.activity,
                  title: null,
                  item_count: null,
                  raw: writeJson({}),
                  content_hash: orderId,
                  import_run_id: null,
                  imported_at: now,
                  updated_at: now,
                })
                .execute();
              if (o.category)
                await k
                  .insertInto('order_items')
                  .values({
                    workspace_id: ws,
                    order_id: orderId,
                    line_key: 'L1',
                    title: null,
                    sku: null,
                    external_item_id: null,
                    category: o.category,
                    quantity: 1,
                    price_fen: o.paidFen,
                    paid_fen: null,
                    refund_status: null,
                  })
                  .execute();
            }
          }
          for (const rule of rules) {
            const yes = await countRule(e.ctx, ws, rule);
            const no = await countRule(e.ctx, ws, { not: rule });
            expect({ rule, total: yes + no }).toEqual({ rule, total: customers.length });
          }
        },
      ),
      { numRuns: 25, seed: 20261123 },
    );
  });

  it('the README promise: province ≠ 浙江省 and not (province = 浙江省) both count customers with no province', async () => {
    const e = env();
    const ws = (await createWorkspace(e.ctx, '无省份')).id;
    const now = e.ctx.now().toISOString();
    for (const [name, province] of [
      ['有省份', '浙江省'],
      ['外省', '广东省'],
      ['无省份', null],
    ] as const)
      await e.db.kysely
        .insertInto('customers')
        .values(customerRow(ws, newId(), name, now, { province }))
        .execute();
    const eq = { field: 'province', op: 'eq', value: '浙江省' };
    expect(await countRule(e.ctx, ws, eq)).toBe(1);
    expect(await countRule(e.ctx, ws, { field: 'province', op: '≠', value: '浙江省' })).toBe(2);
    expect(await countRule(e.ctx, ws, { not: eq })).toBe(2);
    expect(await countRule(e.ctx, ws, { not: { field: 'city_tier', op: 'eq', value: CITY_TIERS[0] } })).toBe(3);
    expect(await countRule(e.ctx, ws, { field: 'age_band', op: 'neq', value: AGE_BANDS[1] })).toBe(3);
  });
});
