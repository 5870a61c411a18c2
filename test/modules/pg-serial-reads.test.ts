/**
 * The server's PostgreSQL connections plan no parallel workers (connect.ts `serialReads`): a request's short
 * statements do not start workers for a few ms of work. A heavy read gets the database's own setting back for its
 * transaction, and only that transaction; the short-lane reads (a search, a first page's count) stay serial.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.js';
import type { AppContext } from '../../src/modules/context.js';
import { offLoop } from '../../src/modules/heavy/run.js';
import { PG_URL } from '../helpers.js';

const workers = async (k: Db['kysely']) =>
  (await sql<{ v: string }>`SELECT current_setting('max_parallel_workers_per_gather') AS v`.execute(k)).rows[0]!.v;

describe.skipIf(!PG_URL)('serial reads on the server’s connections [postgres]', () => {
  let serial: Db;
  let plain: Db;
  beforeAll(() => {
    serial = openDatabase(PG_URL!, { serialReads: true, poolSize: 2 });
    plain = openDatabase(PG_URL!, { poolSize: 1 });
  });
  afterAll(async () => {
    await serial?.close();
    await plain?.close();
  });

  it('plans no parallel workers but in a heavy read (the database’s own setting, for its transaction)', async () => {
    const own = await workers(plain.kysely);
    expect(own).not.toBe('0'); // PostgreSQL's default is 2: otherwise this test could not tell
    // Both pooled connections, each opened serial.
    expect(await Promise.all([workers(serial.kysely), workers(serial.kysely)])).toEqual(['0', '0']);
    const ctx: AppContext = { db: serial, now: () => new Date() };
    const inside = (c: AppContext) => workers(c.db.kysely);
    expect(await offLoop(ctx, 'segments.count', inside as never)).toBe(own);
    expect(await offLoop(ctx, 'analytics.overview', inside as never)).toBe(own);
    expect(await offLoop(ctx, 'customers.search', inside as never)).toBe('0');
    expect(await offLoop(ctx, 'customers.count', inside as never)).toBe('0');
    // SET LOCAL: gone with the heavy read's transaction.
    expect(await Promise.all([workers(serial.kysely), workers(serial.kysely)])).toEqual(['0', '0']);
    // A connection opened without it (the job worker's, the CLI's) keeps the database's setting.
    expect(await offLoop({ db: plain, now: () => new Date() }, 'customers.search', inside as never)).toBe(own);
  });
});
