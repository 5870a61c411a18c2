import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createScratchDatabase } from '../../src/db/scratch.js';
import { JOB } from '../../src/jobs/kinds.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { runDueSchedules } from '../../src/jobs/schedules.js';
import { BACKUP_SCHEDULE, ensureBackupSchedule } from '../../src/modules/backups/schedule.js';
import {
  backupDatabase,
  backupFileName,
  isEmptyDatabase,
  pruneBackups,
  restoreDatabase,
} from '../../src/modules/backups/service.js';
import type { AppContext } from '../../src/modules/context.js';
import { recomputeAllStats } from '../../src/modules/customers/stats.js';
import { countPendingStats, refreshPendingStats } from '../../src/modules/customers/stats-pending.js';
import { writeTaobaoExport } from '../../src/modules/demo/taobao-export.js';
import { importFile } from '../../src/modules/imports/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { startThread } from '../../src/jobs/threads.js';
import { PG_URL, scratchDir } from '../helpers.js';

/** Every customer's stats row without its as-of time, in id order. */
async function statsRows(db: Db, ws: string) {
  const rows = await db.kysely
    .selectFrom('customer_stats')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('customer_id')
    .execute();
  return rows.map(({ as_of: _a, ...r }) => r);
}

const count = async (db: Db, table: 'orders' | 'customers' | 'order_items') =>
  Number(
    (
      await db.kysely
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('backup and restore [sqlite]', () => {
  const dir = scratchDir('huike-backup-');
  const url = `sqlite:${join(dir, 'live.db')}`;
  const backupFile = join(dir, 'during-import.db');
  let db: Db;
  let ctx: AppContext;
  let ws = '';
  let finalOrders = 0;

  beforeAll(async () => {
    db = openDatabase(url);
    await migrateToLatest(db);
    ctx = { db, now: () => new Date('2026-11-23T04:00:00.000Z') };
    ws = (await createWorkspace(ctx, '备份测试店')).id;
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a backup taken during an import restores into a fresh file as a consistent database', async () => {
    const file = join(dir, 'export.csv');
    await writeTaobaoExport(file, 5000, { seed: 11 });
    const store = await ensureStore(ctx, ws, '天猫旗舰店', 'tmall');
    let backup = 0;
    const run = await importFile(ctx, { workspaceId: ws, store, format: 'taobao', filePath: file }, () => {
      if (backup !== 0) return;
      // After the first batch has committed, with the others still to come: `huike backup` runs on a thread of
      // its own (as it would in its own process) while the import stands still at this point.
      const signal = new SharedArrayBuffer(4);
      const thread = startThread(new URL('../support/backup-thread.ts', import.meta.url).href, 'backup-thread', {
        workerData: { url, file: backupFile, signal },
      });
      Atomics.wait(new Int32Array(signal), 0, 0, 120_000);
      backup = Atomics.load(new Int32Array(signal), 0);
      void thread.terminate();
    });
    expect(run.status).toBe('done');
    expect(backup, 'the backup thread finished (1) rather than failed (2)').toBe(1);
    finalOrders = await count(db, 'orders');

    // The copy is of a moment inside the import: the run still running, some of the orders there.
    const raw = new SqliteDatabase(backupFile, { readonly: true });
    try {
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(raw.pragma('foreign_key_check')).toEqual([]);
      const r = raw.prepare('SELECT status FROM import_runs').get() as { status: string };
      expect(r.status).toBe('running');
      const n = (raw.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n;
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(finalOrders);
    } finally {
      raw.close();
    }

    const restoredUrl = `sqlite:${join(dir, 'restored.db')}`;
    expect(await isEmptyDatabase(restoredUrl)).toBe(true);
    expect(await restoreDatabase(restoredUrl, backupFile)).toEqual({ workspaces: 1 });
    const restored = openDatabase(restoredUrl);
    try {
      const check = new SqliteDatabase(join(dir, 'restored.db'), { readonly: true });
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(check.pragma('foreign_key_check')).toEqual([]);
      check.close();
      // The copy's import had committed batches whose buyers wait for the refresh at its end (marked, not refreshed):
      // refreshing them — the worker's stats.pending job once the run shows as interrupted — gives the stats a
      // one-pass recompute gives.
      expect(await countPendingStats(restored.kysely, ws)).toBeGreaterThan(0);
      await refreshPendingStats(restored, ws, { now: () => '2026-11-23T04:00:00.000Z' });
      const before = await statsRows(restored, ws);
      expect(before.length).toBeGreaterThan(0);
      await recomputeAllStats(restored, ws, '2026-11-23T04:00:00.000Z');
      expect(await statsRows(restored, ws)).toEqual(before);
      // Every order of the copy has its customer and its lines' order.
      const orphans = await restored.kysely
        .selectFrom('orders as o')
        .leftJoin('customers as c', (j) =>
          j.onRef('c.workspace_id', '=', 'o.workspace_id').onRef('c.id', '=', 'o.customer_id'),
        )
        .select('o.id')
        .where('o.customer_id', 'is not', null)
        .where('c.id', 'is', null)
        .execute();
      expect(orphans).toEqual([]);
    } finally {
      await restored.close();
    }
  });

  it('refuses to restore over a database that holds data, and to overwrite a backup file', async () => {
    await expect(restoreDatabase(url, backupFile)).rejects.toThrow(/not empty/);
    await expect(backupDatabase(url, backupFile)).rejects.toThrow(/already exists/);
    const notABackup = join(dir, 'notes.txt');
    writeFileSync(notABackup, 'hello');
    await expect(restoreDatabase(`sqlite:${join(dir, 'other.db')}`, notABackup)).rejects.toThrow(/not a SQLite/);
  });

  it('the nightly backup is scheduled when HUIKE_BACKUP_DIR is set, writes a file and keeps N days', async () => {
    const backups = join(dir, 'nightly');
    const saved = { ...process.env };
    try {
      process.env.HUIKE_BACKUP_DIR = backups;
      process.env.HUIKE_BACKUP_KEEP_DAYS = '7';
      await ensureBackupSchedule(ctx);
      const s = await db.kysely
        .selectFrom('schedules')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('name', '=', BACKUP_SCHEDULE)
        .executeTakeFirstOrThrow();
      expect(s).toMatchObject({ cron: '30 2 * * *', timezone: 'Asia/Shanghai', job_kind: JOB.backup });
      // 02:30 in Shanghai is 18:30 UTC the day before.
      expect(s.next_run_at).toBe('2026-11-23T18:30:00.000Z');
      const late = { ...ctx, now: () => new Date('2026-11-23T18:31:00.000Z') };
      expect(await runDueSchedules(late)).toBeGreaterThanOrEqual(1);

      // Old backups: one inside the retention, one beyond it, and a file that is not ours.
      const { mkdirSync } = await import('node:fs');
      mkdirSync(backups, { recursive: true });
      const keep = backupFileName(new Date('2026-11-20T18:30:00.000Z'), 'sqlite');
      const old = backupFileName(new Date('2026-11-10T18:30:00.000Z'), 'sqlite');
      for (const f of [keep, old, 'mine.db']) writeFileSync(join(backups, f), 'x');
      const handler = jobHandlers[JOB.backup] as (c: AppContext, job: unknown, x: unknown) => Promise<void>;
      await handler(late, { workspace_id: ws }, { payload: {} });
      const files = readdirSync(backups).sort();
      expect(files).toEqual(['huike-20261120-183000.db', 'huike-20261123-183100.db', 'mine.db'].sort());
      const copy = new SqliteDatabase(join(backups, 'huike-20261123-183100.db'), { readonly: true });
      expect((copy.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }).n).toBe(finalOrders);
      copy.close();
      expect(pruneBackups(backups, 1, new Date('2026-11-30T00:00:00.000Z'))).toEqual([
        'huike-20261120-183000.db',
        'huike-20261123-183100.db',
      ]);

      delete process.env.HUIKE_BACKUP_DIR;
      await ensureBackupSchedule(ctx);
      expect(
        await db.kysely.selectFrom('schedules').select('name').where('name', '=', BACKUP_SCHEDULE).execute(),
      ).toEqual([]);
    } finally {
      process.env = saved;
    }
  });
});

describe.runIf(PG_URL)('backup and restore [postgres]', () => {
  let live: { url: string; drop(): Promise<void> };
  let target: { url: string; drop(): Promise<void> };
  const dir = scratchDir('huike-pgbackup-');
  beforeAll(async () => {
    live = await createScratchDatabase(PG_URL!, 'huike_bk');
    target = await createScratchDatabase(PG_URL!, 'huike_rs');
  });
  afterAll(async () => {
    await live?.drop();
    await target?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pg_dump while in use, pg_restore into an empty database, refused over data', async () => {
    const db = openDatabase(live.url);
    let ws = '';
    try {
      await migrateToLatest(db);
      const ctx: AppContext = { db, now: () => new Date('2026-11-23T04:00:00.000Z') };
      ws = (await createWorkspace(ctx, '备份测试店')).id;
      const file = join(dir, 'export.csv');
      await writeTaobaoExport(file, 800, { seed: 5 });
      const store = await ensureStore(ctx, ws, '天猫旗舰店', 'tmall');
      await importFile(ctx, { workspaceId: ws, store, format: 'taobao', filePath: file });
      const dump = join(dir, 'huike.dump');
      const r = await backupDatabase(live.url, dump);
      expect(r.method).toBe('pg_dump');
      expect(existsSync(dump)).toBe(true);
      // The target was already migrated (a server started on it): still empty, so the restore goes ahead.
      const t = openDatabase(target.url);
      await migrateToLatest(t);
      await t.close();
      expect(await restoreDatabase(target.url, dump)).toEqual({ workspaces: 1 });
      const restored = openDatabase(target.url);
      try {
        expect(await count(restored, 'orders')).toBe(await count(db, 'orders'));
        expect(await statsRows(restored, ws)).toEqual(await statsRows(db, ws));
        await recomputeAllStats(restored, ws, '2026-11-23T04:00:00.000Z');
        expect(await statsRows(restored, ws)).toEqual(await statsRows(db, ws));
      } finally {
        await restored.close();
      }
      await expect(restoreDatabase(live.url, dump)).rejects.toThrow(/not empty/);
    } finally {
      await db.close();
    }
  });
});
