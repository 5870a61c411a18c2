/**
 * Background threads yield the cores to the server's thread (jobs/threads.ts, yieldToRequests): on Linux the heavy
 * read lane's threads and the Excel thread take the nice value HUIKE_BACKGROUND_NICE (default 10), while the
 * server's own thread and the short lane (pages a user waits for) keep the process's.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { backgroundNice } from '../../src/jobs/threads.js';
import { auditQuery } from '../../src/modules/audit/schema.js';
import { listAudit } from '../../src/modules/audit/service.js';
import type { AppContext } from '../../src/modules/context.js';
import { startReadPool, type ReadPool } from '../../src/modules/heavy/pool.js';
import { countRule } from '../../src/modules/segments/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { XlsxWriter } from '../../src/modules/xlsx.js';
import { freshDatabaseUrl } from '../helpers.js';

describe('the nice value of a background thread', () => {
  it('is HUIKE_BACKGROUND_NICE when a whole number from 0 to 19, else 0 (off)', () => {
    expect(backgroundNice(undefined)).toBe(0);
    expect(backgroundNice('')).toBe(0);
    expect(backgroundNice('0')).toBe(0);
    expect(backgroundNice('19')).toBe(19);
    expect(backgroundNice('5')).toBe(5);
    for (const bad of ['20', '-1', '2.5', 'low', '1e1x']) expect(backgroundNice(bad)).toBe(0);
  });
});

/** The nice value of each of this process's threads, by thread id (field 19 of /proc/self/task/TID/stat). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // The name (field 2) is in parentheses and may hold spaces: count the fields after its closing one.
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

const niced = () => [...threadNices()].filter(([, nice]) => nice === 10).map(([tid]) => tid);

describe.runIf(existsSync('/proc/thread-self'))('background threads on Linux, HUIKE_BACKGROUND_NICE=10', () => {
  let db: Db;
  let pool: ReadPool;
  let drop: () => Promise<void>;
  let ctx: AppContext;
  let pooled: AppContext;
  let workspaceId: string;

  const was = process.env.HUIKE_BACKGROUND_NICE;
  beforeAll(async () => {
    // Threads copy the environment as they start: the pool's and the Excel thread's started below see it.
    process.env.HUIKE_BACKGROUND_NICE = '10';
    const fresh = await freshDatabaseUrl('sqlite');
    drop = fresh.drop;
    db = openDatabase(fresh.url);
    await migrateToLatest(db);
    ctx = { db, now: () => new Date() };
    workspaceId = (await createWorkspace(ctx, '优先级')).id;
    pool = startReadPool(fresh.url, { threads: 1, shortThreads: 1 });
    pooled = { ...ctx, readPool: pool };
  });
  afterAll(async () => {
    if (was === undefined) delete process.env.HUIKE_BACKGROUND_NICE;
    else process.env.HUIKE_BACKGROUND_NICE = was;
    await pool?.close();
    await db?.close();
    await drop?.();
  });

  it('a heavy read runs at the background nice value, a short-lane page and the server thread do not', async () => {
    expect(niced()).toEqual([]);
    // A short-lane page first: its thread keeps the process's priority.
    await listAudit(pooled, workspaceId, auditQuery.parse({ q: 'customer' }));
    expect(niced()).toEqual([]);
    expect(await countRule(pooled, workspaceId, { all: [{ field: 'orders', op: 'count_gte', value: 1 }] })).toBe(0);
    expect(niced()).toHaveLength(1);
    expect(threadNices().get(process.pid)).toBe(0);
  });

  it('an Excel file is written on a thread at the background nice value', async () => {
    const before = niced().length;
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const xlsx = new XlsxWriter(out);
    xlsx.sheet('客户', [{ header: '姓名', width: 20 }]);
    await xlsx.rows([['张三']]);
    // The thread is running (the batch is written): one more thread at the background value.
    expect(niced()).toHaveLength(before + 1);
    expect(threadNices().get(process.pid)).toBe(0);
    await xlsx.end();
    expect(Buffer.concat(chunks).subarray(0, 2).toString()).toBe('PK');
  });
});
