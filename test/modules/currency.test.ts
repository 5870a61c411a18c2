import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { formatAmount } from '../../src/core/money.js';
import { dashboard, provinces } from '../../src/modules/analytics/service.js';
import { searchCustomers } from '../../src/modules/customers/service.js';
import { importFile } from '../../src/modules/imports/service.js';
import { listOrders } from '../../src/modules/orders/service.js';
import { createStore, listStores, presentStore, updateStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';

const MAPPING = {
  columns: { externalId: 'Order', createdAt: 'Date', status: 'State', paid: 'Amount', buyerNick: 'Customer' },
  statuses: { Done: 'completed' },
};

function csv(lines: string[]): string {
  const path = join(scratchDir('huike-currency-'), 'orders.csv');
  writeFileSync(path, ['Order,Date,State,Amount,Customer', ...lines, ''].join('\n'));
  return path;
}

describeBothDatabases('store currencies', (env) => {
  it('a store has a currency (CNY unless set), validated and changeable', async () => {
    const { ctx, workspaceId } = env();
    const cn = await createStore(ctx, workspaceId, { name: '天猫店', platform: 'tmall' });
    expect(presentStore(cn).currency).toBe('CNY');
    const uk = await createStore(ctx, workspaceId, {
      name: 'UK Shopify',
      platform: 'shopify',
      timezone: 'Europe/London',
      currency: 'gbp',
    });
    expect(presentStore(uk)).toMatchObject({ timezone: 'Europe/London', currency: 'GBP' });
    await expect(updateStore(ctx, workspaceId, uk.id, { currency: 'XXY' })).rejects.toThrow(/ISO 4217/);
    expect(formatAmount(123450, 'GBP')).toBe('£1,234.50');
    expect(formatAmount(123450, 'CNY')).toBe('¥1,234.50');
  });

  it('amounts carry their store currency, and the dashboard never adds pounds to yuan', async () => {
    const { ctx, workspaceId } = env();
    const stores = await listStores(ctx, workspaceId);
    const cn = stores.find((s) => s.currency === 'CNY')!;
    const uk = stores.find((s) => s.currency === 'GBP')!;
    const cnRun = await importFile(ctx, {
      workspaceId,
      store: cn,
      format: 'generic',
      mapping: MAPPING,
      filePath: csv(['CN-1,2026-11-20 10:00:00,Done,100.00,小王', 'CN-2,2026-11-21 10:00:00,Done,50.00,小李']),
    });
    const ukRun = await importFile(ctx, {
      workspaceId,
      store: uk,
      format: 'generic',
      mapping: MAPPING,
      filePath: csv(['UK-1,2026-11-20 10:00:00,Done,90.00,alice']),
    });
    expect([cnRun.orders_created, ukRun.orders_created]).toEqual([2, 1]);

    const orders = await listOrders(ctx, workspaceId, {}, 'owner');
    const byId = new Map(orders.items.map((o) => [o.externalId, o]));
    expect(byId.get('UK-1')).toMatchObject({ paidFen: 9000, currency: 'GBP' });
    expect(byId.get('CN-1')).toMatchObject({ paidFen: 10000, currency: 'CNY' });
    const alice = (await searchCustomers(ctx, workspaceId, { q: 'alice', sort: 'last_order', limit: 5 }, 'owner'))
      .items[0]!;
    expect(alice.stats).toMatchObject({ totalSpentFen: 9000, currency: 'GBP' });

    const d = await dashboard(ctx, workspaceId, 30);
    // The money figures are in the main currency (most orders): yuan only.
    expect(d.currency).toBe('CNY');
    expect(d.currencies).toEqual(['CNY', 'GBP']);
    expect(d.period.revenueFen).toBe(15000);
    expect(d.period.aovFen).toBe(7500);
    expect(d.period.revenueByCurrency).toEqual([
      { currency: 'CNY', orders: 2, revenueFen: 15000, aovFen: 7500 },
      { currency: 'GBP', orders: 1, revenueFen: 9000, aovFen: 9000 },
    ]);
    // Buyers are people, whatever they paid in.
    expect(d.period.buyers).toBe(3);
    expect(d.trend.reduce((s, x) => s + x.revenueFen, 0)).toBe(15000);
    const p = await provinces(ctx, workspaceId);
    expect(p.reduce((s, x) => s + x.spentFen, 0)).toBe(15000);
    expect(p.every((x) => x.currency === 'CNY')).toBe(true);
  });
});
