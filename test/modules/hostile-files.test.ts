import { closeSync, openSync, readdirSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { enqueue } from '../../src/jobs/queue.js';
import { createWorker } from '../../src/jobs/worker.js';
import { JOB } from '../../src/jobs/kinds.js';
import { getRun, importFile, newRun } from '../../src/modules/imports/service.js';
import { readRows } from '../../src/modules/imports/readers.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { exited, spawnTs, waitFor } from '../support/processes.js';
import { writeXlsxBomb, writeXlsxManyStrings, writeXlsxSheet, writeXlsxWithPart } from '../support/zip.js';

const dir = scratchDir('huike-hostile-');
const BOMB = join(dir, 'bomb.xlsx');
const LYING_BOMB = join(dir, 'lying-bomb.xlsx');
const GIANT_CELL = join(dir, 'giant-cell.csv');

/** Runs fn with some HUIKE_IMPORT_* limits changed. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function readAll(path: string) {
  const { rows } = await readRows(path);
  let n = 0;
  for await (const _ of rows) n += 1;
  return n;
}

beforeAll(() => {
  // 4 MB on disk, 4,000 MiB unpacked: one shared string of four thousand million letters.
  writeXlsxBomb(BOMB, 4000);
  // The same, with headers that declare 10 KB.
  writeXlsxBomb(LYING_BOMB, 600, true);
  // A CSV whose second line opens a quote that never closes: 700 MB of one cell. The first 64 KB
  // are letters (what the format sniffing reads); the rest is a hole in a sparse file, no disk used.
  const fd = openSync(GIANT_CELL, 'w');
  writeSync(fd, `订单编号,买家会员名,买家实际支付金额\n1,"${'A'.repeat(128 * 1024)}`);
  ftruncateSync(fd, 700 * 1024 * 1024);
  closeSync(fd);
});

it('the zip bomb is refused before it is unpacked, naming the limit', async () => {
  await expect(readAll(BOMB)).rejects.toThrow(/unpacks to more than 2048 MB.*built to exhaust the server/);
});

it('a zip whose headers lie about the unpacked size is refused when the data outgrows them', async () => {
  await expect(readAll(LYING_BOMB)).rejects.toThrow(/is not what it declares/);
});

it('a part named outside the zip (../) is refused as a damaged file, not a server error', async () => {
  const file = join(dir, 'slip.xlsx');
  writeXlsxWithPart(file, '../../../../tmp/zip-slip.txt', 'x');
  await expect(readAll(file)).rejects.toMatchObject({
    code: 'invalid',
    reason: { key: 'import.xlsxDamaged' },
    message: expect.stringMatching(/damaged \(invalid relative path/),
  });
});

it('a sheet whose cells carry no position is refused saying how to save it again (the reader crashed)', async () => {
  // The standard lets a writer leave out r="A1" on rows and cells; the sheet reader cannot place such a cell.
  const sheet = (withRefs: boolean) =>
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
    [
      ['订单编号', '买家会员名'],
      ['1001', '张三'],
    ]
      .map(
        (cells, i) =>
          `<row${withRefs ? ` r="${i + 1}"` : ''}>` +
          cells
            .map((v, j) => `<c${withRefs ? ` r="${'AB'[j]}${i + 1}"` : ''} t="inlineStr"><is><t>${v}</t></is></c>`)
            .join('') +
          '</row>',
      )
      .join('') +
    '</sheetData></worksheet>';
  const bare = join(dir, 'no-refs.xlsx');
  writeXlsxSheet(bare, sheet(false));
  await expect(readAll(bare)).rejects.toMatchObject({
    code: 'invalid',
    reason: { key: 'import.xlsxNoCellRefs' },
    message: expect.stringMatching(/carry no position.*save it again/),
  });
  const placed = join(dir, 'refs.xlsx');
  writeXlsxSheet(placed, sheet(true));
  await expect(readAll(placed)).resolves.toBe(2);
});

it('too many shared strings are refused', async () => {
  const file = join(dir, 'strings.xlsx');
  writeXlsxManyStrings(file, 2_000);
  await withEnv({ HUIKE_IMPORT_MAX_SHARED_STRINGS: '1000' }, async () => {
    await expect(readAll(file)).rejects.toThrow(/more than 1000 shared strings/);
  });
  await expect(readAll(file)).resolves.toBe(1);
});

it('a CSV with a 700 MB cell fails with the row-size limit, not a crash', async () => {
  await expect(readAll(GIANT_CELL)).rejects.toThrow(/line 2\) is longer than 1 MB/);
});

it('an unclosed quote is reported at the line where its row starts, not where the limit was reached', async () => {
  const file = join(dir, 'unclosed.csv');
  const rest = Array.from({ length: 400 }, (_, i) => `${1000 + i},买家${i},${'x'.repeat(40)}`).join('\r\n');
  writeFileSync(file, `订单编号,买家会员名,备注\r\n1,a,ok\r\n2,b,ok\r\n3,c,"没有结束的引号\r\n${rest}\r\n`);
  await withEnv({ HUIKE_IMPORT_MAX_ROW_KB: '4' }, async () => {
    await expect(readAll(file)).rejects.toThrow(/\(from line 4\) is longer than/);
  });
});

it('a file that needs more memory than the read thread may use fails the read, and this process goes on', async () => {
  // Limits lifted so that only the memory cap stands: the parser builds one 120 MB text node.
  const file = join(dir, 'memory.xlsx');
  writeXlsxBomb(file, 120);
  await withEnv({ HUIKE_IMPORT_MAX_SHARED_STRINGS_MB: '100000', HUIKE_IMPORT_MEMORY_MB: '64' }, async () => {
    await expect(readAll(file)).rejects.toThrow(/needed more than the 64 MB an import may use/);
  });
  expect(process.memoryUsage().heapUsed).toBeLessThan(1024 ** 3);
});

describeBothDatabases('hostile import files', (env) => {
  it('the zip bomb and the giant cell each fail their import run with the reason; nothing half-written', async () => {
    const { ctx, db, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '炸弹店', 'taobao');
    for (const [file, reason] of [
      [BOMB, /unpacks to more than/],
      [GIANT_CELL, /is longer than 1 MB/],
    ] as const) {
      await expect(importFile(ctx, { workspaceId, store, format: 'taobao', filePath: file })).rejects.toThrow(reason);
      const runs = await db.kysely
        .selectFrom('import_runs')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .execute();
      const run = runs.find((r) => r.file_path === file)!;
      expect(run.status).toBe('failed');
      expect(run.message).toMatch(reason);
    }
    const orders = await db.kysely.selectFrom('orders').select('id').where('workspace_id', '=', workspaceId).execute();
    expect(orders).toHaveLength(0);
  });

  it('an uploaded zip bomb fails its run once: the import job is not retried', async () => {
    const { ctx, db, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '炸弹店', 'taobao');
    const file = join(dir, 'uploaded-bomb.xlsx');
    writeXlsxBomb(file, 4000);
    const run = newRun(ctx, { workspaceId, store, format: 'taobao', filePath: file }, 'queued');
    await db.kysely.insertInto('import_runs').values(run).execute();
    const jobId = await enqueue(
      db.kysely,
      { workspaceId, kind: JOB.import, payload: { runId: run.id }, maxAttempts: 3, dedupeKey: run.id },
      ctx.now().toISOString(),
    );
    await createWorker(ctx, { handlers: jobHandlers }).drain();
    const after = await getRun(ctx, workspaceId, run.id);
    expect([after.status, after.message]).toEqual(['failed', expect.stringMatching(/unpacks to more than/)]);
    const job = await db.kysely.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    expect([job.status, job.attempts]).toEqual(['done', 1]);
    expect(readdirSync(dir)).not.toContain('uploaded-bomb.xlsx');
  });

  it('an import job whose worker died on every attempt is failed with its run, never taken again', async () => {
    const { ctx, db, workspaceId } = env();
    const store = await ensureStore(ctx, workspaceId, '炸弹店', 'taobao');
    const run = newRun(ctx, { workspaceId, store, format: 'taobao', filePath: join(dir, 'gone.csv') }, 'running');
    await db.kysely.insertInto('import_runs').values(run).execute();
    const jobId = await enqueue(db.kysely, {
      workspaceId,
      kind: JOB.import,
      payload: { runId: run.id },
      maxAttempts: 3,
    });
    // As the third worker to take it left it when it died: running, every attempt used, lease run out.
    await db.kysely
      .updateTable('jobs')
      .set({ status: 'running', attempts: 3, locked_by: 'dead', locked_until: '2026-11-23T03:00:00.000Z' })
      .where('id', '=', jobId)
      .execute();
    let ran = 0;
    const worker = createWorker(ctx, {
      handlers: {
        ...jobHandlers,
        [JOB.import]: { ...(jobHandlers[JOB.import] as object), run: async () => void ran++ },
      },
    });
    expect(await worker.drain()).toBe(0);
    expect(ran).toBe(0);
    const job = await db.kysely.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
    expect([job.status, job.attempts]).toEqual(['failed', 3]);
    expect(job.last_error).toMatch(/stopped \(crashed or was killed\) on each of its attempts/);
    const failed = await getRun(ctx, workspaceId, run.id);
    expect([failed.status, failed.message]).toEqual([
      'failed',
      expect.stringMatching(/stopped its worker process 3 times/),
    ]);
  });

  it('a job that kills its process on every try: ' +
    'three worker processes die, the fourth fails it and lives', async () => {
    const { db, workspaceId, url } = env();
    await sql`CREATE TABLE test_attempts (job_id text, worker text)`.execute(db.kysely);
    const jobId = await enqueue(db.kysely, { workspaceId, kind: 'test.crash', maxAttempts: 3 });
    for (let i = 1; i <= 3; i++) {
      // A restarted worker: it takes the job once the dead one's lease has run out, and dies.
      const w = spawnTs('test/support/worker-child.ts', [url, '300'], {});
      expect(await exited(w), w.output()).toBe(70);
      const n = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM test_attempts`.execute(db.kysely);
      expect(Number(n.rows[0]!.n)).toBe(i);
    }
    const survivor = spawnTs('test/support/worker-child.ts', [url, '300'], {});
    try {
      const job = await waitFor('the poison job to be failed', async () => {
        const j = await db.kysely.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow();
        return j.status === 'failed' ? j : null;
      });
      expect(job.attempts).toBe(3);
      expect(job.last_error).toMatch(/will not be retried/);
      // Still alive a few polls later, and the job was not run a fourth time.
      await new Promise((r) => setTimeout(r, 500));
      expect(survivor.exitCode).toBeNull();
      const n = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM test_attempts`.execute(db.kysely);
      expect(Number(n.rows[0]!.n)).toBe(3);
    } finally {
      survivor.kill('SIGKILL');
      await exited(survivor);
    }
  }, 60_000);
});
