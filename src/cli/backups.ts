import type { Command } from 'commander';
import { databaseUrlFromEnv } from '../db/connect.js';
import { backupDatabase, PG_ADVICE, restoreDatabase } from '../modules/backups/service.js';
import { fail } from './app.js';

/** `huike backup FILE` while the server runs; `huike restore FILE` into an empty database. */
export function backupCommands(program: Command): void {
  program
    .command('backup')
    .description('copy the whole database to FILE while the server keeps running (PostgreSQL: pg_dump)')
    .argument('<file>', 'where to write the backup (SQLite: a .db file; PostgreSQL: a pg_dump custom-format file)')
    .option('--force', 'overwrite FILE when it exists')
    .action(async (file: string, o: { force?: boolean }) => {
      const url = databaseUrlFromEnv();
      try {
        const r = await backupDatabase(url, file, { force: o.force });
        const how = r.method === 'pg_dump' ? 'pg_dump' : 'SQLite online backup';
        process.stdout.write(`backup written: ${r.file} (${(r.bytes / 1048576).toFixed(1)} MB, ${how})\n`);
      } catch (e) {
        if (/^postgres/.test(url) && e instanceof Error && /not installed/.test(e.message))
          process.stderr.write(`${PG_ADVICE}\n`);
        fail(e);
      }
    });
  program
    .command('restore')
    .description('restore a backup into an empty database (DATABASE_URL); refuses one that holds data')
    .argument('<file>', 'a file made by huike backup')
    .action(async (file: string) => {
      try {
        const r = await restoreDatabase(databaseUrlFromEnv(), file);
        process.stdout.write(`restored ${file}: ${r.workspaces} workspace(s); schema up to date\n`);
      } catch (e) {
        fail(e);
      }
    });
}
