import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Channels, messages (every send decision with its reason), tracked links, inbound replies,
 * campaigns and their recipients. Messages keep the customer id without a foreign key: a merge
 * deletes the merged-away customer and its undo brings the same id back, and the history of what
 * was sent to whom must survive both.
 */
export function messaging(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const json = pg ? 'jsonb' : 'text';
  const fen = pg ? 'bigint' : 'integer';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  const zero = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(0);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('messaging_channels')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        // outbox | email | webhook | platform
        .addColumn('kind', 'text', notNull)
        // sms | email | wechat | platform: what reaches the person
        .addColumn('medium', 'text', notNull)
        .addColumn('config', json, notNull)
        // AES-256-GCM under HUIKE_SECRET_KEY; never returned by the API.
        .addColumn('secret', 'text')
        .addColumn('created_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('messaging_channels_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('messaging_channels_name_uq', ['workspace_id', 'name'])
        .addForeignKeyConstraint('messaging_channels_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();

      await db.schema
        .createTable('messages')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        // campaign | test | automation …, and its id: with customer and step, the exactly-once key.
        .addColumn('source_type', 'text', notNull)
        .addColumn('source_id', 'text', notNull)
        .addColumn('step', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('channel_id', 'text', notNull)
        .addColumn('kind', 'text', notNull)
        .addColumn('medium', 'text', notNull)
        .addColumn('variant', 'text')
        // queued | sent | failed | skipped | cancelled
        .addColumn('status', 'text', notNull)
        .addColumn('reason', 'text')
        .addColumn('detail', 'text')
        .addColumn('contact', 'text')
        .addColumn('contact_key', 'text')
        .addColumn('subject', 'text')
        .addColumn('body', 'text')
        .addColumn('parts', 'integer', zero)
        .addColumn('cost_fen', fen, zero)
        .addColumn('send_at', ts)
        .addColumn('sent_at', ts)
        .addColumn('attempts', 'integer', zero)
        .addColumn('error', 'text')
        .addColumn('provider_ref', 'text')
        .addColumn('clicks', 'integer', zero)
        .addColumn('created_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('messages_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('messages_once_uq', ['workspace_id', 'source_type', 'source_id', 'customer_id', 'step'])
        .addForeignKeyConstraint('messages_channel_fk', ['workspace_id', 'channel_id'], 'messaging_channels', [
          'workspace_id',
          'id',
        ])
        .execute();
      await db.schema
        .createIndex('messages_customer_idx')
        .on('messages')
        .columns(['workspace_id', 'customer_id', 'kind', 'status'])
        .execute();
      await db.schema
        .createIndex('messages_source_idx')
        .on('messages')
        .columns(['workspace_id', 'source_type', 'source_id', 'status'])
        .execute();
      await db.schema
        .createIndex('messages_channel_idx')
        .on('messages')
        .columns(['workspace_id', 'channel_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('message_links')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('code', 'text', notNull)
        .addColumn('message_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        // click | unsubscribe
        .addColumn('kind', 'text', notNull)
        .addColumn('url', 'text')
        .addColumn('clicks', 'integer', zero)
        .addColumn('first_clicked_at', ts)
        .addColumn('last_clicked_at', ts)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('message_links_pk', ['workspace_id', 'code'])
        .addForeignKeyConstraint(
          'message_links_message_fk',
          ['workspace_id', 'message_id'],
          'messages',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('message_links_message_idx')
        .on('message_links')
        .columns(['workspace_id', 'message_id'])
        .execute();

      await db.schema
        .createTable('inbound_replies')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('channel_id', 'text', notNull)
        .addColumn('sender', 'text', notNull)
        .addColumn('body', 'text', notNull)
        .addColumn('customer_id', 'text')
        // opt_out | none
        .addColumn('action', 'text', notNull)
        .addColumn('received_at', ts, notNull)
        .addPrimaryKeyConstraint('inbound_replies_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint('inbound_replies_channel_fk', ['workspace_id', 'channel_id'], 'messaging_channels', [
          'workspace_id',
          'id',
        ])
        .execute();
      await db.schema
        .createIndex('inbound_replies_customer_idx')
        .on('inbound_replies')
        .columns(['workspace_id', 'customer_id'])
        .execute();

      await db.schema
        .createTable('campaigns')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        // draft | running | paused | done | cancelled
        .addColumn('status', 'text', notNull)
        .addColumn('kind', 'text', notNull)
        .addColumn('channel_id', 'text', notNull)
        .addColumn('segment_id', 'text', notNull)
        .addColumn('snapshot_id', 'text')
        .addColumn('content', json, notNull)
        .addColumn('holdout_pct', 'real', notNull)
        .addColumn('seed', 'text', notNull)
        .addColumn('budget_fen', fen)
        .addColumn('attribution_days', 'integer', notNull)
        .addColumn('created_by', 'text')
        .addColumn('launched_at', ts)
        // every recipient has been through the send rules (the plan job is done)
        .addColumn('planned_at', ts)
        .addColumn('finished_at', ts)
        .addColumn('created_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('campaigns_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint('campaigns_channel_fk', ['workspace_id', 'channel_id'], 'messaging_channels', [
          'workspace_id',
          'id',
        ])
        .execute();
      await db.schema
        .createTable('campaign_recipients')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('campaign_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        // control, or the variant key
        .addColumn('grp', 'text', notNull)
        .addPrimaryKeyConstraint('campaign_recipients_pk', ['workspace_id', 'campaign_id', 'customer_id'])
        .addForeignKeyConstraint(
          'campaign_recipients_campaign_fk',
          ['workspace_id', 'campaign_id'],
          'campaigns',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
    },
  };
}
