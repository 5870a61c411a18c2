import { sql, type Kysely } from 'kysely';

/**
 * Deleting a channel (one that never sent) has the database check that no inbound reply names it: with no index
 * starting with the channel, PostgreSQL's foreign-key check read the whole replies table (every workspace's) and
 * SQLite the workspace's replies through the customer index — 6–19 ms at 20k replies, growing with every reply
 * kept. Replies are few beside messages, so the index costs their writes little: 0.04 ms for the check.
 */
export function replyChannelIndex() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`CREATE INDEX IF NOT EXISTS inbound_replies_channel_idx
        ON inbound_replies (workspace_id, channel_id)`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`DROP INDEX IF EXISTS inbound_replies_channel_idx`.execute(db);
    },
  };
}
