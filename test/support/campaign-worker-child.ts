/**
 * A worker process for the campaign crash test: Huike's own job handlers, on a clock that starts
 * at the given instant (inside the send windows) and runs at real speed from there. With a chunk size,
 * the plan job plans in chunks that small, reading and deciding on its own thread (SQLite); with a chunk
 * number too, it stops inside that chunk's writing transaction, before the commit, and waits to be killed.
 */
import { openDatabase } from '../../src/db/connect.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { JOB } from '../../src/jobs/kinds.js';
import { startWorker, type JobHandlers } from '../../src/jobs/worker.js';
import { planCampaign } from '../../src/modules/campaigns/plan.js';

const [url, startIso, leaseMs, chunk, hangAt] = process.argv.slice(2);
const db = openDatabase(url!);
const offset = Date.parse(startIso!) - Date.now();
const ctx = { db, now: () => new Date(Date.now() + offset) };
const handlers: JobHandlers = chunk
  ? {
      ...jobHandlers,
      [JOB.campaignPlan]: async (c, job, { payload }) => {
        const { campaignId } = payload as { campaignId: string };
        await planCampaign(c, job.workspace_id, campaignId, {
          chunk: Number(chunk),
          thread: true,
          whileWriting: async (n) => {
            if (n !== Number(hangAt)) return;
            process.stdout.write(`writing chunk ${n}\n`);
            await new Promise(() => undefined);
          },
        });
      },
    }
  : jobHandlers;
startWorker(ctx, { pollMs: 20, leaseMs: Number(leaseMs ?? 1500), handlers });
process.stdout.write('worker ready\n');
