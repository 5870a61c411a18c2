import { sql, type Kysely } from 'kysely';

/**
 * jobs.priority: lower goes first among due jobs. A job a request waits for (jobs/wait.ts) is 0; every other job 1, so
 * a seller's click is not queued behind an import's follow-up jobs or the nightly ones (only behind the job running).
 */
export function jobPriority() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`ALTER TABLE jobs ADD COLUMN priority integer NOT NULL DEFAULT 1`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`ALTER TABLE jobs DROP COLUMN priority`.execute(db);
    },
  };
}
