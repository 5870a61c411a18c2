import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The audit log: who did what, when, from where. Append-only by construction: a trigger refuses
 * UPDATE and DELETE (and TRUNCATE on PostgreSQL), so not even a bug or a hand-written query in
 * the application can rewrite history; only dropping the table (a migration) could.
 */
export function auditLog(dialect: Dialect) {
  const pg = dialect === 'postgres';
  const ts = pg ? 'timestamptz' : 'text';
  const json = pg ? 'jsonb' : 'text';
  const notNull = (c: ColumnDefinitionBuilder) => c.notNull();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('audit_log')
        .addColumn('workspace_id', 'text', notNull)
        // Time-sortable (ULID layout): the keyset of the newest-first listing.
        .addColumn('id', 'text', notNull)
        .addColumn('at', ts, notNull)
        // The user (or null for the system / an unknown login) and their login at the time.
        .addColumn('actor_id', 'text')
        .addColumn('actor_login', 'text')
        // session | token | system
        .addColumn('via', 'text', notNull)
        // e.g. auth.login_failed, customers.export, pii.reveal, settings.points
        .addColumn('action', 'text', notNull)
        // What it was done to: "customer 01J…", "segment 01J…", a login name …
        .addColumn('target', 'text')
        .addColumn('details', json)
        .addColumn('ip', 'text')
        .addPrimaryKeyConstraint('audit_log_pk', ['workspace_id', 'id'])
        .addForeignKeyConstraint('audit_log_ws_fk', ['workspace_id'], 'workspaces', ['id'])
        .execute();
      await db.schema
        .createIndex('audit_log_action_idx')
        .on('audit_log')
        .columns(['workspace_id', 'action', 'id'])
        .execute();
      await db.schema
        .createIndex('audit_log_actor_idx')
        .on('audit_log')
        .columns(['workspace_id', 'actor_login', 'id'])
        .execute();
      await db.schema.createIndex('audit_log_at_idx').on('audit_log').columns(['workspace_id', 'at']).execute();
      if (pg) {
        await sql`CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP; END $$`.execute(db);
        await sql`CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
          FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db);
        await sql`CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
          FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`.execute(db);
      } else {
        await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END`.execute(db);
        await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
          BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END`.execute(db);
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('audit_log').execute();
      if (pg) await sql`DROP FUNCTION IF EXISTS audit_log_append_only()`.execute(db);
    },
  };
}
