import { readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { getPriority, setPriority } from 'node:os';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Where a thread's entry module is and how a thread loads it. Compiled, `name.js` sits next to the caller;
 * run from the TypeScript sources (tests, `npm run dev`), it is `name.ts` and the thread needs tsx's loader.
 * One place for this, so the import reader, the prediction fit, the heavy-read pool and the job worker
 * start their threads the same way.
 *
 * The test suite compiles the sources to JavaScript once per run (test/global-setup.ts) and names that tree in
 * HUIKE_TEST_COMPILED: a thread started from the sources then runs the compiled twin of its entry, as a thread of
 * the built product does, instead of compiling its whole module graph through tsx again (about a second each).
 */
function entryOf(callerUrl: string, name: string): { url: URL; fromSources: boolean } {
  const fromSources = callerUrl.endsWith('.ts');
  const url = new URL(`./${name}.${fromSources ? 'ts' : 'js'}`, callerUrl);
  const compiled = process.env.HUIKE_TEST_COMPILED;
  if (!fromSources || !compiled) return { url, fromSources };
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const twin = pathToFileURL(`${compiled}/${relative(root, fileURLToPath(url)).replace(/\.ts$/, '.js')}`);
  return { url: twin, fromSources: false };
}

/** A plain worker thread on `name` next to the caller (`import.meta.url`), tsx registered first from sources. */
export function startThread(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  const { url, fromSources } = entryOf(callerUrl, name);
  if (!fromSources) return new Worker(url, options);
  // require.resolve names tsx's CommonJS build; the thread imports its ES module twin.
  const tsx = pathToFileURL(
    createRequire(callerUrl)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = JSON.stringify(url.href);
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${entry}); })`;
  return new Worker(boot, { ...options, eval: true });
}

/**
 * piscina loads a thread's entry with require() first and import() only when that fails. On Node with require(esm)
 * (20.19 and later), a thread stopped while require() instantiates the ES module graph aborts the whole process
 * (V8 fatal error "IsGraphAsync … must be used on an instantiated module", exit 134): a heavy read past its time
 * limit, or whose client left, on a thread still starting took the server down with it (and a test worker in CI).
 * Without require(esm) in the thread, piscina falls back to import(), which a stop interrupts safely. Passed only
 * where this Node knows the flag.
 */
const NO_REQUIRE_ESM = '--no-experimental-require-module';
const POOL_THREAD_ARGV: readonly string[] = process.allowedNodeEnvironmentFlags.has(NO_REQUIRE_ESM)
  ? [NO_REQUIRE_ESM]
  : [];

/** piscina's `filename` and `execArgv` for the entry `name` next to the caller (`import.meta.url`). */
export function piscinaEntry(callerUrl: string, name: string): { filename: string; execArgv: string[] } {
  const { url, fromSources } = entryOf(callerUrl, name);
  return { filename: url.href, execArgv: [...(fromSources ? ['--import', 'tsx'] : []), ...POOL_THREAD_ARGV] };
}

/**
 * The nice value a background thread takes (`HUIKE_BACKGROUND_NICE`, 0–19; 0, the default, leaves it as the
 * process's). Off by default: the nice value also yields to every other process of the machine, and the suite's
 * clean-clone run took 1,413 s with it on (645 s before) while browsers and other test files shared the 2 cores.
 * A non-number or one out of range is 0.
 */
export function backgroundNice(value = process.env.HUIKE_BACKGROUND_NICE): number {
  const n = Number(value ?? '');
  return value !== undefined && value !== '' && Number.isInteger(n) && n >= 0 && n <= 19 ? n : 0;
}

/**
 * Lowers the CPU priority of the calling thread (Linux: a thread has a nice value of its own, named by its id in
 * /proc/thread-self). For the threads that only read or compute — heavy reads, Excel files, model fits: with the
 * cores busy, the server's thread answering the cheap requests (a list page, a profile) runs first and a long read
 * takes the time that is left. Not for the job threads: they hold the database's write lock, which a starved
 * thread would keep while requests wait for it. Elsewhere (no /proc) the thread keeps the process's priority.
 */
export function yieldToRequests(nice = backgroundNice()): void {
  if (nice === 0) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0 && getPriority(tid) < nice) setPriority(tid, nice);
  } catch {
    // Not Linux, or /proc not mounted: the thread runs at the process's priority.
  }
}
