import { beforeAll, expect, it } from 'vitest';
import { CHURN_BUCKETS, FREQUENCY_BANDS, monthsOf, rangeDays, shiftDate } from '../../src/core/analytics-views.js';
import { Random } from '../../src/core/random.js';
import { fillMonthPairs } from '../../src/db/migrations/0046_analytics_month_pairs.js';
import { clearAnalytics, rebuildAnalytics } from '../../src/modules/analytics/rebuild.js';
import { dailyBuyersHere, provincesInRangeHere } from '../../src/modules/analytics/spread.js';
import { distributionHere, overviewHere, productsHere, repurchaseHere } from '../../src/modules/analytics/views.js';
import { updateCustomer } from '../../src/modules/customers/profile.js';
import { mergeCustomers } from '../../src/modules/customers/merge.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases } from '../helpers.js';
import { type ShopOrder, cnyStores, ingestByStore } from '../support/analytics-shop.js';
import { orderRecord } from '../support/records.js';

/**
 * The day-pair pre-aggregate (analytics/pairs.ts) answers exactly what a direct count over the orders
 * answers, on random orders: 40 buyers over 2025–2026 in two CNY stores and one GBP store, some unpaid,
 * some refunded in part or in full. A third of the orders arrive after the build through the ingest path
 * (the order API's), then two customers are merged: the incremental upkeep must leave the same figures as
 * a fresh rebuild, and both must match the direct count, for random ranges (mid-month ones too), for all
 * stores and for each store.
 */
interface Purchase {
  customer: string;
  store: string;
  day: string;
  rev: number;
}

const localDay = (iso: string) => new Date(Date.parse(iso) + 8 * 3_600_000).toISOString().slice(0, 10);

function direct(purchases: Purchase[], stores: string[], from: string, to: string) {
  const mine = purchases.filter((p) => stores.includes(p.store));
  const inRange = mine.filter((p) => p.day >= from && p.day <= to);
  const byCustomer = new Map<string, Purchase[]>();
  for (const p of inRange) byCustomer.set(p.customer, [...(byCustomer.get(p.customer) ?? []), p]);
  const before = new Set(mine.filter((p) => p.day < from).map((p) => p.customer));
  const returning = [...byCustomer.keys()].filter((c) => before.has(c));
  const revenue = inRange.reduce((a, p) => a + p.rev, 0);
  const months = monthsOf({ from, to }).map((month) => {
    const part = inRange.filter((p) => p.day.startsWith(month));
    const buyers = new Map<string, number>();
    for (const p of part) buyers.set(p.customer, (buyers.get(p.customer) ?? 0) + 1);
    const earlier = new Set(mine.filter((p) => p.day < `${month}-01`).map((p) => p.customer));
    const repeatBuyers = [...buyers].filter(([c, n]) => n >= 2 || earlier.has(c)).length;
    return { month, buyers: buyers.size, repeatBuyers };
  });
  const last = new Map<string, string>();
  for (const p of mine) if (p.day <= to && (last.get(p.customer) ?? '') < p.day) last.set(p.customer, p.day);
  const churn = CHURN_BUCKETS.map((b, i) => {
    const prev = CHURN_BUCKETS[i - 1];
    return [...last.values()].filter(
      (d) =>
        (!Number.isFinite(b.maxDays) || d >= shiftDate(to, -b.maxDays)) && (!prev || d < shiftDate(to, -prev.maxDays)),
    ).length;
  });
  const first = new Map<string, string>();
  for (const p of mine) if (!first.has(p.customer) || first.get(p.customer)! > p.day) first.set(p.customer, p.day);
  const daily = Array.from({ length: rangeDays(from, to) }, (_, i) => {
    const day = shiftDate(from, i);
    const that = inRange.filter((p) => p.day === day);
    const who = new Set(that.map((p) => p.customer));
    return {
      day,
      buyers: who.size,
      newBuyers: [...who].filter((c) => first.get(c) === day).length,
      orders: that.length,
      revenueFen: that.reduce((a, p) => a + p.rev, 0),
    };
  });
  const frequency = FREQUENCY_BANDS.map(
    (b) => [...byCustomer.values()].filter((l) => l.length >= b.min && l.length <= b.max).length,
  );
  return {
    daily,
    frequency,
    kpis: {
      buyers: byCustomer.size,
      orders: inRange.length,
      revenueFen: revenue,
      returningBuyers: returning.length,
      newBuyers: byCustomer.size - returning.length,
      returningRevenueFen: inRange.filter((p) => before.has(p.customer)).reduce((a, p) => a + p.rev, 0),
      repeatBuyers: [...byCustomer.values()].filter((l) => l.length >= 2).length,
    },
    months,
    churn,
  };
}

describeBothDatabases('analytics day pairs', (env) => {
  let stores: Awaited<ReturnType<typeof ensureStore>>[] = [];
  const rnd = new Random(20261128);

  const order = (n: number, customer: number, day: string, hour: number) => {
    const paidFen = rnd.int(1, 50) * 1000;
    const kind = rnd.int(0, 9);
    const createdAt = new Date(`${day}T${String(hour).padStart(2, '0')}:30:00+08:00`).toISOString();
    const phone = `1380000${String(customer).padStart(4, '0')}`;
    return orderRecord({
      line: n,
      externalId: `P${n}`,
      createdAt,
      // 1 in 10 never paid, 1 in 10 refunded in full, 1 in 10 in part.
      status: kind === 0 ? 'created' : 'completed',
      paidAt: kind === 0 ? null : createdAt,
      paidFen: kind === 0 ? 0 : paidFen,
      refundedFen: kind === 1 ? paidFen : kind === 2 ? paidFen / 2 : 0,
      buyer: { nick: `c${customer}`, externalId: null, email: null, phone, name: null },
      receiverPhone: phone,
      // Places and products for the province map and the products (some orders without them).
      province: rnd.pick([null, '浙江省', '广东省', '四川省']),
      city: rnd.pick([null, '杭州市', '广州市', '绵阳市']),
      items: Array.from({ length: rnd.int(0, 2) }, (_, k) => ({
        lineKey: `L${k}`,
        title: rnd.pick(['连衣裙', '衬衫', '围巾', '帽子']),
        sku: null,
        externalItemId: null,
        category: null,
        quantity: rnd.int(1, 3),
        priceFen: paidFen,
        paidFen: null,
        refundStatus: null,
      })),
    });
  };

  const randomOrders = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => {
      const day = shiftDate('2025-01-01', rnd.int(0, 729));
      // Some buyers buy twice on the same day.
      return {
        store: rnd.int(0, 9) < 6 ? 0 : rnd.int(1, 2),
        rec: order(from + i, rnd.int(1, 40), day, rnd.int(0, 23)),
      };
    });

  const ingest = (list: ShopOrder[]) => ingestByStore(env().ctx, stores, list);

  async function purchases(): Promise<Purchase[]> {
    const rows = await env()
      .db.kysely.selectFrom('orders')
      .select(['customer_id', 'store_id', 'paid_at', 'paid_fen', 'refunded_fen', 'status'])
      .where('workspace_id', '=', env().workspaceId)
      .execute();
    return rows
      .filter(
        (o) =>
          o.paid_at !== null &&
          o.customer_id !== null &&
          o.status !== 'refunded' &&
          o.paid_fen > 0 &&
          !(o.refunded_fen > 0 && o.refunded_fen >= o.paid_fen),
      )
      .map((o) => ({
        customer: o.customer_id!,
        store: o.store_id,
        day: localDay(new Date(String(o.paid_at)).toISOString()),
        rev: Number(o.paid_fen) - Number(o.refunded_fen),
      }));
  }

  const pairRows = () =>
    env()
      .db.kysely.selectFrom('analytics_day_pairs')
      .select(['scope', 'kind', 'a', 'b', 'rows', 'singles', 'new_singles', 'orders', 'revenue_fen'])
      .where('workspace_id', '=', env().workspaceId)
      .orderBy('scope')
      .orderBy('kind')
      .orderBy('a')
      .orderBy('b')
      .execute()
      .then((rows) => rows.map((r) => ({ ...r, orders: Number(r.orders), revenue_fen: Number(r.revenue_fen) })));

  const bandRows = () =>
    env()
      .db.kysely.selectFrom('analytics_range_bands')
      .select(['scope', 'range_from', 'range_to', 'dim', 'key', 'buyers', 'orders', 'revenue_fen'])
      .where('workspace_id', '=', env().workspaceId)
      .orderBy('scope')
      .orderBy('range_from')
      .orderBy('range_to')
      .orderBy('dim')
      .orderBy('key')
      .execute()
      .then((rows) => rows.map((r) => ({ ...r, orders: Number(r.orders), revenue_fen: Number(r.revenue_fen) })));

  beforeAll(async () => {
    const e = env();
    e.setNow('2027-01-05T04:00:00.000Z');
    stores = [
      ...(await cnyStores(e.ctx, e.workspaceId)),
      await ensureStore(e.ctx, e.workspaceId, 'UK', 'shopify', { currency: 'GBP' }),
    ];
    await ingest(randomOrders(1, 160));
    // People facts for the bands: gender, birthday (some on 29 February), city.
    for (const c of await e.db.kysely
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .execute())
      await e.db.kysely
        .updateTable('customers')
        .set({
          gender: rnd.pick([null, 'female', 'male']),
          birthday: rnd.pick([null, '', '2008-02-29', `${rnd.int(1960, 2012)}-0${rnd.int(1, 9)}-1${rnd.int(0, 9)}`]),
          city: rnd.pick([null, '上海', '杭州市', '湖州市']),
        })
        .where('workspace_id', '=', e.workspaceId)
        .where('id', '=', c.id)
        .execute();
    await rebuildAnalytics(e.ctx, e.workspaceId);
  });

  it('keeps the pairs as a rebuild would through new orders and a merge, and matches a direct count', async () => {
    const e = env();
    await ingest(randomOrders(1000, 80));
    const ids = (
      await e.db.kysely
        .selectFrom('customers')
        .select('id')
        .where('workspace_id', '=', e.workspaceId)
        .orderBy('id')
        .execute()
    ).map((c) => c.id);
    await mergeCustomers(e.ctx, e.workspaceId, ids[0]!, ids[1]!, null);
    const kept = await pairRows();
    const keptBands = await bandRows();
    // Against a build from nothing (a rebuild over kept rows redoes each customer in place).
    await clearAnalytics(e.db.kysely, e.workspaceId);
    await rebuildAnalytics(e.ctx, e.workspaceId);
    expect(kept).toEqual(await pairRows());
    // The kept answers of the usual ranges (snapshots.ts) too, kept per customer through the orders and the merge.
    expect(keptBands.length).toBeGreaterThan(100);
    expect(keptBands).toEqual(await bandRows());

    const all = await purchases();
    const scopes = [
      { storeId: undefined, ids: [stores[0]!.id, stores[1]!.id] },
      ...stores.map((s) => ({ storeId: s.id, ids: [s.id] })),
    ];
    const ranges = [
      { from: '2025-01-01', to: '2026-12-31' },
      // Kept ranges (a year, a month, the last 90 days as of the build): read from their kept answers.
      { from: '2026-01-01', to: '2026-12-31' },
      { from: '2025-06-01', to: '2025-06-30' },
      { from: '2026-10-08', to: '2027-01-05' },
      ...Array.from({ length: 4 }, () => {
        const from = shiftDate('2025-01-01', rnd.int(0, 700));
        return { from, to: shiftDate(from, rnd.int(0, 400)) };
      }),
    ];
    for (const range of ranges)
      for (const s of scopes) {
        const want = direct(all, s.ids, range.from, range.to);
        const scope = { ...range, storeId: s.storeId };
        const o = await overviewHere(e.ctx, e.workspaceId, scope);
        expect({ range, s: s.storeId, kpis: o.kpis }).toMatchObject({ range, s: s.storeId, kpis: want.kpis });
        const r = await repurchaseHere(e.ctx, e.workspaceId, scope);
        expect(r.months.map(({ month, buyers, repeatBuyers }) => ({ month, buyers, repeatBuyers }))).toEqual(
          want.months,
        );
        const d = await distributionHere(e.ctx, e.workspaceId, scope);
        expect(d.churn.map((c) => c.buyers)).toEqual(want.churn);
        expect(d.frequency.map((f) => f.buyers)).toEqual(want.frequency);
        expect(d.gender.reduce((a, g) => a + g.buyers, 0)).toBe(want.kpis.buyers);
        expect((await dailyBuyersHere(e.ctx, e.workspaceId, scope)).days).toEqual(want.daily);
        // The province map of any range from the province-split pairs, as from the buyer rows.
        const map = await provincesInRangeHere(e.ctx, e.workspaceId, scope);
        expect(map).toEqual(await provincesInRangeHere(e.ctx, e.workspaceId, scope, { kept: false }));
        expect(map.items.reduce((a, x) => a + x.buyers, 0)).toBe(want.kpis.buyers);
      }
    expect(all.length).toBeGreaterThan(150);
  });

  it('answers a kept range from its kept counts exactly as from the buyer rows, after a profile edit too', async () => {
    const e = env();
    const ids = (
      await e.db.kysely.selectFrom('customers').select('id').where('workspace_id', '=', e.workspaceId).execute()
    )
      .map((c) => c.id)
      .sort();
    // A staff edit moves a buyer to another gender and age band in the kept answers at once.
    await updateCustomer(e.ctx, e.workspaceId, ids[3]!, { gender: 'male', birthday: '2001-02-03' }, null);
    await updateCustomer(e.ctx, e.workspaceId, ids[4]!, { gender: 'female', birthday: '1970-12-31' }, null);
    const kept = (
      await e.db.kysely
        .selectFrom('analytics_ranges')
        .select(['range_from as from', 'range_to as to'])
        .where('workspace_id', '=', e.workspaceId)
        .execute()
    ).filter((r) => r.to >= '2025-01-01');
    expect(kept.length).toBeGreaterThan(40);
    const picked = [
      ...kept.filter((r) =>
        ['2026-12-07/2027-01-05', '2026-01-01/2026-12-31', '2026-11-01/2026-11-11'].includes(`${r.from}/${r.to}`),
      ),
      ...Array.from({ length: 5 }, () => kept[rnd.int(0, kept.length - 1)]!),
    ];
    expect(picked.length).toBe(8);
    // Ranges not kept (mid-month to mid-month): the province map from the province-split pairs, kept per customer
    // through the orders, the merge and the profile edits above.
    for (let i = 0; i < 4; i++) {
      const from = shiftDate('2025-01-01', rnd.int(0, 600) * 1 + 3);
      const range = { from, to: shiftDate(from, rnd.int(20, 380)) };
      for (const storeId of [undefined, ...stores.map((s) => s.id)]) {
        const scope = { ...range, storeId };
        expect(await provincesInRangeHere(e.ctx, e.workspaceId, scope)).toEqual(
          await provincesInRangeHere(e.ctx, e.workspaceId, scope, { kept: false }),
        );
      }
    }
    for (const range of picked)
      for (const storeId of [undefined, ...stores.map((s) => s.id)]) {
        const scope = { ...range, storeId };
        const [d, dRows] = [
          await distributionHere(e.ctx, e.workspaceId, scope),
          await distributionHere(e.ctx, e.workspaceId, scope, { kept: false }),
        ];
        expect({ range, storeId, d }).toEqual({ range, storeId, d: dRows });
        const p = await provincesInRangeHere(e.ctx, e.workspaceId, scope);
        expect(p).toEqual(await provincesInRangeHere(e.ctx, e.workspaceId, scope, { kept: false }));
        const q = await productsHere(e.ctx, e.workspaceId, { ...scope, limit: 50 });
        expect(q).toEqual(await productsHere(e.ctx, e.workspaceId, { ...scope, limit: 50 }, { kept: false }));
      }
  });

  it('migration 0046 gives pre-aggregates built before the month kinds the month rows a rebuild writes', async () => {
    const e = env();
    const built = await pairRows();
    expect(built.some((r) => r.kind === 'dP')).toBe(true);
    await e.db.kysely.deleteFrom('analytics_day_pairs').where('kind', 'in', ['dP', 'nP', 'nD', 'fD']).execute();
    await fillMonthPairs(e.db.kysely as never);
    expect(await pairRows()).toEqual(built);
  });

  it('a profile edit moves buyers whose province changed and deletes the pairs it empties, by key', async () => {
    const e = env();
    // Their stats moved to another province (as a recompute under another rule would) while their pairs stayed.
    const moved = (
      await e.db.kysely
        .selectFrom('customer_stats')
        .select('customer_id')
        .where('workspace_id', '=', e.workspaceId)
        .where('province', '=', '浙江省')
        .orderBy('customer_id')
        .execute()
    ).map((r) => r.customer_id);
    expect(moved.length).toBeGreaterThan(2);
    await e.db.kysely
      .updateTable('customer_stats')
      .set({ province: '西藏自治区' })
      .where('workspace_id', '=', e.workspaceId)
      .where('customer_id', 'in', moved)
      .execute();
    const before = await pairRows();
    for (const id of moved) await updateCustomer(e.ctx, e.workspaceId, id, { gender: 'female' }, null);
    const kept = await pairRows();
    expect(kept.some((r) => r.scope.endsWith('|西藏自治区'))).toBe(true);
    // Some pairs counted only these buyers: gone, not left at zero.
    const left = new Set(kept.map((r) => `${r.scope} ${r.kind} ${r.a} ${r.b}`));
    expect(
      before.filter((r) => r.scope.endsWith('|浙江省') && !left.has(`${r.scope} ${r.kind} ${r.a} ${r.b}`)).length,
    ).toBeGreaterThan(0);
    expect(kept.filter((r) => r.rows === 0)).toEqual([]);
    await clearAnalytics(e.db.kysely, e.workspaceId);
    await rebuildAnalytics(e.ctx, e.workspaceId);
    expect(kept).toEqual(await pairRows());
  });
});
