import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Campaigns, second round: a coupon template issued with each message, a schedule (now, at a
 * time, at the next send window) and a throttle; the coupon a message carries; uploaded audience
 * lists (phones / buyer nicks / customer ids matched to customers, the unmatched lines kept for
 * download). Members keep the customer id without a foreign key, like messages: a merge moves them
 * and its undo moves them back.
 */
export function campaignExtras(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('campaigns').addColumn('coupon_template_id', 'text').execute();
      await db.schema
        .alterTable('campaigns')
        .addColumn('schedule', 'text', (c) => c.notNull().defaultTo('now'))
        .execute();
      await db.schema.alterTable('campaigns').addColumn('start_at', ts).execute();
      await db.schema.alterTable('campaigns').addColumn('throttle_per_minute', 'integer').execute();
      await db.schema.alterTable('messages').addColumn('coupon_id', 'text').execute();

      await db.schema
        .createTable('audience_lists')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('file_name', 'text')
        .addColumn('rows', 'integer', notNull)
        .addColumn('matched', 'integer', notNull)
        .addColumn('unmatched', 'integer', notNull)
        .addColumn('created_by', 'text')
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('audience_lists_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint('audience_lists_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema
        .createTable('audience_list_members')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('list_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addPrimaryKeyConstraint('audience_list_members_pk', ['workspace_id', 'list_id', 'customer_id'])
        .addForeignKeyConstraint(
          'audience_list_members_list_fk',
          ['workspace_id', 'list_id'],
          'audience_lists',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('audience_list_members_customer_idx')
        .on('audience_list_members')
        .columns(['workspace_id', 'customer_id'])
        .execute();
      await db.schema
        .createTable('audience_list_unmatched')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('list_id', 'text', notNull)
        .addColumn('line', 'integer', notNull)
        .addColumn('value', 'text', notNull)
        .addColumn('reason', 'text', notNull)
        .addPrimaryKeyConstraint('audience_list_unmatched_pk', ['workspace_id', 'list_id', 'line'])
        .addForeignKeyConstraint(
          'audience_list_unmatched_list_fk',
          ['workspace_id', 'list_id'],
          'audience_lists',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('campaign_recipients_customer_idx')
        .on('campaign_recipients')
        .columns(['workspace_id', 'customer_id'])
        .execute();
      await db.schema
        .createIndex('message_links_customer_idx')
        .on('message_links')
        .columns(['workspace_id', 'customer_id'])
        .execute();
    },
  };
}
