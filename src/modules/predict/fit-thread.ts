import { startThread } from '../../jobs/threads.js';
import type { FitInput, FitOutput } from '../../core/clv/fit-all.js';

/**
 * Runs the fit on a worker thread: at a million buyers it is tens of seconds of arithmetic that
 * would otherwise stall every request of the process (the worker usually runs inside the server).
 * From TypeScript sources (tests, `npm run dev`) the thread loads tsx to read them.
 */
export function fitOffLoop(input: FitInput): Promise<FitOutput> {
  return new Promise((resolve, reject) => {
    const worker = startThread(import.meta.url, 'fit-worker', { workerData: input });
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
