import { reason } from '../../core/reasons.js';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { Conflict, Invalid } from '../../core/errors.js';
import { openDatabase, sqlitePath } from '../../db/connect.js';
import { migrateToLatest } from '../../db/migrate.js';

/**
 * Backups of the whole installation (every workspace). SQLite: the online backup API of
 * better-sqlite3 on a connection of its own, copying the pages in one step, so the copy is one
 * consistent snapshot (a read transaction: in WAL mode the server and an import go on writing
 * meanwhile). PostgreSQL: pg_dump / pg_restore in their custom format, when they are on the PATH.
 */

export const PG_ADVICE =
  'PostgreSQL: back up with  pg_dump --format=custom --file huike.dump "$DATABASE_URL"  and restore into an ' +
  'empty database with  pg_restore --no-owner --dbname "$DATABASE_URL" huike.dump  (then run huike migrate)';

export interface BackupResult {
  file: string;
  bytes: number;
  method: 'sqlite-backup' | 'pg_dump';
}

const isPostgres = (url: string) => /^postgres(ql)?:\/\//.test(url);

/** Runs a PostgreSQL client tool; null when it is not installed. */
function runTool(tool: string, args: string[]): Promise<{ code: number; stderr: string } | null> {
  return new Promise((done, fail) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? done(null) : fail(e)));
    child.on('close', (code) => done({ code: code ?? 1, stderr }));
  });
}

/** Copies the database at `url` to `file` while it is in use. */
export async function backupDatabase(url: string, file: string, opts: { force?: boolean } = {}): Promise<BackupResult> {
  const target = resolve(file);
  if (existsSync(target) && !opts.force)
    throw new Conflict(`${file} already exists: choose a new file name`, reason('backup.exists', { file }));
  mkdirSync(dirname(target), { recursive: true });
  if (isPostgres(url)) {
    const r = await runTool('pg_dump', ['--format=custom', '--no-owner', '--file', target, url]);
    if (r === null)
      throw new Invalid(`pg_dump is not installed on this machine. ${PG_ADVICE}`, reason('backup.noPgDump'));
    if (r.code !== 0)
      throw new Invalid(
        `pg_dump failed: ${r.stderr.trim()}`,
        reason('backup.pgDumpFailed', { error: r.stderr.trim() }),
      );
    return { file: target, bytes: statSync(target).size, method: 'pg_dump' };
  }
  const path = sqlitePath(url);
  if (path === ':memory:') throw new Invalid('an in-memory database cannot be backed up', reason('backup.inMemory'));
  if (opts.force) rmSync(target, { force: true });
  const source = new SqliteDatabase(path, { readonly: true, fileMustExist: true });
  try {
    source.pragma('busy_timeout = 10000');
    // All remaining pages in one step: a step that sees the database changed by another connection starts
    // over, so small steps under a busy import might never finish; one step is one consistent snapshot.
    await source.backup(target, { progress: () => 0x7fffffff });
  } finally {
    source.close();
  }
  // One self-contained file: the copy leaves WAL mode (the server turns it back on when it opens a restored copy).
  const check = new SqliteDatabase(target);
  try {
    check.pragma('journal_mode = DELETE');
    const ok = check.pragma('quick_check', { simple: true });
    if (ok !== 'ok') throw new Error(`the backup ${file} failed its check: ${String(ok)}`);
  } finally {
    check.close();
  }
  return { file: target, bytes: statSync(target).size, method: 'sqlite-backup' };
}

async function fileKind(file: string): Promise<'sqlite' | 'pg_dump' | 'unknown'> {
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(16);
    await fh.read(head, 0, 16, 0);
    if (head.toString('latin1') === 'SQLite format 3\u0000') return 'sqlite';
    if (head.subarray(0, 5).toString('latin1') === 'PGDMP') return 'pg_dump';
    return 'unknown';
  } finally {
    await fh.close();
  }
}

/** Whether the database at `url` holds no workspace (missing, blank, or only migrated). */
export async function isEmptyDatabase(url: string): Promise<boolean> {
  if (!isPostgres(url)) {
    const path = sqlitePath(url);
    if (!existsSync(path) || statSync(path).size === 0) return true;
  }
  const db = openDatabase(url);
  try {
    const found =
      db.dialect === 'postgres'
        ? await sql<{ t: string | null }>`SELECT to_regclass('public.workspaces')::text AS t`.execute(db.kysely)
        : await sql<{
            t: string | null;
          }>`SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name = 'workspaces'`.execute(db.kysely);
    if (!found.rows[0]?.t) return true;
    const n = await db.kysely
      .selectFrom('workspaces')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(n.n) === 0;
  } finally {
    await db.close();
  }
}

/**
 * Restores a backup into the database at `url`, which must be empty (a restore never overwrites
 * data), then brings its schema up to date. Stop the server while restoring.
 */
export async function restoreDatabase(url: string, file: string): Promise<{ workspaces: number }> {
  if (!existsSync(file)) throw new Invalid(`no backup file ${file}`, reason('backup.noFile', { file }));
  const kind = await fileKind(file);
  if (!(await isEmptyDatabase(url)))
    throw new Conflict(
      'the target database is not empty: restore into a new, empty database (set DATABASE_URL)',
      reason('backup.targetNotEmpty'),
    );
  if (isPostgres(url)) {
    if (kind !== 'pg_dump')
      throw new Invalid(
        `${file} is not a pg_dump custom-format file (made by huike backup)`,
        reason('backup.notPgDump', { file }),
      );
    // --clean drops the empty tables a migrate may have created, so the dump's own take their place.
    const r = await runTool('pg_restore', ['--clean', '--if-exists', '--no-owner', '--dbname', url, file]);
    if (r === null)
      throw new Invalid(`pg_restore is not installed on this machine. ${PG_ADVICE}`, reason('backup.noPgRestore'));
    if (r.code !== 0)
      throw new Invalid(
        `pg_restore failed: ${r.stderr.trim()}`,
        reason('backup.pgRestoreFailed', { error: r.stderr.trim() }),
      );
  } else {
    if (kind !== 'sqlite')
      throw new Invalid(`${file} is not a SQLite backup (made by huike backup)`, reason('backup.notSqlite', { file }));
    const path = sqlitePath(url);
    const source = new SqliteDatabase(file, { readonly: true, fileMustExist: true });
    try {
      const ok = source.pragma('integrity_check', { simple: true });
      if (ok !== 'ok')
        throw new Invalid(
          `the backup ${file} is damaged: ${String(ok)}`,
          reason('backup.damaged', { file, error: String(ok) }),
        );
      mkdirSync(dirname(resolve(path)), { recursive: true });
      for (const leftover of [`${path}-wal`, `${path}-shm`]) rmSync(leftover, { force: true });
      await source.backup(path, { progress: () => 0x7fffffff });
    } finally {
      source.close();
    }
  }
  const db = openDatabase(url);
  try {
    await migrateToLatest(db);
    const n = await db.kysely
      .selectFrom('workspaces')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return { workspaces: Number(n.n) };
  } finally {
    await db.close();
  }
}

const BACKUP_NAME = /^huike-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})\.(db|dump)$/;

/** The file name of a scheduled backup taken at `at` (UTC, sortable). */
export function backupFileName(at: Date, dialect: 'sqlite' | 'postgres'): string {
  const s = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `huike-${s}.${dialect === 'postgres' ? 'dump' : 'db'}`;
}

/** Deletes the scheduled backups in `dir` older than `keepDays` days; returns their names. */
export function pruneBackups(dir: string, keepDays: number, now: Date): string[] {
  if (!existsSync(dir)) return [];
  const cutoff = now.getTime() - keepDays * 86_400_000;
  const removed: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = BACKUP_NAME.exec(name);
    if (!m) continue;
    const at = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
    if (at < cutoff) {
      rmSync(join(dir, name), { force: true });
      removed.push(name);
    }
  }
  return removed;
}

export interface BackupSettings {
  dir: string;
  keepDays: number;
  cron: string;
}

/** HUIKE_BACKUP_DIR (unset: no scheduled backups), HUIKE_BACKUP_KEEP_DAYS (14), HUIKE_BACKUP_CRON (02:30). */
export function backupSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): BackupSettings | null {
  const dir = env.HUIKE_BACKUP_DIR?.trim();
  if (!dir) return null;
  const keepDays = Number(env.HUIKE_BACKUP_KEEP_DAYS ?? 14);
  if (!Number.isInteger(keepDays) || keepDays < 1)
    throw new Invalid('HUIKE_BACKUP_KEEP_DAYS must be a whole number of days, at least 1', reason('backup.keepDays'));
  return { dir, keepDays, cron: env.HUIKE_BACKUP_CRON?.trim() || '30 2 * * *' };
}

/** The scheduled backup: a new file in the backup directory, then the old ones beyond retention go. */
export async function scheduledBackup(
  url: string,
  dialect: 'sqlite' | 'postgres',
  settings: BackupSettings,
  now: Date,
) {
  const file = join(settings.dir, backupFileName(now, dialect));
  const result = await backupDatabase(url, file, { force: true });
  const removed = pruneBackups(settings.dir, settings.keepDays, now);
  return { ...result, removed };
}
