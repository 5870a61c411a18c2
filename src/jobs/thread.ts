/**
 * The background job worker as a thread of the server (jobs/worker-thread.ts starts it): its own
 * connection, its own event loop, so a long job (points sync after a large import) never stalls
 * the server's requests. Logs go to the server's logger through the port; "wake" on the port looks for a due job
 * at once (a request queued one), "stop" lets the running job finish and ends the task.
 */
import type { MessagePort } from 'node:worker_threads';
import { openDatabase } from '../db/connect.js';
import { jobHandlers } from './handlers.js';
import { startWorker } from './worker.js';

export default async function runJobs(task: {
  url: string;
  pollMs?: number;
  port: MessagePort;
  lanes?: 'all' | 'requests';
}): Promise<void> {
  const { url, pollMs, port, lanes = 'all' } = task;
  const db = openDatabase(url);
  const worker = startWorker(
    { db, now: () => new Date() },
    {
      handlers: jobHandlers,
      schedules: lanes === 'all',
      lanes,
      pollMs,
      log: (msg, extra) => port.postMessage({ type: 'log', msg, extra }),
    },
  );
  await new Promise<void>((resolve) =>
    port.on('message', (m: { type: string }) => {
      if (m.type === 'wake') worker.wake();
      if (m.type === 'stop') resolve();
    }),
  );
  await worker.stop();
  await db.close();
  port.close();
}
