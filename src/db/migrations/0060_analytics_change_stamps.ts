import type { Kysely } from 'kysely';

/**
 * analytics_changes.stamp: a random id per change. The analytics saved to a file (modules/analytics/memory-file.ts)
 * record the stamp of their version; a file is used at start only while the database still holds that change with
 * that stamp, so a restored or different database that reached the same version number is not taken for it.
 */
export function analyticsChangeStamps() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('analytics_changes').addColumn('stamp', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('analytics_changes').dropColumn('stamp').execute();
    },
  };
}
