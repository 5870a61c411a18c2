import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * jobs.result: what a finished job reports (the counts of a tier evaluation, an RFM pass, a points or coupon sync),
 * for the request that queued it and waits for it (jobs/wait.ts). Null for jobs that report nothing.
 */
export function jobResults(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`ALTER TABLE jobs ADD COLUMN result ${sql.raw(dialect === 'postgres' ? 'jsonb' : 'text')}`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`ALTER TABLE jobs DROP COLUMN result`.execute(db);
    },
  };
}
