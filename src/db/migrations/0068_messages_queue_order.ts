import { type Kysely, sql } from 'kysely';

/**
 * The delivery queue index (0067) carries the message id after the send time: a delivery batch asks for its
 * due messages `ORDER BY send_at, id LIMIT n`, and without the id both databases read every due message of
 * the campaign to sort the ties (a plan's messages share one send time). With it the batch is the first n
 * entries of the index: at 900k queued messages 465 → 1.5 ms on SQLite, 635 → 2.1 ms on PostgreSQL (README,
 * Campaigns).
 */
export function messagesQueueOrder() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('messages_queue_idx').execute();
      await sql`CREATE INDEX messages_queue_idx ON messages (workspace_id, source_type, source_id, send_at, id)
        WHERE status = 'queued'`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('messages_queue_idx').execute();
      await sql`CREATE INDEX messages_queue_idx ON messages (workspace_id, source_type, source_id, send_at)
        WHERE status = 'queued'`.execute(db);
    },
  };
}
