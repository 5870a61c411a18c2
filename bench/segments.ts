import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import pg from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Insertable } from 'kysely';
import type { Database } from '../src/db/types.js';
import { Random } from '../src/core/random.js';
import { bulkInsert } from '../src/db/bulk.js';
import { openDatabase, type Db } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { newId } from '../src/core/ids.js';
import { type RfmWriteOptions, recomputeRfm, setRfmSettings } from '../src/modules/segments/rfm.js';
import { countRule, ruleMembers } from '../src/modules/segments/service.js';
import { ensureStore } from '../src/modules/stores/service.js';
import { createWorkspace } from '../src/modules/workspaces/service.js';
import type { AppContext } from '../src/modules/context.js';
import { type Bench, BenchUsageError, benchArgs, choiceFlag, countFlag } from './args.js';
import { orderRow } from './shop-rows.js';
import { rebuildOrderFacts } from '../src/modules/customers/order-facts.js';
import { orderCountsAsPurchase } from '../src/modules/customers/stats.js';
import { DEFAULT_PURCHASE_RULE } from '../src/core/stats.js';

/**
 * `npm run bench -- segments [--customers N]`: a generated shop of N customers (default 1M) and
 * 3N orders; count + first page of (a) a 5-condition rule and (b) a rule with an order fact, and a
 * full RFM recompute, each against the same query hand-written in SQL, in the same run.
 */
const PROVINCES = ['广东省', '浙江省', '江苏省', '山东省', '上海市', '北京市', '四川省', '河南省', '湖北省', '福建省'];
const CATEGORIES = ['女装/大衣', '女装/连衣裙', '女装/针织衫', '美妆/面膜', '美妆/口红', '配饰/围巾'];
const TITLE_WORDS = ['夏季', '新款', '加厚', '复古', '修身', '补水', '丝绒', '羊毛'];
const AS_OF = new Date('2026-11-23T04:00:00.000Z');

async function generate(ctx: AppContext, ws: string, customers: number): Promise<void> {
  const rnd = new Random(11);
  const store = await ensureStore(ctx, ws, '基准店', 'tmall');
  const db = ctx.db;
  const now = AS_OF.toISOString();
  const BATCH = 20_000;
  for (let start = 0; start < customers; start += BATCH) {
    const cs: Insertable<Database['customers']>[] = [];
    const stats: Insertable<Database['customer_stats']>[] = [];
    const orders: Insertable<Database['orders']>[] = [];
    const items: Insertable<Database['order_items']>[] = [];
    for (let i = start; i < Math.min(customers, start + BATCH); i++) {
      const id = newId();
      const province = rnd.pick(PROVINCES);
      const n = rnd.chance(0.35) ? 1 : rnd.int(2, 6); // about 3 orders per customer
      let spent = 0;
      let last = 0;
      let first = Infinity;
      for (let k = 0; k < n; k++) {
        const at = AS_OF.getTime() - rnd.int(0, 730) * 86_400_000;
        const paid = rnd.int(30, 1500) * 100;
        const oid = newId();
        const activity = rnd.chance(0.2) ? rnd.pick(['双11 2025', '618 2026', '双11 2026']) : null;
        orders.push({
          ...orderRow(ws, oid, store.id, `${i}-${k}`, id, new Date(at).toISOString(), paid, false, now),
          province,
          source: rnd.pick(['搜索', '直通车', '聚划算', '直播']),
          activity,
        });
        const category = rnd.pick(CATEGORIES);
        items.push({
          workspace_id: ws,
          order_id: oid,
          line_key: 'L1',
          title: `${rnd.pick(TITLE_WORDS)}${category.split('/')[1]} ${rnd.int(1, 400)}号`,
          sku: null,
          external_item_id: null,
          category,
          quantity: 1,
          price_fen: paid,
          paid_fen: null,
          refund_status: null,
        });
        spent += paid;
        last = Math.max(last, at);
        first = Math.min(first, at);
      }
      cs.push({
        workspace_id: ws,
        id,
        display_name: `buyer${i}`,
        real_name: null,
        phone: `139${String(i).padStart(8, '0')}`,
        email: null,
        province,
        city: null,
        gender: rnd.chance(0.9) ? 'female' : 'male',
        birthday: null,
        marketing_consent: rnd.pick(['granted', 'unknown', 'denied']),
        consent_source: null,
        consent_at: null,
        first_store_id: store.id,
        created_at: now,
        updated_at: now,
      });
      stats.push({
        workspace_id: ws,
        customer_id: id,
        orders_count: n,
        paid_orders: n,
        first_order_at: new Date(first).toISOString(),
        last_order_at: new Date(last).toISOString(),
        first_paid_at: new Date(first).toISOString(),
        last_paid_at: new Date(last).toISOString(),
        total_spent_fen: spent,
        refund_fen: 0,
        refund_orders: 0,
        aov_fen: Math.round(spent / n),
        spent_12m_fen: 0,
        orders_12m: 0,
        favourite_category: null,
        province,
        as_of: now,
      });
    }
    await db.kysely.transaction().execute(async (trx) => {
      await bulkInsert(trx, db.dialect, 'customers', cs);
      await bulkInsert(trx, db.dialect, 'customer_stats', stats);
      await bulkInsert(trx, db.dialect, 'orders', orders, { jsonColumns: ['raw'] });
      await bulkInsert(trx, db.dialect, 'order_items', items);
    });
    process.stdout.write(`\r  generated ${Math.min(customers, start + BATCH).toLocaleString('en-US')} customers`);
  }
  process.stdout.write('\n');
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn(); // warm up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

const ALL_CASES = ['facts', 'a', 'b', 'b2', 'c', 'd', 'rfm'];

async function run(
  db: Db,
  customers: number,
  buildOnly = false,
  cases = ALL_CASES,
  rfmWrite?: RfmWriteOptions['write'],
): Promise<void> {
  await migrateToLatest(db);
  const ctx: AppContext = { db, now: () => AS_OF };
  const kept = await db.kysely.selectFrom('workspaces').select('id').where('name', '=', 'bench').executeTakeFirst();
  let ws = kept?.id;
  if (ws) process.stdout.write('  (reusing the kept database)\n');
  else {
    ws = (await createWorkspace(ctx, 'bench')).id;
    const t0 = performance.now();
    await generate(ctx, ws, customers);
    process.stdout.write(`  (generation ${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  // The shop has its order facts, as an import keeps them: a generated shop, or a kept one without them, gets them here
  // (`facts` times a rebuild). A kept PostgreSQL shop built with --build-only had none, and the API bench's evaluate
  // on it measured a rule matching nobody (README, session 40).
  const noFacts = !(await db.kysely
    .selectFrom('customer_order_facts')
    .select('customer_id')
    .where('workspace_id', '=', ws)
    .limit(1)
    .executeTakeFirst());
  if (noFacts || (!buildOnly && cases.includes('facts'))) {
    const t = performance.now();
    await db.kysely
      .transaction()
      .execute((trx) => rebuildOrderFacts(trx, db.dialect, ws!, orderCountsAsPurchase(DEFAULT_PURCHASE_RULE), null));
    process.stdout.write(`  order facts full rebuild: ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  }
  if (buildOnly) return;
  await sql`ANALYZE`.execute(db.kysely);
  await sql`DROP TABLE IF EXISTS rfm_hand`.execute(db.kysely);
  const since = new Date(AS_OF.getTime() - 181 * 86_400_000).toISOString();
  const ts = db.dialect === 'postgres' ? sql.raw('::timestamptz') : sql.raw('');

  const ruleA = {
    all: [
      { field: 'total_spent', op: '>=', value: 30000 },
      { field: 'paid_orders', op: '>=', value: 2 },
      { field: 'province', op: 'in', value: ['广东省', '浙江省', '江苏省'] },
      { field: 'days_since_last_order', op: '<=', value: 180 },
      { field: 'marketing_consent', op: 'eq', value: 'granted' },
    ],
  };
  const handA = sql`FROM customers c JOIN customer_stats s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
    WHERE c.workspace_id = ${ws} AND s.total_spent_fen >= 30000 AND s.paid_orders >= 2
      AND s.province IN ('广东省', '浙江省', '江苏省')
      AND s.last_paid_at > ${since}${ts} AND c.marketing_consent = 'granted'`;
  const ruleB = {
    all: [
      { field: 'orders', op: 'exists', where: { category: '女装/大衣', activity: '双11 2025' } },
      { field: 'paid_orders', op: '>=', value: 1 },
    ],
  };
  const handB = sql`FROM customers c JOIN customer_stats s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
    WHERE c.workspace_id = ${ws} AND s.paid_orders >= 1 AND EXISTS (
      SELECT 1 FROM orders o JOIN order_items i ON i.workspace_id = o.workspace_id AND i.order_id = o.id
      WHERE o.workspace_id = c.workspace_id AND o.customer_id = c.id
        AND o.paid_at IS NOT NULL AND o.status <> 'refunded'
        AND o.activity = '双11 2025' AND i.category = '女装/大衣')`;

  // Two dimensions counted ("≥ 2 orders in 女装 during 双11 2025"): the facts narrow the customers
  // (≥ 2 purchases in each), the candidates walk their orders; by hand, every customer's count.
  const ruleB2 = {
    all: [{ field: 'orders', op: 'count_gte', value: 2, where: { category: ['女装'], activity: ['双11 2025'] } }],
  };
  const handB2 = sql`FROM customers c JOIN customer_stats s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
    WHERE c.workspace_id = ${ws} AND (SELECT COUNT(*) FROM orders o WHERE o.workspace_id = c.workspace_id
      AND o.customer_id = c.id AND o.paid_at IS NOT NULL AND o.status <> 'refunded' AND o.activity = '双11 2025'
      AND EXISTS (SELECT 1 FROM order_items i WHERE i.workspace_id = o.workspace_id AND i.order_id = o.id
        AND (i.category = '女装' OR i.category LIKE '女装/%'))) >= 2`;
  // One dimension of purchases (customer_order_facts) and a title substring (trigram index), each
  // against the per-customer walk a developer would write.
  const ruleC = { all: [{ field: 'orders', op: 'count_gte', value: 2, where: { category: ['女装'] } }] };
  const handC = sql`FROM customers c JOIN customer_stats s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
    WHERE c.workspace_id = ${ws} AND (SELECT COUNT(*) FROM orders o WHERE o.workspace_id = c.workspace_id
      AND o.customer_id = c.id AND o.paid_at IS NOT NULL AND o.status <> 'refunded' AND EXISTS (
        SELECT 1 FROM order_items i WHERE i.workspace_id = o.workspace_id AND i.order_id = o.id
          AND (i.category = '女装' OR i.category LIKE '女装/%'))) >= 2`;
  const ruleD = { all: [{ field: 'orders', op: 'exists', where: { titleContains: '丝绒连衣裙' } }] };
  const handD = sql`FROM customers c JOIN customer_stats s ON s.workspace_id = c.workspace_id AND s.customer_id = c.id
    WHERE c.workspace_id = ${ws} AND EXISTS (SELECT 1 FROM orders o JOIN order_items i
      ON i.workspace_id = o.workspace_id AND i.order_id = o.id WHERE o.workspace_id = c.workspace_id
      AND o.customer_id = c.id AND o.paid_at IS NOT NULL AND o.status <> 'refunded'
      AND lower(i.title) LIKE '%丝绒连衣裙%')`;

  const report = (label: string, ours: number, hand: number, target: number, abs?: number) =>
    process.stdout.write(
      `  ${label.padEnd(34)} huike ${ours.toFixed(0).padStart(6)} ms   ` +
        `hand-written ${hand.toFixed(0).padStart(6)} ms   ratio ${(ours / hand).toFixed(2)} (target ≤ ${target})` +
        `${abs !== undefined ? `; ${ours < abs ? 'under' : 'OVER'} ${abs} ms` : ''}\n`,
    );
  for (const [key, label, rule, hand, abs] of [
    ['a', '(a) 5 conditions: count + page', ruleA, handA, db.dialect === 'sqlite' ? 500 : undefined],
    ['b', '(b) order fact: count + page', ruleB, handB, undefined],
    ['b2', '(b2) ≥ 2 in 女装 during 双11', ruleB2, handB2, 1000],
    ['c', '(c) ≥ 2 orders in 女装 (facts)', ruleC, handC, 1000],
    ['d', '(d) title contains (trigram)', ruleD, handD, 1000],
  ] as const) {
    if (!cases.includes(key)) continue;
    const ours = await median(3, async () => {
      await countRule(ctx, ws, rule);
      await ruleMembers(ctx, ws, rule, { limit: 20, role: 'owner' });
    });
    const mine = await median(3, async () => {
      await sql`SELECT COUNT(*) AS n ${hand}`.execute(db.kysely);
      await sql`SELECT c.id, c.display_name, s.paid_orders ${hand} ORDER BY c.id DESC LIMIT 21`.execute(db.kysely);
    });
    report(label, ours, mine, 1.2, abs);
  }
  // The hand-written pass a developer would write for the core of RFM: NTILE scores and the
  // 8-class split against the averages, for every buyer, into a keyed table. Huike's pass does
  // that and also places non-buyers, value tiers and lifecycle stages.
  if (!cases.includes('rfm')) return;
  await sql`CREATE TABLE rfm_hand (workspace_id text, customer_id text, r integer,
    f integer, m integer, cls text, PRIMARY KEY (workspace_id, customer_id))`.execute(db.kysely);
  const epoch = (col: string) =>
    db.dialect === 'postgres' ? sql`EXTRACT(EPOCH FROM ${sql.ref(col)})` : sql`julianday(${sql.ref(col)})`;
  // Huike's pass into an empty customer_rfm (every row written), then again with nothing changed
  // (the nightly case: nothing written), then after new RFM settings (most rows change). With
  // --rfm-write upsert|staged|replace every pass writes that way (default: the dialect's own).
  const write = rfmWrite;
  const timed = async (label: string) => {
    const t = performance.now();
    let how = '';
    await recomputeRfm(ctx, ws, undefined, {
      ...(write ? { write } : {}),
      onWrite: (w) => (how = ` (${w.how}: ${w.changed} of ${w.old} rows changed)`),
    });
    const ms = performance.now() - t;
    process.stdout.write(`  RFM ${label}: ${(ms / 1000).toFixed(1)} s${how}\n`);
    return ms;
  };
  await sql`DELETE FROM customer_rfm WHERE workspace_id = ${ws}`.execute(db.kysely);
  const rfmFirst = await timed('into an empty table');
  const rfmSame = await timed('nothing changed');
  await setRfmSettings(ctx, ws, {
    dormantDays: 90,
    churnDays: 300,
    churnRiskDays: 120,
    scoring: 'thresholds',
    thresholds: { recencyDays: [30, 90, 180, 365], orders: [2, 3, 4, 5], spentFen: [5000, 20000, 40000, 80000] },
  });
  const rfmSettings = await timed('after new settings');
  await setRfmSettings(ctx, ws, {});
  const rfmHand = await median(1, async () => {
    await sql`DELETE FROM rfm_hand`.execute(db.kysely);
    await sql`INSERT INTO rfm_hand
      SELECT s.workspace_id, s.customer_id,
        NTILE(5) OVER (ORDER BY s.last_paid_at), NTILE(5) OVER (ORDER BY s.paid_orders),
        NTILE(5) OVER (ORDER BY s.total_spent_fen),
        CASE WHEN ${epoch('s.last_paid_at')} > a.r THEN '1' ELSE '0' END
          || CASE WHEN s.paid_orders > a.f THEN '1' ELSE '0' END
          || CASE WHEN s.total_spent_fen > a.m THEN '1' ELSE '0' END
      FROM customer_stats s
      CROSS JOIN (SELECT AVG(${epoch('last_paid_at')}) AS r, AVG(paid_orders * 1.0) AS f,
                         AVG(total_spent_fen * 1.0) AS m
                  FROM customer_stats WHERE workspace_id = ${ws} AND paid_orders > 0) a
      WHERE s.workspace_id = ${ws} AND s.paid_orders > 0`.execute(db.kysely);
  });
  report('RFM recompute, empty table', rfmFirst, rfmHand, 1.5);
  report('RFM recompute, nothing changed', rfmSame, rfmHand, 1.5);
  report('RFM recompute, new settings', rfmSettings, rfmHand, 1.5);
}

const SEGMENTS_FLAGS = {
  customers: { type: 'string', arg: 'N', help: 'customers of the generated shop (default 1,000,000; ~3 orders each)' },
  only: { type: 'string', arg: 'sqlite|postgres', help: 'only one of the two databases (both by default)' },
  'build-only': { type: 'boolean', help: 'generate the shop and stop' },
  cases: {
    type: 'string',
    arg: 'a,b,…',
    help: `the cases to time, of ${ALL_CASES.join(',')} (default all; facts times the full rebuild of the order facts)`,
  },
  'rfm-write': {
    type: 'string',
    arg: 'upsert|staged|replace',
    help: "how every RFM pass writes (default the dialect's own)",
  },
  keep: {
    type: 'string',
    arg: 'DIR',
    help:
      'keep the generated databases (SQLite DIR/segments-N.db, PostgreSQL huike_bench_segments_N) and reuse them ' +
      'on the next run',
  },
  'pg-db': { type: 'string', arg: 'NAME', help: 'with --keep: the kept PostgreSQL database to use' },
} as const;

export const segments: Bench = {
  summary:
    'Segment rules (count and first page) and the RFM pass on a generated shop, against hand-written SQL in the ' +
    'same run.',
  flags: SEGMENTS_FLAGS,
  env: { HUIKE_BENCH_PG_URL: 'PostgreSQL server (or HUIKE_TEST_PG_URL); PostgreSQL is skipped without one' },
  run: benchSegments,
};

async function benchSegments(args: string[]): Promise<void> {
  const flags = benchArgs(args, SEGMENTS_FLAGS);
  const customers = countFlag(flags.customers, 'customers', 1_000_000);
  const only = choiceFlag(flags.only, 'only', ['sqlite', 'postgres']);
  const keep = flags.keep;
  const cases = flags.cases?.split(',') ?? ALL_CASES;
  const unknown = cases.filter((c) => !ALL_CASES.includes(c));
  if (unknown.length) throw new BenchUsageError(`--cases: unknown ${unknown.join(', ')} (of ${ALL_CASES.join(',')})`);
  const rfmWrite = choiceFlag(flags['rfm-write'], 'rfm-write', ['upsert', 'staged', 'replace']);
  const buildOnly = flags['build-only'] === true;
  if (only !== 'postgres') {
    const dir = keep ?? mkdtempSync(join(tmpdir(), 'huike-bench-seg-'));
    if (keep) mkdirSync(keep, { recursive: true });
    const file = join(dir, keep ? `segments-${customers}.db` : 'seg.db');
    process.stdout.write(
      `SQLite — ${customers.toLocaleString('en-US')} customers, ~${(customers * 3).toLocaleString('en-US')} orders` +
        `${keep && existsSync(file) ? ` (kept: ${file})` : ''}\n`,
    );
    const lite = openDatabase(`sqlite:${file}`);
    try {
      await run(lite, customers, buildOnly, cases, rfmWrite);
    } finally {
      await lite.close();
      if (!keep) rmSync(dir, { recursive: true, force: true });
    }
  }
  if (only === 'sqlite') return;
  const pgUrl = process.env.HUIKE_BENCH_PG_URL ?? process.env.HUIKE_TEST_PG_URL;
  if (!pgUrl) {
    process.stdout.write('PostgreSQL: skipped (set HUIKE_BENCH_PG_URL)\n');
    return;
  }
  const target = keep ? await keptPostgres(pgUrl, flags['pg-db'] ?? `huike_bench_segments_${customers}`) : undefined;
  const scratch = target ? undefined : await createScratchDatabase(pgUrl, 'huike_bench');
  const pgDb = openDatabase(target ?? scratch!.url);
  process.stdout.write(`PostgreSQL — ${customers.toLocaleString('en-US')} customers\n`);
  try {
    await run(pgDb, customers, buildOnly, cases, rfmWrite);
  } finally {
    await pgDb.close();
    await scratch?.drop();
  }
}

/** The URL of a PostgreSQL database kept between runs (created when missing). */
async function keptPostgres(adminUrl: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const found = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
