/**
 * The pools' threads (heavy reads, jobs) load their entry by import(), never by require(esm): a thread stopped
 * while require() instantiated its ES module graph aborted the whole process on Node 20.19+ (a heavy read past its
 * time limit on a thread still starting). Reproduced outside the suite: terminating a worker at random during
 * `require(thread.js)` aborted Node within 300 tries (exit 134); during `import(thread.js)`, 400 tries survived.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { piscinaEntry } from '../../src/jobs/threads.js';

/** What `require(entry)` does in a thread started with the pool's options: 'loaded', or the error's code. */
function requireInPoolThread(callerUrl: string, name: string): Promise<string> {
  const { filename, execArgv } = piscinaEntry(callerUrl, name);
  const code = `const { parentPort } = require('node:worker_threads');
    try { require(${JSON.stringify(fileURLToPath(filename))}); parentPort.postMessage('loaded'); }
    catch (e) { parentPort.postMessage(String(e.code)); }`;
  const worker = new Worker(code, { eval: true, execArgv });
  return new Promise<string>((resolve, reject) => {
    worker.once('message', (m: string) => resolve(m));
    worker.once('error', reject);
  }).finally(() => worker.terminate());
}

describe('pool threads', () => {
  it('cannot require() their ES module entry: piscina imports it, which a stop interrupts safely', async () => {
    const heavy = new URL('../../src/modules/heavy/pool.ts', import.meta.url).href;
    const jobs = new URL('../../src/jobs/worker-thread.ts', import.meta.url).href;
    expect(await requireInPoolThread(heavy, 'thread')).toBe('ERR_REQUIRE_ESM');
    expect(await requireInPoolThread(jobs, 'thread')).toBe('ERR_REQUIRE_ESM');
  });
});
