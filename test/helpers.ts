import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { openDatabase, type Db } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import type { AppContext } from '../src/modules/context.js';
import { createWorkspace } from '../src/modules/workspaces/service.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const fixture = (name: string) => join(FIXTURES, name);

export interface TestEnv {
  ctx: AppContext;
  db: Db;
  workspaceId: string;
  url: string;
  /** Moves the clock services see. */
  setNow(iso: string): void;
}

export const PG_URL = process.env.HUIKE_TEST_PG_URL;

/**
 * A new directory for a suite's files (a server's data directory, a generated export) inside the run's directory
 * (test/global-setup.ts), which the run removes at its end: suites leave nothing behind in /tmp.
 */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(inject('runDir') || tmpdir(), prefix));
}

/** A fresh, empty database URL for one test suite, and how to throw it away. */
export async function freshDatabaseUrl(kind: 'sqlite' | 'postgres'): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'huike-test-'));
    return { url: `sqlite:${join(dir, 'test.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (!PG_URL) throw new Error('HUIKE_TEST_PG_URL is not set');
  return createScratchDatabase(PG_URL, inject('pgPrefix') ?? 'huike_t');
}

/**
 * A fresh database with every migration applied: a copy of the run's migrated template (see
 * test/global-setup.ts), much cheaper than migrating each suite's database from nothing.
 */
export async function freshMigratedDatabase(
  kind: 'sqlite' | 'postgres',
): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    const template = inject('sqliteTemplate');
    const fresh = await freshDatabaseUrl('sqlite');
    if (template) copyFileSync(template, fresh.url.slice('sqlite:'.length));
    return fresh;
  }
  if (!PG_URL) throw new Error('HUIKE_TEST_PG_URL is not set');
  const template = inject('pgTemplate');
  return createScratchDatabase(PG_URL, inject('pgPrefix') ?? 'huike_t', template || undefined);
}

export const DIALECTS: ('sqlite' | 'postgres')[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

/** Runs the same suite against SQLite and (when HUIKE_TEST_PG_URL is set) PostgreSQL. */
export function describeBothDatabases(name: string, fn: (env: () => TestEnv) => void): void {
  for (const dialect of DIALECTS) {
    describe(`${name} [${dialect}]`, () => {
      let env: TestEnv | undefined;
      let drop: (() => Promise<void>) | undefined;
      beforeAll(async () => {
        const fresh = await freshMigratedDatabase(dialect);
        drop = fresh.drop;
        const db = openDatabase(fresh.url);
        await migrateToLatest(db); // nothing left to apply on a copy of the template
        let now = new Date('2026-11-23T04:00:00.000Z');
        const ctx: AppContext = { db, now: () => now };
        const ws = await createWorkspace(ctx, '测试店铺');
        env = { ctx, db, workspaceId: ws.id, url: fresh.url, setNow: (iso) => (now = new Date(iso)) };
      });
      afterAll(async () => {
        await env?.db.close();
        await drop?.();
      });
      fn(() => {
        if (!env) throw new Error('test environment not ready');
        return env;
      });
    });
  }
}

/** The stats row of the customer with this display name. */
export async function statsOf(env: TestEnv, displayName: string) {
  return env.db.kysely
    .selectFrom('customer_stats as s')
    .innerJoin('customers as c', (j) =>
      j.onRef('c.workspace_id', '=', 's.workspace_id').onRef('c.id', '=', 's.customer_id'),
    )
    .selectAll('s')
    .where('c.workspace_id', '=', env.workspaceId)
    .where('c.display_name', '=', displayName)
    .executeTakeFirstOrThrow();
}
