import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * One index fewer for every message written: messages_channel_idx (workspace, channel, created_at)
 * repeats the leading columns of messages_provider_ref_idx (workspace, channel, provider_ref), and no
 * query reads messages by channel in created_at order (the outbox lists by id). The look-ups by
 * channel — is a channel used (its medium change, its deletion), the channel foreign key's check on
 * a channel's deletion, a receipt by provider serial number — probe messages_provider_ref_idx's
 * (workspace, channel) prefix instead (EXPLAIN checked on both databases). A campaign's plan writes
 * each message into one B-tree less (README, "Campaigns").
 */
export function messagesChannelIndex(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('messages_channel_idx').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('messages_channel_idx')
        .on('messages')
        .columns(['workspace_id', 'channel_id', 'created_at'])
        .execute();
    },
  };
}
