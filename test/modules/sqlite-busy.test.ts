import SqliteDatabase from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openDatabase, sqlitePath } from '../../src/db/connect.js';
import { createApiToken, createUser } from '../../src/modules/auth/service.js';
import type { AppContext } from '../../src/modules/context.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { buildServer } from '../../src/server.js';
import { freshMigratedDatabase } from '../helpers.js';

/**
 * SQLite has one writer. While another connection (the jobs thread's, in the server) holds the write lock, a write
 * on the server's connection waits for it — without stopping the event loop, which SQLite's own synchronous busy
 * wait would — and, past its limit, is answered 503 "busy, retry" with nothing written.
 */
describe('SQLite: a write that meets another connection’s write lock', () => {
  let db: Db;
  let locker: SqliteDatabase.Database;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let token = '';
  let ctx: AppContext;

  beforeAll(async () => {
    const fresh = await freshMigratedDatabase('sqlite');
    drop = fresh.drop;
    db = openDatabase(fresh.url, { busyWaitMs: 1_500 });
    ctx = { db, now: () => new Date('2026-11-23T04:00:00.000Z') };
    const ws = await createWorkspace(ctx, '等锁的店');
    const u = await createUser(ctx, ws.id, { login: 'owner', password: 'secret-pass-1', role: 'owner' });
    token = (await createApiToken(ctx, ws.id, u.id, 'test')).token;
    app = await buildServer(ctx);
    locker = new SqliteDatabase(sqlitePath(fresh.url));
  });
  afterAll(async () => {
    if (locker?.inTransaction) locker.exec('ROLLBACK');
    locker?.close();
    await app?.close();
    await db?.close();
    await drop?.();
  });

  it('waits for the lock with the event loop free, then writes once the other transaction commits', async () => {
    locker.exec('BEGIN IMMEDIATE');
    // The other connection writes too, so a transaction that had read before it would be stale (BUSY_SNAPSHOT).
    locker.prepare(`UPDATE workspaces SET name = name WHERE name = '等锁的店'`).run();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const write = createWorkspace(ctx, '第二家店');
    await new Promise((r) => setTimeout(r, 300));
    const duringWait = ticks;
    locker.exec('COMMIT');
    const ws = await write;
    clearInterval(timer);
    // SQLite's synchronous busy wait would have held the loop (no tick) and, the locker being on this thread, failed.
    expect(duringWait).toBeGreaterThanOrEqual(5);
    const stored = await db.kysely.selectFrom('workspaces').select('name').where('id', '=', ws.id).execute();
    expect(stored).toEqual([{ name: '第二家店' }]);
  });

  it('past its wait a request is answered 503 with a coded reason and Retry-After, and nothing is stored', async () => {
    locker.exec('BEGIN IMMEDIATE');
    const r = await app.inject({
      method: 'POST',
      url: '/api/v1/stores',
      headers: { authorization: `Bearer ${token}` },
      payload: { name: '锁住时建的店', platform: 'taobao' },
    });
    locker.exec('ROLLBACK');
    expect(r.statusCode, r.body).toBe(503);
    expect(r.headers['retry-after']).toBe('5');
    expect(r.json().error).toMatchObject({ code: 'busy', reason: { key: 'server.busy' } });
    const stores = await db.kysely.selectFrom('stores').select('name').where('name', '=', '锁住时建的店').execute();
    expect(stores).toEqual([]);
    // Once the lock is free the same request goes through.
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/stores',
      headers: { authorization: `Bearer ${token}` },
      payload: { name: '锁住时建的店', platform: 'taobao' },
    });
    expect(again.statusCode, again.body).toBeLessThan(300);
  });

  it('a read answers while a write waits for the lock (reads beside the writer), sees it once it lands', async () => {
    locker.exec('BEGIN IMMEDIATE');
    locker.prepare(`UPDATE workspaces SET name = name WHERE name = '等锁的店'`).run();
    const write = createWorkspace(ctx, '第三家店');
    await new Promise((r) => setTimeout(r, 50)); // the write has met the lock and waits, holding the writer
    // Should the read queue behind the write (one connection), the lock is let go after a second, so the test ends.
    let committed = false;
    const letGo = setTimeout(() => {
      committed = true;
      locker.exec('COMMIT');
    }, 1_000);
    const health = await app.inject({ method: 'GET', url: '/api/v1/health' });
    const names = (await db.kysely.selectFrom('workspaces').select('name').execute()).map((w) => w.name);
    const answeredMeanwhile = !committed;
    clearTimeout(letGo);
    if (!committed) locker.exec('COMMIT');
    await write;
    expect(answeredMeanwhile).toBe(true);
    expect(health.statusCode).toBe(200);
    // The last committed state: not the waiting write.
    expect(names).toContain('等锁的店');
    expect(names).not.toContain('第三家店');
    const after = await db.kysely.selectFrom('workspaces').select('name').where('name', '=', '第三家店').execute();
    expect(after).toEqual([{ name: '第三家店' }]);
  });

  it('a temporary table is read on its writer; a transaction reads its writes, others the last commit', async () => {
    await sql`CREATE TEMPORARY TABLE beside_t AS SELECT 7 AS x`.execute(db.kysely);
    try {
      expect((await sql<{ x: number }>`SELECT x FROM beside_t`.execute(db.kysely)).rows).toEqual([{ x: 7 }]);
      expect((await sql<{ x: number }>`SELECT x FROM temp.beside_t`.execute(db.kysely)).rows).toEqual([{ x: 7 }]);
    } finally {
      await sql`DROP TABLE temp.beside_t`.execute(db.kysely);
    }
    const named = (k: typeof db.kysely) =>
      k.selectFrom('workspaces').select('name').where('name', '=', '事务中的店').execute();
    const outside = await db.kysely.transaction().execute(async (trx) => {
      await trx
        .insertInto('workspaces')
        .values({
          id: 'ws-in-trx',
          name: '事务中的店',
          timezone: 'Asia/Shanghai',
          created_at: new Date().toISOString(),
        })
        .execute();
      expect(await named(trx)).toEqual([{ name: '事务中的店' }]);
      // Outside the transaction (on one connection this would wait for the transaction: a deadlock).
      return named(db.kysely);
    });
    expect(outside).toEqual([]);
    expect(await named(db.kysely)).toEqual([{ name: '事务中的店' }]);
  });

  it('statements of one held connection that write at the same time take the writer once', async () => {
    const names = ['同时写的店一', '同时写的店二'];
    const after = await db.kysely.connection().execute(async (c) => {
      await Promise.all(
        names.map((name, i) =>
          c
            .insertInto('workspaces')
            .values({ id: `ws-together-${i}`, name, timezone: 'Asia/Shanghai', created_at: new Date().toISOString() })
            .execute(),
        ),
      );
      // After its writes the connection reads on the writer (its own temporary tables, say).
      return c.selectFrom('workspaces').select('name').where('name', 'in', names).orderBy('name').execute();
    });
    expect(after.map((w) => w.name)).toEqual([...names].sort());
  });
});
