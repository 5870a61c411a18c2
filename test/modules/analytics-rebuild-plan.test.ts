import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { clearAnalytics, rebuildAnalytics } from '../../src/modules/analytics/rebuild.js';
import type { AppContext } from '../../src/modules/context.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { freshMigratedDatabase } from '../helpers.js';
import { loggedDatabase, replayExplained } from '../support/plans.js';
import { cnyStores, ingestByStore, randomShop } from '../support/analytics-shop.js';

/**
 * The plan of a rebuild chunk on SQLite (issue 16). On the 1M-customer file, ANALYZEd before migration 0074 added
 * orders_paid_idx, the chunk's reads of its customers' orders took the purchase condition `paid_at IS NOT NULL` as a
 * range of that index (no statistics for it) and read every paid order of the workspace, one random table read each:
 * the first chunk did not commit in 7.5 min. The statistics of that file are written here (its orders indexes'
 * sqlite_stat1 rows, none for orders_paid_idx); every statement of one chunk that reads orders is replayed and must
 * read them by the customer index, with those statistics and with none. 0074 now makes that index on PostgreSQL only;
 * the file here is given it, as such a file has it: the chunk names its index whatever indexes a file has.
 */
const STATS_BEFORE_0074: [string, string, string][] = [
  ['orders', 'orders_customer_idx', '2950237 2950237 3 1'],
  ['orders', 'orders_created_idx', '2950237 2950237 4036'],
  ['orders', 'orders_activity_idx', '2950237 2950237 737560'],
  ['orders', 'sqlite_autoindex_orders_1', '2950237 2950237 1'],
  ['orders', 'sqlite_autoindex_orders_2', '2950237 2950237 2950237 1'],
  ['order_items', 'sqlite_autoindex_order_items_1', '2950237 2950237 1 1'],
  ['customers', 'sqlite_autoindex_customers_1', '1000000 1000000 1'],
  ['customer_stats', 'sqlite_autoindex_customer_stats_1', '1000000 1000000 1'],
];

describe('a rebuild chunk on SQLite', () => {
  let db: Db;
  let url = '';
  let drop: () => Promise<void>;
  let ctx: AppContext;
  let ws = '';

  beforeAll(async () => {
    const fresh = await freshMigratedDatabase('sqlite');
    url = fresh.url;
    drop = fresh.drop;
    db = openDatabase(url);
    await migrateToLatest(db);
    await sql`CREATE INDEX IF NOT EXISTS orders_paid_idx ON orders (workspace_id, paid_at)`.execute(db.kysely);
    ctx = { db, now: () => new Date('2026-11-29T04:00:00.000Z') };
    ws = (await createWorkspace(ctx, '测试店铺')).id;
    const orders = randomShop(new Random(16), {
      prefix: 'P',
      phonePrefix: '1390000',
      firstDay: '2025-06-01',
      days: 500,
      stores: 2,
      maxYuan: 40,
      hours: [10, 23],
    });
    await ingestByStore(ctx, await cnyStores(ctx, ws), orders(300, 80));
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  /** The plan of each statement of the first chunk of a rebuild from nothing that reads orders, on a new connection. */
  async function chunkPlans() {
    const { db: logged, statements } = loggedDatabase(url);
    try {
      await clearAnalytics(db.kysely, ws);
      await sql`DELETE FROM analytics_rebuilds`.execute(db.kysely);
      const stop = new Error('one chunk');
      await expect(
        rebuildAnalytics({ db: logged, now: ctx.now }, ws, {
          chunkOrders: 60,
          afterChunk: () => {
            throw stop;
          },
        }),
      ).rejects.toBe(stop);
      const first = statements.findIndex((q) => /^\s*SELECT customer_id AS id FROM orders WHERE/.test(q.sql));
      expect(first, 'the chunk reads its customers').toBeGreaterThan(0);
      const chunk = statements.slice(first);
      // Replayed on the same kind of connection: the chunk's temporary table made, each read of orders explained.
      const plans = await replayExplained(logged, chunk, {
        explain: (text) => /\bFROM orders o\b/.test(text),
        run: (text) => /^\s*CREATE TEMPORARY/i.test(text),
      });
      return plans.map((p) => ({ ...p, sql: p.sql.replace(/\s+/g, ' ').slice(0, 120) }));
    } finally {
      await logged.close();
    }
  }

  for (const stats of ['none', 'of a file ANALYZEd before migration 0074'] as const)
    it(`reads its customers' orders by the customer index, not the paid index (statistics: ${stats})`, async () => {
      if (stats !== 'none') {
        await sql`ANALYZE`.execute(db.kysely);
        await sql`DELETE FROM sqlite_stat1`.execute(db.kysely);
        const stat4 = await sql`SELECT name FROM sqlite_master WHERE name = 'sqlite_stat4'`.execute(db.kysely);
        if (stat4.rows.length) await sql`DELETE FROM sqlite_stat4`.execute(db.kysely);
        for (const [tbl, idx, stat] of STATS_BEFORE_0074)
          await sql`INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (${tbl}, ${idx}, ${stat})`.execute(db.kysely);
      }
      const plans = await chunkPlans();
      // The changed customers' fresh buyer rows (twice in one statement), their rows rewritten, the product rows.
      expect(plans.length, JSON.stringify(plans, null, 1)).toBeGreaterThanOrEqual(3);
      for (const { sql: text, plan } of plans) {
        const what = `${text}\n${plan.join('\n')}`;
        const orders = plan.filter((l) => /^(SEARCH|SCAN) o\b/.test(l));
        expect(orders.length, what).toBeGreaterThan(0);
        for (const line of orders)
          expect(line, what).toMatch(
            /^SEARCH o USING (COVERING )?INDEX orders_customer_idx \(workspace_id=\? AND customer_id/,
          );
      }
    });
});
