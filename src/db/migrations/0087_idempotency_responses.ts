import { sql, type Kysely } from 'kysely';

/**
 * idempotency_keys.response_status / response_body: the answer the first request with a key got, replayed to a retry
 * with the same key and request (the middleware replays it for every route; before, only routes whose service
 * deduplicated by key did — a note or a campaign posted three times with one key was made three times). Null while
 * the first request runs; a body too large or not JSON is not kept (status only: the retry runs the handler).
 */
export function idempotencyResponses() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`ALTER TABLE idempotency_keys ADD COLUMN response_status integer`.execute(db);
      await sql`ALTER TABLE idempotency_keys ADD COLUMN response_body text`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`ALTER TABLE idempotency_keys DROP COLUMN response_body`.execute(db);
      await sql`ALTER TABLE idempotency_keys DROP COLUMN response_status`.execute(db);
    },
  };
}
