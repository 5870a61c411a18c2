import { openDatabase, type Db } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import type { AppContext } from '../modules/context.js';

/**
 * Opens the configured database (DATABASE_URL) and brings its schema up to date. `serve` asks for serial reads and
 * named statements on PostgreSQL (connect.ts): its requests' short statements plan no parallel workers, and each
 * SELECT is planned once per connection. The schema is brought up to date on a connection of its own first, so that
 * no statement prepared before a migration meets the changed tables.
 */
export async function openApp(
  opts: { serialReads?: boolean; prepared?: boolean } = {},
): Promise<AppContext & { db: Db }> {
  const db = openDatabase(undefined, opts);
  if (db.dialect === 'postgres' && opts.prepared) {
    const schema = openDatabase(db.url);
    try {
      await migrateToLatest(schema);
    } finally {
      await schema.close();
    }
  } else await migrateToLatest(db);
  return { db, now: () => new Date() };
}

/** Runs one command against the database and closes it afterwards, whatever happens. */
export async function withApp<T>(fn: (ctx: AppContext & { db: Db }) => Promise<T>): Promise<T> {
  const ctx = await openApp();
  try {
    return await fn(ctx);
  } finally {
    await ctx.db.close();
  }
}

export function fail(e: unknown): never {
  process.stderr.write(`huike: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}

export const DEMO_LOGIN = 'admin';
export const DEMO_PASSWORD = 'huike-demo';
