import { parentPort, workerData } from 'node:worker_threads';
import { fitAll, type FitInput } from '../../core/clv/fit-all.js';
import { yieldToRequests } from '../../jobs/threads.js';

yieldToRequests();

/** Worker-thread entry: fits the models and posts the result (or the error's message) back. */
try {
  parentPort!.postMessage({ ok: true, result: fitAll(workerData as FitInput) });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
}
