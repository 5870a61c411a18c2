import { sql, type Kysely } from 'kysely';

/**
 * import_runs.stats_total / stats_done: after its last row an import refreshes its buyers' stats (0083), which takes
 * minutes on a large file (~37 s for 400,000 buyers, ~260 s for 2 million). The run records how many buyers that is and
 * how many are done, so the console shows this last step instead of a bar standing at 100 %. Null before the step.
 */
export function importRunsStatsRefresh() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`ALTER TABLE import_runs ADD COLUMN stats_total integer`.execute(db);
      await sql`ALTER TABLE import_runs ADD COLUMN stats_done integer`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`ALTER TABLE import_runs DROP COLUMN stats_done`.execute(db);
      await sql`ALTER TABLE import_runs DROP COLUMN stats_total`.execute(db);
    },
  };
}
