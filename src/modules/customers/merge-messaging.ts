import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/types.js';
import type { Dialect } from '../../db/connect.js';
import { indexedBy } from '../../db/in-list.js';
import { chunks } from '../context.js';

/**
 * What a customer received and was decided about — messages (every send decision), their tracked
 * links, inbound replies, campaign recipient rows and uploaded-list memberships — follows the
 * customer through a merge and back on undo. A row the target already has its own of (a message of
 * the same campaign and step, a place in the same campaign or list) stays with the source's id:
 * the target keeps its own, and undo finds the source's where it was.
 */
export interface MovedMessaging {
  messages: string[];
  links: string[];
  replies: string[];
  campaigns: string[];
  lists: string[];
}

export async function moveMessaging(
  trx: Transaction<Database>,
  dialect: Dialect,
  ws: string,
  from: string,
  to: string,
): Promise<MovedMessaging> {
  const mine = await trx
    .selectFrom('messages')
    .select(['id', 'source_type', 'source_id', 'step'])
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', from)
    .execute();
  // By the customer indexes (SQLite): without statistics it read these columns from a covering index of the
  // workspace's whole message, campaign-recipient and list-member rows, on every merge.
  const theirs = new Set(
    (
      await sql<{ source_type: string; source_id: string; step: string }>`
        SELECT source_type, source_id, step FROM messages ${indexedBy(dialect, 'messages_customer_idx')}
        WHERE workspace_id = ${ws} AND customer_id = ${to}`.execute(trx)
    ).rows.map((m) => `${m.source_type}\u0000${m.source_id}\u0000${m.step}`),
  );
  const messages = mine
    .filter((m) => !theirs.has(`${m.source_type}\u0000${m.source_id}\u0000${m.step}`))
    .map((m) => m.id);
  const moving = new Set(messages);
  const links = (
    await trx
      .selectFrom('message_links')
      .select(['code', 'message_id'])
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', from)
      .execute()
  )
    .filter((l) => moving.has(l.message_id))
    .map((l) => l.code);
  const replies = (
    await trx
      .selectFrom('inbound_replies')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', from)
      .execute()
  ).map((r) => r.id);
  const inCampaigns = async (c: string) =>
    (
      await sql<{ campaign_id: string }>`
        SELECT campaign_id FROM campaign_recipients ${indexedBy(dialect, 'campaign_recipients_customer_idx')}
        WHERE workspace_id = ${ws} AND customer_id = ${c}`.execute(trx)
    ).rows.map((r) => r.campaign_id);
  const targetCampaigns = new Set(await inCampaigns(to));
  const campaigns = (await inCampaigns(from)).filter((c) => !targetCampaigns.has(c));
  const inLists = async (c: string) =>
    (
      await sql<{ list_id: string }>`
        SELECT list_id FROM audience_list_members ${indexedBy(dialect, 'audience_list_members_customer_idx')}
        WHERE workspace_id = ${ws} AND customer_id = ${c}`.execute(trx)
    ).rows.map((r) => r.list_id);
  const targetLists = new Set(await inLists(to));
  const lists = (await inLists(from)).filter((l) => !targetLists.has(l));
  const moved = { messages, links, replies, campaigns, lists };
  await apply(trx, ws, moved, from, to);
  return moved;
}

export async function moveMessagingBack(
  trx: Transaction<Database>,
  ws: string,
  moved: MovedMessaging | undefined,
  target: string,
  source: string,
): Promise<void> {
  if (moved) await apply(trx, ws, moved, target, source);
}

async function apply(trx: Transaction<Database>, ws: string, m: MovedMessaging, from: string, to: string) {
  for (const part of chunks(m.messages, 900))
    await trx
      .updateTable('messages')
      .set({ customer_id: to })
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', from)
      .where('id', 'in', part)
      .execute();
  for (const part of chunks(m.links, 900))
    await trx
      .updateTable('message_links')
      .set({ customer_id: to })
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', from)
      .where('code', 'in', part)
      .execute();
  for (const part of chunks(m.replies, 900))
    await trx
      .updateTable('inbound_replies')
      .set({ customer_id: to })
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', from)
      .where('id', 'in', part)
      .execute();
  for (const part of chunks(m.campaigns, 900))
    await trx
      .updateTable('campaign_recipients')
      .set({ customer_id: to })
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', from)
      .where('campaign_id', 'in', part)
      .execute();
  for (const part of chunks(m.lists, 900))
    await trx
      .updateTable('audience_list_members')
      .set({ customer_id: to })
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', from)
      .where('list_id', 'in', part)
      .execute();
}
