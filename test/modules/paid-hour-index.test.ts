/**
 * Migration 0075 on SQLite: the dashboard's paid-hour index is made, and a plain `orders (workspace_id, paid_at)`
 * given to the file by hand is dropped (with statistics, SQLite sent every per-customer purchase read down it).
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { freshMigratedDatabase } from '../helpers.js';

describe('migration 0075 on SQLite', () => {
  it('makes the paid-hour index and drops a plain paid_at index made by hand', async () => {
    const fresh = await freshMigratedDatabase('sqlite');
    const db = openDatabase(fresh.url);
    const indexes = async () =>
      (
        await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders'
          AND name IN ('orders_paid_idx', 'orders_paid_hour_idx') ORDER BY name`.execute(db.kysely)
      ).rows.map((r) => r.name);
    try {
      expect(await indexes()).toEqual(['orders_paid_hour_idx']);
      // A file at 0074 that was given the plain index by hand.
      await sql`DROP INDEX orders_paid_hour_idx`.execute(db.kysely);
      await sql`CREATE INDEX orders_paid_idx ON orders (workspace_id, paid_at)`.execute(db.kysely);
      await sql`DELETE FROM kysely_migration WHERE name = '0075_orders_paid_hour'`.execute(db.kysely);
      expect(await migrateToLatest(db)).toContain('0075_orders_paid_hour');
      expect(await indexes()).toEqual(['orders_paid_hour_idx']);
    } finally {
      await db.close();
      await fresh.drop();
    }
  });
});
