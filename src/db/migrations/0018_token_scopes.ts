import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * API tokens get scopes ("read" or "read write"; tokens made before keep both) and an optional expiry, so a
 * script can be given a read-only token that stops working on a date.
 */
export function tokenScopes(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('api_tokens')
        .addColumn('scopes', 'text', (c) => c.notNull().defaultTo('read write'))
        .execute();
      await db.schema.alterTable('api_tokens').addColumn('expires_at', ts).execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('api_tokens').dropColumn('expires_at').execute();
      await db.schema.alterTable('api_tokens').dropColumn('scopes').execute();
    },
  };
}
