import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { importErrors, importFile } from '../../src/modules/imports/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases, fixture, statsOf } from '../helpers.js';

describeBothDatabases('other export formats', (env) => {
  it('千牛 .xlsx export gives the same orders as the CSV', async () => {
    const { ctx, workspaceId } = env();
    const csvStore = await ensureStore(ctx, workspaceId, 'CSV 店', 'taobao');
    const xlsxStore = await ensureStore(ctx, workspaceId, 'XLSX 店', 'taobao');
    await importFile(ctx, {
      workspaceId,
      store: csvStore,
      format: 'taobao',
      filePath: fixture('taobao-orders-gbk.csv'),
    });
    const run = await importFile(ctx, {
      workspaceId,
      store: xlsxStore,
      format: 'taobao',
      filePath: fixture('taobao-orders.xlsx'),
    });
    expect(run.status).toBe('done');
    expect(run.rows_rejected).toBe(0);
    expect(run.orders_created).toBe(12);
    const pick = (storeId: string) =>
      ctx.db.kysely
        .selectFrom('orders')
        .select([
          'external_id',
          'status',
          'paid_fen',
          'created_at',
          'paid_at',
          'province',
          'city',
          'district',
          'receiver_phone',
          'customer_id',
        ])
        .where('workspace_id', '=', workspaceId)
        .where('store_id', '=', storeId)
        .orderBy('external_id')
        .execute();
    const a = await pick(csvStore.id);
    const b = await pick(xlsxStore.id);
    expect(b.map(({ customer_id: _c, ...r }) => r)).toEqual(a.map(({ customer_id: _c, ...r }) => r));
    // Same platform family: a Taobao nick seen in both shops is the same customer.
    expect(b.map((r) => r.customer_id)).toEqual(a.map((r) => r.customer_id));
  });

  it('Shopify: line items grouped into orders, consent kept, statuses mapped', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, 'Shopify 店', 'shopify');
    const run = await importFile(ctx, {
      workspaceId,
      store,
      format: 'shopify',
      filePath: fixture('shopify-orders.csv'),
    });
    expect([run.rows_read, run.orders_created, run.rows_rejected, run.customers_created]).toEqual([4, 3, 0, 2]);
    const k = ctx.db.kysely;
    const orders = await k
      .selectFrom('orders')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('store_id', '=', store.id)
      .orderBy('external_id')
      .execute();
    expect(orders[0]!.coupon_code).toBe('WELCOME10');
    expect(orders.map((o) => [o.external_id, o.status, o.paid_fen, o.item_count])).toEqual([
      ['#1001', 'shipped', 30000, 3],
      ['#1002', 'created', 0, 1],
      ['#1003', 'refunded', 12000, 1],
    ]);
    expect(orders[0]!.created_at).toBe('2026-10-01T02:00:00.000Z');
    const items = await k
      .selectFrom('order_items')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('order_id', '=', orders[0]!.id)
      .orderBy('line_key')
      .execute();
    expect(items.map((i) => [i.title, i.quantity, i.price_fen])).toEqual([
      ['Hair clip', 2, 5000],
      ['Silk scarf', 1, 20000],
    ]);
    // amy@ and AMY@ are one customer; her consent is the latest word (#1003 says no).
    const amy = await k
      .selectFrom('customers')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('email', '=', 'amy@example.com')
      .execute();
    expect(amy).toHaveLength(1);
    expect(amy[0]!.marketing_consent).toBe('denied');
    expect(amy[0]!.phone).toBe('13912345678');
    expect(amy[0]!.source).toBe('web');
    const bob = await k
      .selectFrom('customers')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('email', '=', 'bob@example.com')
      .executeTakeFirstOrThrow();
    expect(bob.marketing_consent).toBe('denied');
  });

  it('抖店: UTF-8 BOM, tab-padded ids, one row per item', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '抖音小店', 'douyin');
    const run = await importFile(ctx, { workspaceId, store, format: 'douyin', filePath: fixture('douyin-orders.csv') });
    expect([run.orders_created, run.rows_rejected, run.items_written]).toEqual([2, 0, 3]);
    const o = await ctx.db.kysely
      .selectFrom('orders')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('external_id', '=', '6920000000000000001')
      .executeTakeFirstOrThrow();
    expect([o.status, o.total_fen, o.province, o.city, o.district]).toEqual([
      'completed',
      12800,
      '湖北省',
      '武汉市',
      '洪山区',
    ]);
    expect(o.customer_id).toBeNull(); // only masked receiver data in this export
  });

  it('京东: pin as buyer, address split without spaces', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '京东店', 'jd');
    const run = await importFile(ctx, { workspaceId, store, format: 'jd', filePath: fixture('jd-orders.csv') });
    expect([run.orders_created, run.rows_rejected, run.customers_created]).toEqual([2, 0, 1]);
    const orders = await ctx.db.kysely
      .selectFrom('orders')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('store_id', '=', store.id)
      .orderBy('external_id')
      .execute();
    expect(orders.map((o) => [o.status, o.province, o.city, o.district])).toEqual([
      ['completed', '河南省', '郑州市', '金水区'],
      ['paid', '河南省', '郑州市', '金水区'],
    ]);
  });

  it('generic CSV with a mapping file', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '微店', 'other');
    const mapping = JSON.parse(readFileSync(fixture('generic-mapping.json'), 'utf8'));
    const run = await importFile(ctx, {
      workspaceId,
      store,
      format: 'generic',
      filePath: fixture('generic-orders.csv'),
      mapping,
    });
    expect([run.orders_created, run.rows_rejected, run.customers_created]).toEqual([3, 0, 2]);
    const stats = await statsOf(env(), 'wx_linda');
    expect(stats).toMatchObject({
      paid_orders: 2,
      total_spent_fen: 26400,
      favourite_category: '家居/香薰',
      aov_fen: 13200,
    });
  });

  it("status values map through the mapping's statusMap; an unmapped value is rejected naming it", async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '状态映射店', 'other');
    const { statuses: _old, ...columnsOnly } = JSON.parse(readFileSync(fixture('generic-mapping.json'), 'utf8'));
    // Without a map for "Done"/"Cancelled" nothing is imported, and each row says which value is unknown.
    const none = await importFile(ctx, {
      workspaceId,
      store,
      format: 'generic',
      filePath: fixture('generic-orders.csv'),
      mapping: columnsOnly,
    });
    expect([none.status, none.orders_created, none.rows_rejected]).toEqual(['done', 0, 3]);
    const reasons = await importErrors(ctx, workspaceId, none.id);
    expect(reasons.map((r) => [r.line, r.value])).toEqual([
      [2, 'Done'],
      [3, 'Done'],
      [4, 'Cancelled'],
    ]);
    expect(reasons[2]!.reason).toMatch(/unknown order status "Cancelled".*statusMap/);
    // Mapping only "Done": the cancelled row is still refused, the others come in.
    const half = await importFile(ctx, {
      workspaceId,
      store,
      format: 'generic',
      filePath: fixture('generic-orders.csv'),
      mapping: { ...columnsOnly, statusMap: { Done: 'completed' } },
    });
    expect([half.orders_created, half.rows_rejected]).toEqual([2, 1]);
    const all = await importFile(ctx, {
      workspaceId,
      store,
      format: 'generic',
      filePath: fixture('generic-orders.csv'),
      mapping: { ...columnsOnly, statusMap: { Done: 'completed', Cancelled: 'closed' } },
    });
    expect([all.orders_created, all.rows_rejected]).toEqual([1, 0]);
    const orders = await ctx.db.kysely
      .selectFrom('orders')
      .select(['external_id', 'status'])
      .where('workspace_id', '=', workspaceId)
      .where('store_id', '=', store.id)
      .orderBy('external_id')
      .execute();
    expect(orders.map((o) => [o.external_id, o.status])).toEqual([
      ['G-1', 'completed'],
      ['G-2', 'completed'],
      ['G-3', 'closed'],
    ]);
    // A value mapped to something that is not a Huike status is refused up front, naming it.
    await expect(
      importFile(ctx, {
        workspaceId,
        store,
        format: 'generic',
        filePath: fixture('generic-orders.csv'),
        mapping: { ...columnsOnly, statusMap: { Done: 'finished' } },
      }),
    ).rejects.toThrow(/statusMap\.Done/);
  });

  it('a bad mapping is refused before anything is stored', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '微店', 'other');
    const before = await ctx.db.kysely
      .selectFrom('import_runs')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    await expect(
      importFile(ctx, {
        workspaceId,
        store,
        format: 'generic',
        filePath: fixture('generic-orders.csv'),
        mapping: { columns: { externalId: 'Order No', price: 'x' } },
      }),
    ).rejects.toThrow(/column mapping is not valid.*price/);
    await expect(
      importFile(ctx, {
        workspaceId,
        store,
        format: 'generic',
        filePath: fixture('generic-orders.csv'),
        mapping: { columns: { externalId: 'Order No' } },
      }),
    ).rejects.toThrow(/createdAt/);
    const after = await ctx.db.kysely
      .selectFrom('import_runs')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});
