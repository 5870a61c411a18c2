import { beforeAll, expect, it } from 'vitest';
import type { Trigger } from '../../src/core/automations/definition.js';
import { DAY_MS, localDate } from '../../src/core/time.js';
import { dateCandidatesDayByDay, dateCandidatesOver } from '../../src/modules/automations/dates.js';
import type { NewRun } from '../../src/modules/automations/runner.js';
import { ingestOrders } from '../../src/modules/orders/api.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases } from '../helpers.js';

const ZONE = 'Asia/Shanghai';
const NOW = '2026-11-23T04:00:00.000Z';

/**
 * The dry run replays 30 days of a date trigger in one pass (沉睡唤醒 and 复购提醒 read their data once for all the
 * days); the daily pass asks for one day. Both must start the same runs on the same days: proven here against the
 * day-by-day replay (each run on the first day that starts it) on a shop of random purchases.
 */
describeBothDatabases('date triggers over 30 days: the same runs as day by day', (env) => {
  const days = Array.from({ length: 30 }, (_, i) =>
    localDate(new Date(Date.parse(NOW) - (30 - i) * DAY_MS).toISOString(), ZONE),
  );

  beforeAll(async () => {
    const { ctx, workspaceId: ws } = env();
    env().setNow(NOW);
    const store = await ensureStore(ctx, ws, '复购店', 'taobao');
    // A fixed seed: 80 customers, each buying 1–6 times over the last 500 days from a few categories and products,
    // so every dormant band and several refill intervals fall inside the 30 days.
    let seed = 20261201;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const products = [
      { title: '猫粮 2kg', sku: 'CAT-2', category: '宠物食品' },
      { title: '猫砂', sku: null, category: '宠物用品' },
      { title: '挂耳咖啡', sku: 'CF-10', category: '咖啡' },
      { title: '咖啡豆 500g', sku: 'CF-500', category: '咖啡' },
    ];
    const orders = [];
    for (let c = 0; c < 80; c++) {
      const n = 1 + Math.floor(rand() * 6);
      let day = 20 + Math.floor(rand() * 480);
      for (let o = 0; o < n && day > 0; o++) {
        const at = new Date(Date.parse(NOW) - day * DAY_MS - Math.floor(rand() * 20) * 3_600_000).toISOString();
        const p = products[Math.floor(rand() * products.length)]!;
        orders.push({
          externalId: `R${c}-${o}`,
          status: 'paid',
          totalFen: 5000,
          title: p.title,
          createdAt: at,
          paidAt: at,
          items: [{ ...p, quantity: 1, priceFen: 5000 }],
          buyer: { nick: `复购客${c}`, phone: `1390000${String(c).padStart(4, '0')}` },
        });
        day -= 7 + Math.floor(rand() * 60);
      }
    }
    for (let i = 0; i < orders.length; i += 200)
      await ingestOrders(ctx, ws, { storeId: store.id, orders: orders.slice(i, i + 200) });
  });

  type DateTrigger = Trigger & { type: 'date' };
  const byKey = (runs: NewRun[]) => [...runs].sort((a, b) => a.triggerKey.localeCompare(b.triggerKey));

  const triggers: [string, DateTrigger][] = [
    ['沉睡唤醒', { type: 'date', date: 'dormant', daysBefore: 0, stages: [30, 90, 180, 365] }],
    ['复购提醒 by category', { type: 'date', date: 'refill', daysBefore: 0 }],
    ['复购提醒 by product, 2 days ahead', { type: 'date', date: 'refill', daysBefore: 2, refillBy: 'product' }],
  ];
  it.each(triggers)('%s', async (_, trigger) => {
    const { ctx, workspaceId: ws } = env();
    const expected = await dateCandidatesDayByDay(ctx, ws, trigger, days, ZONE);
    // The shop is built so that each trigger starts runs on several of the days (the test compares something).
    expect(new Set(expected.map((r) => r.triggerAt)).size).toBeGreaterThan(3);
    const over = await dateCandidatesOver(ctx, ws, trigger, days, ZONE);
    expect(byKey(over)).toEqual(byKey(expected));
    if (trigger.date === 'refill') expect(over).toEqual(expected); // the same order, too: by day, customer, category
  });
});
