import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { fillFirstDays } from '../../src/db/migrations/0030_analytics_first_days.js';
import { rebuildAnalytics } from '../../src/modules/analytics/rebuild.js';
import { distribution, overview, repurchase } from '../../src/modules/analytics/reads.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/**
 * 老会员 and 复购 read from the first days carried on the buyer-day rows (migration 0030) count the
 * earlier purchases of exactly the stores in scope: one store, or all the stores of the main
 * currency (never a store in another currency). Stores S1, S2 in CNY, S3 in GBP; range 2026-11:
 *   amy S3 (GBP) 10-01 · S1 11-03        → new for all stores (CNY) and for S1
 *   bob S2 10-01 · S1 11-03               → 老会员 for all stores, new for S1; 复购 in 11 for all stores
 *   cy  S1 11-02 · S1 11-20               → new, bought twice in the month (复购 everywhere)
 *   dot S1 2026-09-15 · S1 11-05          → 老会员 for all stores and S1
 *   S1 has 4 buyers in the range, all stores (CNY) 4; the 4 CNY buyers in S1 are amy, bob, cy, dot.
 */
const at = (local: string) => new Date(`${local}+08:00`).toISOString();
const RANGE = { from: '2026-11-01', to: '2026-11-30' };

describeBothDatabases('analytics first days', (env) => {
  let s1 = '';
  beforeAll(async () => {
    const e = env();
    e.setNow('2026-12-05T04:00:00.000Z');
    const store1 = await ensureStore(e.ctx, e.workspaceId, '一号店', 'taobao', { currency: 'CNY' });
    const store2 = await ensureStore(e.ctx, e.workspaceId, '二号店', 'taobao', { currency: 'CNY' });
    const store3 = await ensureStore(e.ctx, e.workspaceId, 'UK', 'shopify', { currency: 'GBP' });
    s1 = store1.id;
    let n = 0;
    const phones: Record<string, string> = {};
    const o = (nick: string, local: string) => {
      phones[nick] ??= `1390000${String(Object.keys(phones).length + 1).padStart(4, '0')}`;
      return orderRecord({
        line: ++n,
        externalId: `F${n}`,
        createdAt: at(local),
        paidFen: 10000,
        buyer: { nick, externalId: null, email: null, phone: phones[nick]!, name: null },
        receiverPhone: phones[nick]!,
      });
    };
    const inS1 = [
      o('amy', '2026-11-03T10:00:00'),
      o('bob', '2026-11-03T11:00:00'),
      o('cy', '2026-11-02T10:00:00'),
      o('cy', '2026-11-20T10:00:00'),
      o('dot', '2026-09-15T10:00:00'),
      o('dot', '2026-11-05T10:00:00'),
    ];
    await e.db.kysely.transaction().execute(async (trx) => {
      await ingestBatch(e.ctx, trx, { store: store1, runId: null, consentSource: 'test' }, inS1);
      await ingestBatch(e.ctx, trx, { store: store2, runId: null, consentSource: 'test' }, [
        o('bob', '2026-10-01T10:00:00'),
      ]);
      await ingestBatch(e.ctx, trx, { store: store3, runId: null, consentSource: 'test' }, [
        o('amy', '2026-10-01T10:00:00'),
      ]);
    });
    await rebuildAnalytics(e.ctx, e.workspaceId);
  });

  const check = async () => {
    const e = env();
    const all = await overview(e.ctx, e.workspaceId, RANGE);
    expect(all.currency).toBe('CNY');
    expect(all.kpis).toMatchObject({ buyers: 4, returningBuyers: 2, newBuyers: 2, repeatBuyers: 1 });
    const one = await overview(e.ctx, e.workspaceId, { ...RANGE, storeId: s1 });
    expect(one.kpis).toMatchObject({ buyers: 4, returningBuyers: 1, newBuyers: 3, repeatBuyers: 1 });
    // 复购 in 2026-11: cy (twice), bob (S2 before) and dot (S1 before) for all stores; cy and dot in S1.
    const rAll = await repurchase(e.ctx, e.workspaceId, RANGE);
    expect(rAll.months).toMatchObject([{ month: '2026-11', buyers: 4, repeatBuyers: 3 }]);
    const rOne = await repurchase(e.ctx, e.workspaceId, { ...RANGE, storeId: s1 });
    expect(rOne.months).toMatchObject([{ month: '2026-11', buyers: 4, repeatBuyers: 2 }]);
    const d = await distribution(e.ctx, e.workspaceId, RANGE);
    expect(d.frequency.find((b) => b.key === '1')?.buyers).toBe(3);
    expect(d.frequency.find((b) => b.key === '2')?.buyers).toBe(1);
  };

  it('counts the earlier purchases of the stores in scope, never of a store in another currency', check);

  it('the migration fills the first days of rows built before it the same as the rebuild', async () => {
    const k = env().db.kysely;
    const before = await k
      .selectFrom('analytics_buyer_days')
      .selectAll()
      .orderBy('store_id')
      .orderBy('customer_id')
      .orderBy('day')
      .execute();
    await sql`UPDATE analytics_buyer_days SET store_first_day = '', currency_first_day = ''`.execute(k);
    await fillFirstDays(k);
    const after = await k
      .selectFrom('analytics_buyer_days')
      .selectAll()
      .orderBy('store_id')
      .orderBy('customer_id')
      .orderBy('day')
      .execute();
    expect(after).toEqual(before);
    expect(before.some((x) => x.store_first_day !== x.currency_first_day)).toBe(true);
    await check();
  });
});
