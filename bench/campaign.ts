import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Insertable, type LogEvent, sql } from 'kysely';
import { newId } from '../src/core/ids.js';
import { Random } from '../src/core/random.js';
import { bulkInsert } from '../src/db/bulk.js';
import { openDatabase, sqlitePath, type Db } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import type { Database } from '../src/db/types.js';
import { createCampaign, launchCampaign } from '../src/modules/campaigns/service.js';
import { drawCampaign } from '../src/modules/campaigns/draw.js';
import { type PlanStats, planCampaign } from '../src/modules/campaigns/plan.js';
import type { AppContext } from '../src/modules/context.js';
import { createChannel, setMessagingSettings } from '../src/modules/messaging/service.js';
import { saveSegment } from '../src/modules/segments/service.js';
import { ensureStore } from '../src/modules/stores/service.js';
import { createWorkspace } from '../src/modules/workspaces/service.js';
import { type Bench, BenchUsageError, benchArgs, countFlag } from './args.js';

/**
 * `npm run bench -- campaign [--customers N]`: an audience of N customers (default 1M) through
 * every send rule into queued messages (the plan: facts in chunks, the pure decision in JS, bulk
 * inserts), against a hand-written INSERT … SELECT of the same treated audience into messages, in
 * the same run. Prints recipients per second and the ratio. `--keep` leaves the databases for EXPLAIN.
 */
const AS_OF = new Date('2026-11-23T02:00:00.000Z'); // 10:00 in Shanghai, inside a send window

async function generate(ctx: AppContext, ws: string, n: number): Promise<void> {
  const rnd = new Random(7);
  const store = await ensureStore(ctx, ws, '基准店', 'tmall');
  const now = AS_OF.toISOString();
  for (let start = 0; start < n; start += 20_000) {
    const rows: Insertable<Database['customers']>[] = [];
    for (let i = start; i < Math.min(n, start + 20_000); i++) {
      const masked = rnd.chance(0.05);
      rows.push({
        workspace_id: ws,
        id: newId(),
        display_name: `buyer${i}`,
        real_name: null,
        // A few share a phone (one person, two customers: dedupe), a few are masked.
        phone: masked ? '138****1234' : `139${String(rnd.chance(0.02) ? i - 1 : i).padStart(8, '0')}`,
        email: null,
        province: null,
        city: null,
        gender: null,
        birthday: null,
        marketing_consent: rnd.chance(0.85) ? 'granted' : rnd.pick(['unknown', 'denied']),
        consent_source: null,
        consent_at: null,
        first_store_id: store.id,
        created_at: now,
        updated_at: now,
        is_blacklisted: rnd.chance(0.01) ? 1 : 0,
        is_bad_reviewer: rnd.chance(0.01) ? 1 : 0,
        opt_out_sms: rnd.chance(0.02) ? 1 : 0,
      });
    }
    await ctx.db.kysely.transaction().execute((trx) => bulkInsert(trx, ctx.db.dialect, 'customers', rows));
  }
  await sql`ANALYZE`.execute(ctx.db.kysely);
}

async function run(db: Db, customers: number): Promise<void> {
  await migrateToLatest(db);
  const ctx: AppContext = { db, now: () => AS_OF };
  const ws = (await createWorkspace(ctx, 'bench')).id;
  let t = performance.now();
  await generate(ctx, ws, customers);
  process.stdout.write(`  generated ${customers.toLocaleString('en-US')} customers in ${secs(t)} s\n`);
  await setMessagingSettings(ctx, ws, { smsSignature: '回客旗舰店' });
  const channel = await createChannel(ctx, ws, { name: '发件箱', kind: 'outbox' });
  const seg = await saveSegment(ctx, ws, { name: 'all', rule: { field: 'name', op: 'starts_with', value: 'buyer' } });
  const c = await createCampaign(
    ctx,
    ws,
    {
      name: 'bench',
      segmentId: seg.id,
      channelId: channel.id,
      holdoutPct: 10,
      seed: 'bench',
      variants: [
        { key: 'A', content: { text: '#客户昵称#，会员日全场 8 折' } },
        { key: 'B', content: { text: '#客户昵称#，会员日满 200 减 30' } },
      ],
    },
    null,
  );
  t = performance.now();
  await launchCampaign(ctx, ws, c.id);
  process.stdout.write(`  launch request (checks, status, jobs queued): ${secs(t)} s\n`);
  t = performance.now();
  await drawCampaign(ctx, ws, c.id);
  process.stdout.write(`  draw, in the worker (snapshot, control and A/B draw): ${secs(t)} s\n`);
  const treated = Number(
    (
      await db.kysely
        .selectFrom('campaign_recipients')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', ws)
        .where('campaign_id', '=', c.id)
        .where('grp', '!=', 'control')
        .executeTakeFirstOrThrow()
    ).n,
  );
  t = performance.now();
  let cpu = process.cpuUsage();
  const stop = await profile(`plan-${db.dialect}`);
  queryLog = queryLogOn ? new Map() : null;
  const stats: PlanStats = { waitMs: 0, writeMs: 0, readMs: 0, decideMs: 0, chunkWriteMs: [] };
  const wal = walWatch(db);
  await planCampaign(ctx, ws, c.id, { stats, checkpointBytes, asyncCommit: !syncCommit });
  const walBytes = wal.stop();
  const log = queryLog;
  queryLog = null;
  await stop();
  const oursMs = performance.now() - t;
  const oursCpu = cpuSecs(cpu);
  // The hand-written baseline: the same treated audience into queued messages in one statement,
  // with nothing decided (no rules, no template, no history).
  const at = AS_OF.toISOString();
  const ts = db.dialect === 'postgres' ? sql.raw('::timestamptz') : sql.raw('');
  t = performance.now();
  cpu = process.cpuUsage();
  await sql`INSERT INTO messages (workspace_id, id, source_type, source_id, step, customer_id, channel_id, kind,
      medium, variant, status, contact, contact_key, body, parts, cost_fen, send_at, created_at, updated_at)
    SELECT cr.workspace_id, 'b' || cr.customer_id, 'baseline', cr.campaign_id, 'send', cr.customer_id, ${channel.id},
      'marketing', 'sms', cr.grp, 'queued', c.phone, 'sms:' || c.phone, c.display_name || '，会员日全场 8 折',
      1, 0, ${at}${ts}, ${at}${ts}, ${at}${ts}
    FROM campaign_recipients cr JOIN customers c ON c.workspace_id = cr.workspace_id AND c.id = cr.customer_id
    WHERE cr.workspace_id = ${ws} AND cr.campaign_id = ${c.id} AND cr.grp <> 'control'`.execute(db.kysely);
  const handMs = performance.now() - t;
  const handCpu = cpuSecs(cpu);
  const counts = await db.kysely
    .selectFrom('messages')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .where('source_type', '=', 'campaign')
    .groupBy('status')
    .execute();
  const ours = treated / (oursMs / 1000);
  const hand = treated / (handMs / 1000);
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const decided = counts.map((x) => `${x.status} ${n(Number(x.n))}`).join(', ');
  process.stdout.write(
    `  ${n(treated)} treated recipients decided (${decided})\n` +
      `  huike plan   ${(oursMs / 1000).toFixed(2).padStart(7)} s  ${n(ours).padStart(9)} recipients/s ` +
      `(target ≥ 50,000: ${ours >= 50_000 ? 'met' : 'NOT met'})  CPU of this process ${oursCpu.toFixed(2)} s\n` +
      `  INSERT…SELECT ${(handMs / 1000).toFixed(2).padStart(6)} s  ${n(hand).padStart(9)} recipients/s` +
      `${' '.repeat(24)}CPU of this process ${handCpu.toFixed(2)} s\n` +
      `  ratio (huike time ÷ hand-written time): ${(oursMs / handMs).toFixed(2)}\n`,
  );
  if (stats.baseMs !== undefined) {
    const s = (ms: number) => (ms / 1000).toFixed(2);
    process.stdout.write(
      `  reading ${s(stats.readMs)} s = the chunk statement (recipients, customer, stats, store, tier) ` +
        `${s(stats.baseMs)} s + the rest of the facts (contact history, mapping) ${s(stats.factsMs ?? 0)} s; ` +
        `deciding ${s(stats.decideMs)} s` +
        (stats.flattenMs !== undefined ? ` (of it laying the rows out flat ${s(stats.flattenMs)} s)` : '') +
        (stats.writtenWaitMs !== undefined
          ? `; waiting for the chunk before to commit ${s(stats.writtenWaitMs)} s`
          : '') +
        '\n',
    );
  }
  if (stats.writeMs > 0) {
    const s = (ms: number) => (ms / 1000).toFixed(2);
    process.stdout.write(
      `  two threads: writing ${s(stats.writeMs)} s, waiting for the reading thread ${s(stats.waitMs)} s; ` +
        `on the reading thread: reading ${s(stats.readMs)} s, deciding ${s(stats.decideMs)} s\n`,
    );
    if (stats.checkpoints)
      process.stdout.write(
        `  WAL checkpoints between chunks: ${stats.checkpoints}, ` +
          `${s(stats.checkpointMs ?? 0)} s (part of the writing)\n`,
      );
    const w = stats.chunkWriteMs ?? [];
    const tenth = Math.max(1, Math.floor(w.length / 10));
    const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    process.stdout.write(
      `  writing per chunk: first tenth ${avg(w.slice(0, tenth)).toFixed(0)} ms, ` +
        `last tenth ${avg(w.slice(-tenth)).toFixed(0)} ms, median ` +
        `${([...w].sort((a, b) => a - b)[w.length >> 1] ?? 0).toFixed(0)} ms, the longest ` +
        `${[...w]
          .sort((a, b) => b - a)
          .slice(0, 5)
          .map((x) => x.toFixed(0))
          .join(', ')} ms\n`,
    );
  }
  if (walBytes) {
    process.stdout.write(
      `  WAL during the plan: at most ${walBytes.maxFrames.toLocaleString('en-US')} frames, ` +
        `reset to its start ${walBytes.resets} times, ` +
        `${walBytes.checkpoints} checkpoints seen, file ${(walBytes.fileBytes / 2 ** 20).toFixed(0)} MB at the end\n`,
    );
  }
  if (log) {
    process.stdout.write("  the plan's statements by time spent in the driver (they overlap on PostgreSQL):\n");
    for (const [q, x] of [...log].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10))
      process.stdout.write(`  ${(x.ms / 1000).toFixed(2).padStart(7)} s ${String(x.n).padStart(6)} × ${q}\n`);
  }
}

/**
 * With --cpu-prof-dir DIR: a V8 CPU profile of the plan step alone (DIR/plan-<dialect>.cpuprofile, for
 * Chrome DevTools or scripts/profile-top.mjs), where `node --cpu-prof` would profile the generation too.
 */
let profileDir: string | null = null;
/** With --wal-checkpoint-mb N: the WAL size past which the SQLite plan checkpoints between chunks (0: never). */
let checkpointBytes: number | undefined;
/** With --sync-commit: PostgreSQL commits each chunk of the plan waiting for the disk (as before this round). */
let syncCommit = false;
/** With --query-log: time per statement (its first words) during the plan. */
let queryLogOn = false;
let queryLog: Map<string, { n: number; ms: number }> | null = null;
function logQuery(e: LogEvent): void {
  if (!queryLog) return;
  const key = e.query.sql.replace(/\s+/g, ' ').slice(0, 90);
  const x = queryLog.get(key) ?? { n: 0, ms: 0 };
  x.n += 1;
  x.ms += e.queryDurationMillis;
  queryLog.set(key, x);
}
async function profile(name: string): Promise<() => Promise<void>> {
  if (!profileDir) return async () => undefined;
  const dir = profileDir;
  const session = new Session();
  session.connect();
  const post = (method: string) =>
    new Promise<unknown>((ok, fail) => session.post(method, (err, res) => (err ? fail(err) : ok(res))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => {
    const res = (await post('Profiler.stop')) as { profile: unknown };
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(res.profile));
    session.disconnect();
  };
}

/**
 * SQLite: the WAL during the plan, sampled every 50 ms from the wal-index (the -shm file's header: mxFrame, the
 * frames in the WAL, at byte 16; nBackfill, those copied into the database, at byte 96): the most frames it held,
 * how many times it was reset to its start, and its file size at the end (null on PostgreSQL).
 */
function walWatch(db: Db): {
  stop(): { maxFrames: number; resets: number; checkpoints: number; fileBytes: number } | null;
} {
  if (db.dialect !== 'sqlite') return { stop: () => null };
  const path = sqlitePath(db.url);
  const buf = Buffer.alloc(100);
  let fd: number | null = null;
  let maxFrames = 0;
  let resets = 0;
  let checkpoints = 0;
  let last = 0;
  let lastBackfill = 0;
  const sample = () => {
    if (fd === null && existsSync(`${path}-shm`)) fd = openSync(`${path}-shm`, 'r');
    if (fd === null || readSync(fd, buf, 0, 100, 0) < 100) return;
    const frames = buf.readUInt32LE(16);
    if (frames < last) resets += 1;
    const backfill = buf.readUInt32LE(96);
    if (backfill > lastBackfill) checkpoints += 1;
    lastBackfill = backfill;
    last = frames;
    maxFrames = Math.max(maxFrames, frames);
  };
  sample();
  const timer = setInterval(sample, 50);
  return {
    stop() {
      clearInterval(timer);
      sample();
      if (fd !== null) closeSync(fd);
      const file = `${path}-wal`;
      return { maxFrames, resets, checkpoints, fileBytes: existsSync(file) ? statSync(file).size : 0 };
    },
  };
}

const secs = (t: number) => ((performance.now() - t) / 1000).toFixed(1);
/** User + system CPU seconds of this process since `from` (on SQLite all the work; less sensitive to a busy
 * machine). */
const cpuSecs = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};

const CAMPAIGN_FLAGS = {
  customers: { type: 'string', arg: 'N', help: 'customers in the audience (default 1,000,000)' },
  sqlite: { type: 'boolean', help: 'SQLite only' },
  postgres: { type: 'boolean', help: 'PostgreSQL only' },
  keep: { type: 'boolean', help: 'leave the databases (their path or name printed), for EXPLAIN at this size' },
  'cpu-prof-dir': { type: 'string', arg: 'DIR', help: 'a V8 CPU profile of the plan step alone in DIR' },
  'query-log': { type: 'boolean', help: 'time per statement during the plan' },
  'sync-commit': { type: 'boolean', help: 'PostgreSQL commits each chunk of the plan waiting for the disk' },
  'wal-checkpoint-mb': {
    type: 'string',
    arg: 'N',
    help: 'the WAL size past which the SQLite plan checkpoints between chunks (0: never)',
  },
} as const;

export const campaign: Bench = {
  summary:
    'An audience through every send rule into queued messages (the plan), against a hand-written INSERT … SELECT ' +
    'of the same audience in the same run: recipients per second and the ratio.',
  flags: CAMPAIGN_FLAGS,
  env: { HUIKE_BENCH_PG_URL: 'PostgreSQL server (or HUIKE_TEST_PG_URL); PostgreSQL is skipped without one' },
  run: benchCampaign,
};

async function benchCampaign(args: string[]): Promise<void> {
  const flags = benchArgs(args, CAMPAIGN_FLAGS);
  const customers = countFlag(flags.customers, 'customers', 1_000_000);
  if (flags.sqlite && flags.postgres) throw new BenchUsageError('--sqlite and --postgres: give one (or neither)');
  const mb = flags['wal-checkpoint-mb'];
  if (mb !== undefined && !(Number(mb) >= 0))
    throw new BenchUsageError(`--wal-checkpoint-mb takes a number ≥ 0, not "${mb}"`);
  profileDir = flags['cpu-prof-dir'] ?? null;
  queryLogOn = flags['query-log'] === true;
  syncCommit = flags['sync-commit'] === true;
  if (mb !== undefined) checkpointBytes = Number(mb) * 2 ** 20;
  const only = flags.sqlite ? 'sqlite' : flags.postgres ? 'postgres' : null;
  // --keep: the databases stay (their path or name printed), for EXPLAIN of the queries on messages at this size.
  const keep = flags.keep === true;
  if (only !== 'postgres') {
    const dir = mkdtempSync(join(tmpdir(), 'huike-bench-campaign-'));
    process.stdout.write(`SQLite — ${customers.toLocaleString('en-US')} customers\n`);
    const lite = openDatabase(`sqlite:${join(dir, 'campaign.db')}`, { log: logQuery });
    try {
      await run(lite, customers);
    } finally {
      await lite.close();
      if (keep) process.stdout.write(`  kept ${join(dir, 'campaign.db')}\n`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }
  if (only === 'sqlite') return;
  const pgUrl = process.env.HUIKE_BENCH_PG_URL ?? process.env.HUIKE_TEST_PG_URL;
  if (!pgUrl) {
    process.stdout.write('PostgreSQL: skipped (set HUIKE_BENCH_PG_URL)\n');
    return;
  }
  const scratch = await createScratchDatabase(pgUrl, 'huike_bench');
  const pg = openDatabase(scratch.url, { log: logQuery });
  process.stdout.write(`PostgreSQL — ${customers.toLocaleString('en-US')} customers\n`);
  try {
    await run(pg, customers);
  } finally {
    await pg.close();
    if (keep) process.stdout.write(`  kept ${scratch.url}\n`);
    else await scratch.drop();
  }
}
