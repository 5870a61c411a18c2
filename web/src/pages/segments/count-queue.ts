/**
 * The segment list's sizes without a burst of counts: each row shows the last count the server kept (with its
 * time); only a count missing or older than FRESH_MS is asked for again, and those requests go a few at a time.
 * A count takes up to a second on a large shop; twenty at once made every one of them slow.
 */
export const FRESH_MS = 5 * 60_000;
export const AT_ONCE = 2;

/** Whether a row's kept count should be taken again. */
export function needsRecount(countedAt: string | null, now: number, freshMs = FRESH_MS): boolean {
  if (countedAt === null) return true;
  const at = Date.parse(countedAt);
  return Number.isNaN(at) || now - at >= freshMs;
}

/** Runs tasks at most `limit` at a time, in order; a task whose signal was aborted while it waited is skipped. */
export function queue(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  const next = () => {
    if (running >= limit) return;
    const start = waiting.shift();
    if (start) start();
  };
  return function run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      waiting.push(() => {
        if (signal?.aborted) {
          reject(new DOMException('aborted', 'AbortError'));
          next();
          return;
        }
        running += 1;
        task()
          .then(resolve, reject)
          .finally(() => {
            running -= 1;
            next();
          });
      });
      next();
    });
  };
}

/** The one queue of the segment list's counts. */
export const countQueue = queue(AT_ONCE);
