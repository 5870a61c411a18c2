import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { importFile } from '../../src/modules/imports/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import type { ImportFormat } from '../../src/core/formats/index.js';
import { readJson } from '../../src/db/json.js';
import { recomputeAllStats } from '../../src/modules/customers/stats.js';
import { describeBothDatabases, fixture, scratchDir, type TestEnv } from '../helpers.js';

const dir = scratchDir('huike-truth-');
let seq = 0;
/** Writes rows as a UTF-8 CSV (cells quoted when needed) and returns its path. */
function csvFile(rows: (string | number)[][]): string {
  const path = join(dir, `f${++seq}.csv`);
  const cell = (c: string | number) => (/[",\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c));
  writeFileSync(path, rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n');
  return path;
}

async function run(env: TestEnv, storeName: string, format: ImportFormat, path: string, mapping?: unknown) {
  const store = await ensureStore(env.ctx, env.workspaceId, storeName, format === 'generic' ? 'other' : format);
  return importFile(env.ctx, { workspaceId: env.workspaceId, store, format, filePath: path, mapping });
}

async function ordersOf(env: TestEnv, externalIds: string[]) {
  return env.db.kysely
    .selectFrom('orders')
    .selectAll()
    .where('workspace_id', '=', env.workspaceId)
    .where('external_id', 'in', externalIds)
    .orderBy('external_id')
    .execute();
}

const TAOBAO_HEADER = [
  '订单编号',
  '买家会员名',
  '买家实际支付金额',
  '订单状态',
  '收货人姓名',
  '收货地址',
  '联系电话',
  '联系手机',
  '订单创建时间',
  '订单付款时间',
];
const taobaoRow = (id: string, nick: string, mobile: string, landline = '') => [
  `="${id}"`,
  nick,
  '99.00',
  '交易成功',
  '王五',
  '上海 上海市 浦东新区 世纪大道 1 号',
  landline,
  mobile,
  '2026-05-01 10:00:00',
  '2026-05-01 10:00:05',
];

describeBothDatabases('data truth on real exports', (env) => {
  it('apostrophe-guarded phones are read; re-importing fills them in and merges the buyer seen elsewhere', async () => {
    const e = env();
    const k = e.db.kysely;
    // A Douyin buyer with a readable phone.
    await run(
      e,
      '抖音小店',
      'douyin',
      csvFile([
        [
          '主订单编号',
          '选购商品',
          '商品数量',
          '商品单价',
          '订单应付金额',
          '收件人',
          '收件人手机号',
          '订单提交时间',
          '支付完成时间',
          '订单状态',
        ],
        [
          '6920000000000009001',
          '洗面奶',
          1,
          '69.00',
          '69.00',
          '王五',
          '13800138000',
          '2026-04-01 10:00:00',
          '2026-04-01 10:00:05',
          '已完成',
        ],
      ]),
    );
    // The Tmall export as an older Huike read it: the guarded phone was lost (here: not in the file).
    await run(e, '天猫旗舰店', 'taobao', csvFile([TAOBAO_HEADER, taobaoRow('4000000000000009001', 'tm_wangwu', '')]));
    expect(
      await k.selectFrom('customers').select('id').where('workspace_id', '=', e.workspaceId).execute(),
    ).toHaveLength(2);

    // The same export as Taobao writes it: '13800138000 (Excel's text guard), and a guarded landline.
    const again = await run(
      e,
      '天猫旗舰店',
      'taobao',
      csvFile([
        TAOBAO_HEADER,
        taobaoRow('4000000000000009001', 'tm_wangwu', "'13800138000"),
        taobaoRow('4000000000000009002', 'tm_zhaoliu', "'+86 139-0013-9000", "'021-5555 1234"),
      ]),
    );
    expect(again.rows_rejected).toBe(0);
    const orders = await ordersOf(e, ['4000000000000009001', '4000000000000009002', '6920000000000009001']);
    expect(orders.map((o) => o.receiver_phone)).toEqual(['13800138000', '+86 139-0013-9000', '13800138000']);
    // One buyer: the Tmall and Douyin orders share a customer, which has the phone and both identities.
    expect(orders[0]!.customer_id).toBe(orders[2]!.customer_id);
    const customer = await k
      .selectFrom('customers')
      .selectAll()
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', orders[0]!.customer_id!)
      .executeTakeFirstOrThrow();
    expect(customer.phone).toBe('13800138000');
    const ids = await k
      .selectFrom('customer_identities')
      .select(['kind', 'value'])
      .where('workspace_id', '=', e.workspaceId)
      .where('customer_id', '=', customer.id)
      .orderBy('kind')
      .orderBy('value')
      .execute();
    expect(ids).toContainEqual({ kind: 'phone', value: '13800138000' });
    expect(ids).toContainEqual({ kind: 'nick', value: 'tm_wangwu' });
    const zhao = await k
      .selectFrom('customers')
      .select('phone')
      .where('workspace_id', '=', e.workspaceId)
      .where('id', '=', orders[1]!.customer_id!)
      .executeTakeFirstOrThrow();
    expect(zhao.phone).toBe('13900139000');
    // The merge is recorded (and so can be undone) and the merged buyer's stats count both orders.
    const merges = await k
      .selectFrom('customer_merges')
      .selectAll()
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    expect(merges).toHaveLength(1);
    const stats = await k
      .selectFrom('customer_stats')
      .selectAll()
      .where('workspace_id', '=', e.workspaceId)
      .where('customer_id', '=', customer.id)
      .executeTakeFirstOrThrow();
    expect([stats.paid_orders, stats.total_spent_fen]).toEqual([2, 16800]);
    // Re-importing once more changes nothing.
    const third = await run(
      e,
      '天猫旗舰店',
      'taobao',
      csvFile([TAOBAO_HEADER, taobaoRow('4000000000000009001', 'tm_wangwu', "'13800138000")]),
    );
    expect([third.orders_updated, third.orders_unchanged]).toEqual([0, 1]);
  });

  it('Shopify: paid is the Total (discounts already off), the discount is kept, codes become names', async () => {
    const e = env();
    const H = [
      'Name',
      'Email',
      'Financial Status',
      'Paid at',
      'Fulfillment Status',
      'Created at',
      'Subtotal',
      'Shipping',
      'Total',
      'Discount Code',
      'Discount Amount',
      'Refunded Amount',
      'Lineitem quantity',
      'Lineitem name',
      'Lineitem price',
      'Shipping Province',
      'Shipping Country',
    ];
    const r = await run(
      e,
      'Shopify 真实',
      'shopify',
      csvFile([
        H,
        [
          '#2001',
          'ann@example.com',
          'paid',
          '2026-10-01 10:00:00 +0800',
          'fulfilled',
          '2026-10-01 10:00:00 +0800',
          '90.00',
          '0.00',
          '90.00',
          'SAVE10',
          '10.00',
          '0.00',
          1,
          'Scarf',
          '100.00',
          'ZJ',
          'CN',
        ],
        [
          '#2002',
          'ben@example.com',
          'partially_refunded',
          '2026-10-02 10:00:00 +0800',
          'fulfilled',
          '2026-10-02 10:00:00 +0800',
          '120.00',
          '0.00',
          '120.00',
          '',
          '0.00',
          '30.00',
          2,
          'Cup',
          '60.00',
          'SC',
          'US',
        ],
        [
          '#2003',
          'cat@example.com',
          'paid',
          '2026-10-03 10:00:00 +0800',
          '',
          '2026-10-03 10:00:00 +0800',
          '50.00',
          '0.00',
          '50.00',
          '',
          '0.00',
          '0.00',
          1,
          'Pen',
          '50.00',
          'SC',
          'CN',
        ],
        [
          '#2004',
          'dan@example.com',
          'paid',
          '2026-10-04 10:00:00 +0800',
          '',
          '2026-10-04 10:00:00 +0800',
          '50.00',
          '0.00',
          '50.00',
          '',
          '0.00',
          '0.00',
          1,
          'Pen',
          '50.00',
          'CA',
          'US',
        ],
      ]),
    );
    expect(r.rows_rejected).toBe(0);
    const orders = await ordersOf(e, ['#2001', '#2002', '#2003', '#2004']);
    expect(orders.map((o) => [o.external_id, o.paid_fen, o.discount_fen, o.refunded_fen])).toEqual([
      ['#2001', 9000, 1000, 0],
      ['#2002', 12000, 0, 3000],
      ['#2003', 5000, 0, 0],
      ['#2004', 5000, 0, 0],
    ]);
    const ben = await e.db.kysely
      .selectFrom('customer_stats')
      .select('total_spent_fen')
      .where('workspace_id', '=', e.workspaceId)
      .where('customer_id', '=', orders[1]!.customer_id!)
      .executeTakeFirstOrThrow();
    expect(ben.total_spent_fen).toBe(9000);
    // Province codes become names, read by the shipping country (SC is Sichuan in China).
    expect(orders.map((o) => o.province)).toEqual(['浙江省', 'South Carolina', '四川省', 'California']);
  });

  it('an older export after a newer one keeps the newer address, tracking number, note and refund', async () => {
    const e = env();
    const H = [
      '订单编号',
      '买家会员名',
      '买家实际支付金额',
      '订单状态',
      '收货地址',
      '联系手机',
      '订单创建时间',
      '订单付款时间',
      '发货时间',
      '物流单号',
      '订单备注',
      '退款金额',
    ];
    const row = (addr: string, shipped: string, tracking: string, note: string, refund: string) => [
      '="4000000000000006001"',
      'tb_older',
      '200.00',
      '卖家已发货，等待买家确认',
      addr,
      '13700137000',
      '2026-06-01 10:00:00',
      '2026-06-01 10:00:05',
      shipped,
      tracking,
      note,
      refund,
    ];
    // Re-shipped to a corrected address, and part refunded: the status stays 卖家已发货.
    const newer = csvFile([
      H,
      row('浙江省 杭州市 西湖区 新地址 2 号', '2026-06-05 09:00:00', 'SF2', '改地址重发', '50.00'),
    ]);
    const older = csvFile([H, row('浙江省 杭州市 西湖区 旧地址 1 号', '2026-06-02 09:00:00', 'SF1', '', '0.00')]);
    await run(e, '新旧店', 'taobao', newer);
    const r = await run(e, '新旧店', 'taobao', older);
    expect([r.orders_updated, r.orders_unchanged]).toEqual([0, 1]);
    const [o] = await ordersOf(e, ['4000000000000006001']);
    expect([o!.address, o!.seller_note, o!.refunded_fen, o!.shipped_at]).toEqual([
      '新地址 2 号',
      '改地址重发',
      5000,
      '2026-06-05T01:00:00.000Z',
    ]);
    expect(readJson<Record<string, string>>(o!.raw)['物流单号']).toBe('SF2');
    // The newer export read again still applies (the same state), and so does a later one.
    const later = csvFile([
      H,
      [...row('浙江省 杭州市 西湖区 新地址 2 号', '2026-06-05 09:00:00', 'SF2', '改地址重发', '50.00')].map((c) =>
        c === '卖家已发货，等待买家确认' ? '交易成功' : c,
      ),
    ]);
    expect((await run(e, '新旧店', 'taobao', later)).orders_updated).toBe(1);
  });

  it('line-per-row files: split orders keep all lines; a contradiction names both lines', async () => {
    const e = env();
    const k = e.db.kysely;
    const H = [
      'Name',
      'Email',
      'Financial Status',
      'Paid at',
      'Created at',
      'Total',
      'Lineitem quantity',
      'Lineitem name',
      'Lineitem price',
    ];
    const at = '2026-10-01 10:00:00 +0800';
    const shop = await run(
      e,
      'Shopify 拆分',
      'shopify',
      csvFile([
        H,
        ['#4001', 'amy@example.com', 'paid', at, at, '130.00', 1, 'Scarf', '100.00'],
        ['#4002', 'bob@example.com', 'paid', at, at, '50.00', 1, 'Cup', '50.00'],
        ['#4001', 'amy@example.com', '', '', at, '', 2, 'Clip', '15.00'],
        ['#4003', 'cat@example.com', 'paid', at, at, '20.00', 1, 'Pen', '20.00'],
        ['#4002', 'bob@example.com', 'paid', at, at, '60.00', 1, 'Mug', '10.00'],
      ]),
    );
    // #4002's two rows are rejected as one order.
    expect([shop.orders_created, shop.rows_rejected, shop.orders_rejected, shop.orders_unchanged]).toEqual([
      2, 2, 1, 0,
    ]);
    const errors = await k
      .selectFrom('import_errors')
      .selectAll()
      .where('workspace_id', '=', e.workspaceId)
      .where('run_id', '=', shop.id)
      .execute();
    expect(errors).toHaveLength(1);
    expect([errors[0]!.line, errors[0]!.column_name]).toEqual([6, 'Total']);
    expect(errors[0]!.reason).toContain('line 3');
    expect(errors[0]!.reason).toContain('line 6');
    const [o4001, o4002] = await ordersOf(e, ['#4001', '#4002']);
    expect(o4002).toBeUndefined(); // #4002 is not guessed: the row error says what to fix
    expect([o4001!.item_count, o4001!.paid_fen]).toEqual([3, 13000]);
    const lines = await k
      .selectFrom('order_items')
      .select(['title', 'quantity'])
      .where('workspace_id', '=', e.workspaceId)
      .where('order_id', '=', o4001!.id)
      .orderBy('title')
      .execute();
    expect(lines).toEqual([
      { title: 'Clip', quantity: 2 },
      { title: 'Scarf', quantity: 1 },
    ]);

    // The generic "group" mode and the 宝贝报表 merge split orders the same way.
    const mapping = {
      columns: {
        externalId: 'No',
        createdAt: 'Date',
        paid: 'Paid',
        buyerNick: 'Buyer',
        itemTitle: 'Item',
        itemQuantity: 'Qty',
      },
      defaultStatus: 'completed',
      rowsPerOrder: 'group',
    };
    const gen = await run(
      e,
      '微店',
      'generic',
      csvFile([
        ['No', 'Date', 'Paid', 'Buyer', 'Item', 'Qty'],
        ['W-1', '2026-09-01 10:00', '30.00', 'wd_a', '茶', 1],
        ['W-2', '2026-09-01 11:00', '10.00', 'wd_b', '杯', 1],
        ['W-1', '2026-09-01 10:00', '', 'wd_a', '壶', 1],
      ]),
      mapping,
    );
    expect([gen.orders_created, gen.rows_rejected]).toEqual([2, 0]);
    const [w1] = await ordersOf(e, ['W-1']);
    expect(w1!.item_count).toBe(2);

    const tb = await ensureStore(e.ctx, e.workspaceId, '拆分淘宝店', 'taobao');
    const ids = ['4000000000000004001', '4000000000000004002'];
    await importFile(e.ctx, {
      workspaceId: e.workspaceId,
      store: tb,
      format: 'taobao',
      filePath: csvFile([TAOBAO_HEADER, taobaoRow(ids[0]!, 'tb_split', ''), taobaoRow(ids[1]!, 'tb_split', '')]),
    });
    const items = await importFile(e.ctx, {
      workspaceId: e.workspaceId,
      store: tb,
      format: 'taobao-items',
      filePath: csvFile([
        ['订单编号', '标题', '价格', '购买数量'],
        [`="${ids[0]}"`, '大衣', '60.00', 1],
        [`="${ids[1]}"`, '围巾', '99.00', 1],
        [`="${ids[0]}"`, '手套', '39.00', 1],
      ]),
    });
    expect([items.items_written, items.rows_rejected]).toEqual([3, 0]);
    const first = await k
      .selectFrom('order_items as i')
      .innerJoin('orders as o', (j) =>
        j.onRef('o.workspace_id', '=', 'i.workspace_id').onRef('o.id', '=', 'i.order_id'),
      )
      .select('i.title')
      .where('o.workspace_id', '=', e.workspaceId)
      .where('o.external_id', '=', ids[0]!)
      .orderBy('i.title')
      .execute();
    expect(first.map((r) => r.title)).toEqual(['大衣', '手套']);
  });

  it('credit notes lower net spend and count as refunds; a negative price on an order is rejected', async () => {
    const e = env();
    const k = e.db.kysely;
    const mapping = JSON.parse(readFileSync(fixture('generic-credit-mapping.json'), 'utf8'));
    const r = await run(e, 'ERP 店', 'generic', fixture('generic-credit-notes.csv'), mapping);
    expect([r.orders_created, r.rows_rejected]).toEqual([5, 0]);
    const docs = await ordersOf(e, ['C-9001', 'RET-9002', 'S-102']);
    expect(docs.map((o) => [o.external_id, o.kind, o.credit_of, o.status, o.paid_fen, o.refunded_fen])).toEqual([
      ['C-9001', 'credit', 'S-102', 'refunded', 0, 6000],
      ['RET-9002', 'credit', null, 'refunded', 0, 8000],
      ['S-102', 'order', null, 'completed', 12000, 0],
    ]);
    // The credit note belongs to the buyer of the order it cancels.
    expect(docs[0]!.customer_id).toBe(docs[2]!.customer_id);
    const stats = async () =>
      (
        await k
          .selectFrom('customer_stats as s')
          .innerJoin('customers as c', (j) =>
            j.onRef('c.workspace_id', '=', 's.workspace_id').onRef('c.id', '=', 's.customer_id'),
          )
          .select([
            'c.display_name',
            's.orders_count',
            's.paid_orders',
            's.total_spent_fen',
            's.refund_fen',
            's.refund_orders',
            's.aov_fen',
            's.spent_12m_fen',
            's.last_order_at',
          ])
          .where('s.workspace_id', '=', e.workspaceId)
          .where('c.display_name', 'in', ['shop_ann', 'shop_bob'])
          .orderBy('c.display_name')
          .execute()
      ).map((x) => ({ ...x }));
    const incremental = await stats();
    expect(
      incremental.map((x) => [
        x.display_name,
        x.orders_count,
        x.paid_orders,
        x.total_spent_fen,
        x.refund_fen,
        x.refund_orders,
      ]),
    ).toEqual([
      ['shop_ann', 2, 2, 26000, 6000, 1],
      ['shop_bob', 1, 1, 0, 8000, 1],
    ]);
    // The one-pass recompute agrees with the incremental figures.
    await recomputeAllStats(e.db, e.workspaceId, e.ctx.now().toISOString());
    expect(await stats()).toEqual(incremental);
    // Re-importing the file changes nothing.
    const again = await run(e, 'ERP 店', 'generic', fixture('generic-credit-notes.csv'), mapping);
    expect([again.orders_created, again.orders_updated, again.orders_unchanged]).toEqual([0, 0, 5]);

    // On an ordinary line a negative amount is impossible (the file's rows are not credit notes).
    const { creditOf: _c, ...withoutCreditOf } = mapping.columns;
    const bad = await run(
      e,
      'ERP 店',
      'generic',
      csvFile([
        ['Doc No', 'Customer', 'Date', 'State', 'Amount', 'Product', 'Qty', 'Price'],
        ['S-201', 'shop_cat', '2026-09-01 10:00', 'Invoiced', '30.00', '茶', '1', '-30.00'],
        ['S-202', 'shop_cat', '2026-09-01 10:00', 'Invoiced', '-30.00', '茶', '1', '30.00'],
        ['S-203', 'shop_cat', '2026-09-01 10:00', 'Invoiced', '30.00', '茶', '1', '30.00'],
      ]),
      { ...mapping, columns: { ...withoutCreditOf, itemPrice: 'Price' } },
    );
    expect([bad.orders_created, bad.rows_rejected]).toEqual([1, 2]);
    const reasons = await k
      .selectFrom('import_errors')
      .select(['line', 'column_name', 'reason'])
      .where('workspace_id', '=', e.workspaceId)
      .where('run_id', '=', bad.id)
      .orderBy('line')
      .execute();
    expect(reasons.map((x) => [x.line, x.column_name])).toEqual([
      [2, 'Price'],
      [3, 'Amount'],
    ]);
    expect(reasons[0]!.reason).toContain('negative');
  });
});
