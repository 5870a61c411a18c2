import { workerData } from 'node:worker_threads';
import { backupDatabase } from '../../src/modules/backups/service.js';

/**
 * `huike backup` as another thread would run it beside a busy server: the caller blocks on the
 * shared flag (1 done, 2 failed) while this thread copies the database with its own connection.
 */
const { url, file, signal } = workerData as { url: string; file: string; signal: SharedArrayBuffer };
const flag = new Int32Array(signal);
backupDatabase(url, file).then(
  () => {
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  },
  (e: unknown) => {
    process.stderr.write(`backup failed: ${String(e)}\n`);
    Atomics.store(flag, 0, 2);
    Atomics.notify(flag, 0);
  },
);
