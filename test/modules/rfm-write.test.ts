import SqliteDatabase from 'better-sqlite3';
import { expect, it } from 'vitest';
import { sqlitePath } from '../../src/db/connect.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { type RfmWriteOptions, recomputeRfm, setRfmSettings } from '../../src/modules/segments/rfm.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { describeBothDatabases, type TestEnv } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/**
 * The two ways a pass writes customer_rfm — one upsert with a change check, or staging the fresh
 * rows and replacing the workspace's rows (or upserting only the changed ones) — leave exactly the
 * same rows, computed_at included, from the same starting table: empty, partly changed, after new
 * RFM settings. Another workspace in the same table is never touched.
 */
describeBothDatabases('RFM: staged replace equals the upsert', (env) => {
  type Row = Record<string, unknown>;
  const rowsOf = async (e: TestEnv, ws: string): Promise<Row[]> => {
    const rows = await e.db.kysely
      .selectFrom('customer_rfm')
      .selectAll()
      .where('workspace_id', '=', ws)
      .orderBy('customer_id')
      .execute();
    return rows.map((r) => ({ ...r, computed_at: new Date(r.computed_at).toISOString() }));
  };
  const restore = async (e: TestEnv, ws: string, rows: Row[]) => {
    await e.db.kysely.deleteFrom('customer_rfm').where('workspace_id', '=', ws).execute();
    for (let i = 0; i < rows.length; i += 100)
      await e.db.kysely
        .insertInto('customer_rfm')
        .values(rows.slice(i, i + 100) as never)
        .execute();
  };

  let seq = 0;
  /** Orders for `n` buyers (nick prefix `p`), 1–4 orders each over two years, seeded. */
  const buy = async (e: TestEnv, ws: string, p: string, n: number, seed: number) => {
    const store = await ensureStore(e.ctx, ws, '店', 'taobao');
    let x = seed;
    const rnd = () => {
      x = (x * 1103515245 + 12345) % 2147483648;
      return x / 2147483648;
    };
    const records: ReturnType<typeof orderRecord>[] = [];
    for (let i = 0; i < n; i++)
      for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) {
        const day = new Date(Date.parse('2024-11-01T00:00:00Z') + Math.floor(rnd() * 730) * 86_400_000);
        records.push(
          orderRecord({
            externalId: `o${seq++}`,
            createdAt: day.toISOString(),
            paidFen: rnd() < 0.1 ? 0 : 1000 + Math.floor(rnd() * 50_000),
            buyer: { nick: `${p}${i}`, externalId: null, email: null, phone: null, name: null },
          }),
        );
      }
    await e.db.kysely
      .transaction()
      .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
  };

  /** From the same table, each way of writing; returns what the staged pass did. */
  const same = async (e: TestEnv, other: string, otherRows: Row[]) => {
    const start = await rowsOf(e, e.workspaceId);
    const results: Row[][] = [];
    const found: Parameters<NonNullable<RfmWriteOptions['onWrite']>>[0][] = [];
    for (const write of ['upsert', 'replace', 'staged'] as const) {
      await restore(e, e.workspaceId, start);
      await recomputeRfm(e.ctx, e.workspaceId, undefined, { write, onWrite: (w) => found.push(w) });
      results.push(await rowsOf(e, e.workspaceId));
    }
    expect(results[0]!.length).toBeGreaterThan(0);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(await rowsOf(e, other)).toEqual(otherRows);
    return { start, after: results[0]!, staged: found[1]! };
  };

  it('empty, partly changed, new settings, nothing changed: same rows; the other workspace untouched', async () => {
    const e = env();
    e.setNow('2026-11-01T04:00:00.000Z');
    const other = (await createWorkspace(e.ctx, '别的店')).id;
    await buy(e, other, 'b', 30, 7);
    await recomputeRfm(e.ctx, other, undefined, { write: 'upsert' });
    const otherRows = await rowsOf(e, other);
    expect(otherRows.length).toBeGreaterThan(20);

    await buy(e, e.workspaceId, 'a', 60, 1);
    // Empty table: the staged pass replaces (inserts everything).
    e.setNow('2026-11-02T04:00:00.000Z');
    const empty = await same(e, other, otherRows);
    expect(empty.start).toEqual([]);
    expect(empty.staged).toMatchObject({ old: 0, how: 'replace' });
    expect(empty.staged.changed).toBe(empty.after.length);

    // Partly changed: two buyers order again, one new buyer, a few days on. Few rows change: the
    // staged pass upserts only those, unchanged rows keep their computed_at.
    await buy(e, e.workspaceId, 'a', 2, 99);
    await buy(e, e.workspaceId, 'new', 1, 5);
    e.setNow('2026-11-05T04:00:00.000Z');
    const partly = await same(e, other, otherRows);
    expect(partly.staged.how).toBe('update');
    expect(partly.staged.changed).toBeGreaterThan(0);
    expect(partly.after.filter((r) => r.computed_at === '2026-11-02T04:00:00.000Z').length).toBeGreaterThan(0);
    expect(partly.after.filter((r) => r.computed_at === '2026-11-05T04:00:00.000Z').length).toBe(partly.staged.changed);

    // New settings (fixed thresholds, shorter windows): most rows change, the staged pass replaces.
    await setRfmSettings(e.ctx, e.workspaceId, {
      dormantDays: 60,
      churnDays: 200,
      churnRiskDays: 90,
      scoring: 'thresholds',
      thresholds: { recencyDays: [30, 90, 180, 365], orders: [2, 3, 4, 5], spentFen: [5000, 20000, 40000, 80000] },
    });
    e.setNow('2026-11-06T04:00:00.000Z');
    const settings = await same(e, other, otherRows);
    expect(settings.staged.how).toBe('replace');
    expect(settings.staged.old).toBe(settings.start.length);
    expect(settings.staged.changed).toBeGreaterThan(0.3 * settings.start.length);
    expect(settings.after.filter((r) => r.computed_at === '2026-11-06T04:00:00.000Z').length).toBe(
      settings.staged.changed,
    );

    // Nothing changed: nothing written.
    const nothing = await same(e, other, otherRows);
    expect(nothing.staged).toMatchObject({ changed: 0, how: 'nothing' });
    expect(nothing.after).toEqual(nothing.start);
  });
});

/**
 * On SQLite a pass ranks into temporary tables (no write lock on the shop's file) and writes customer_rfm in short
 * transactions of a range of customers each: between two of them another connection takes the write lock at once.
 * The rows equal those of one transaction; a pass stopped midway leaves whole rows, and the next pass completes them.
 */
describeBothDatabases('RFM: the pass writes in short transactions', (env) => {
  const rowsOf = async (e: TestEnv) =>
    (
      await e.db.kysely
        .selectFrom('customer_rfm')
        .selectAll()
        .where('workspace_id', '=', e.workspaceId)
        .orderBy('customer_id')
        .execute()
    ).map((r) => ({ ...r, computed_at: new Date(r.computed_at).toISOString() }));

  it('chunks equal one transaction; another connection writes between chunks; a stopped pass completes', async () => {
    const e = env();
    const store = await ensureStore(e.ctx, e.workspaceId, '店', 'taobao');
    const records: ReturnType<typeof orderRecord>[] = [];
    for (let i = 0; i < 50; i++)
      for (let k = 0; k <= i % 4; k++)
        records.push(
          orderRecord({
            externalId: `c${i}-${k}`,
            createdAt: new Date(
              Date.parse('2025-01-01T00:00:00Z') + ((i * 37 + k * 11) % 600) * 86_400_000,
            ).toISOString(),
            paidFen: i % 9 === 0 ? 0 : 1000 + ((i * 7919) % 40_000),
            buyer: { nick: `buyer${i}`, externalId: null, email: null, phone: null, name: null },
          }),
        );
    await e.db.kysely
      .transaction()
      .execute((trx) => ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records));
    e.setNow('2026-11-02T04:00:00.000Z');
    await recomputeRfm(e.ctx, e.workspaceId, undefined, { chunkCustomers: 1_000_000 });
    const whole = await rowsOf(e);
    expect(whole).toHaveLength(50);
    await e.db.kysely.deleteFrom('customer_rfm').where('workspace_id', '=', e.workspaceId).execute();

    const sqlite = e.db.dialect === 'sqlite';
    // Another connection, which must not wait at all for the write lock (SQLite; PostgreSQL writes in one transaction).
    const other = sqlite ? new SqliteDatabase(sqlitePath(e.url), { timeout: 0 }) : null;
    try {
      const chunks: number[] = [];
      await recomputeRfm(e.ctx, e.workspaceId, undefined, {
        chunkCustomers: 7,
        afterChunk: (n) => {
          chunks.push(n);
          if (!other) return;
          other.exec('BEGIN IMMEDIATE');
          other.prepare(`UPDATE workspaces SET name = name WHERE id = ?`).run(e.workspaceId);
          other.exec('COMMIT');
        },
      });
      expect(chunks).toEqual(sqlite ? [1, 2, 3, 4, 5, 6, 7, 8] : [1]);
      expect(await rowsOf(e)).toEqual(whole);

      // Stopped after its third chunk (the worker died, the job failed): whole rows for the ranges written, none for
      // the rest; the next pass writes the rest, the same rows as one transaction.
      await e.db.kysely.deleteFrom('customer_rfm').where('workspace_id', '=', e.workspaceId).execute();
      await expect(
        recomputeRfm(e.ctx, e.workspaceId, undefined, {
          chunkCustomers: 7,
          afterChunk: (n) => {
            if (n === (sqlite ? 3 : 1)) throw new Error('stopped');
          },
        }),
      ).rejects.toThrow('stopped');
      const half = await rowsOf(e);
      if (sqlite) {
        expect(half).toEqual(whole.slice(0, 21));
        // Its temporary tables went with it.
        const left = await e.db.kysely
          .selectFrom('sqlite_temp_master' as never)
          .select('name' as never)
          .execute();
        expect(left).toEqual([]);
      } else expect(half).toEqual(whole);
      await recomputeRfm(e.ctx, e.workspaceId, undefined, { chunkCustomers: 7 });
      expect(await rowsOf(e)).toEqual(whole);
    } finally {
      other?.close();
    }
  });
});
