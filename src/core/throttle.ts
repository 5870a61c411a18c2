/**
 * Login throttling, pure: each key (a login, an address) counts failed attempts. The first few are free, then
 * every further attempt must wait twice as long as the previous one, and past a limit the key is locked out for a
 * while. A key nobody failed on for `forgetMs` starts over.
 */
export interface ThrottlePolicy {
  /** Failures allowed without any wait. */
  freeFailures: number;
  /** Wait after the first failure past the free ones; doubles with every further failure. */
  baseDelayMs: number;
  /** From this many failures on the key is locked out for `lockMs`. */
  lockAfter: number;
  lockMs: number;
  /** Failures older than this are forgotten. */
  forgetMs: number;
}

export interface ThrottleState {
  failures: number;
  lastFailureAt: number;
}

/** Per login: three free tries, then 1 s, 2 s, 4 s … and 15 minutes locked after ten failures. */
export const PER_LOGIN: ThrottlePolicy = {
  freeFailures: 3,
  baseDelayMs: 1_000,
  lockAfter: 10,
  lockMs: 15 * 60_000,
  forgetMs: 60 * 60_000,
};

/** Per address: an office behind one NAT may mistype often, so the address limits are wider. */
export const PER_ADDRESS: ThrottlePolicy = {
  freeFailures: 10,
  baseDelayMs: 1_000,
  lockAfter: 50,
  lockMs: 15 * 60_000,
  forgetMs: 60 * 60_000,
};

/** The state that still counts at `now` (forgotten failures give a fresh state). */
export function current(state: ThrottleState | undefined, policy: ThrottlePolicy, now: number): ThrottleState {
  if (!state || now - state.lastFailureAt >= Math.max(policy.forgetMs, policy.lockMs)) {
    return { failures: 0, lastFailureAt: 0 };
  }
  return state;
}

/** The earliest time (ms) the next attempt on this key is heard; 0 when it may try now. */
export function nextAllowedAt(state: ThrottleState | undefined, policy: ThrottlePolicy, now: number): number {
  const s = current(state, policy, now);
  if (s.failures < policy.freeFailures) return 0;
  if (s.failures >= policy.lockAfter) return s.lastFailureAt + policy.lockMs;
  const delay = policy.baseDelayMs * 2 ** (s.failures - policy.freeFailures);
  return s.lastFailureAt + Math.min(delay, policy.lockMs);
}

export function recordFailure(state: ThrottleState | undefined, policy: ThrottlePolicy, now: number): ThrottleState {
  const s = current(state, policy, now);
  return { failures: s.failures + 1, lastFailureAt: now };
}

export function isLockedOut(state: ThrottleState | undefined, policy: ThrottlePolicy, now: number): boolean {
  return current(state, policy, now).failures >= policy.lockAfter && nextAllowedAt(state, policy, now) > now;
}
