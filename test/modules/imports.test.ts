import { hostname } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { orderEvents } from '../../src/modules/automations/events.js';
import { executeRun, getRun, importFile, presentRun } from '../../src/modules/imports/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { writeTaobaoExport } from '../../src/modules/demo/taobao-export.js';
import { describeBothDatabases, fixture, scratchDir, statsOf, type TestEnv } from '../helpers.js';
import { countLoopTurns } from '../support/loop-turns.js';

async function counts(env: TestEnv) {
  const k = env.db.kysely;
  const one = async (t: 'orders' | 'customers' | 'customer_identities' | 'order_items') =>
    Number(
      (
        await k
          .selectFrom(t)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', env.workspaceId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    orders: await one('orders'),
    customers: await one('customers'),
    identities: await one('customer_identities'),
    items: await one('order_items'),
  };
}

describeBothDatabases('Taobao import', (env) => {
  it('imports the GBK orders export, rejecting bad rows with line, column and reason', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '回客旗舰店', 'taobao');
    const run = await importFile(ctx, {
      workspaceId,
      store,
      format: 'taobao',
      filePath: fixture('taobao-orders-gbk.csv'),
    });
    expect(run.status).toBe('done');
    expect(run.rows_read).toBe(17);
    expect(run.orders_created).toBe(12);
    expect(run.rows_rejected).toBe(5);
    // tb_lili2019, 小鱼儿0815, joy_王, 江南布衣控, c**8 (by phone), 新疆的雪莲, 潮汕阿弟; t**9 is fully masked.
    expect(run.customers_created).toBe(7);
    const errors = await ctx.db.kysely
      .selectFrom('import_errors')
      .selectAll()
      .where('run_id', '=', run.id)
      .orderBy('seq')
      .execute();
    expect(errors.map((e) => [e.line, e.column_name])).toEqual([
      [14, '订单状态'],
      [15, '订单创建时间'],
      [16, '买家实际支付金额'],
      [17, '订单编号'],
      [18, '订单编号'],
    ]);
    expect(errors[0]!.reason).toContain('神秘状态');
    expect(errors[4]!.reason).toContain('Excel');
  });

  it('an import queues its follow-ups: RFM, tiers before points, coupons, then the analytics figures', async () => {
    const { ctx, workspaceId } = env();
    const run = await ctx.db.kysely
      .selectFrom('import_runs')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    const jobs = await ctx.db.kysely
      .selectFrom('jobs')
      .select('kind')
      .where('workspace_id', '=', workspaceId)
      .where('dedupe_key', '=', `import:${run.id}`)
      .orderBy('run_at')
      .orderBy('id')
      .execute();
    expect(jobs.map((j) => j.kind)).toEqual([
      'rfm.recompute',
      'tiers.evaluate',
      'points.sync',
      'coupons.sync',
      'analytics.rebuild',
    ]);
  });

  it('re-importing the same file adds nothing and changes nothing', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '回客旗舰店', 'taobao');
    const before = await counts(env());
    const run = await importFile(ctx, {
      workspaceId,
      store,
      format: 'taobao',
      filePath: fixture('taobao-orders-gbk.csv'),
    });
    expect(await counts(env())).toEqual(before);
    expect(run.orders_created).toBe(0);
    expect(run.orders_updated).toBe(0);
    expect(run.orders_unchanged).toBe(12);
    expect(run.customers_created).toBe(0);
  });

  it("an import stores no event older than the dry run's 30 days; the order's events still show them", async () => {
    const { ctx, workspaceId } = env();
    const k = ctx.db.kysely;
    const stored = await k
      .selectFrom('order_events')
      .select(['kind', 'happened_at', 'source'])
      .where('workspace_id', '=', workspaceId)
      .execute();
    const from = Date.parse('2026-11-23T04:00:00.000Z') - 30 * 86_400_000;
    expect(stored.length).toBeGreaterThan(0); // the orders of November are recent
    expect(stored.filter((e) => Date.parse(e.happened_at) < from)).toEqual([]);
    const old = await k
      .selectFrom('orders')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('external_id', '=', '4012345678901242488')
      .executeTakeFirstOrThrow();
    const events = await orderEvents(ctx, workspaceId, old.id);
    expect(events.map((e) => [e.kind, e.happenedAt, e.source])).toEqual([
      ['created', '2025-11-10T16:01:23.000Z', 'import'],
      ['paid', '2025-11-10T16:01:40.000Z', 'import'],
      ['shipped', '2025-11-12T01:00:00.000Z', 'import'],
      ['signed', '2025-11-15T02:00:00.000Z', 'import'],
      ['completed', '2025-11-15T02:00:00.000Z', 'import'],
    ]);
  });

  it('reads amounts, times, statuses and addresses the way the export means them', async () => {
    const { ctx, workspaceId } = env();
    const k = ctx.db.kysely;
    const o = await k
      .selectFrom('orders')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('external_id', '=', '4012345678901242488')
      .executeTakeFirstOrThrow();
    expect(o.status).toBe('completed');
    expect(o.goods_fen).toBe(29900);
    expect(o.paid_fen).toBe(26900);
    expect(o.discount_fen).toBe(3000);
    expect(o.created_at).toBe('2025-11-10T16:01:23.000Z'); // 00:01:23 in Asia/Shanghai
    expect([o.province, o.city, o.district, o.address]).toEqual(['浙江省', '杭州市', '西湖区', '文三路 138 号']);
    expect(o.receiver_phone).toBe('13812345678');
    const refunded = await k
      .selectFrom('orders')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('title', '=', '真丝连衣裙')
      .executeTakeFirstOrThrow();
    expect(refunded.status).toBe('refunded');
    const unpaidClosed = await k
      .selectFrom('orders')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('title', '=', '毛呢半身裙')
      .executeTakeFirstOrThrow();
    expect(unpaidClosed.status).toBe('closed');
    const beijing = await k
      .selectFrom('orders')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('buyer_nick', '=', 'joy_王')
      .executeTakeFirstOrThrow();
    expect([beijing.province, beijing.city, beijing.district]).toEqual(['北京市', '北京市', '朝阳区']);
    expect(beijing.raw).toBeTruthy();
  });

  it('never uses a masked value as an identifier', async () => {
    const { ctx, workspaceId } = env();
    const k = ctx.db.kysely;
    const masked = await k
      .selectFrom('orders')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('buyer_nick', '=', 't**9')
      .executeTakeFirstOrThrow();
    expect(masked.customer_id).toBeNull();
    const ids = await k
      .selectFrom('customer_identities')
      .select('value')
      .where('workspace_id', '=', workspaceId)
      .execute();
    expect(ids.some((i) => i.value.includes('*'))).toBe(false);
    // c**8's two orders share an unmasked phone: one customer.
    const c8 = await k
      .selectFrom('orders')
      .select('customer_id')
      .where('workspace_id', '=', workspaceId)
      .where('buyer_nick', '=', 'c**8')
      .execute();
    expect(c8).toHaveLength(2);
    expect(c8[0]!.customer_id).not.toBeNull();
    expect(c8[0]!.customer_id).toBe(c8[1]!.customer_id);
  });

  it('a newer export with renamed columns moves orders on and adds new ones', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '回客旗舰店', 'taobao');
    const run = await importFile(ctx, {
      workspaceId,
      store,
      format: 'taobao',
      filePath: fixture('taobao-orders-newer-gbk.csv'),
    });
    expect(run.rows_rejected).toBe(0);
    expect(run.orders_created).toBe(1);
    expect(run.orders_updated).toBeGreaterThanOrEqual(3);
    const k = ctx.db.kysely;
    const byNick = async (nick: string, title: string) =>
      k
        .selectFrom('orders')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('buyer_nick', '=', nick)
        .where('title', 'like', `${title}%`)
        .executeTakeFirstOrThrow();
    expect((await byNick('小鱼儿0815', '纯棉')).status).toBe('paid');
    expect((await byNick('joy_王', '羊绒')).status).toBe('shipped');
    expect((await byNick('江南布衣控', '双面')).status).toBe('completed');
    // Re-importing the older file afterwards does not move them back.
    const again = await importFile(ctx, {
      workspaceId,
      store,
      format: 'taobao',
      filePath: fixture('taobao-orders-gbk.csv'),
    });
    expect(again.orders_created).toBe(0);
    expect((await byNick('江南布衣控', '双面')).status).toBe('completed');
  });

  it('the items export adds lines with categories to imported orders and rejects unknown orders', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '回客旗舰店', 'taobao');
    const run = await importFile(ctx, {
      workspaceId,
      store,
      format: 'taobao-items',
      filePath: fixture('taobao-items-gbk.csv'),
    });
    expect(run.items_written).toBe(7);
    expect(run.rows_rejected).toBe(1);
    const again = await importFile(ctx, {
      workspaceId,
      store,
      format: 'taobao-items',
      filePath: fixture('taobao-items-gbk.csv'),
    });
    expect(again.status).toBe('done');
    expect((await counts(env())).items).toBe(7);
    const stats = await statsOf(env(), 'tb_lili2019');
    // Three orders: 269 + 128 (the 459 one was fully refunded) + the 256 of the newer export.
    expect(stats.paid_orders).toBe(3);
    expect(stats.total_spent_fen).toBe(26900 + 12800 + 25600);
    expect(stats.refund_orders).toBe(1);
    expect(stats.favourite_category).toBe('美妆/面膜');
  });

  it('refuses a file that is not an export, naming the missing columns', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '回客旗舰店', 'taobao');
    await expect(
      importFile(ctx, { workspaceId, store, format: 'taobao', filePath: fixture('not-an-export.csv') }),
    ).rejects.toThrow(/not a 淘宝\/天猫订单报表.*订单编号/);
  });
});

describeBothDatabases('import runs', (env) => {
  it('a run retried after its worker died goes on from its committed rows, keeping its totals and errors', async () => {
    const { ctx, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '重试店', 'taobao');
    const first = await importFile(ctx, {
      workspaceId,
      store,
      format: 'taobao',
      filePath: fixture('taobao-orders-gbk.csv'),
    });
    // As if the worker had died: the run is still "running" with progress recorded.
    await ctx.db.kysely.updateTable('import_runs').set({ status: 'running' }).where('id', '=', first.id).execute();
    const again = await executeRun(ctx, await getRun(ctx, workspaceId, first.id));
    expect(again.status).toBe('done');
    expect(again.rows_rejected).toBe(5);
    // Every row was committed: nothing is read twice, the counters are still the file's.
    expect([again.orders_created, again.orders_unchanged, again.customers_created]).toEqual([12, 0, 7]);
    expect(again.message).toMatch(/resumed/);
    const errors = await ctx.db.kysely
      .selectFrom('import_errors')
      .select('seq')
      .where('run_id', '=', first.id)
      .execute();
    expect(errors).toHaveLength(5);
  });

  it('a run that stopped reporting progress shows as interrupted', async () => {
    const { ctx, workspaceId } = env();
    const [run] = await ctx.db.kysely
      .selectFrom('import_runs')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .execute();
    // A run from before heartbeats: ten minutes without progress.
    const old = { ...run!, status: 'running', owner: null, heartbeat_at: null, updated_at: '2026-11-23T03:00:00.000Z' };
    expect(presentRun(old, new Date('2026-11-23T03:05:00.000Z')).status).toBe('running');
    expect(presentRun(old, new Date('2026-11-23T03:11:00.000Z')).status).toBe('interrupted');
    // Another machine's run: 30 s without a heartbeat.
    const remote = { ...old, owner: 'elsewhere:4242', heartbeat_at: '2026-11-23T03:00:00.000Z' };
    expect(presentRun(remote, new Date('2026-11-23T03:00:20.000Z')).status).toBe('running');
    expect(presentRun(remote, new Date('2026-11-23T03:00:40.000Z')).status).toBe('interrupted');
    // A process of this machine that no longer exists: at once.
    const dead = { ...remote, owner: `${hostname()}:2147483646` };
    expect(presentRun(dead, new Date('2026-11-23T03:00:01.000Z')).status).toBe('interrupted');
  });
});

describeBothDatabases('an import and the event loop', (env) => {
  it('gives the event loop a turn between every two batches (timers — heartbeats, leases — keep firing)', async () => {
    const { ctx, workspaceId } = env();
    const file = join(scratchDir('huike-import-turns-'), 'orders.csv');
    await writeTaobaoExport(file, 12_000, { newestFirst: true });
    const store = await ensureStore(ctx, workspaceId, '天猫旗舰店', 'tmall');
    const loop = countLoopTurns();
    const seen: number[] = [];
    try {
      const run = await importFile(ctx, { workspaceId, store, format: 'taobao', filePath: file }, (p) => {
        if (!p.statsRefresh) seen.push(loop.turns);
      });
      expect(run.status).toBe('done');
    } finally {
      loop.stop();
    }
    // Six batches of 2,000 orders, each written while the read thread is ahead with the next: the loop turned
    // before each. (It did not: the port's waiting messages were handed over in one go, the whole import inside it.)
    expect(seen.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < seen.length; i++) expect(seen[i], `turns before batch ${i + 1}`).toBeGreaterThan(seen[i - 1]!);
  });
});

describeBothDatabases('the order an import writes its rows in', (env) => {
  it("writes a newest-first export's orders and events oldest first in each batch: index pages fill", async () => {
    const { ctx, workspaceId } = env();
    const file = join(scratchDir('huike-import-order-'), 'orders.csv');
    await writeTaobaoExport(file, 12_000, { newestFirst: true });
    const store = await ensureStore(ctx, workspaceId, '天猫旗舰店', 'tmall');
    const run = await importFile(ctx, { workspaceId, store, format: 'taobao', filePath: file });
    expect(run.status).toBe('done');
    const k = ctx.db.kysely;
    /** How often, in id order, the next row's value is smaller: once at most per batch (six of 2,000 rows). */
    const descents = (values: string[]) => values.filter((v, i) => i > 0 && v < values[i - 1]!).length;
    const orders = await k
      .selectFrom('orders')
      .select(['id', 'created_at'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('id')
      .execute();
    expect(orders.length).toBeGreaterThan(11_000);
    // Written file order, the ids descended in time at nearly every step.
    expect(descents(orders.map((o) => new Date(o.created_at).toISOString()))).toBeLessThanOrEqual(6);
    const events = await k
      .selectFrom('order_events')
      .select(['id', 'order_id'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('id')
      .execute();
    expect(events.length).toBeGreaterThan(100);
    expect(descents(events.map((e) => e.order_id))).toBeLessThanOrEqual(6);
    if (ctx.db.dialect !== 'sqlite') return;
    // SQLite (dbstat): the time indexes' pages are mostly full; written newest first, half of every page was empty.
    const empty = async (index: string) => {
      const r = await sql<{ share: number }>`SELECT 1.0 * SUM(unused) / SUM(pgsize) AS share FROM dbstat
        WHERE name = ${index} AND aggregate = 1`.execute(k);
      return r.rows[0]!.share;
    };
    expect(await empty('orders_created_idx')).toBeLessThan(0.3);
    expect(await empty('orders_status_idx')).toBeLessThan(0.3);
  });
});

describeBothDatabases("an import's last step on the run", (env) => {
  it("records its buyers' refresh as it goes, for the console; a file read again with nothing new: none", async () => {
    const { ctx, workspaceId } = env();
    const file = join(scratchDir('huike-import-refresh-'), 'orders.csv');
    await writeTaobaoExport(file, 12_000, { newestFirst: true });
    const store = await ensureStore(ctx, workspaceId, '天猫旗舰店', 'tmall');
    // What the API shows at each step of the refresh, read as the step is reported (the run is written first).
    const shown: Promise<{ reported: { done: number; total: number }; run: ReturnType<typeof presentRun> }>[] = [];
    // The workspace's one run. On PostgreSQL the read takes a pool connection of its own and can land after the import
    // has finished the run (the last step especially): then it shows the run done, with every step's figures.
    const running = () =>
      ctx.db.kysely
        .selectFrom('import_runs')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirstOrThrow();
    // As the step starts, another import of the workspace marks 5 more (ids that sort last, so a chunk after the
    // first finds them, and that name no customer: they refresh nothing, and count).
    let marked: Promise<unknown> = Promise.resolve();
    const run = await importFile(ctx, { workspaceId, store, format: 'taobao', filePath: file }, (p) => {
      if (!p.statsRefresh) return;
      const reported = { ...p.statsRefresh };
      if (reported.done === 0)
        marked = ctx.db.kysely
          .insertInto('customer_stats_pending')
          .values([1, 2, 3, 4, 5].map((i) => ({ workspace_id: workspaceId, customer_id: `zz-other-import-${i}` })))
          .execute();
      shown.push(running().then((r) => ({ reported, run: presentRun(r, ctx.now()) })));
    });
    await marked;
    expect(run.status).toBe('done');
    const buyers = Number(
      (
        await ctx.db.kysely
          .selectFrom('customers')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('workspace_id', '=', workspaceId)
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(buyers).toBeGreaterThan(4_000); // more than one chunk of the refresh
    const steps = await Promise.all(shown);
    // From 0 of every buyer to all of them and the other import's 5, in chunks; never more done than the total; the
    // run read at each step shows at least that step.
    expect(steps[0]!.reported).toEqual({ done: 0, total: buyers });
    expect(steps.at(-1)!.reported).toEqual({ done: buyers + 5, total: buyers + 5 });
    expect(steps.length).toBeGreaterThanOrEqual(3);
    for (const { reported, run: shownRun } of steps) {
      expect(reported.done).toBeLessThanOrEqual(reported.total);
      expect(['running', 'done']).toContain(shownRun.status);
      expect(shownRun.progress).toBe(1);
      expect(shownRun.statsRefresh!.total).toBeGreaterThanOrEqual(reported.total);
      expect(shownRun.statsRefresh!.done).toBeGreaterThanOrEqual(reported.done);
      expect(shownRun.statsRefresh!.done).toBeLessThanOrEqual(shownRun.statsRefresh!.total);
    }
    expect(presentRun(await getRun(ctx, workspaceId, run.id)).statsRefresh).toEqual({
      done: buyers + 5,
      total: buyers + 5,
    });
    // A run read again (nothing changed, no buyer to refresh) shows no such step.
    const again = await importFile(ctx, { workspaceId, store, format: 'taobao', filePath: file });
    expect(presentRun(await getRun(ctx, workspaceId, again.id)).statsRefresh).toBeNull();
  });
});
