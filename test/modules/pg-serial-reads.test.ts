/**
 * The server's PostgreSQL connections plan no parallel workers (connect.ts `serialReads`): a request's short
 * statements do not start workers for a few ms of work. A heavy read gets the database's own setting back for its
 * transaction, and only that transaction; the short-lane reads (a search, a first page's count) stay serial.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, PREPARED_PER_CONNECTION, type Db } from '../../src/db/connect.js';
import type { AppContext } from '../../src/modules/context.js';
import { offLoop } from '../../src/modules/heavy/run.js';
import { PG_URL } from '../helpers.js';

/** offLoop with a read of the test's own in place of the task's function. */
const heavy = offLoop as unknown as (
  ctx: AppContext,
  task: string,
  read: (c: AppContext) => Promise<string>,
) => Promise<string>;

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
    expect(await heavy(ctx, 'segments.count', inside)).toBe(own);
    expect(await heavy(ctx, 'analytics.overview', inside)).toBe(own);
    expect(await heavy(ctx, 'customers.search', inside)).toBe('0');
    expect(await heavy(ctx, 'customers.count', inside)).toBe('0');
    // SET LOCAL: gone with the heavy read's transaction.
    expect(await Promise.all([workers(serial.kysely), workers(serial.kysely)])).toEqual(['0', '0']);
    // A connection opened without it (the job worker's, the CLI's) keeps the database's setting.
    expect(await heavy({ db: plain, now: () => new Date() }, 'customers.search', inside)).toBe(own);
  });
});

describe.skipIf(!PG_URL)('named statements on the server’s connections [postgres]', () => {
  let named: Db;
  let plain: Db;
  beforeAll(() => {
    // One connection, so that every statement below is prepared on the session the checks read.
    named = openDatabase(PG_URL!, { prepared: true, poolSize: 1 });
    plain = openDatabase(PG_URL!, { poolSize: 1 });
  });
  afterAll(async () => {
    await named?.close();
    await plain?.close();
  });

  const preparedHere = async () =>
    (
      await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements
        ORDER BY name`.execute(named.kysely)
    ).rows;

  it('prepares each SELECT text once per connection, up to a bound, with the same answers as unnamed', async () => {
    const squares = (k: Db['kysely'], n: number) =>
      sql<{ x: number }>`SELECT g * g AS x FROM generate_series(1, ${n}::int) g ORDER BY g`.execute(k);
    for (const n of [3, 5, 3])
      expect((await squares(named.kysely, n)).rows).toEqual((await squares(plain.kysely, n)).rows);
    const before = await preparedHere();
    // One statement for the three calls (and one for the look-up itself), named by the order the texts came.
    expect(before.filter((p) => p.statement.includes('generate_series'))).toHaveLength(1);
    expect(before.every((p) => /^huike_\d+$/.test(p.name))).toBe(true);
    // Not a write: a temporary table's INSERT is sent unnamed.
    await sql`CREATE TEMPORARY TABLE IF NOT EXISTS t_named (n int)`.execute(named.kysely);
    await sql`INSERT INTO t_named VALUES (1)`.execute(named.kysely);
    expect((await preparedHere()).some((p) => /insert|create/i.test(p.statement))).toBe(false);
    // Past PREPARED_PER_CONNECTION texts the rest are sent unnamed, still answered.
    for (let i = 0; i < PREPARED_PER_CONNECTION + 20; i++) {
      const r = await sql<{ n: number }>`SELECT ${sql.lit(i)}::int AS n`.execute(named.kysely);
      expect(r.rows[0]!.n).toBe(i);
    }
    expect(await preparedHere()).toHaveLength(PREPARED_PER_CONNECTION);
  });
});
