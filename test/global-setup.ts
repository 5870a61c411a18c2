/**
 * Once per test run, before any worker starts: a migrated template database for each dialect, so a
 * suite copies one (a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL) instead of
 * running every migration again; and a directory the e2e suites share for the console they build once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createScratchDatabase } from '../src/db/scratch.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A directory for this run only (removed at its end). */
    runDir: string;
    /** An SQLite file with every migration applied. */
    sqliteTemplate: string;
    /** The name of a PostgreSQL database with every migration applied ('' without HUIKE_TEST_PG_URL). */
    pgTemplate: string;
    /** The prefix of this run's scratch PostgreSQL databases (several runs may share one server). */
    pgPrefix: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runDir = mkdtempSync(join(tmpdir(), 'huike-run-'));
  const pgPrefix = `huike_t_${Math.random().toString(36).slice(2, 8)}`;
  const sqliteTemplate = join(runDir, 'template.db');
  const lite = openDatabase(`sqlite:${sqliteTemplate}`);
  await migrateToLatest(lite);
  await lite.close();

  const adminUrl = process.env.HUIKE_TEST_PG_URL;
  let pgTemplate = '';
  let dropTemplate: (() => Promise<void>) | undefined;
  if (adminUrl) {
    const scratch = await createScratchDatabase(adminUrl, `${pgPrefix}_tpl`);
    const db = openDatabase(scratch.url);
    await migrateToLatest(db);
    await db.close();
    pgTemplate = new URL(scratch.url).pathname.slice(1);
    dropTemplate = scratch.drop;
  }
  project.provide('runDir', runDir);
  project.provide('sqliteTemplate', sqliteTemplate);
  project.provide('pgTemplate', pgTemplate);
  project.provide('pgPrefix', pgPrefix);

  return async () => {
    await dropTemplate?.();
    if (adminUrl) await dropLeftovers(adminUrl, pgPrefix);
    rmSync(runDir, { recursive: true, force: true });
  };
}

/** This run's scratch databases a suite created but did not drop (a crashed or interrupted file). */
async function dropLeftovers(adminUrl: string, prefix: string): Promise<void> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
      [prefix],
    );
    for (const { datname } of rows) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await c.end();
  }
}
