/**
 * A worker process for the campaign crash test: Huike's own job handlers, on a clock that starts
 * at the given instant (inside the send windows) and runs at real speed from there.
 */
import { openDatabase } from '../../src/db/connect.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { startWorker } from '../../src/jobs/worker.js';

const [url, startIso, leaseMs] = process.argv.slice(2);
const db = openDatabase(url!);
const offset = Date.parse(startIso!) - Date.now();
const ctx = { db, now: () => new Date(Date.now() + offset) };
startWorker(ctx, { pollMs: 20, leaseMs: Number(leaseMs ?? 1500), handlers: jobHandlers });
process.stdout.write('worker ready\n');
