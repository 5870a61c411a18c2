import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The request each Idempotency-Key was first used with (a hash of route, parameters and body), so
 * the same key sent again with a different request is refused instead of replaying the first.
 */
export function idempotency(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('idempotency_keys')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('key', 'text', notNull)
        .addColumn('route', 'text', notNull)
        .addColumn('fingerprint', 'text', notNull)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['workspace_id', 'key'])
        .addForeignKeyConstraint('idempotency_keys_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('idempotency_keys').execute();
    },
  };
}
