import type { Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import type { Database } from '../../db/types.js';
import { JOB } from '../../jobs/kinds.js';
import { enqueue } from '../../jobs/queue.js';

/** Wake-ups within the same 5 seconds share one job. */
const SLOT_MS = 5_000;

function slotOf(at: string): string {
  return new Date(Math.ceil(new Date(at).getTime() / SLOT_MS) * SLOT_MS).toISOString();
}

/**
 * Makes sure a delivery run comes at (or just after) `at`, in the caller's transaction. A run already
 * queued for that slot is touched instead (its row stays locked until the caller commits, so a worker
 * cannot start it before this message is visible); one already running or done gets a new run.
 */
export async function wakeDelivery(trx: Transaction<Database>, ws: string, at: string, now: string): Promise<void> {
  const runAt = slotOf(at < now ? now : at);
  const touched = await trx
    .updateTable('jobs')
    .set({ updated_at: now })
    .where('workspace_id', '=', ws)
    .where('kind', '=', JOB.messagesDeliver)
    .where('status', '=', 'queued')
    .where('run_at', '=', runAt)
    .executeTakeFirst();
  if (Number(touched.numUpdatedRows) > 0) return;
  await enqueue(
    trx,
    { workspaceId: ws, kind: JOB.messagesDeliver, runAt, dedupeKey: `${runAt}:${newId()}`, maxAttempts: 50 },
    now,
  );
}
