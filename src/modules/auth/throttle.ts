import {
  isLockedOut,
  nextAllowedAt,
  PER_ADDRESS,
  PER_LOGIN,
  recordFailure,
  type ThrottlePolicy,
  type ThrottleState,
} from '../../core/throttle.js';
import { type Reason, reason } from '../../core/reasons.js';
import type { AppContext } from '../context.js';

/** Answered instead of checking the password while a login or address must wait (HTTP 429 + Retry-After). */
export class TooManyAttempts extends Error {
  readonly statusCode = 429;
  readonly code = 'too_many_requests';
  readonly reason: Reason;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.reason = reason('auth.tooManyAttempts', { seconds: retryAfterSeconds });
  }
}

const MAX_KEYS = 50_000;

/**
 * Failed-login counters held in the server's memory (a restart forgets them, which only ever shortens a lockout).
 * Logins are counted per login name across workspaces, addresses per client IP.
 */
class LoginThrottle {
  private readonly logins = new Map<string, ThrottleState>();
  private readonly addresses = new Map<string, ThrottleState>();

  /** Throws TooManyAttempts when either key still has to wait. */
  check(login: string, address: string | undefined, now: number): void {
    const waits: { until: number; locked: boolean; what: string }[] = [];
    const add = (map: Map<string, ThrottleState>, key: string | undefined, p: ThrottlePolicy, what: string) => {
      if (!key) return;
      const s = map.get(key);
      const until = nextAllowedAt(s, p, now);
      if (until > now) waits.push({ until, locked: isLockedOut(s, p, now), what });
    };
    add(this.logins, login.toLowerCase(), PER_LOGIN, 'this login');
    add(this.addresses, address, PER_ADDRESS, 'this address');
    if (waits.length === 0) return;
    const worst = waits.reduce((a, b) => (b.until > a.until ? b : a));
    const seconds = Math.max(1, Math.ceil((worst.until - now) / 1000));
    throw new TooManyAttempts(
      worst.locked
        ? `too many failed logins from ${worst.what}: locked for ${Math.ceil(seconds / 60)} minutes`
        : `too many failed logins from ${worst.what}: try again in ${seconds} s`,
      seconds,
    );
  }

  failed(login: string, address: string | undefined, now: number): void {
    this.bump(this.logins, login.toLowerCase(), PER_LOGIN, now);
    if (address) this.bump(this.addresses, address, PER_ADDRESS, now);
  }

  /** A right password clears its login's counter; the address keeps its count (one own account must not reset it). */
  succeeded(login: string): void {
    this.logins.delete(login.toLowerCase());
  }

  private bump(map: Map<string, ThrottleState>, key: string, p: ThrottlePolicy, now: number) {
    if (map.size >= MAX_KEYS && !map.has(key)) {
      // An attacker spraying random logins must not grow memory without bound: drop the oldest entries.
      const drop = Math.ceil(MAX_KEYS / 10);
      let i = 0;
      for (const k of map.keys()) {
        if (i++ >= drop) break;
        map.delete(k);
      }
    }
    const next = recordFailure(map.get(key), p, now);
    map.delete(key); // re-insert so the Map's order stays oldest-first
    map.set(key, next);
  }
}

const throttles = new WeakMap<AppContext['db'], LoginThrottle>();

/** One throttle per database, shared by every server built on it. */
export function loginThrottle(ctx: AppContext): LoginThrottle {
  let t = throttles.get(ctx.db);
  if (!t) {
    t = new LoginThrottle();
    throttles.set(ctx.db, t);
  }
  return t;
}
