import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Automation runs and steps keep why they were skipped, exited or passed as a code and parameters
 * (core/reasons.ts) beside the Chinese text, so the run log and the customer's timeline say it in the reader's
 * language. Rows written before have none and keep showing their text.
 */
export function automationReasons(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const table of ['automation_runs', 'automation_steps']) {
        await db.schema.alterTable(table).addColumn('reason_key', 'text').execute();
        await db.schema.alterTable(table).addColumn('reason_params', 'text').execute();
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['automation_runs', 'automation_steps']) {
        await db.schema.alterTable(table).dropColumn('reason_params').execute();
        await db.schema.alterTable(table).dropColumn('reason_key').execute();
      }
    },
  };
}
