import { describe, expect, it } from 'vitest';
import { isLockedOut, nextAllowedAt, PER_LOGIN, recordFailure, type ThrottleState } from '../../src/core/throttle.js';

describe('login throttle', () => {
  const fail = (n: number, at: (i: number) => number) => {
    let s: ThrottleState | undefined;
    for (let i = 0; i < n; i++) s = recordFailure(s, PER_LOGIN, at(i));
    return s;
  };

  it('the first failures are free, then each wait doubles', () => {
    expect(
      nextAllowedAt(
        fail(2, () => 0),
        PER_LOGIN,
        0,
      ),
    ).toBe(0);
    const waits = [3, 4, 5, 6].map(
      (n) =>
        nextAllowedAt(
          fail(n, () => 1_000_000),
          PER_LOGIN,
          1_000_000,
        ) - 1_000_000,
    );
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000]);
  });

  it('ten failures lock the key for 15 minutes, after which it may try again', () => {
    const s = fail(10, (i) => i * 60_000);
    const last = 9 * 60_000;
    expect(isLockedOut(s, PER_LOGIN, last + 1)).toBe(true);
    expect(nextAllowedAt(s, PER_LOGIN, last + 1)).toBe(last + 15 * 60_000);
    expect(isLockedOut(s, PER_LOGIN, last + 15 * 60_000)).toBe(false);
  });

  it('failures an hour old are forgotten', () => {
    const s = fail(9, () => 0);
    expect(nextAllowedAt(s, PER_LOGIN, 60 * 60_000)).toBe(0);
    expect(recordFailure(s, PER_LOGIN, 60 * 60_000).failures).toBe(1);
  });
});
