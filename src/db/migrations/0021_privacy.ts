import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Personal data (PIPL) and several shops per login:
 * - consent_events: every change of marketing consent or a channel opt-out, with where it came from;
 * - pipl_requests: the record of each export or erasure (kept without a foreign key: it must outlive
 *   anything that happens to the customer row);
 * - erased_identities: salted digests of an erased customer's identifiers, so a re-import of an old
 *   export finds the erased customer instead of creating the person again with their data;
 * - customers.erased_at: when the customer's personal data was erased;
 * - users.account_id: user rows of one person in several workspaces share it (agencies).
 */
export function privacy(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const json = pg ? 'jsonb' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('consent_events')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        // marketing | sms | email | wechat
        .addColumn('channel', 'text', notNull)
        // marketing: granted | denied | unknown; a channel: subscribed | opted_out
        .addColumn('old_value', 'text')
        .addColumn('new_value', 'text', notNull)
        // import | attributes | console | api | reply | unsubscribe | merge | erasure | demo
        .addColumn('source', 'text', notNull)
        .addColumn('detail', 'text')
        .addColumn('actor_id', 'text')
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('consent_events_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint(
          'consent_events_customer_fk',
          ['workspace_id', 'customer_id'],
          'customers',
          ['workspace_id', 'id'],
          (fk) => fk.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('consent_events_customer_idx')
        .on('consent_events')
        .columns(['workspace_id', 'customer_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('pipl_requests')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        // export | erase
        .addColumn('kind', 'text', notNull)
        .addColumn('requested_by', 'text')
        .addColumn('requested_by_login', 'text')
        .addColumn('reason', 'text')
        .addColumn('summary', json, notNull)
        .addColumn('created_at', ts, notNull)
        .addPrimaryKeyConstraint('pipl_requests_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint('pipl_requests_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema
        .createIndex('pipl_requests_customer_idx')
        .on('pipl_requests')
        .columns(['workspace_id', 'customer_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('erased_identities')
        .addColumn('workspace_id', 'text', notNull)
        .addColumn('digest', 'text', notNull)
        .addColumn('customer_id', 'text', notNull)
        .addColumn('request_id', 'text', notNull)
        .addColumn('erased_at', ts, notNull)
        .addPrimaryKeyConstraint('erased_identities_pk', ['workspace_id', 'digest'])
        .addForeignKeyConstraint('erased_identities_request_fk', ['workspace_id', 'request_id'], 'pipl_requests', [
          'workspace_id',
          'id',
        ])
        .execute();

      await db.schema.alterTable('customers').addColumn('erased_at', ts).execute();
      await db.schema.alterTable('users').addColumn('account_id', 'text').execute();
      await sql`UPDATE users SET account_id = id WHERE account_id IS NULL`.execute(db);
      await db.schema.createIndex('users_account_idx').on('users').columns(['account_id']).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('users_account_idx').execute();
      await db.schema.alterTable('users').dropColumn('account_id').execute();
      await db.schema.alterTable('customers').dropColumn('erased_at').execute();
      await db.schema.dropTable('erased_identities').execute();
      await db.schema.dropTable('pipl_requests').execute();
      await db.schema.dropTable('consent_events').execute();
    },
  };
}
