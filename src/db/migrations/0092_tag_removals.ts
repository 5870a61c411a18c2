import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * A tag taken off a customer, kept for the customer's timeline: removing a tag deleted its customer_tags row, and with
 * it the timeline's 打标签 entry, so the file showed neither that the tag had been there nor that someone took it off.
 * The row keeps the tag's name (a tag may be deleted later), when and by whom it was put on and taken off. Keyed by
 * customer first: the timeline reads one customer's removals by the key.
 */
export function tagRemovals(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('customer_tag_removals')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('tag_id', 'text', notNull)
        .addColumn('removed_at', ts, notNull)
        .addColumn('tag_name', 'text', notNull)
        .addColumn('added_at', ts, notNull)
        .addColumn('added_by', 'text')
        .addColumn('removed_by', 'text')
        .addPrimaryKeyConstraint('customer_tag_removals_pk', ['workspace_id', 'customer_id', 'tag_id', 'removed_at'])
        .addForeignKeyConstraint(
          'customer_tag_removals_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('customer_tag_removals').execute();
    },
  };
}
