/**
 * A worker process for the crash tests: runs "test.slow" jobs, whose effect (a row in
 * test_effects) commits in the same transaction as the job's completion, and "test.crash" jobs,
 * which end the process.
 */
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/connect.js';
import { startWorker } from '../../src/jobs/worker.js';

const [url, leaseMs] = process.argv.slice(2);
const db = openDatabase(url!);
const ctx = { db, now: () => new Date() };
startWorker(ctx, {
  pollMs: 50,
  leaseMs: Number(leaseMs ?? 1500),
  handlers: {
    // A poison job: whatever runs it dies (as a process out of memory would), every time.
    'test.crash': async (_ctx, job, helpers) => {
      await db.kysely.transaction().execute(async (trx) => {
        await sql`INSERT INTO test_attempts (job_id, worker) VALUES (${job.id}, ${helpers.workerId})`.execute(trx);
      });
      process.exit(70);
    },
    'test.slow': async (_ctx, job, helpers) => {
      const { sleepMs } = helpers.payload as { sleepMs: number };
      await db.kysely.transaction().execute(async (trx) => {
        await sql`INSERT INTO test_attempts (job_id, worker) VALUES (${job.id}, ${helpers.workerId})`.execute(trx);
      });
      await new Promise((r) => setTimeout(r, sleepMs));
      await db.kysely.transaction().execute(async (trx) => {
        await sql`INSERT INTO test_effects (job_id) VALUES (${job.id})`.execute(trx);
        await helpers.completeIn(trx);
      });
    },
  },
});
process.stdout.write('worker ready\n');
