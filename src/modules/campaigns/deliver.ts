import type { Transaction } from 'kysely';
import type { Database } from '../../db/types.js';
import { nowIso, type AppContext } from '../context.js';
import { claimAndSend } from '../messaging/deliver.js';
import { DELIVERY_BATCH, enqueueDelivery, SOURCE } from './plan.js';
import { isQueued } from '../messaging/queue.js';

/** While the plan is still deciding and nothing is due, the chain looks again this soon. */
const IDLE_MS = 1_000;

/**
 * One step of a campaign's delivery chain: sends the messages that are due (at most the throttle,
 * else a batch), then queues the next step in the same transaction that completes this one, so
 * exactly one step of a campaign is live at a time. Each message is claimed before it is sent
 * (claimAndSend), so two runs never send the same message.
 */
export async function deliverStep(
  ctx: AppContext,
  ws: string,
  campaignId: string,
  step: { chain: string; seq: number },
  completeIn: (trx: Transaction<Database>) => Promise<void>,
): Promise<void> {
  const k = ctx.db.kysely;
  const c = await k
    .selectFrom('campaigns')
    .select(['status', 'planned_at', 'throttle_per_minute'])
    .where('workspace_id', '=', ws)
    .where('id', '=', campaignId)
    .executeTakeFirst();
  if (!c || c.status === 'paused' || c.status === 'done' || c.status === 'draft' || c.status === 'scheduled') return;
  const queued = () =>
    k
      .selectFrom('messages')
      .where('workspace_id', '=', ws)
      .where('source_type', '=', SOURCE)
      .where('source_id', '=', campaignId)
      .where(isQueued);
  if (c.status === 'cancelled') {
    await queued().select('id').limit(1).execute(); // cancelCampaign marked them; nothing to send
    return;
  }
  const now = ctx.now();
  const due = await queued()
    .select(['id', 'attempts'])
    .where('send_at', '<=', now.toISOString())
    .orderBy('send_at')
    .orderBy('id')
    .limit(c.throttle_per_minute ?? DELIVERY_BATCH)
    .execute();
  for (const m of due) await claimAndSend(ctx, ws, m, now);
  const next = await queued().select('send_at').orderBy('send_at').limit(1).executeTakeFirst();
  const at = nowIso(ctx);
  await k.transaction().execute(async (trx) => {
    if (next) {
      let runAt = next.send_at ? new Date(next.send_at).toISOString() : at;
      if (c.throttle_per_minute && due.length >= c.throttle_per_minute) {
        const minute = new Date(now.getTime() + 60_000).toISOString();
        if (runAt < minute) runAt = minute;
      }
      if (runAt < at) runAt = at;
      await enqueueDelivery(trx, ws, campaignId, runAt, { chain: step.chain, seq: step.seq + 1 });
    } else if (!c.planned_at) {
      await enqueueDelivery(trx, ws, campaignId, new Date(now.getTime() + IDLE_MS).toISOString(), {
        chain: step.chain,
        seq: step.seq + 1,
      });
    } else {
      await trx
        .updateTable('campaigns')
        .set({ status: 'done', finished_at: at, updated_at: at })
        .where('workspace_id', '=', ws)
        .where('id', '=', campaignId)
        .where('status', '=', 'running')
        .execute();
    }
    await completeIn(trx);
  });
}
