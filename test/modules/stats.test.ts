import { expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import type { OrderRecord } from '../../src/core/formats/types.js';
import { ORDER_STATUSES, type OrderStatus } from '../../src/core/order-status.js';
import { recomputeAllStats } from '../../src/modules/customers/stats.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases, type TestEnv } from '../helpers.js';
import { orderRecord } from '../support/records.js';

const PROVINCES = ['广东省', '浙江省', null, '江苏省', ''];
const CATEGORIES = ['女装/大衣', '美妆/面膜', '配饰/围巾', null, ''];

function randomOrder(rnd: Random, n: number, buyers: number): OrderRecord {
  const status = rnd.pick(ORDER_STATUSES);
  const created = Date.parse('2025-06-01T00:00:00Z') + rnd.int(0, 540) * 86_400_000 + rnd.int(0, 86_399) * 1000;
  const paid =
    status === 'created' || (status === 'closed' && rnd.chance(0.5)) ? null : new Date(created + 60_000).toISOString();
  const paidFen = paid ? rnd.int(0, 50_000) : 0;
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
    items,
  });
}

/** The same order, later: moved on in status, refunded, or with other lines. */
function evolve(rnd: Random, o: OrderRecord): OrderRecord {
  const next: OrderRecord = { ...o, buyer: { ...o.buyer } };
  const later = ORDER_STATUSES.filter((s) => ORDER_STATUSES.indexOf(s) >= ORDER_STATUSES.indexOf(o.status));
  next.status = rnd.pick(later) as OrderStatus;
  if (next.status !== 'created' && next.status !== 'closed' && !next.paidAt) {
    next.paidAt = new Date(Date.parse(o.createdAt) + 3_600_000).toISOString();
    next.paidFen = rnd.int(1, 30_000);
  }
  if (next.paidAt && rnd.chance(0.4)) next.refundedFen = rnd.pick([next.paidFen, rnd.int(0, next.paidFen)]);
  if (rnd.chance(0.3)) next.province = rnd.pick(PROVINCES);
  if (rnd.chance(0.3) && next.items) next.items = next.items.map((it) => ({ ...it, quantity: it.quantity + 1 }));
  return next;
}

async function snapshot(env: TestEnv) {
  const rows = await env.db.kysely
    .selectFrom('customer_stats')
    .selectAll()
    .where('workspace_id', '=', env.workspaceId)
    .orderBy('customer_id')
    .execute();
  return rows.map(({ as_of: _a, ...r }) => r);
}

describeBothDatabases('customer stats', (env) => {
  for (const seed of [1, 2, 3]) {
    it(`incremental stats equal the one-pass recompute after random order sequences (seed ${seed})`, async () => {
      const e = env();
      const rnd = new Random(seed);
      const store = await ensureStore(e.ctx, e.workspaceId, `随机店${seed}`, 'taobao');
      const sent: OrderRecord[] = [];
      for (let batch = 0; batch < 12; batch++) {
        const records: OrderRecord[] = [];
        for (let i = 0; i < rnd.int(5, 40); i++) {
          if (sent.length > 0 && rnd.chance(0.35)) records.push(evolve(rnd, rnd.pick(sent)));
          else records.push(randomOrder(rnd, seed * 100_000 + sent.length + records.length, 25));
        }
        await e.db.kysely
          .transaction()
          .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
        sent.push(...records);
      }
      const incremental = await snapshot(e);
      expect(incremental.length).toBeGreaterThan(10);
      expect(incremental.some((s) => s.refund_orders > 0 && s.paid_orders > 0)).toBe(true);
      expect(incremental.some((s) => s.favourite_category !== null)).toBe(true);
      await recomputeAllStats(e.db, e.workspaceId, e.ctx.now().toISOString());
      expect(await snapshot(e)).toEqual(incremental);
    });
  }

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
