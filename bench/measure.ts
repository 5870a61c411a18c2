/**
 * One measured task, run in its own process so that its time and peak memory are its own:
 *   node dist/bench/measure.js <task> <file> <databaseUrl>
 * tasks: baseline-sqlite (prepared INSERTs of the parsed rows into one table, one transaction),
 *        baseline-postgres (COPY of the parsed rows into one table), huike (the real import).
 * Prints one JSON line: { task, ms, rows, maxRssMb }.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openDatabase, sqlitePath } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { readRows } from '../src/modules/imports/readers.js';
import { importFile } from '../src/modules/imports/service.js';
import { ensureStore } from '../src/modules/stores/service.js';
import { createWorkspace } from '../src/modules/workspaces/service.js';
import { tuneHeap } from '../src/cli/heap.js';

const [task, file, url] = process.argv.slice(2) as [string, string, string];

async function baselineSqlite(): Promise<number> {
  const db = new SqliteDatabase(sqlitePath(url));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const { rows } = await readRows(file);
  const header: unknown[] = (await rows.next()).value!.cells;
  db.exec(`CREATE TABLE raw_rows (${header.map((_, i) => `c${i} TEXT`).join(', ')})`);
  const insert = db.prepare(`INSERT INTO raw_rows VALUES (${header.map(() => '?').join(', ')})`);
  let n = 0;
  db.exec('BEGIN');
  for await (const r of rows) {
    insert.run(header.map((_, i) => (r.cells[i] as string | undefined) ?? null));
    n += 1;
  }
  db.exec('COMMIT');
  db.close();
  return n;
}

const copyText = (v: unknown) =>
  v === undefined || v === null || v === ''
    ? '\\N'
    : String(v).replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);

async function baselinePostgres(): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await readRows(file);
  const header: unknown[] = (await rows.next()).value!.cells;
  await client.query(`CREATE TABLE raw_rows (${header.map((_, i) => `c${i} TEXT`).join(', ')})`);
  let n = 0;
  async function* lines() {
    let buf: string[] = [];
    for await (const r of rows) {
      buf.push(header.map((_, i) => copyText(r.cells[i])).join('\t'));
      n += 1;
      if (buf.length >= 2000) {
        yield buf.join('\n') + '\n';
        buf = [];
      }
    }
    if (buf.length) yield buf.join('\n') + '\n';
  }
  await client.query('BEGIN');
  await pipeline(Readable.from(lines()), client.query(copyFrom('COPY raw_rows FROM STDIN')));
  await client.query('COMMIT');
  await client.end();
  return n;
}

async function huike(): Promise<number> {
  tuneHeap(); // as `huike import` does
  const db = openDatabase(url);
  await migrateToLatest(db);
  const ctx = { db, now: () => new Date() };
  const ws = await createWorkspace(ctx, 'bench');
  const store = await ensureStore(ctx, ws.id, '旗舰店', 'tmall');
  const run = await importFile(ctx, { workspaceId: ws.id, store, format: 'taobao', filePath: file });
  await db.close();
  if (run.rows_rejected > 0) throw new Error(`${run.rows_rejected} rows rejected`);
  return run.rows_read;
}

const tasks: Record<string, () => Promise<number>> = {
  'baseline-sqlite': baselineSqlite,
  'baseline-postgres': baselinePostgres,
  huike,
};
const t0 = performance.now();
const rows = await tasks[task]!();
const ms = performance.now() - t0;
process.stdout.write(
  JSON.stringify({ task, ms: Math.round(ms), rows, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) +
    '\n',
);
