import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * SMS providers and 企业微信 as channels: a per-channel token in the receipt and reply webhook URLs
 * (Aliyun and Tencent sign neither), the handset's delivery receipt on each message, how many times
 * flow control put a message back, and an index to find a message by the provider's serial number.
 */
export function channelProviders(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('messaging_channels').addColumn('hook_token', 'text').execute();
      // delivered | failed (null: no receipt)
      await db.schema.alterTable('messages').addColumn('delivery', 'text').execute();
      await db.schema.alterTable('messages').addColumn('delivered_at', ts).execute();
      await db.schema.alterTable('messages').addColumn('delivery_error', 'text').execute();
      await db.schema
        .alterTable('messages')
        .addColumn('throttled', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .createIndex('messages_provider_ref_idx')
        .on('messages')
        .columns(['workspace_id', 'channel_id', 'provider_ref'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('messages_provider_ref_idx').execute();
      for (const c of ['throttled', 'delivery_error', 'delivered_at', 'delivery'])
        await db.schema.alterTable('messages').dropColumn(c).execute();
      await db.schema.alterTable('messaging_channels').dropColumn('hook_token').execute();
    },
  };
}
