import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Customer 360 and segmentation: profile fields the sellers use, tags, groups, notes, saved
 * segments, and the RFM / lifecycle classification of each customer.
 */
export function segments(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const json = pg ? 'jsonb' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  const flag = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(0);

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const [name, type] of [
        ['wechat', 'text'],
        ['qq', 'text'],
        ['source', 'text'],
      ] as const) {
        await db.schema.alterTable('customers').addColumn(name, type).execute();
      }
      // Flags the seeds keep per customer; opt-outs are per channel (PIPL: a marketing message
      // needs consent and no opt-out; order-care messages do not).
      for (const name of [
        'is_picky',
        'is_bad_reviewer',
        'is_blacklisted',
        'opt_out_sms',
        'opt_out_email',
        'opt_out_wechat',
      ]) {
        await db.schema.alterTable('customers').addColumn(name, 'integer', flag).execute();
      }

      await db.schema
        .createTable('tags')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('color', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('tags_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('tags_name_uq', ['workspace_id', 'name'])
        .addForeignKeyConstraint('tags_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema
        .createTable('customer_tags')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('tag_id', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addColumn('created_by', 'text')
        .addPrimaryKeyConstraint('customer_tags_pk', ['workspace_id', 'customer_id', 'tag_id'])
        .addForeignKeyConstraint(
          'customer_tags_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .addForeignKeyConstraint(
          'customer_tags_tag_fk',
          ['workspace_id', 'tag_id'],
          'tags',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('customer_tags_tag_idx')
        .on('customer_tags')
        .columns(['workspace_id', 'tag_id'])
        .execute();

      await db.schema
        .createTable('groups')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('groups_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('groups_name_uq', ['workspace_id', 'name'])
        .addForeignKeyConstraint('groups_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema
        .createTable('customer_groups')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('group_id', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('customer_groups_pk', ['workspace_id', 'customer_id', 'group_id'])
        .addForeignKeyConstraint(
          'customer_groups_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .addForeignKeyConstraint(
          'customer_groups_group_fk',
          ['workspace_id', 'group_id'],
          'groups',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('customer_groups_group_idx')
        .on('customer_groups')
        .columns(['workspace_id', 'group_id'])
        .execute();

      await db.schema
        .createTable('notes')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('body', 'text', notNull)
        .addColumn('author_id', 'text')
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('notes_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint(
          'notes_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('notes_customer_idx')
        .on('notes')
        .columns(['workspace_id', 'customer_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('segments')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('description', 'text')
        .addColumn('rule', json, notNull)
        .addColumn('system_key', 'text')
        .addColumn('created_at', ts, notNull)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('segments_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('segments_name_uq', ['workspace_id', 'name'])
        .addForeignKeyConstraint('segments_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();

      await db.schema
        .createTable('customer_rfm')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('r_score', 'integer', notNull)
        .addColumn('f_score', 'integer', notNull)
        .addColumn('m_score', 'integer', notNull)
        .addColumn('rfm_class', 'text', notNull)
        .addColumn('value_tier', 'text', notNull)
        .addColumn('lifecycle', 'text', notNull)
        .addColumn('computed_at', ts, notNull)
        .addPrimaryKeyConstraint('customer_rfm_pk', ['workspace_id', 'customer_id'])
        .addForeignKeyConstraint(
          'customer_rfm_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('customer_rfm_class_idx')
        .on('customer_rfm')
        .columns(['workspace_id', 'rfm_class'])
        .execute();

      await db.schema
        .createTable('workspace_settings')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('key', 'text', notNull)
        .addColumn('value', json, notNull)
        .addColumn('updated_at', ts, notNull)
        .addPrimaryKeyConstraint('workspace_settings_pk', ['workspace_id', 'key'])
        .addForeignKeyConstraint('workspace_settings_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();

      await db.schema.createIndex('orders_activity_idx').on('orders').columns(['workspace_id', 'activity']).execute();
      await db.schema
        .createIndex('order_items_category_idx')
        .on('order_items')
        .columns(['workspace_id', 'category'])
        .execute();
    },
  };
}
