import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { piscinaEntry } from './threads.js';

export interface JobThread {
  /** Lets the running job finish, then stops the thread. */
  stop(): Promise<void>;
  /** Looks for a due job now (a request has just queued one) instead of at the next poll. */
  wake(): void;
}

/**
 * Runs the job worker (jobs/thread.ts) in a worker thread with its own database connection, as one
 * long task of a one-thread piscina pool (which also loads the TypeScript sources through tsx in
 * tests and `npm run dev`). A thread that dies is started again after a pause; jobs it held are
 * taken over when their lease runs out.
 */
export function startWorkerThread(
  url: string,
  opts: { pollMs?: number; lanes?: 'all' | 'requests'; log: (msg: string, extra?: Record<string, unknown>) => void },
): JobThread {
  const pool = new Piscina({
    ...piscinaEntry(import.meta.url, 'thread'),
    minThreads: 1,
    maxThreads: 1,
    idleTimeout: Number.POSITIVE_INFINITY,
  });
  let stopping = false;
  let restart: NodeJS.Timeout | null = null;
  let current: { port: MessageChannel['port1']; done: Promise<void> } | null = null;
  const start = () => {
    const { port1, port2 } = new MessageChannel();
    port1.on('message', (m: { type: string; msg?: string; extra?: Record<string, unknown> }) => {
      if (m.type === 'log') opts.log(m.msg ?? '', m.extra);
    });
    const done = pool
      .run({ url, pollMs: opts.pollMs, lanes: opts.lanes, port: port2 }, { transferList: [port2] })
      .then(() => undefined)
      .catch((e: unknown) => {
        port1.close();
        if (stopping) return;
        opts.log('job thread failed; starting it again in 5 s', { error: e instanceof Error ? e.message : String(e) });
        restart = setTimeout(start, 5_000);
      });
    current = { port: port1, done };
  };
  start();
  return {
    wake() {
      current?.port.postMessage({ type: 'wake' });
    },
    async stop() {
      stopping = true;
      if (restart) clearTimeout(restart);
      current?.port.postMessage({ type: 'stop' });
      // A job stuck in a synchronous query past 30 s is abandoned: its lease lets another worker redo it.
      await Promise.race([current?.done, new Promise((r) => setTimeout(r, 30_000).unref())]);
      current?.port.close();
      await pool.destroy();
    },
  };
}

/**
 * The server's job threads: one runs every job (and the schedules); beside it another runs only the jobs a request
 * waits for (jobs/wait.ts), so such a job starts at once while a long one runs, even one whose statements hold its
 * thread for seconds (an analytics rebuild at a million customers).
 */
export function startJobThreads(
  url: string,
  opts: { pollMs?: number; log: (msg: string, extra?: Record<string, unknown>) => void },
): JobThread {
  const threads = [
    startWorkerThread(url, { ...opts, lanes: 'all' }),
    startWorkerThread(url, { ...opts, lanes: 'requests' }),
  ];
  return {
    wake: () => {
      for (const t of threads) t.wake();
    },
    stop: async () => {
      await Promise.all(threads.map((t) => t.stop()));
    },
  };
}
