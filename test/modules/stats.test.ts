import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { JOB } from '../../src/jobs/kinds.js';
import { createUser } from '../../src/modules/auth/service.js';
import { buildServer } from '../../src/server.js';
import { Random } from '../../src/core/random.js';
import type { OrderRecord } from '../../src/core/formats/types.js';
import { ORDER_STATUSES, type OrderStatus } from '../../src/core/order-status.js';
import { computeCustomerStats, type PurchaseRule, type StatsOrder } from '../../src/core/stats.js';
import { customerOrderFacts, type FactOrder } from '../../src/core/order-facts.js';
import { newId } from '../../src/core/ids.js';
import {
  purchaseRule,
  recomputeAllStats,
  refreshCustomerStats,
  setPurchaseRule,
} from '../../src/modules/customers/stats.js';
import { mergeCustomers, undoMerge } from '../../src/modules/customers/merge.js';
import { derivedStatsCustomerFkBack } from '../../src/db/migrations/0072_derived_stats_customer_fk_back.js';
import { countRule } from '../../src/modules/segments/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases, scratchDir, type TestEnv } from '../helpers.js';
import { orderRecord, customerRow } from '../support/records.js';

const PROVINCES = ['广东省', '浙江省', null, '江苏省', ''];
const CATEGORIES = ['女装/大衣', '美妆/面膜', '配饰/围巾', null, ''];

function randomOrder(rnd: Random, n: number, buyers: number): OrderRecord {
  const status = rnd.pick(ORDER_STATUSES);
  const created = Date.parse('2025-06-01T00:00:00Z') + rnd.int(0, 540) * 86_400_000 + rnd.int(0, 86_399) * 1000;
  const paid =
    status === 'created' || (status === 'closed' && rnd.chance(0.5)) ? null : new Date(created + 60_000).toISOString();
  // Gifts, samples and 0-yuan trials: paid orders with nothing paid.
  const paidFen = paid && !rnd.chance(0.2) ? rnd.int(0, 50_000) : 0;
  const refundedFen = paid && rnd.chance(0.3) ? rnd.pick([paidFen, Math.floor(paidFen / 2), 0]) : 0;
  const buyer = rnd.int(1, buyers);
  const items = rnd.chance(0.7)
    ? Array.from({ length: rnd.int(0, 3) }, (_, i) => ({
        lineKey: `L${i}`,
        title: `商品${i}`,
        sku: null,
        externalItemId: null,
        category: rnd.pick(CATEGORIES),
        quantity: rnd.int(1, 4),
        priceFen: rnd.int(100, 9_900),
        paidFen: null,
        refundStatus: null,
      }))
    : null;
  return orderRecord({
    line: n,
    externalId: String(1_000_000 + n),
    status,
    createdAt: new Date(created).toISOString(),
    paidAt: paid,
    paidFen,
    refundedFen,
    buyer: {
      nick: rnd.chance(0.1) ? `m**${buyer}` : `buyer${buyer}`,
      externalId: null,
      email: null,
      phone: rnd.chance(0.3) ? `139${String(buyer).padStart(8, '0')}` : null,
      name: null,
    },
    province: rnd.pick(PROVINCES),
    // Dimensions of the order facts (activity, source, and activity with category level).
    activity: rnd.pick(['双11 2025', '618 2026', null, '']),
    source: rnd.pick(['直播', null]),
    items,
  });
}

/** A credit note (a generic export's cancellation document), sometimes naming an order it cancels. */
function randomCredit(rnd: Random, n: number, buyers: number, sent: OrderRecord[]): OrderRecord {
  const o = randomOrder(rnd, n, buyers);
  const creditFen = rnd.int(1, 20_000);
  return {
    ...o,
    externalId: `C${n}`,
    kind: 'credit',
    creditOf: sent.length > 0 && rnd.chance(0.5) ? rnd.pick(sent).externalId : null,
    status: 'refunded',
    paidAt: null,
    paidFen: 0,
    refundedFen: creditFen,
    totalFen: creditFen,
  };
}

/** The same order, later: moved on in status, refunded, or with other lines. */
function evolve(rnd: Random, o: OrderRecord): OrderRecord {
  if (o.kind === 'credit') return { ...o, refundedFen: rnd.int(1, 20_000) };
  const next: OrderRecord = { ...o, buyer: { ...o.buyer } };
  const later = ORDER_STATUSES.filter((s) => ORDER_STATUSES.indexOf(s) >= ORDER_STATUSES.indexOf(o.status));
  next.status = rnd.pick(later) as OrderStatus;
  if (next.status !== 'created' && next.status !== 'closed' && !next.paidAt) {
    next.paidAt = new Date(Date.parse(o.createdAt) + 3_600_000).toISOString();
    next.paidFen = rnd.chance(0.2) ? 0 : rnd.int(1, 30_000);
  }
  if (next.paidAt && rnd.chance(0.4)) next.refundedFen = rnd.pick([next.paidFen, rnd.int(0, next.paidFen)]);
  if (rnd.chance(0.3)) next.province = rnd.pick(PROVINCES);
  if (rnd.chance(0.3) && next.items) next.items = next.items.map((it) => ({ ...it, quantity: it.quantity + 1 }));
  return next;
}

async function snapshot(env: TestEnv, ws = env.workspaceId) {
  const rows = await env.db.kysely
    .selectFrom('customer_stats')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('customer_id')
    .execute();
  return rows.map(({ as_of: _a, ...r }) => r);
}

/** A bare customer (a member who joined the shop's club): no order, no identity. */
async function addCustomerWithoutOrders(env: TestEnv, ws: string): Promise<string> {
  const now = env.ctx.now().toISOString();
  const id = newId();
  await env.db.kysely
    .insertInto('customers')
    .values(customerRow(ws, id, '只入会', now))
    .execute();
  return id;
}

/**
 * The stats and order facts the definitions in code (core/stats.ts, core/order-facts.ts) give for
 * every customer's stored orders: what the SQL both paths run must equal.
 */
async function definedByCore(env: TestEnv, ws: string, rule: PurchaseRule) {
  const k = env.db.kysely;
  const customers = await k
    .selectFrom('customer_stats')
    .select(['customer_id', 'as_of'])
    .where('workspace_id', '=', ws)
    .execute();
  const orders = await k
    .selectFrom('orders')
    .select(['id', 'customer_id', 'kind', 'status', 'created_at', 'paid_at', 'paid_fen', 'refunded_fen', 'province'])
    .select(['activity', 'source', 'store_id'])
    .where('workspace_id', '=', ws)
    .where('customer_id', 'is not', null)
    .execute();
  const items = await k
    .selectFrom('order_items')
    .select(['order_id', 'category', 'quantity'])
    .where('workspace_id', '=', ws)
    .execute();
  const byCustomer = new Map<string, (StatsOrder & FactOrder)[]>(customers.map((c) => [c.customer_id, []]));
  for (const o of orders) {
    byCustomer.get(o.customer_id!)!.push({
      id: o.id,
      status: o.status as OrderStatus,
      kind: o.kind,
      createdAt: o.created_at,
      paidAt: o.paid_at,
      paidFen: o.paid_fen,
      refundedFen: o.refunded_fen,
      province: o.province,
      activity: o.activity,
      source: o.source,
      storeId: o.store_id,
      items: items.filter((i) => i.order_id === o.id).map((i) => ({ category: i.category, quantity: i.quantity })),
    });
  }
  const asOf = new Map(customers.map((c) => [c.customer_id, c.as_of]));
  const stats = [...byCustomer]
    .map(([id, list]) => {
      const s = computeCustomerStats(list, asOf.get(id)!, rule);
      return {
        workspace_id: ws,
        customer_id: id,
        orders_count: s.ordersCount,
        paid_orders: s.paidOrders,
        first_order_at: s.firstOrderAt,
        last_order_at: s.lastOrderAt,
        first_paid_at: s.firstPaidAt,
        last_paid_at: s.lastPaidAt,
        total_spent_fen: s.totalSpentFen,
        refund_fen: s.refundFen,
        refund_orders: s.refundOrders,
        aov_fen: s.aovFen,
        spent_12m_fen: s.spent12mFen,
        orders_12m: s.orders12m,
        favourite_category: s.favouriteCategory,
        province: s.province,
      };
    })
    .sort((a, b) => (a.customer_id < b.customer_id ? -1 : 1));
  const facts = [...byCustomer]
    .flatMap(([id, list]) =>
      customerOrderFacts(list, rule).map((f) => ({
        customer_id: id,
        dim: f.dim,
        value: f.value,
        orders: f.orders,
        spend_fen: f.spendFen,
        first_at: f.firstAt,
        last_at: f.lastAt,
      })),
    )
    .sort((a, b) => factKey(a).localeCompare(factKey(b)));
  return { stats, facts };
}

const factKey = (f: { customer_id: string; dim: string; value: string }) => `${f.customer_id}|${f.dim}|${f.value}`;

async function storedFacts(env: TestEnv, ws: string) {
  const rows = await env.db.kysely
    .selectFrom('customer_order_facts')
    .select(['customer_id', 'dim', 'value', 'orders', 'spend_fen', 'first_at', 'last_at'])
    .where('workspace_id', '=', ws)
    .execute();
  return rows.sort((a, b) => factKey(a).localeCompare(factKey(b)));
}

/** Stats and order-fact rows whose customer is gone. */
async function orphans(env: TestEnv, ws: string) {
  const count = async (table: 'customer_stats' | 'customer_order_facts') =>
    Number(
      (
        await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(table)} t WHERE t.workspace_id = ${ws}
          AND NOT EXISTS (SELECT 1 FROM customers c
            WHERE c.workspace_id = t.workspace_id AND c.id = t.customer_id)`.execute(env.db.kysely)
      ).rows[0]!.n,
    );
  return { stats: await count('customer_stats'), facts: await count('customer_order_facts') };
}

describeBothDatabases('customer stats', (env) => {
  // Seed 4 runs in a workspace whose setting counts 0-yuan orders as purchases.
  for (const seed of [1, 2, 3, 4]) {
    it(`incremental stats equal the one-pass recompute after random order sequences (seed ${seed})`, async () => {
      const e = env();
      const ws = seed === 4 ? (await createWorkspace(e.ctx, '赠品也算')).id : e.workspaceId;
      if (seed === 4) await setPurchaseRule(e.ctx, ws, { zeroPaidCounts: true });
      const rnd = new Random(seed);
      const store = await ensureStore(e.ctx, ws, `随机店${seed}`, 'taobao');
      const sent: OrderRecord[] = [];
      for (let batch = 0; batch < 12; batch++) {
        const records: OrderRecord[] = [];
        for (let i = 0; i < rnd.int(5, 40); i++) {
          if (sent.length > 0 && rnd.chance(0.35)) records.push(evolve(rnd, rnd.pick(sent)));
          else if (rnd.chance(0.08))
            records.push(randomCredit(rnd, seed * 100_000 + sent.length + records.length, 25, sent));
          else records.push(randomOrder(rnd, seed * 100_000 + sent.length + records.length, 25));
        }
        await e.db.kysely
          .transaction()
          .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
        sent.push(...records);
      }
      expect(await orphans(e, ws)).toEqual({ stats: 0, facts: 0 });
      // A customer with no orders (a member who only joined) has stats of zeros on both paths.
      const bare = await addCustomerWithoutOrders(e, ws);
      await refreshCustomerStats(e.db.kysely, e.db.dialect, ws, [bare], e.ctx.now().toISOString());
      const incremental = await snapshot(e, ws);
      expect(incremental.find((s) => s.customer_id === bare)).toMatchObject({ orders_count: 0, total_spent_fen: 0 });
      // Both paths run one SQL definition: it equals the definitions in code, stats and order facts.
      const core = await definedByCore(e, ws, await purchaseRule(e.db.kysely, ws));
      expect(incremental).toEqual(core.stats);
      const facts = await storedFacts(e, ws);
      expect(facts.length).toBeGreaterThan(10);
      expect(new Set(facts.map((f) => f.dim))).toEqual(
        new Set(['category', 'activity', 'source', 'store', 'activity+category']),
      );
      expect(facts).toEqual(core.facts);
      expect(incremental.length).toBeGreaterThan(10);
      expect(incremental.some((s) => s.refund_orders > 0 && s.paid_orders > 0)).toBe(true);
      expect(incremental.some((s) => s.favourite_category !== null)).toBe(true);
      expect(sent.some((o) => o.kind === 'credit')).toBe(true);
      await recomputeAllStats(e.db, ws, e.ctx.now().toISOString());
      expect(await snapshot(e, ws)).toEqual(incremental);
      expect(await storedFacts(e, ws)).toEqual(facts);
    });
  }

  it("a merge, by hand or by an import's phone, leaves no stats or facts of the customer it removes", async () => {
    const e = env();
    const ws = (await createWorkspace(e.ctx, '合并店')).id;
    const store = await ensureStore(e.ctx, ws, '合并店', 'taobao');
    const at = '2026-10-01T02:00:00.000Z';
    const buyer = (nick: string, phone: string | null = null) => ({
      nick,
      externalId: null,
      email: null,
      phone,
      name: null,
    });
    const item = (category: string) => ({
      lineKey: 'L0',
      title: category,
      sku: null,
      externalItemId: null,
      category,
      quantity: 1,
      priceFen: 100,
      paidFen: null,
      refundStatus: null,
    });
    const order = (externalId: string, b: ReturnType<typeof buyer>, category: string) =>
      orderRecord({ externalId, createdAt: at, paidFen: 5000, activity: '双11', buyer: b, items: [item(category)] });
    const ingest = (records: OrderRecord[]) =>
      e.db.kysely
        .transaction()
        .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
    await ingest([
      order('a1', buyer('阿兰'), '女装'),
      order('b1', buyer('小波'), '美妆'),
      order('c1', buyer('小辰'), '童装'),
      order('d1', buyer('大东', '13900000001'), '配饰'),
    ]);
    const ids = Object.fromEntries(
      (
        await e.db.kysely
          .selectFrom('customers')
          .select(['id', 'display_name'])
          .where('workspace_id', '=', ws)
          .execute()
      ).map((c) => [c.display_name, c.id]),
    ) as Record<string, string>;
    const rowsOf = async (id: string) => ({
      stats: (await snapshot(e, ws)).filter((s) => s.customer_id === id).length,
      facts: (await storedFacts(e, ws)).filter((f) => f.customer_id === id).length,
    });
    // category, activity, store, activity+category
    expect(await rowsOf(ids['小波']!)).toEqual({ stats: 1, facts: 4 });

    // By hand (the console's merge), then undone.
    const merge = await mergeCustomers(e.ctx, ws, ids['阿兰']!, ids['小波']!, null);
    expect(await rowsOf(ids['小波']!)).toEqual({ stats: 0, facts: 0 });
    expect(await orphans(e, ws)).toEqual({ stats: 0, facts: 0 });
    expect((await snapshot(e, ws)).find((s) => s.customer_id === ids['阿兰'])).toMatchObject({ paid_orders: 2 });
    await undoMerge(e.ctx, ws, merge.id);
    expect(await rowsOf(ids['小波']!)).toEqual({ stats: 1, facts: 4 });

    // By an import: a later export shows 小辰's phone, which is 大东's — the two become one customer.
    const summary = await ingest([order('c2', buyer('小辰', '13900000001'), '童装')]);
    expect(summary.customersMerged).toBe(1);
    expect(await orphans(e, ws)).toEqual({ stats: 0, facts: 0 });
    expect(await snapshot(e, ws)).toHaveLength(3);

    // Whatever is left, the recompute agrees with it.
    const kept = { stats: await snapshot(e, ws), facts: await storedFacts(e, ws) };
    await recomputeAllStats(e.db, ws, e.ctx.now().toISOString());
    expect({ stats: await snapshot(e, ws), facts: await storedFacts(e, ws) }).toEqual(kept);
  });

  it('on PostgreSQL the derived tables keep their foreign keys: 0072 down drops them, up restores them', async () => {
    const e = env();
    if (e.db.dialect !== 'postgres') return;
    const k = e.db.kysely;
    const fks = async () =>
      (
        await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_constraint
          WHERE conname IN ('customer_stats_customer_fk', 'customer_order_facts_customer_fk')`.execute(k)
      ).rows[0]!.n;
    expect(await fks()).toBe(2);
    const m = derivedStatsCustomerFkBack('postgres');
    await m.down(k as never);
    expect(await fks()).toBe(0);
    const now = e.ctx.now().toISOString();
    await k
      .insertInto('customer_stats')
      .values({
        workspace_id: e.workspaceId,
        customer_id: 'gone',
        orders_count: 0,
        paid_orders: 0,
        first_order_at: null,
        last_order_at: null,
        first_paid_at: null,
        last_paid_at: null,
        total_spent_fen: 0,
        refund_fen: 0,
        refund_orders: 0,
        aov_fen: 0,
        spent_12m_fen: 0,
        orders_12m: 0,
        favourite_category: null,
        province: null,
        as_of: now,
      })
      .execute();
    expect(await orphans(e, e.workspaceId)).toEqual({ stats: 1, facts: 0 });
    const before = (await snapshot(e)).length;
    await m.up(k as never);
    expect(await fks()).toBe(2);
    expect(await orphans(e, e.workspaceId)).toEqual({ stats: 0, facts: 0 });
    expect((await snapshot(e)).length).toBe(before - 1);
  });

  it('a 0-yuan order (gift, sample) is not a purchase unless the workspace says so', async () => {
    const e = env();
    const ws = (await createWorkspace(e.ctx, '赠品店')).id;
    const store = await ensureStore(e.ctx, ws, '赠品店', 'taobao');
    const buyer = (nick: string) => ({ nick, externalId: null, email: null, phone: null, name: null });
    const at = '2026-10-01T02:00:00.000Z';
    await e.db.kysely.transaction().execute((trx) =>
      ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
        orderRecord({ externalId: 'g1', createdAt: at, paidFen: 0, buyer: buyer('只拿赠品') }),
        orderRecord({ externalId: 'g2', createdAt: at, paidFen: 0, buyer: buyer('买过也拿过') }),
        orderRecord({
          externalId: 'g3',
          createdAt: '2026-11-01T02:00:00.000Z',
          paidFen: 9900,
          buyer: buyer('买过也拿过'),
        }),
      ]),
    );
    const stats = async () =>
      Object.fromEntries(
        (
          await e.db.kysely
            .selectFrom('customer_stats as s')
            .innerJoin('customers as c', (j) =>
              j.onRef('c.workspace_id', '=', 's.workspace_id').onRef('c.id', '=', 's.customer_id'),
            )
            .select(['c.display_name', 's.paid_orders', 's.first_paid_at', 's.aov_fen'])
            .where('s.workspace_id', '=', ws)
            .execute()
        ).map((r) => [r.display_name, { paid: r.paid_orders, first: r.first_paid_at, aov: r.aov_fen }]),
      );
    const buyers = { field: 'paid_orders', op: 'gte', value: 1 };
    const boughtAnything = { field: 'orders', op: 'exists' };
    expect(await stats()).toEqual({
      只拿赠品: { paid: 0, first: null, aov: 0 },
      买过也拿过: { paid: 1, first: '2026-11-01T02:00:00.000Z', aov: 9900 },
    });
    expect(await countRule(e.ctx, ws, buyers)).toBe(1);
    expect(await countRule(e.ctx, ws, boughtAnything)).toBe(1);
    const before = await snapshot(e, ws);
    await recomputeAllStats(e.db, ws, e.ctx.now().toISOString());
    expect(await snapshot(e, ws)).toEqual(before);

    // A seller who wants gifts to count says so; a recompute applies it everywhere.
    await setPurchaseRule(e.ctx, ws, { zeroPaidCounts: true });
    await recomputeAllStats(e.db, ws, e.ctx.now().toISOString());
    expect(await stats()).toEqual({
      只拿赠品: { paid: 1, first: at, aov: 0 },
      买过也拿过: { paid: 2, first: at, aov: 4950 },
    });
    expect(await countRule(e.ctx, ws, buyers)).toBe(2);
    expect(await countRule(e.ctx, ws, boughtAnything)).toBe(2);
  });

  it("over HTTP: GET/PUT /stats/settings; a change queues the recompute of every customer's stats", async () => {
    const e = env();
    const ws = (await createWorkspace(e.ctx, '设置店')).id;
    await createUser(e.ctx, ws, { login: 'owner', password: 'secret-pass-5' });
    const app = await buildServer(e.ctx, { dataDir: scratchDir('huike-stats-') });
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: 'owner', password: 'secret-pass-5', workspaceId: ws },
      });
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const get = await app.inject({
        method: 'GET',
        url: '/api/v1/stats/settings',
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(get.statusCode, get.body).toBe(200);
      expect(get.json()).toEqual({ zeroPaidCounts: false });
      const bad = await app.inject({
        method: 'PUT',
        url: '/api/v1/stats/settings',
        payload: { zeroPaidCounts: 'yes' },
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(bad.statusCode).toBe(400);
      const put = await app.inject({
        method: 'PUT',
        url: '/api/v1/stats/settings',
        payload: { zeroPaidCounts: true },
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(put.statusCode, put.body).toBe(200);
      expect(put.json()).toEqual({ zeroPaidCounts: true });
      const jobs = await e.db.kysely
        .selectFrom('jobs')
        .select('kind')
        .where('workspace_id', '=', ws)
        .where('status', '=', 'queued')
        .execute();
      expect(jobs.map((j) => j.kind)).toContain(JOB.statsRecompute);
    } finally {
      await app.close();
    }
  });

  it('recompute fixes stats that drifted', async () => {
    const e = env();
    const k = e.db.kysely;
    const before = await snapshot(e);
    await k
      .updateTable('customer_stats')
      .set({ total_spent_fen: 1, paid_orders: 99, favourite_category: 'x' })
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    await recomputeAllStats(e.db, e.workspaceId, e.ctx.now().toISOString());
    expect(await snapshot(e)).toEqual(before);
  });
});
