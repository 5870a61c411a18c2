/**
 * Typed domain errors; routes map them to HTTP with `{ error: { code, message, details, reason } }`. `reason` (a
 * key of core/reasons.ts and its parameters) is what the console shows, in the reader's language; `message` is
 * the English for API clients and logs. Every error needs its reason (the constructors require one), so no error
 * can reach the console without a text in each language.
 */
import type { Reason } from './reasons.js';

export type ErrorCode =
  | 'invalid'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'too_large'
  | 'unprocessable'
  | 'too_slow';

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason: Reason,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends DomainError {
  constructor(message: string, reason: Reason, details?: unknown) {
    super('invalid', message, reason, details);
  }
}
export class NotFound extends DomainError {
  constructor(message: string, reason: Reason, details?: unknown) {
    super('not_found', message, reason, details);
  }
}
export class Conflict extends DomainError {
  constructor(message: string, reason: Reason, details?: unknown) {
    super('conflict', message, reason, details);
  }
}
export class Forbidden extends DomainError {
  constructor(message: string, reason: Reason, details?: unknown) {
    super('forbidden', message, reason, details);
  }
}
export class Unauthorized extends DomainError {
  constructor(message: string, reason: Reason, details?: unknown) {
    super('unauthorized', message, reason, details);
  }
}
/** A heavy read ran past its time limit (HTTP 503): the message names the limit and what to do. */
export class TooSlow extends DomainError {
  constructor(message: string, reason: Reason, details?: unknown) {
    super('too_slow', message, reason, details);
  }
}
/** The request is larger than this server takes (an upload past the limit, or the disk cannot hold it). */
export class TooLarge extends DomainError {
  constructor(message: string, reason: Reason, details?: unknown) {
    super('too_large', message, reason, details);
  }
}
/** Well-formed but contradicting an earlier request (an Idempotency-Key reused for a different body). */
export class Unprocessable extends DomainError {
  constructor(message: string, reason: Reason, details?: unknown) {
    super('unprocessable', message, reason, details);
  }
}

/**
 * An error's body kept to a size a client can show: a message of at most 1,000 characters, at most 20 entries of a
 * list and 200 characters of a text anywhere in its details and its reason's parameters. Built from what was
 * sent, a 400 named 90,000 unknown keys or repeated a 100,000-character id (3.7 MB in 2.4 s).
 */
export function boundedError<T extends { message: string; details?: unknown; reason?: unknown }>(e: T): T {
  const reasonOf = e.reason as { key: string; params?: Record<string, unknown> } | undefined;
  return {
    ...e,
    message: cut(e.message, 1000),
    ...(e.details !== undefined ? { details: bounded(e.details, 200, 0) } : {}),
    ...(reasonOf
      ? { reason: { ...reasonOf, ...(reasonOf.params ? { params: bounded(reasonOf.params, 200, 0) } : {}) } }
      : {}),
  };
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

function bounded(v: unknown, maxText: number, depth: number): unknown {
  if (typeof v === 'string') return cut(v, maxText);
  if (v === null || typeof v !== 'object' || depth > 6) return v;
  if (Array.isArray(v)) return v.slice(0, 20).map((x) => bounded(x, maxText, depth + 1));
  return Object.fromEntries(
    Object.entries(v)
      .slice(0, 20)
      .map(([k, x]) => [cut(k, maxText), bounded(x, maxText, depth + 1)]),
  );
}
