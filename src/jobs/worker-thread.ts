import { Worker as Thread } from 'node:worker_threads';

export interface JobThread {
  /** Lets the running job finish, then stops the thread. */
  stop(): Promise<void>;
}

/**
 * Runs the job worker (jobs/thread.ts) in a worker thread with its own database connection. A
 * thread that dies (a crash in native code, out of memory) is started again after a pause; jobs
 * it held are taken over when their lease runs out.
 */
export function startWorkerThread(
  url: string,
  opts: { pollMs?: number; log: (msg: string, extra?: Record<string, unknown>) => void },
): JobThread {
  const fromSources = import.meta.url.endsWith('.ts');
  let stopping = false;
  let thread: Thread;
  let exited: Promise<void>;
  let restart: NodeJS.Timeout | null = null;
  const start = () => {
    thread = new Thread(new URL(`./thread.${fromSources ? 'ts' : 'js'}`, import.meta.url), {
      workerData: { url, pollMs: opts.pollMs },
      execArgv: fromSources ? ['--import', 'tsx'] : [],
    });
    thread.on('message', (m: { type: string; msg?: string; extra?: Record<string, unknown> }) => {
      if (m.type === 'log') opts.log(m.msg ?? '', m.extra);
    });
    thread.on('error', (e) => opts.log('job thread failed', { error: e.message }));
    exited = new Promise((resolve) =>
      thread.once('exit', (code) => {
        resolve();
        if (stopping) return;
        opts.log('job thread stopped unexpectedly; starting it again in 5 s', { code });
        restart = setTimeout(start, 5_000);
      }),
    );
  };
  start();
  return {
    async stop() {
      stopping = true;
      if (restart) clearTimeout(restart);
      thread.postMessage({ type: 'stop' });
      // A job stuck in a synchronous query past 30 s is abandoned: its lease lets another worker redo it.
      const timer = setTimeout(() => void thread.terminate(), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
