import { describe, expect, it } from 'vitest';
import { FRESH_MS, needsRecount, queue } from '../../web/src/pages/segments/count-queue.js';

describe('segment list counts', () => {
  it('recounts a row only when its kept count is missing or older than a few minutes', () => {
    const now = Date.parse('2026-11-29T10:00:00.000Z');
    expect(needsRecount(null, now)).toBe(true);
    expect(needsRecount('2026-11-29T09:59:00.000Z', now)).toBe(false);
    expect(needsRecount(new Date(now - FRESH_MS).toISOString(), now)).toBe(true);
    expect(needsRecount('not a time', now)).toBe(true);
  });

  it('runs the counts two at a time, in order, and skips one whose row went away while it waited', async () => {
    const run = queue(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const task = (n: number) => async () => {
      started.push(n);
      running += 1;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running -= 1;
      return n;
    };
    const gone = new AbortController();
    const results = Array.from({ length: 15 }, (_, i) => run(task(i), i === 7 ? gone.signal : undefined));
    gone.abort();
    const settled = await Promise.allSettled(results);
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14]);
    expect(settled[7]).toMatchObject({ status: 'rejected', reason: { name: 'AbortError' } });
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(14);
  });
});
