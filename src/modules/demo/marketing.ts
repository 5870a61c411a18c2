import { DAY_MS } from '../../core/time.js';
import type { AppContext } from '../context.js';
import { createTemplate, issueToSegment, matchCouponUses } from '../coupons/service.js';
import { createReward, grantToSegment } from '../points/rewards.js';
import { getSegment, saveSegment, tagRule } from '../segments/service.js';
import { addNote, createGroup, setGroupMembers } from '../tags/service.js';

/**
 * What a shop that has used Huike for a while has besides orders: tags, a group, saved segments,
 * coupons issued a month ago (some already used by imported orders), a rewards catalogue, a points
 * gift and notes. Everything goes through the same services as the console and the API.
 */
export async function seedDemoMarketing(ctx: AppContext, ws: string): Promise<void> {
  const k = ctx.db.kysely;
  const sys = async (id: string) => (await getSegment(ctx, ws, id)).rule;

  await tagRule(ctx, ws, { field: 'rfm_class', op: 'eq', value: '重要价值' }, 'VIP', null);
  await tagRule(ctx, ws, { field: 'paid_orders', op: 'gte', value: 5 }, '高复购', null);
  await tagRule(
    ctx,
    ws,
    {
      field: 'orders',
      op: 'count_gte',
      value: 2,
      where: { activity: ['双11 2025', '双11 2026', '双12 2025', '618 2025', '618 2026'] },
    },
    '大促敏感',
    null,
  );
  await tagRule(ctx, ws, { field: 'refund_orders', op: 'gte', value: 2 }, '退款较多', null);

  const top = await k
    .selectFrom('customer_stats')
    .select('customer_id')
    .where('workspace_id', '=', ws)
    .orderBy('total_spent_fen', 'desc')
    .limit(50)
    .execute();
  const group = await createGroup(ctx, ws, '重点维护');
  await setGroupMembers(
    ctx,
    ws,
    group.id,
    top.map((t) => t.customer_id),
    [],
  );
  for (const [i, body] of [
    '偏好羊毛和羊绒材质，尺码 M',
    '双11 前电话回访过，对赠品满意',
    '收货地址常换，发货前确认',
  ].entries()) {
    const c = top[i];
    if (c) await addNote(ctx, ws, c.customer_id, body, null);
  }

  await saveSegment(ctx, ws, {
    name: '高价值沉睡客户',
    description: '累计消费 ≥ ¥1,000，超过 90 天没买：适合唤醒券',
    rule: {
      all: [
        { field: 'total_spent', op: 'gte', value: 100_000 },
        { field: 'days_since_last_order', op: 'gt', value: 90 },
      ],
    },
  });
  await saveSegment(ctx, ws, {
    name: '金卡以上且同意营销',
    description: '会员日短信的受众',
    rule: {
      all: [
        { field: 'spent_12m', op: 'gte', value: 150_000 },
        { field: 'marketing_consent', op: 'eq', value: 'granted' },
        { not: { field: 'is_blacklisted', op: 'is_true' } },
      ],
    },
  });
  await saveSegment(ctx, ws, {
    name: '江浙沪女装复购客',
    description: null,
    rule: {
      all: [
        { field: 'province', op: 'in', value: ['浙江省', '江苏省', '上海市'] },
        { field: 'orders', op: 'count_gte', value: 2, where: { category: ['女装'] } },
      ],
    },
  });

  // Coupons issued 35 days ago, valid 60 days: orders since then that meet them count as uses.
  const issuedAgo: AppContext = { ...ctx, now: () => new Date(ctx.now().getTime() - 35 * DAY_MS) };
  const winBack = await createTemplate(ctx, ws, {
    name: '老客回归 满200减20',
    rules: { kind: 'spend_off', minFen: 20_000, offFen: 2_000 },
    validity: { days: 60 },
  });
  await issueToSegment(issuedAgo, ws, winBack.id, await sys('sys:returning'), `${winBack.id}:demo`);
  const newcomer = await createTemplate(ctx, ws, {
    name: '新人券 满99减10',
    rules: { kind: 'new_member', minFen: 9_900, offFen: 1_000 },
    validity: { days: 30 },
  });
  await issueToSegment(issuedAgo, ws, newcomer.id, await sys('sys:new'), `${newcomer.id}:demo`);
  await createTemplate(ctx, ws, {
    name: '双12 阶梯券',
    rules: {
      kind: 'tiered',
      steps: [
        { minFen: 20_000, offFen: 2_000 },
        { minFen: 50_000, offFen: 8_000 },
      ],
    },
    validity: { days: 14 },
    totalStock: 5_000,
  });
  await createTemplate(ctx, ws, {
    name: '生日券 立减 15 元',
    rules: { kind: 'birthday', minFen: 0, offFen: 1_500 },
    validity: { days: 30 },
  });
  const cash = await createTemplate(ctx, ws, {
    name: '5 元无门槛券',
    rules: { kind: 'cash', offFen: 500 },
    validity: { days: 30 },
  });
  await matchCouponUses(ctx, ws);

  await createReward(ctx, ws, { name: '帆布购物袋', kind: 'gift', pointsCost: 800, stock: 200 });
  await createReward(ctx, ws, {
    name: '5 元无门槛券',
    kind: 'cash_voucher',
    pointsCost: 500,
    couponTemplateId: cash.id,
  });
  await createReward(ctx, ws, { name: '真丝眼罩', kind: 'gift', pointsCost: 2_000, stock: 50 });
  await grantToSegment(
    ctx,
    ws,
    { field: 'rfm_class', op: 'eq', value: '重要价值' },
    50,
    'demo-anniversary',
    '店铺周年庆',
  );
}
