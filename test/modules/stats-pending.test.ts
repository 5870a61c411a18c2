import { expect, it } from 'vitest';
import type { OrderRecord } from '../../src/core/formats/types.js';
import { loadFacts } from '../../src/modules/automations/facts.js';
import { countPendingStats, freshenStats, refreshPendingStats } from '../../src/modules/customers/stats-pending.js';
import { recomputeAllStats } from '../../src/modules/customers/stats.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases, type TestEnv } from '../helpers.js';
import { orderRecord } from '../support/records.js';
import { statsAndFacts } from '../support/derived.js';

const BUYERS = 20;

function order(n: number, nick: string, day: number, phone: string | null = null): OrderRecord {
  return orderRecord({
    externalId: `T${n}`,
    createdAt: `2026-10-${String(day).padStart(2, '0')}T02:00:00.000Z`,
    paidFen: 1_000 * n,
    buyer: { nick, externalId: null, email: null, phone, name: null },
    province: '浙江省',
    items: [
      {
        lineKey: '1',
        title: '羊毛大衣',
        sku: null,
        externalItemId: null,
        category: n % 2 ? '女装/大衣' : '美妆/面膜',
        quantity: 1,
        priceFen: 1_000 * n,
        paidFen: 1_000 * n,
        refundStatus: null,
      },
    ],
  });
}

const rows = (e: TestEnv) => statsAndFacts(e.db, e.workspaceId);

async function marked(e: TestEnv): Promise<string[]> {
  return (
    await e.db.kysely
      .selectFrom('customer_stats_pending')
      .select('customer_id')
      .where('workspace_id', '=', e.workspaceId)
      .orderBy('customer_id')
      .execute()
  ).map((r) => r.customer_id);
}

describeBothDatabases('stats refreshed once after an import', (env) => {
  it('deferred batches mark their buyers; a reader deciding freshens its own; the drain = the recompute', async () => {
    const e = env();
    const { ctx, workspaceId: ws } = e;
    const k = ctx.db.kysely;
    const store = await ensureStore(ctx, ws, '回客旗舰店', 'taobao');
    const ingest = (records: OrderRecord[]) =>
      k
        .transaction()
        .execute((trx) =>
          ingestBatch(ctx, trx, { store, runId: null, consentSource: 'test', deferStats: true }, records),
        );
    // Every buyer's first order in one batch, their second in the next (a newest-first export spreads them so);
    // "copy" shows buyer0's phone only in the second batch: it merges them.
    await ingest([
      ...Array.from({ length: BUYERS }, (_, i) => order(i + 1, `buyer${i}`, 1, i === 0 ? '13800138000' : null)),
      order(100, 'copy', 1),
    ]);
    await ingest([
      ...Array.from({ length: BUYERS }, (_, i) => order(BUYERS + i + 1, `buyer${i}`, 2)),
      order(101, 'copy', 3, '13800138000'),
    ]);
    const customers = await k
      .selectFrom('customers')
      .select(['id', 'display_name'])
      .where('workspace_id', '=', ws)
      .orderBy('id')
      .execute();
    expect(customers).toHaveLength(BUYERS);
    // Nothing refreshed yet but by the merge (its target, buyer0): new buyers have no stats; every touched buyer is
    // marked (the merged-away one too).
    const buyer0 = customers.find((c) => c.display_name === 'buyer0')!.id;
    expect((await rows(e)).stats.map((s) => s.customer_id)).toEqual([buyer0]);
    const before = await marked(e);
    expect(before).toEqual(expect.arrayContaining(customers.map((c) => c.id)));
    expect(before).toHaveLength(BUYERS + 1);

    // An automation deciding on buyer3 now reads their two paid orders, and only buyer3 is refreshed.
    const buyer3 = customers.find((c) => c.display_name === 'buyer3')!.id;
    const facts = await loadFacts(ctx, ws, {
      customer_id: buyer3,
      order_id: null,
      trigger_at: '2026-10-02T02:00:00.000Z',
    });
    expect(facts.customer.paidOrders).toBe(2);
    expect(await marked(e)).toEqual(before.filter((id) => id !== buyer3));
    expect((await rows(e)).stats.map((s) => s.customer_id)).toEqual([buyer0, buyer3].sort());
    // Freshening a buyer who is not marked changes nothing.
    await freshenStats(ctx.db, ws, [buyer3]);
    expect(await marked(e)).toHaveLength(BUYERS);

    // The drain, 7 customers a transaction: every mark goes (the merged-away one's refreshes nothing), buyer0 has
    // the copy's orders.
    const asOf = ctx.now().toISOString();
    expect(await countPendingStats(k, ws)).toBe(BUYERS);
    const chunks: number[] = [];
    expect(
      await refreshPendingStats(ctx.db, ws, { chunk: 7, now: () => asOf, onChunk: (n) => void chunks.push(n) }),
    ).toBe(BUYERS);
    expect(chunks).toEqual([7, 14, 20]);
    // (20 marks: 19 buyers and the merged-away one.)
    expect(await marked(e)).toEqual([]);
    const drained = await rows(e);
    expect(drained.stats).toHaveLength(BUYERS);
    expect(drained.stats.find((s) => s.customer_id === buyer0)).toMatchObject({ orders_count: 4, paid_orders: 4 });
    expect(drained.facts.length).toBeGreaterThan(BUYERS);
    await recomputeAllStats(ctx.db, ws, asOf);
    expect(await rows(e)).toEqual(drained);
    const none: number[] = [];
    expect(await refreshPendingStats(ctx.db, ws, { onChunk: (n) => void none.push(n) })).toBe(0);
    expect(none).toEqual([]);
  });
});
