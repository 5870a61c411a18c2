import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Import rejections and tier changes keep their reason as a code and parameters (core/reasons.ts) beside the
 * English text, so the console and the rejected-rows CSV say them in the reader's language. Rows written before
 * have none and keep showing their text.
 */
export function reasonCodes(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const table of ['import_errors', 'tier_history']) {
        await db.schema.alterTable(table).addColumn('reason_key', 'text').execute();
        await db.schema.alterTable(table).addColumn('reason_params', 'text').execute();
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      for (const table of ['import_errors', 'tier_history']) {
        await db.schema.alterTable(table).dropColumn('reason_params').execute();
        await db.schema.alterTable(table).dropColumn('reason_key').execute();
      }
    },
  };
}
