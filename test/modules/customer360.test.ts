import { beforeAll, expect, it } from 'vitest';
import { customerRow, orderRecord } from '../support/records.js';
import { countLoopTurns } from '../support/loop-turns.js';
import { newId } from '../../src/core/ids.js';
import { credit, debit, pointsOf } from '../../src/modules/points/service.js';
import { createTemplate, issueCoupon } from '../../src/modules/coupons/service.js';
import { setTierFloor } from '../../src/modules/membership/service.js';
import { mergeCustomers, undoMerge } from '../../src/modules/customers/merge.js';
import { updateCustomer } from '../../src/modules/customers/profile.js';
import { customerDetail } from '../../src/modules/customers/service.js';
import { customerTimeline } from '../../src/modules/customers/timeline.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { addNote, createGroup, customerTags, setGroupMembers, tagCustomers } from '../../src/modules/tags/service.js';
import type { Store } from '../../src/db/types.js';
import { describeBothDatabases, statsOf, type TestEnv } from '../helpers.js';

const rec = (n: number, nick: string, phone: string, at: string, paidFen: number) =>
  orderRecord({
    line: n,
    externalId: String(700000 + n),
    createdAt: at,
    paidFen,
    buyer: { nick, externalId: null, email: null, phone, name: null },
    receiverPhone: phone,
    province: '江苏省',
    city: '南京市',
    title: '针织开衫',
    itemCount: 1,
  });

async function snapshotOf(env: TestEnv, id: string) {
  const k = env.db.kysely;
  const ws = env.workspaceId;
  const customer = await k
    .selectFrom('customers')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  const orders = (
    await k
      .selectFrom('orders')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', id)
      .orderBy('id')
      .execute()
  ).map((o) => o.id);
  const identities = (
    await k
      .selectFrom('customer_identities')
      .select('value')
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', id)
      .orderBy('value')
      .execute()
  ).map((i) => i.value);
  const notes = (
    await k.selectFrom('notes').select('body').where('workspace_id', '=', ws).where('customer_id', '=', id).execute()
  ).map((n) => n.body);
  const groups = (
    await k
      .selectFrom('customer_groups')
      .select('group_id')
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', id)
      .execute()
  ).map((g) => g.group_id);
  const tags = (await customerTags(env.ctx, ws, id)).map((t) => t.name);
  const { as_of: _a, ...stats } = (await k
    .selectFrom('customer_stats')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', id)
    .executeTakeFirst()) ?? { as_of: '' };
  const points = customer ? (await pointsOf(env.ctx, ws, id)).summary : null;
  const coupons = (
    await k.selectFrom('coupons').select('id').where('workspace_id', '=', ws).where('customer_id', '=', id).execute()
  ).map((c) => c.id);
  const tier =
    (await k
      .selectFrom('member_tiers')
      .select(['tier_key', 'floor_key'])
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', id)
      .executeTakeFirst()) ?? null;
  return { customer, orders, identities, notes, groups, tags, stats, points, coupons, tier };
}

describeBothDatabases('customer 360', (env) => {
  let store: Store;
  let a = '';
  let b = '';
  beforeAll(async () => {
    const e = env();
    store = await ensureStore(e.ctx, e.workspaceId, '合并测试店', 'taobao');
    await e.db.kysely
      .transaction()
      .execute((trx) =>
        ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
          rec(1, 'lily_tb', '13900000001', '2026-01-10T02:00:00.000Z', 10000),
          rec(2, 'lily_tb', '13900000001', '2026-05-10T02:00:00.000Z', 20000),
          rec(3, 'lily_other', '13900000002', '2026-08-10T02:00:00.000Z', 30000),
        ]),
      );
    const ids = await e.db.kysely
      .selectFrom('customers')
      .select(['id', 'display_name'])
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    a = ids.find((c) => c.display_name === 'lily_tb')!.id;
    b = ids.find((c) => c.display_name === 'lily_other')!.id;
    await tagCustomers(e.ctx, e.workspaceId, [a], ['VIP']);
    await tagCustomers(e.ctx, e.workspaceId, [b], ['VIP', '京东客户', '试用']);
    await tagCustomers(e.ctx, e.workspaceId, [b], [], ['试用'], 'U1');
    const g = await createGroup(e.ctx, e.workspaceId, '江苏老客');
    await setGroupMembers(e.ctx, e.workspaceId, g.id, [b], []);
    await addNote(e.ctx, e.workspaceId, b, '电话里说是同一个人', null);
    await updateCustomer(e.ctx, e.workspaceId, b, { birthday: '1990-05-20', optOutSms: true, wechat: 'lily_wx' }, null);
    // The merged-away customer also has points (partly spent), a coupon and a tier set by staff.
    await credit(e.ctx, e.workspaceId, {
      customerId: b,
      points: 300,
      kind: 'earn',
      source: 'grant',
      expiresAt: null,
      key: 'b-points',
    });
    await debit(e.ctx, e.workspaceId, { customerId: b, points: 120, kind: 'redeem', source: 'gift', key: 'b-spend' });
    const tpl = await createTemplate(e.ctx, e.workspaceId, {
      name: '合并测试券',
      rules: { kind: 'cash', offFen: 500 },
      validity: { days: 30 },
    });
    await issueCoupon(e.ctx, e.workspaceId, { templateId: tpl.id, customerId: b, key: 'b-coupon', source: 'manual' });
    await setTierFloor(e.ctx, e.workspaceId, b, 'gold', '老客', null);
  });

  it(
    'merging moves orders, identities, tags, groups, notes, ' +
      'points and coupons, fills empty fields and keeps opt-outs',
    async () => {
      const e = env();
      const before = { a: await snapshotOf(e, a), b: await snapshotOf(e, b) };
      (globalThis as Record<string, unknown>).__before = before;
      const m = await mergeCustomers(e.ctx, e.workspaceId, a, b, null);
      expect(m).toMatchObject({ orders: 1, identities: 2 });
      const after = await snapshotOf(e, a);
      expect(after.orders).toEqual([...before.a.orders, ...before.b.orders].sort());
      expect(after.identities).toEqual(['13900000001', '13900000002', 'lily_other', 'lily_tb']);
      expect(after.tags).toEqual(['VIP', '京东客户']);
      expect(after.notes).toEqual(['电话里说是同一个人']);
      expect(after.groups).toHaveLength(1);
      expect(after.customer).toMatchObject({ birthday: '1990-05-20', wechat: 'lily_wx', opt_out_sms: 1 });
      // Points and coupons are the customer's too: they move, they are not deleted with the source.
      expect(after.points).toMatchObject({ spendable: 180, spent: 120, lifetime: 300 });
      expect(after.coupons).toEqual(before.b.coupons);
      expect((await statsOf(e, 'lily_tb')).paid_orders).toBe(3);
      expect((await statsOf(e, 'lily_tb')).total_spent_fen).toBe(60000);
      expect((await snapshotOf(e, b)).customer).toBeUndefined();
      await expect(customerDetail(e.ctx, e.workspaceId, b, 'owner')).rejects.toThrow(/not found/);
      // The next export's orders of the merged-away buyer land on the surviving customer.
      await e.db.kysely
        .transaction()
        .execute((trx) =>
          ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
            rec(4, 'lily_other', '13900000002', '2026-11-01T02:00:00.000Z', 5000),
          ]),
        );
      expect((await statsOf(e, 'lily_tb')).paid_orders).toBe(4);
      const timeline = await customerTimeline(e.ctx, e.workspaceId, a);
      expect(timeline.map((t) => t.kind)).toEqual(
        expect.arrayContaining(['customer.merged', 'note', 'tag.added', 'group.joined', 'order.paid']),
      );
      // The tag taken off the merged-away customer before is on the survivor's timeline too.
      expect(
        timeline
          .filter((t) => t.params?.name === '试用')
          .map((t) => t.kind)
          .sort(),
      ).toEqual(['tag.added', 'tag.removed']);
      expect([...timeline.map((t) => t.at)].sort().reverse()).toEqual(timeline.map((t) => t.at));
    },
  );

  it('undo brings the merged customer back with exactly what was theirs', async () => {
    const e = env();
    const before = (globalThis as Record<string, unknown>).__before as {
      a: Awaited<ReturnType<typeof snapshotOf>>;
      b: Awaited<ReturnType<typeof snapshotOf>>;
    };
    const merge = await e.db.kysely
      .selectFrom('customer_merges')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .executeTakeFirstOrThrow();
    e.setNow('2026-11-23T05:00:00.000Z');
    await undoMerge(e.ctx, e.workspaceId, merge.id);
    const nowA = await snapshotOf(e, a);
    const nowB = await snapshotOf(e, b);
    expect(nowB.customer).toEqual(before.b.customer);
    expect(nowB.orders).toEqual(before.b.orders);
    expect(nowB.identities).toEqual(before.b.identities);
    expect(nowB.tags).toEqual(before.b.tags);
    expect(nowB.groups).toEqual(before.b.groups);
    expect(nowB.notes).toEqual(before.b.notes);
    expect(nowB.stats).toEqual(before.b.stats);
    expect(nowB.points).toEqual(before.b.points);
    expect(nowB.coupons).toEqual(before.b.coupons);
    expect(nowB.tier).toEqual(before.b.tier);
    expect((await snapshotOf(e, a)).points).toEqual(before.a.points);
    // A keeps the order imported after the merge; everything else is as before.
    expect(nowA.orders).toHaveLength(before.a.orders.length + 1);
    expect(nowA.tags).toEqual(before.a.tags);
    expect(nowA.customer).toMatchObject({ birthday: null, wechat: null, opt_out_sms: 0 });
    await expect(undoMerge(e.ctx, e.workspaceId, merge.id)).rejects.toThrow(/already undone/);
    const timeline = await customerTimeline(e.ctx, e.workspaceId, a);
    expect(timeline[0]!.kind).toBe('customer.unmerged');
    expect(timeline.some((t) => t.params?.name === '试用')).toBe(false);
    const hers = await customerTimeline(e.ctx, e.workspaceId, b);
    expect(
      hers
        .filter((t) => t.params?.name === '试用')
        .map((t) => t.kind)
        .sort(),
    ).toEqual(['tag.added', 'tag.removed']);
  });

  it('refuses merging a customer into itself or into nobody', async () => {
    const e = env();
    await expect(mergeCustomers(e.ctx, e.workspaceId, a, a, null)).rejects.toThrow(/into itself/);
    await expect(mergeCustomers(e.ctx, e.workspaceId, a, 'nope', null)).rejects.toThrow(/not found/);
  });

  it('profile edits validate phone, QQ and dates, and record who changed consent', async () => {
    const e = env();
    await expect(updateCustomer(e.ctx, e.workspaceId, a, { phone: '138****1234' }, null)).rejects.toThrow(
      /not a mainland mobile/,
    );
    await expect(updateCustomer(e.ctx, e.workspaceId, a, { qq: 'abc' }, null)).rejects.toThrow(/QQ number/);
    await expect(updateCustomer(e.ctx, e.workspaceId, a, { birthday: '1990-02-30' }, null)).rejects.toThrow(/birthday/);
    await expect(updateCustomer(e.ctx, e.workspaceId, a, { colour: 'red' }, null)).rejects.toThrow(/colour/);
    await updateCustomer(
      e.ctx,
      e.workspaceId,
      a,
      { phone: '+86 139 0000 0009', gender: 'female', isBlacklisted: true, marketingConsent: 'denied' },
      'U1',
    );
    const d = await customerDetail(e.ctx, e.workspaceId, a, 'owner');
    expect(d).toMatchObject({
      phone: '13900000009',
      gender: 'female',
      marketingConsent: 'denied',
      consentSource: 'staff:U1',
      flags: { isBlacklisted: true },
    });
  });
});

describeBothDatabases('tagging a large selection and the event loop', (env) => {
  it('gives the event loop a turn between its statements, and tags every customer of the selection', async () => {
    const { ctx, workspaceId: ws } = env();
    const rows = Array.from({ length: 3000 }, (_, i) =>
      customerRow(ws, newId(), `批量客${i}`, '2026-10-01T00:00:00.000Z'),
    );
    for (let i = 0; i < rows.length; i += 300)
      await ctx.db.kysely
        .insertInto('customers')
        .values(rows.slice(i, i + 300))
        .execute();
    const loop = countLoopTurns();
    try {
      await tagCustomers(
        ctx,
        ws,
        rows.map((r) => r.id),
        ['双11批量'],
      );
    } finally {
      loop.stop();
    }
    // 3,000 customers are 4 reads and 4 inserts of at most 900: the loop turned between them (it did not before: the
    // whole selection was one stretch of synchronous statements on SQLite).
    expect(loop.turns).toBeGreaterThanOrEqual(6);
    const tagged = await ctx.db.kysely
      .selectFrom('customer_tags as ct')
      .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'ct.workspace_id').onRef('t.id', '=', 'ct.tag_id'))
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('ct.workspace_id', '=', ws)
      .where('t.name', '=', '双11批量')
      .executeTakeFirstOrThrow();
    expect(Number(tagged.n)).toBe(3000);
  });
});
