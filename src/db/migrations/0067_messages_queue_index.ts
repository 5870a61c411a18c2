import { type Kysely, sql } from 'kysely';

/**
 * The messages by source index becomes a delivery queue (issue 11, "Campaigns" in the README): only queued
 * messages enter it, by (workspace, source, send time). It was (workspace, source_type, source_id, status) on
 * every message, ≈ 20 % of the cost of writing one on both databases; a held, skipped, cancelled or sent
 * message no longer pays for it, and a sent one leaves it.
 * - The delivery runs (a campaign's queued messages by send time; the others', `source_type` on either side of
 *   'campaign'), pause, cancel and "is the queue empty" all ask for `status = 'queued'`, written as a literal so
 *   SQLite's planner sees the index's condition in the query (a bound parameter would make it re-prepare).
 * - Every other read by source — the report, attribution's sent counts, the plan's resume, `/messages?sourceId=`,
 *   the hand-off table — reads the exactly-once key's (workspace, source_type, source_id) prefix.
 */
export function messagesQueueIndex() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('messages_source_idx').execute();
      await sql`CREATE INDEX messages_queue_idx ON messages (workspace_id, source_type, source_id, send_at)
        WHERE status = 'queued'`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('messages_queue_idx').execute();
      await db.schema
        .createIndex('messages_source_idx')
        .on('messages')
        .columns(['workspace_id', 'source_type', 'source_id', 'status'])
        .execute();
    },
  };
}
