import type { Transaction } from 'kysely';
import type { Database } from '../../db/types.js';
import { nowIso, type AppContext } from '../context.js';
import { type DeliveryGate, deliverMessage } from './send.js';
import { wakeDelivery } from './wake.js';
import { isQueued } from './queue.js';

/**
 * Batched delivery of the messages that are not a campaign's (automations, tests …): instead of a job
 * per message, one `messages.deliver` job per workspace and moment sends every message then due, a
 * batch at a time, and wakes itself for the next one due. Campaigns keep their own chain (deliver.ts
 * under campaigns), which also throttles. Each message is claimed before it is sent, as there, so two
 * runs never send the same message; exactly once per (source, customer, step) stays the messages' key.
 */
const CAMPAIGN = 'campaign';
export const DELIVERY_BATCH = 200;
/** How long a message taken by a delivery run is kept from another run (a worker that died gives it back then). */
const CLAIM_MS = 30_000;
const MAX_ATTEMPTS = 5;

/**
 * Sends one due message, for a campaign's chain and for the batched runs alike: claimed first (its send time moved a
 * little ahead, only if it is still queued and due), so two runs never send it; a transient error leaves it queued
 * with backoff (30 s, 1 min, 2 min …), and the last attempt marks it failed.
 */
export async function claimAndSend(
  ctx: AppContext,
  ws: string,
  m: { id: string; attempts: number },
  now: Date,
  gate?: DeliveryGate,
): Promise<void> {
  const k = ctx.db.kysely;
  const claimed = await k
    .updateTable('messages')
    .set({ send_at: new Date(now.getTime() + CLAIM_MS).toISOString() })
    .where('workspace_id', '=', ws)
    .where('id', '=', m.id)
    .where('status', '=', 'queued')
    .where('send_at', '<=', now.toISOString())
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return;
  try {
    await deliverMessage(ctx, ws, m.id, {
      finalAttempt: m.attempts + 1 >= MAX_ATTEMPTS,
      completeIn: async () => {},
      gate,
      requeue: false,
    });
  } catch {
    await k
      .updateTable('messages')
      .set({ send_at: new Date(now.getTime() + 30_000 * 2 ** m.attempts).toISOString() })
      .where('workspace_id', '=', ws)
      .where('id', '=', m.id)
      .where('status', '=', 'queued')
      .execute();
  }
}

/** One delivery run: every due message (a batch at a time), then the wake-up for the next one. */
export async function deliverDue(
  ctx: AppContext,
  ws: string,
  gate: DeliveryGate,
  completeIn: (trx: Transaction<Database>) => Promise<void>,
): Promise<number> {
  const k = ctx.db.kysely;
  const queued = () =>
    k
      .selectFrom('messages')
      .where('workspace_id', '=', ws)
      .where(isQueued)
      // Either side of 'campaign': two ranges of messages_queue_idx, not every queued campaign message.
      .where((eb) => eb.or([eb('source_type', '<', CAMPAIGN), eb('source_type', '>', CAMPAIGN)]));
  const now = ctx.now();
  const due = await queued()
    .select(['id', 'attempts'])
    .where('send_at', '<=', now.toISOString())
    .orderBy('send_at')
    .orderBy('id')
    .limit(DELIVERY_BATCH)
    .execute();
  for (const m of due) await claimAndSend(ctx, ws, m, now, gate);
  // Held by its gate (a paused automation), a message stays queued and due: looked at again in a minute.
  const next = await queued().select('send_at').orderBy('send_at').limit(1).executeTakeFirst();
  const at = nowIso(ctx);
  await k.transaction().execute(async (trx) => {
    if (next?.send_at) {
      const nextAt = new Date(next.send_at).toISOString();
      const full = due.length >= DELIVERY_BATCH;
      const floor = full ? at : new Date(now.getTime() + (nextAt <= at ? 60_000 : 0)).toISOString();
      await wakeDelivery(trx, ws, nextAt < floor ? floor : nextAt, at);
    }
    await completeIn(trx);
  });
  return due.length;
}
