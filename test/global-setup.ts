/**
 * Once per test run, before any worker starts: a migrated template database for each dialect, so a
 * suite copies one (a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL) instead of
 * running every migration again; a directory the e2e suites share for the console they build once; and the
 * sources compiled once to JavaScript for the suites' child processes (test/support/processes.ts).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
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
    /** src/, bench/ and test/support/ compiled to JavaScript, in the same layout, for child processes. */
    compiledRoot: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runDir = mkdtempSync(join(tmpdir(), 'huike-run-'));
  const compiledRoot = await compileSources(runDir);
  // For the worker threads the suites start in their own processes (src/jobs/threads.ts); forks inherit it.
  process.env.HUIKE_TEST_COMPILED = compiledRoot;
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
  project.provide('compiledRoot', compiledRoot);

  return async () => {
    await dropTemplate?.();
    if (adminUrl) await dropLeftovers(adminUrl, pgPrefix);
    rmSync(runDir, { recursive: true, force: true });
    rmSync(compiledRoot, { recursive: true, force: true });
  };
}

/**
 * The TypeScript the child processes run, transpiled file by file (no bundling, imports kept) under dist/ in the
 * sources' layout, so packages resolve from the project's node_modules. A child started through tsx spent about a
 * second of CPU compiling its module graph, and so did each of its worker threads: dozens of children per run.
 */
async function compileSources(runDir: string): Promise<string> {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const dist = join(root, 'dist');
  mkdirSync(dist, { recursive: true });
  // Trees a killed run left behind (a day old: another run in this checkout may be using a younger one).
  for (const name of readdirSync(dist, { withFileTypes: true }).filter((d) => d.name.startsWith('test-'))) {
    const path = join(dist, name.name);
    if (Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { recursive: true, force: true });
  }
  const out = join(dist, `test-${runDir.slice(runDir.lastIndexOf('-') + 1)}`);
  await build({
    absWorkingDir: root,
    entryPoints: ['src/**/*.ts', 'bench/**/*.ts', 'test/support/**/*.ts'],
    outbase: '.',
    outdir: out,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'error',
  });
  return out;
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
