import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Insertable } from 'kysely';
import pg from 'pg';
import { newId } from '../src/core/ids.js';
import { Random } from '../src/core/random.js';
import { bulkInsert } from '../src/db/bulk.js';
import { openDatabase, type Db } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import type { Database } from '../src/db/types.js';
import { type Bench, benchArgs, choiceFlag, countFlag } from './args.js';
import { orderRow } from './shop-rows.js';
import { askRange } from '../src/modules/analytics/asked.js';
import { AnalyticsMemory } from '../src/modules/analytics/memory.js';
import { rebuildAnalytics, refreshBuyerRows } from '../src/modules/analytics/rebuild.js';
import { dailyBuyersHere, provincesInRangeHere } from '../src/modules/analytics/spread.js';
import {
  cohortsHere,
  distributionHere,
  mainStatements,
  overviewHere,
  productsHere,
  repurchaseHere,
  type Scope,
  timingHere,
} from '../src/modules/analytics/views.js';
import type { AppContext } from '../src/modules/context.js';
import { ensureStore } from '../src/modules/stores/service.js';
import { createWorkspace } from '../src/modules/workspaces/service.js';

/**
 * `npm run bench -- analytics [--customers N] [--db sqlite|postgres]` (default 200,000; others share the machine):
 * a generated
 * shop of N customers and ~3N orders over two years in two stores; the pre-aggregate rebuild, then each
 * 数据分析 view over the last 30 days, the last year and all of it, against a baseline measured in the same
 * run: one scan of the orders counting the year's distinct buyers straight from the orders table (the
 * least any view computed without the pre-aggregates would have to do). The last 30 days and the last year are
 * ranges the rebuild keeps answers for (snapshots.ts), two years is not: "… from buyer rows" is the same view
 * made to read the buyer rows (the path of any other range, and what it did before the kept answers).
 * Then the rows held in memory (analytics/memory.ts): their load time and size, and the distribution and products of
 * ranges that are not kept from memory beside the same views from SQL. `--memory` (with `--keep`, over a kept
 * database) measures only that part. HUIKE_BENCH_PG_DB names the kept PostgreSQL database to use instead of
 * huike_bench_analytics_N (a copy, so the shared one keeps its migrations).
 */
const AS_OF = new Date('2026-11-23T04:00:00.000Z');
const PROVINCES = ['广东省', '浙江省', '江苏省', '山东省', '上海市', '北京市', '四川省'];
const CITIES = ['广州市', '杭州市', '南京市', '济南市', '上海市', '北京市', '湖州市', '绵阳市'];
const PRODUCTS = Array.from({ length: 200 }, (_, i) => `商品${String(i).padStart(3, '0')}`);

function itemRow(ws: string, orderId: string, title: string, quantity: number, paid: number) {
  return {
    workspace_id: ws,
    order_id: orderId,
    line_key: 'L1',
    title,
    sku: null,
    external_item_id: null,
    category: null,
    quantity,
    price_fen: paid,
    paid_fen: paid,
    refund_status: null,
  };
}

async function generate(ctx: AppContext, ws: string, customers: number): Promise<void> {
  const rnd = new Random(17);
  const stores = [await ensureStore(ctx, ws, '基准店', 'tmall'), await ensureStore(ctx, ws, '基准二店', 'douyin')];
  const now = AS_OF.toISOString();
  const BATCH = 10_000;
  for (let start = 0; start < customers; start += BATCH) {
    const cs: Insertable<Database['customers']>[] = [];
    const orders: Insertable<Database['orders']>[] = [];
    const items: Insertable<Database['order_items']>[] = [];
    for (let i = start; i < Math.min(customers, start + BATCH); i++) {
      const id = newId();
      const store = rnd.chance(0.7) ? stores[0]! : stores[1]!;
      const n = rnd.chance(0.35) ? 1 : rnd.int(2, 6);
      for (let k = 0; k < n; k++) {
        const at = new Date(AS_OF.getTime() - rnd.int(0, 730 * 24) * 3_600_000).toISOString();
        const paid = rnd.int(30, 1500) * 100;
        const unpaid = rnd.chance(0.05);
        const oid = newId();
        orders.push(orderRow(ws, oid, store.id, `${i}-${k}`, id, at, paid, unpaid, now));
        items.push(itemRow(ws, oid, rnd.pick(PRODUCTS), rnd.int(1, 3), paid));
      }
      cs.push({
        workspace_id: ws,
        id,
        display_name: `buyer${i}`,
        real_name: null,
        phone: null,
        email: null,
        province: rnd.pick(PROVINCES),
        city: rnd.pick(CITIES),
        gender: rnd.chance(0.8) ? 'female' : rnd.chance(0.5) ? 'male' : null,
        birthday: rnd.chance(0.6) ? `${rnd.int(1965, 2008)}-0${rnd.int(1, 9)}-1${rnd.int(0, 9)}` : null,
        marketing_consent: 'unknown',
        consent_source: null,
        consent_at: null,
        first_store_id: store.id,
        created_at: now,
        updated_at: now,
      });
    }
    await ctx.db.kysely.transaction().execute(async (trx) => {
      await bulkInsert(trx, ctx.db.dialect, 'customers', cs);
      await bulkInsert(trx, ctx.db.dialect, 'orders', orders, { jsonColumns: ['raw'] });
      await bulkInsert(trx, ctx.db.dialect, 'order_items', items);
    });
    process.stdout.write(`\r  generated ${Math.min(customers, start + BATCH).toLocaleString('en-US')} customers`);
  }
  process.stdout.write('\n');
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

/** A rebuild, with its short transactions: how many and the longest (the longest a write elsewhere waits). */
async function timedRebuild(ctx: AppContext, ws: string, what: string) {
  const t = performance.now();
  let last = t;
  let longest = 0;
  const built = await rebuildAnalytics(ctx, ws, {
    afterChunk: () => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    },
  });
  const finish = performance.now() - last;
  process.stdout.write(
    `  ${what} (${built.orders.toLocaleString('en-US')} orders): ${((performance.now() - t) / 1000).toFixed(1)} s; ` +
      `longest customer chunk ${Math.round(longest)} ms, the aggregates after them ${(finish / 1000).toFixed(1)} s\n`,
  );
}

/** Load time and size of the index in memory, and the two views of ranges that are not kept: memory beside SQL. */
async function memoryFigures(ctx: AppContext, ws: string, baseline: number): Promise<void> {
  const holder = new AnalyticsMemory(ctx.db, { capBytes: Number.POSITIVE_INFINITY });
  const t = performance.now();
  await holder.load(ws);
  const loadMs = performance.now() - t;
  const info = holder.info(ws)!;
  const mb = info.bytes / 2 ** 20;
  const n = (x: number) => x.toLocaleString('en-US');
  const perMillion = mb / ((info.buyerRows + info.productRows) / 1e6);
  process.stdout.write(
    `  memory: loaded in ${(loadMs / 1000).toFixed(1)} s — ${n(info.buyerRows)} buyer-day rows ` +
      `(${n(info.buyers)} buyers), ${n(info.productRows)} product-day rows, ` +
      `${mb.toFixed(1)} MB (${perMillion.toFixed(1)} MB per million rows)\n`,
  );
  const mctx: AppContext = { ...ctx, analyticsMemory: holder };
  const custom = [
    ['two years', { from: '2024-11-23', to: '2026-11-23' }],
    ['2025-02-13 – 2026-08-19', { from: '2025-02-13', to: '2026-08-19' }],
    ['2026-03-07 – 2026-04-18', { from: '2026-03-07', to: '2026-04-18' }],
  ] as const;
  for (const [label, range] of custom)
    for (const [name, fn] of [
      ['distribution', distributionHere],
      ['products', productsHere],
    ] as const) {
      const fromMemory = await fn(mctx, ws, range, { memory: true });
      const fromSql = await fn(ctx, ws, range, { kept: false });
      const same = JSON.stringify(fromMemory) === JSON.stringify(fromSql);
      const m = await median(3, () => fn(mctx, ws, range, { memory: true }));
      const q = await median(3, () => fn(ctx, ws, range, { kept: false }));
      const cell = (ms: number) => `${ms.toFixed(0).padStart(5)} ms (${(ms / baseline).toFixed(2)}×)`;
      process.stdout.write(
        `  ${name.padEnd(13)} ${label.padEnd(24)} memory ${cell(m)}   SQL ${cell(q)}` +
          `   same numbers: ${same ? 'yes' : 'NO'}\n`,
      );
    }
  await catchUpFigures(ctx, holder, ws, loadMs);
}

/**
 * A small write as an order sync makes it: one new paid order (yesterday) for each of `n` random buyers, and their
 * buyer rows kept in step in the same transaction (refreshBuyerRows, what ingest calls).
 */
async function smallWrite(ctx: AppContext, ws: string, n: number, rnd: Random): Promise<void> {
  const k = ctx.db.kysely;
  const total = await k
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .executeTakeFirstOrThrow();
  const ids = await k
    .selectFrom('customers')
    .select(['id', 'first_store_id'])
    .where('workspace_id', '=', ws)
    .orderBy('id')
    .limit(n)
    .offset(rnd.int(0, Math.max(0, Number(total.n) - n)))
    .execute();
  const now = AS_OF.toISOString();
  const at = new Date(AS_OF.getTime() - 86_400_000).toISOString();
  const orders = ids.map((c) => {
    const paid = rnd.int(30, 1500) * 100;
    return { order: orderRow(ws, newId(), c.first_store_id!, `w-${newId()}`, c.id, at, paid, false, now), paid };
  });
  await k.transaction().execute(async (trx) => {
    await bulkInsert(
      trx,
      ctx.db.dialect,
      'orders',
      orders.map((o) => o.order),
      { jsonColumns: ['raw'] },
    );
    const items = orders.map((o) => itemRow(ws, o.order.id, rnd.pick(PRODUCTS), 1, o.paid));
    await bulkInsert(trx, ctx.db.dialect, 'order_items', items);
    await refreshBuyerRows(
      trx,
      ctx.db.dialect,
      ws,
      ids.map((c) => c.id),
      now,
    );
  });
}

/**
 * From a small write to a fresh answer from memory: the next ask re-reads the written customers (the change log)
 * and splices them into the index, against the full reload it needed before.
 */
async function catchUpFigures(ctx: AppContext, holder: AnalyticsMemory, ws: string, loadMs: number): Promise<void> {
  const rnd = new Random(29);
  const mctx: AppContext = { ...ctx, analyticsMemory: holder };
  const range = { from: '2024-11-23', to: '2026-11-23' };
  for (const n of [10, 10, 10, 1000]) {
    const t0 = performance.now();
    await smallWrite(ctx, ws, n, rnd);
    const written = performance.now();
    const before = holder.served.memory;
    const answer = await distributionHere(mctx, ws, range);
    const askMs = performance.now() - written;
    const fromMemory = holder.served.memory > before;
    const same = JSON.stringify(answer) === JSON.stringify(await distributionHere(ctx, ws, range, { kept: false }));
    const c = holder.lastCatchUp(ws);
    process.stdout.write(
      `  ${String(n).padStart(5)} customers' new orders (written in ${(written - t0).toFixed(0)} ms): next ask ` +
        `${fromMemory ? 'from memory' : 'from SQL'} in ${askMs.toFixed(0)} ms, of which the catch-up ` +
        `${c?.ms ?? '-'} ms (${c?.customers ?? 0} customers re-read); a full reload took ` +
        `${(loadMs / 1000).toFixed(1)} s (${(loadMs / askMs).toFixed(0)}×); ` +
        `same numbers as SQL: ${same ? 'yes' : 'NO'}\n`,
    );
  }
  // A rebuild over the kept rows after 10 buyers' orders (whose product rows only a rebuild rewrites): its chunks
  // name the customers they changed, so the next ask catches up instead of a full load.
  await smallWrite(ctx, ws, 10, rnd);
  await distributionHere(mctx, ws, range);
  const t2 = performance.now();
  await rebuildAnalytics(ctx, ws);
  const rebuildMs = performance.now() - t2;
  const loadsBefore = holder.counts.loads;
  const t3 = performance.now();
  const afterRebuild = await distributionHere(mctx, ws, range);
  const askMs = performance.now() - t3;
  const sameAfter =
    JSON.stringify(afterRebuild) === JSON.stringify(await distributionHere(ctx, ws, range, { kept: false }));
  process.stdout.write(
    `  rebuild over the kept rows after 10 buyers' orders: ${(rebuildMs / 1000).toFixed(1)} s; next ask ` +
      `${holder.counts.loads > loadsBefore ? 'after a FULL LOAD' : 'from memory'} in ${askMs.toFixed(0)} ms ` +
      `(catch-up of ${holder.lastCatchUp(ws)?.customers ?? 0} customers, ${holder.lastCatchUp(ws)?.ms ?? '-'} ms); ` +
      `same numbers as SQL: ${sameAfter ? 'yes' : 'NO'}\n`,
  );
  // A restart: the index saved by the last run (memory-file.ts) read back and caught up on 10 customers written since.
  const dir = mkdtempSync(join(tmpdir(), 'huike-bench-memory-'));
  try {
    const saving = new AnalyticsMemory(ctx.db, { capBytes: Number.POSITIVE_INFINITY, dir });
    const t0 = performance.now();
    await saving.load(ws);
    const withSave = performance.now() - t0;
    await smallWrite(ctx, ws, 10, rnd);
    const started = new AnalyticsMemory(ctx.db, { capBytes: Number.POSITIVE_INFINITY, dir });
    const t1 = performance.now();
    await started.load(ws);
    const startMs = performance.now() - t1;
    const answer = await distributionHere({ ...ctx, analyticsMemory: started }, ws, range);
    const same = JSON.stringify(answer) === JSON.stringify(await distributionHere(ctx, ws, range, { kept: false }));
    process.stdout.write(
      `  start from the saved file (${started.counts.fileLoads ? 'read' : 'NOT read'}, ` +
        `${started.counts.loads} full loads) + catch-up of 10 customers: ${(startMs / 1000).toFixed(2)} s, against a ` +
        `full load ${(loadMs / 1000).toFixed(1)} s (${(withSave / 1000).toFixed(1)} s with the save); ` +
        `same numbers as SQL: ${same ? 'yes' : 'NO'}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function run(db: Db, customers: number, kept: boolean, memoryOnly = false): Promise<void> {
  await migrateToLatest(db);
  const ctx: AppContext = { db, now: () => AS_OF };
  // `--keep`: a database kept from an earlier run with its shop and pre-aggregates is measured again as it is.
  const earlier = kept
    ? await db.kysely.selectFrom('analytics_builds').select('workspace_id').executeTakeFirst()
    : undefined;
  const ws = earlier?.workspace_id ?? (await createWorkspace(ctx, 'bench')).id;
  if (earlier && memoryOnly) {
    process.stdout.write('  reusing the shop and pre-aggregates kept by an earlier run (memory figures only)\n');
  } else if (earlier) {
    process.stdout.write('  reusing the shop and pre-aggregates kept by an earlier run\n');
    // The nightly case: a rebuild over pre-aggregates already built (the same orders).
    await timedRebuild(ctx, ws, 'rebuild over the kept pre-aggregates');
  } else {
    await generate(ctx, ws, customers);
    await sql`ANALYZE`.execute(db.kysely);
    await timedRebuild(ctx, ws, 'rebuild of the pre-aggregates');
    await sql`ANALYZE`.execute(db.kysely);
  }
  const ts = db.dialect === 'postgres' ? sql.raw('::timestamptz') : sql.raw('');
  const yearAgo = new Date(AS_OF.getTime() - 365 * 86_400_000).toISOString();
  const baseline = await median(3, () =>
    sql`SELECT COUNT(DISTINCT customer_id) FROM orders
        WHERE workspace_id = ${ws} AND paid_at >= ${yearAgo}${ts}`.execute(db.kysely),
  );
  process.stdout.write(`  baseline: the year's distinct buyers straight from orders ${baseline.toFixed(0)} ms\n`);
  if (memoryOnly) {
    await memoryFigures(ctx, ws, baseline);
    return;
  }
  const ranges = [
    ['30 days', { from: '2026-10-25', to: '2026-11-23' }],
    ['a year', { from: '2025-11-24', to: '2026-11-23' }],
    ['two years', { from: '2024-11-23', to: '2026-11-23' }],
  ] as const;
  const views = [
    ['overview (+环比, 同比)', overviewHere],
    ['repurchase by month', repurchaseHere],
    ['cohorts', cohortsHere],
    ['distribution', distributionHere],
    ['  … from buyer rows', (c: AppContext, w: string, s: Scope) => distributionHere(c, w, s, { kept: false })],
    ['products', productsHere],
    ['  … from buyer rows', (c: AppContext, w: string, s: Scope) => productsHere(c, w, s, { kept: false })],
    ['timing', timingHere],
    ['province map', provincesInRangeHere],
    ['  … from buyer rows', (c: AppContext, w: string, s: Scope) => provincesInRangeHere(c, w, s, { kept: false })],
    ['daily buyers', dailyBuyersHere],
  ] as const;
  for (const [name, fn] of views) {
    const cells: string[] = [];
    for (const [label, range] of ranges) {
      const ms = await median(3, () => fn(ctx, ws, range));
      cells.push(`${label} ${ms.toFixed(0).padStart(5)} ms (${(ms / baseline).toFixed(2)}×)`);
    }
    process.stdout.write(`  ${name.padEnd(24)} ${cells.join('   ')}\n`);
  }
  // A custom range (mid-month to mid-month, not kept): its first ask reads the buyer rows and queues the rebuild that
  // keeps it (asked.ts); after that rebuild it is read from the kept rows.
  const asked = { from: '2025-01-12', to: '2026-09-07' };
  const firstAsk = {
    distribution: await median(3, () => distributionHere(ctx, ws, asked, { kept: false })),
    products: await median(3, () => productsHere(ctx, ws, asked, { kept: false })),
  };
  await askRange(ctx, ws, asked);
  await timedRebuild(ctx, ws, `rebuild that keeps the asked range ${asked.from} – ${asked.to}`);
  for (const [name, fn] of [
    ['distribution', distributionHere],
    ['products', productsHere],
  ] as const) {
    const ms = await median(3, () => fn(ctx, ws, asked));
    const first = firstAsk[name];
    process.stdout.write(
      `  ${name.padEnd(24)} asked range: first ask ${first.toFixed(0)} ms (${(first / baseline).toFixed(2)}×), ` +
        `once kept ${ms.toFixed(0)} ms (${(ms / baseline).toFixed(2)}×)\n`,
    );
  }
  // The plans of the two heaviest statements (a year's range), for the README.
  const statements = await mainStatements(ctx, ws, ranges[1][1]);
  for (const [name, q] of Object.entries(statements)) {
    const plan =
      db.dialect === 'postgres'
        ? (await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${q}`.execute(db.kysely)).rows.map((r) => r['QUERY PLAN'])
        : (await sql<{ detail: string }>`EXPLAIN QUERY PLAN ${q}`.execute(db.kysely)).rows.map((r) => r.detail);
    process.stdout.write(`  EXPLAIN ${name}:\n${plan.map((l) => `    ${l}`).join('\n')}\n`);
  }
  await memoryFigures(ctx, ws, baseline);
}

const ANALYTICS_FLAGS = {
  customers: { type: 'string', arg: 'N', help: 'customers of the generated shop (default 200,000; ~3.2 orders each)' },
  db: { type: 'string', arg: 'sqlite|postgres', help: 'only one of the two databases (both by default)' },
  keep: {
    type: 'boolean',
    help:
      'keep the generated databases (SQLite in $TMPDIR, PostgreSQL huike_bench_analytics_N) and reuse them on ' +
      'the next --keep run of the same size',
  },
  memory: { type: 'boolean', help: 'with --keep, over a kept database: only the figures of the rows in memory' },
} as const;

export const analytics: Bench = {
  summary:
    'The pre-aggregate rebuild and every 数据分析 view over a generated shop, against one scan of the orders in the ' +
    'same run; then the rows held in memory against SQL.',
  flags: ANALYTICS_FLAGS,
  env: {
    HUIKE_BENCH_PG_URL: 'PostgreSQL server (or HUIKE_TEST_PG_URL); PostgreSQL is skipped without one',
    HUIKE_BENCH_PG_DB: 'the kept PostgreSQL database to use instead of huike_bench_analytics_N',
  },
  run: benchAnalytics,
};

async function benchAnalytics(args: string[]): Promise<void> {
  const flags = benchArgs(args, ANALYTICS_FLAGS);
  const customers = countFlag(flags.customers, 'customers', 200_000);
  const only = choiceFlag(flags.db, 'db', ['sqlite', 'postgres']);
  const keep = flags.keep === true;
  const memoryOnly = flags.memory === true;
  if (only !== 'postgres') await benchSqlite(customers, keep, memoryOnly);
  if (only !== 'sqlite') await benchPostgres(customers, keep, memoryOnly);
}

async function benchSqlite(customers: number, keep: boolean, memoryOnly: boolean): Promise<void> {
  const dir = keep ? tmpdir() : mkdtempSync(join(tmpdir(), 'huike-bench-analytics-'));
  const file = keep ? join(dir, `huike-bench-analytics-${customers}.db`) : join(dir, 'a.db');
  process.stdout.write(
    `SQLite — ${customers.toLocaleString('en-US')} customers, ~${(customers * 3.2).toLocaleString('en-US')} orders\n`,
  );
  const kept = keep && existsSync(file);
  const lite = openDatabase(`sqlite:${file}`);
  try {
    await run(lite, customers, kept, memoryOnly);
  } finally {
    await lite.close();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** The kept PostgreSQL database of this size (created when missing), and whether it was there. */
async function keptPostgres(adminUrl: string, customers: number): Promise<{ url: string; kept: boolean }> {
  const name = process.env.HUIKE_BENCH_PG_DB ?? `huike_bench_analytics_${customers}`;
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const there = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!there.rowCount) await c.query(`CREATE DATABASE ${name}`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    return { url: u.toString(), kept: Boolean(there.rowCount) };
  } finally {
    await c.end();
  }
}

async function benchPostgres(customers: number, keep: boolean, memoryOnly: boolean): Promise<void> {
  const pgUrl = process.env.HUIKE_BENCH_PG_URL ?? process.env.HUIKE_TEST_PG_URL;
  if (!pgUrl) {
    process.stdout.write('PostgreSQL: skipped (set HUIKE_BENCH_PG_URL)\n');
    return;
  }
  const scratch = keep ? undefined : await createScratchDatabase(pgUrl, 'huike_bench');
  const kept = keep ? await keptPostgres(pgUrl, customers) : undefined;
  const db = openDatabase(scratch?.url ?? kept!.url);
  process.stdout.write(`PostgreSQL — ${customers.toLocaleString('en-US')} customers\n`);
  try {
    await run(db, customers, kept?.kept ?? false, memoryOnly);
  } finally {
    await db.close();
    await scratch?.drop();
  }
}
