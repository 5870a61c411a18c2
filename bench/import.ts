import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Transform } from 'node:stream';
import iconv from 'iconv-lite';
import pg from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createScratchDatabase } from '../src/db/scratch.js';
import { writeTaobaoExport } from '../src/modules/demo/taobao-export.js';
import { type Bench, benchArgs, choiceFlag, countFlag } from './args.js';

/**
 * `npm run bench -- import [--rows N]`: a Taobao-format GBK export of N rows (default 1M) imported
 * into a fresh SQLite file and a fresh PostgreSQL database, against the raw baseline measured in
 * the same run on the same file: reading, decoding and parsing it, then plain prepared INSERTs of
 * the parsed rows into one table in one transaction (SQLite) or COPY (PostgreSQL).
 */
const MEASURE = fileURLToPath(new URL('./measure.js', import.meta.url));

interface Result {
  task: string;
  ms: number;
  rows: number;
  maxRssMb: number;
}

function measure(task: string, file: string, url: string): Result {
  const r = spawnSync(process.execPath, [MEASURE, task, file, url], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${task} failed:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const IMPORT_FLAGS = {
  rows: {
    type: 'string',
    arg: 'N',
    help: 'rows of the generated export (default 1,000,000; kept in $TMPDIR/huike-bench)',
  },
  order: {
    type: 'string',
    arg: 'newest|buyer',
    help:
      "the export's row order: newest first, as a seller's 订单报表 (default), or buyer by buyer " +
      "(each buyer's orders together, the order of the figures measured before 2026-11-30)",
  },
} as const;

export const importBench: Bench = {
  summary:
    'A Taobao-format GBK export imported into a fresh SQLite file and a fresh PostgreSQL database, against the raw ' +
    'baseline (read, decode, parse, plain INSERTs or COPY) in the same run.',
  flags: IMPORT_FLAGS,
  env: { HUIKE_BENCH_PG_URL: 'PostgreSQL server (or HUIKE_TEST_PG_URL, or a postgres DATABASE_URL)' },
  run: benchImport,
};

async function benchImport(args: string[]): Promise<void> {
  const flags = benchArgs(args, IMPORT_FLAGS);
  const rows = countFlag(flags.rows, 'rows', 1_000_000);
  const order = choiceFlag(flags.order, 'order', ['newest', 'buyer'] as const) ?? 'newest';
  const dataDir = join(tmpdir(), 'huike-bench');
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, order === 'buyer' ? `taobao-${rows}.csv` : `taobao-${rows}-newest.csv`);
  if (!existsSync(file)) {
    process.stdout.write(
      `generating a ${fmt(rows)}-row Taobao GBK export (${order === 'buyer' ? 'buyer by buyer' : 'newest first'})…\n`,
    );
    await writeTaobaoExport(file, rows, { newestFirst: order === 'newest' });
  }
  process.stdout.write(`file: ${file} (${(statSync(file).size / 1024 ** 2).toFixed(0)} MB)\n\n`);

  const exportBytes = statSync(file).size;
  const report = (label: string, base: Result, ours: Result, dbBytes: number, extra: string[] = []) => {
    const baseRate = (base.rows / base.ms) * 1000;
    const ourRate = (ours.rows / ours.ms) * 1000;
    process.stdout.write(
      [
        `${label}`,
        `  baseline  ${fmt(baseRate).padStart(9)} rows/s  ` +
          `(${(base.ms / 1000).toFixed(1)} s, peak RSS ${base.maxRssMb} MB)`,
        ...extra,
        `  huike     ${fmt(ourRate).padStart(9)} rows/s  ` +
          `(${(ours.ms / 1000).toFixed(1)} s, peak RSS ${ours.maxRssMb} MB)`,
        `  ratio     ${(ourRate / baseRate).toFixed(2)} of baseline (target ` +
          `≥ 0.50); peak RSS ${ours.maxRssMb < 500 ? 'under' : 'OVER'} 500 MB`,
        `  database  ${(dbBytes / 1024 ** 2).toFixed(0)} MB, ${(dbBytes / exportBytes).toFixed(1)}× the export ` +
          `(target ≤ 2×)`,
        '',
      ].join('\n') + '\n',
    );
  };

  const dir = mkdtempSync(join(tmpdir(), 'huike-bench-db-'));
  try {
    const base = measure('baseline-sqlite', file, `sqlite:${join(dir, 'baseline.db')}`);
    const cli = await sqliteCliImport(file, dir, base.rows);
    const ours = measure('huike', file, `sqlite:${join(dir, 'huike.db')}`);
    const dbBytes = ['huike.db', 'huike.db-wal'].reduce((n, f) => n + sizeOf(join(dir, f)), 0);
    report(`SQLite — ${fmt(rows)} rows`, base, ours, dbBytes, cli);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const pgUrl =
    process.env.HUIKE_BENCH_PG_URL ??
    process.env.HUIKE_TEST_PG_URL ??
    (process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined);
  if (!pgUrl) {
    process.stdout.write(
      'PostgreSQL: skipped (set HUIKE_BENCH_PG_URL to a server where the bench may create databases)\n',
    );
    return;
  }
  const a = await createScratchDatabase(pgUrl, 'huike_bench');
  const b = await createScratchDatabase(pgUrl, 'huike_bench');
  try {
    const base = measure('baseline-postgres', file, a.url);
    const ours = measure('huike', file, b.url);
    const client = new pg.Client({ connectionString: b.url });
    await client.connect();
    const size = await client.query<{ n: string }>('SELECT pg_database_size(current_database()) AS n');
    await client.end();
    report(`PostgreSQL — ${fmt(rows)} rows`, base, ours, Number(size.rows[0]!.n));
  } finally {
    await a.drop();
    await b.drop();
  }
}

const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/**
 * A second SQLite baseline where the `sqlite3` command is installed: its `.import` of the same file
 * converted to UTF-8 (the conversion not timed), into a table of text columns named by the header.
 */
async function sqliteCliImport(file: string, dir: string, rows: number): Promise<string[]> {
  if (spawnSync('sqlite3', ['-version'], { encoding: 'utf8' }).status !== 0)
    return ['  sqlite3 .import: skipped (no sqlite3)'];
  const utf8 = join(dir, 'export-utf8.csv');
  await pipeline(
    createReadStream(file),
    iconv.decodeStream('gbk') as unknown as Transform,
    iconv.encodeStream('utf8') as unknown as Transform,
    createWriteStream(utf8),
  );
  const t0 = performance.now();
  const r = spawnSync('sqlite3', [join(dir, 'cli.db'), '.mode csv', `.import '${utf8}' raw_rows`], {
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  rmSync(utf8, { force: true });
  rmSync(join(dir, 'cli.db'), { force: true });
  if (r.status !== 0) return [`  sqlite3 .import: failed (${r.stderr.trim().slice(0, 200)})`];
  return [
    `  sqlite3   ${fmt((rows / ms) * 1000).padStart(9)} rows/s  (${(ms / 1000).toFixed(1)} s, .import of a UTF-8 copy)`,
  ];
}
