import { Worker } from 'node:worker_threads';
import type { FitInput, FitOutput } from '../../core/clv/fit-all.js';

/**
 * Runs the fit on a worker thread: at a million buyers it is tens of seconds of arithmetic that
 * would otherwise stall every request of the process (the worker usually runs inside the server).
 * From TypeScript sources (tests, `npm run dev`) the thread loads tsx to read them.
 */
export function fitOffLoop(input: FitInput): Promise<FitOutput> {
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(fromSource ? './fit-worker.ts' : './fit-worker.js', import.meta.url);
  // From sources the thread registers tsx's loader, then imports the entry.
  const bootstrap = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Promise((resolve, reject) => {
    const worker = fromSource
      ? new Worker(bootstrap, { eval: true, workerData: input })
      : new Worker(file, { workerData: input });
    let settled = false;
    worker.once('message', (m: { ok: true; result: FitOutput } | { ok: false; error: string }) => {
      settled = true;
      if (m.ok) resolve(m.result);
      else reject(new Error(m.error));
      void worker.terminate();
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the fit thread stopped (exit code ${code}) before answering`));
    });
  });
}
