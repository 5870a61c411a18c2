/**
 * The background job worker as a thread of the server (jobs/worker-thread.ts starts it): its own
 * connection, its own event loop, so a long job (points sync after a large import) never stalls
 * the server's requests. Logs go to the server's logger through the parent port.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/connect.js';
import { jobHandlers } from './handlers.js';
import { startWorker } from './worker.js';

const { url, pollMs } = workerData as { url: string; pollMs?: number };
const db = openDatabase(url);
const worker = startWorker(
  { db, now: () => new Date() },
  {
    handlers: jobHandlers,
    schedules: true,
    pollMs,
    log: (msg, extra) => parentPort?.postMessage({ type: 'log', msg, extra }),
  },
);
parentPort?.postMessage({ type: 'ready', id: worker.id });
parentPort?.on('message', (m: { type: string }) => {
  if (m.type !== 'stop') return;
  void (async () => {
    await worker.stop();
    await db.close();
    parentPort?.close();
  })();
});
