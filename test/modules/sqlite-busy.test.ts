import SqliteDatabase from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
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
});
