import { type SqlBool, sql } from 'kysely';

/**
 * `status = 'queued'`, the condition of `messages_queue_idx` (migration 0067), written as a literal: SQLite's
 * planner uses a partial index only when the query states its condition the same way (a bound parameter would
 * make the statement re-prepare on every run). For the reads and updates of a source's queued messages.
 */
export const isQueued = sql<SqlBool>`status = 'queued'`;
