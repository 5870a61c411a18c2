import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Fewer B-trees and no per-row foreign-key check for every message a campaign writes (issue 11, "Campaigns" in
 * the README):
 * - messages_provider_ref_idx (workspace, channel, provider_ref) becomes partial, only the rows that have a
 *   provider reference: the one query that needs it is a receipt by the provider's serial number, which always
 *   names one (`provider_ref = ?` implies IS NOT NULL, so both databases use the partial index). A queued, held
 *   or skipped message, or one sent through the outbox, no longer enters it.
 * - the messages → messaging_channels foreign key is dropped: it checked (and on PostgreSQL share-locked) the
 *   channel once per message row. What it guarded — a channel is never deleted while a message names it — is
 *   kept by messaging_channels.in_use: every transaction that writes messages marks its channel used and holds
 *   it (`holdChannel`: on PostgreSQL FOR KEY SHARE, once per transaction rather than once per row), and a
 *   channel is deleted only by a DELETE guarded by `in_use = 0` (`deleteChannel`). The same flag answers "has
 *   this channel sent messages" (its medium is then fixed), which used to probe the index's (workspace,
 *   channel) prefix.
 */
export function messagesWriteCost(dialect: Dialect) {
  const pg = dialect === 'postgres';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('messaging_channels')
        .addColumn('in_use', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // While the old index still serves the (workspace, channel) probe.
      await sql`UPDATE messaging_channels SET in_use = 1 WHERE EXISTS (SELECT 1 FROM messages m
        WHERE m.workspace_id = messaging_channels.workspace_id AND m.channel_id = messaging_channels.id)`.execute(db);
      await db.schema.dropIndex('messages_provider_ref_idx').execute();
      await sql`CREATE INDEX messages_provider_ref_idx ON messages (workspace_id, channel_id, provider_ref)
        WHERE provider_ref IS NOT NULL`.execute(db);
      if (pg) await sql`ALTER TABLE messages DROP CONSTRAINT messages_channel_fk`.execute(db);
      else await rebuildSqliteMessages(db, false);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (pg)
        await sql`ALTER TABLE messages ADD CONSTRAINT messages_channel_fk FOREIGN KEY (workspace_id, channel_id)
          REFERENCES messaging_channels (workspace_id, id)`.execute(db);
      else await rebuildSqliteMessages(db, true);
      await db.schema.dropIndex('messages_provider_ref_idx').execute();
      await db.schema
        .createIndex('messages_provider_ref_idx')
        .on('messages')
        .columns(['workspace_id', 'channel_id', 'provider_ref'])
        .execute();
      await db.schema.alterTable('messaging_channels').dropColumn('in_use').execute();
    },
  };
}

/**
 * SQLite cannot drop a constraint: the table is rebuilt with the same columns and indexes, with or without the
 * channel foreign key (SQLite's documented twelve steps: foreign keys off outside the transaction, so dropping
 * the old table does not cascade into message_links, whose foreign key then names the new table).
 */
async function rebuildSqliteMessages(db: Kysely<unknown>, withChannelFk: boolean): Promise<void> {
  const { rows } = await sql<{
    sql: string;
  }>`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'messages'`.execute(db);
  const ddl = rows[0]?.sql;
  if (!ddl) throw new Error('no messages table');
  const fk =
    ', constraint "messages_channel_fk" foreign key ("workspace_id", "channel_id")' +
    ' references "messaging_channels" ("workspace_id", "id")';
  let next: string;
  if (withChannelFk) {
    if (ddl.includes('messages_channel_fk')) return;
    next = `${ddl.slice(0, ddl.lastIndexOf(')'))}${fk})`;
  } else {
    if (!ddl.includes(fk)) throw new Error(`messages_channel_fk not found in ${ddl}`);
    next = ddl.replace(fk, '');
  }
  next = next.replace(/^CREATE TABLE (IF NOT EXISTS )?"?messages"?/, 'CREATE TABLE "messages_rebuilt"');
  const idx = await sql<{ sql: string }>`SELECT sql FROM sqlite_master
    WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL`.execute(db);
  await sql`PRAGMA foreign_keys = OFF`.execute(db);
  try {
    await sql`BEGIN IMMEDIATE`.execute(db);
    try {
      await sql.raw(next).execute(db);
      await sql`INSERT INTO messages_rebuilt SELECT * FROM messages`.execute(db);
      await sql`DROP TABLE messages`.execute(db);
      await sql`ALTER TABLE messages_rebuilt RENAME TO messages`.execute(db);
      for (const r of idx.rows) await sql.raw(r.sql).execute(db);
      const bad = await sql`PRAGMA foreign_key_check`.execute(db);
      if (bad.rows.length)
        throw new Error(`foreign key check failed after rebuilding messages: ${JSON.stringify(bad.rows[0])}`);
      await sql`COMMIT`.execute(db);
    } catch (e) {
      await sql`ROLLBACK`.execute(db);
      throw e;
    }
  } finally {
    await sql`PRAGMA foreign_keys = ON`.execute(db);
  }
}
