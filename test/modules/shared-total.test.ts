import { describe, expect, it } from 'vitest';
import { MIN_KEPT, REUSE_MS, SLOW_MS, sharedTotal } from '../../src/modules/heavy/shared-total.js';
import { ClientGone, inRequest } from '../../src/modules/heavy/abandon.js';

/** The customer list's total: one count for concurrent first pages, a slow one reused for a while. */
describe('customer list total', () => {
  it('first pages asked while a count runs share that count', async () => {
    let calls = 0;
    let finish: (n: number) => void = () => {};
    const count = () => {
      calls += 1;
      return new Promise<number>((r) => (finish = r));
    };
    const pages = [sharedTotal('ws-a {}', count), sharedTotal('ws-a {}', count), sharedTotal('ws-a {}', count)];
    finish(42);
    expect(await Promise.all(pages)).toEqual([42, 42, 42]);
    expect(calls).toBe(1);
  });

  it('a quick count is counted afresh every time; a slow one is reused until it is REUSE_MS old', async () => {
    let t = 1_000_000;
    const now = () => t;
    let n = 0;
    const quick = async () => ++n;
    expect(await sharedTotal('ws-b {}', quick, now)).toBe(1);
    expect(await sharedTotal('ws-b {}', quick, now)).toBe(2); // a small shop sees every change at once

    n = MIN_KEPT;
    const slow = async () => {
      t += SLOW_MS;
      return ++n;
    };
    expect(await sharedTotal('ws-c {}', slow, now)).toBe(MIN_KEPT + 1);
    t += REUSE_MS - 1;
    expect(await sharedTotal('ws-c {}', slow, now)).toBe(MIN_KEPT + 1);
    expect(await sharedTotal('ws-c {"province":"浙江省"}', slow, now)).toBe(MIN_KEPT + 2); // other filters
    t += 1;
    expect(await sharedTotal('ws-c {}', slow, now)).toBe(MIN_KEPT + 3);
  });

  it('a slow count of a small list is counted afresh every time (a loaded machine, a filter finding few)', async () => {
    let t = 1_000_000;
    const now = () => t;
    let n = 10;
    const slow = async () => {
      t += SLOW_MS * 5;
      return ++n;
    };
    expect(await sharedTotal('ws-e {}', slow, now)).toBe(11);
    expect(await sharedTotal('ws-e {}', slow, now)).toBe(12);
  });

  it('without reuse (segment counts), a running count is shared and a later one counted afresh', async () => {
    let t = 1_000_000;
    const now = () => t;
    let n = MIN_KEPT;
    let finish: () => void = () => {};
    const slow = () =>
      new Promise<number>((r) => {
        finish = () => {
          t += SLOW_MS * 5;
          r(++n);
        };
      });
    const asked = [1, 2, 3].map(() => sharedTotal('seg-a', slow, now, { reuse: false }));
    finish();
    expect(await Promise.all(asked)).toEqual([MIN_KEPT + 1, MIN_KEPT + 1, MIN_KEPT + 1]);
    const later = sharedTotal('seg-a', slow, now, { reuse: false });
    finish();
    expect(await later).toBe(MIN_KEPT + 2);
  });

  it('a count stopped because its client went away is run again for a client still waiting', async () => {
    const request = () => {
      const c = new AbortController();
      return { c, scope: { signal: c.signal, warn: () => {} } };
    };
    const first = request();
    const second = request();
    let runs = 0;
    // As offLoop does: the read stops with ClientGone when the client of the request running it goes away.
    const count = () => {
      runs += 1;
      return new Promise<number>((resolve, reject) => {
        const signal = first.c.signal;
        if (runs === 1) signal.addEventListener('abort', () => reject(new ClientGone('segments.count')));
        else setTimeout(() => resolve(9), 5);
      });
    };
    const started = inRequest(first.scope, () => sharedTotal('seg-b', count, Date.now, { reuse: false }));
    const waiting = inRequest(second.scope, () => sharedTotal('seg-b', count, Date.now, { reuse: false }));
    first.c.abort();
    await expect(started).rejects.toBeInstanceOf(ClientGone);
    expect(await waiting).toBe(9);
    expect(runs).toBe(2);
  });

  it('a failed count is not kept', async () => {
    await expect(sharedTotal('ws-d {}', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await sharedTotal('ws-d {}', async () => 7)).toBe(7);
  });
});
