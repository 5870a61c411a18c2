/**
 * Typed domain errors; routes map them to HTTP with `{ error: { code, message, details, reason } }`. `reason` (a
 * key of core/reasons.ts and its parameters) is what the console shows, in the reader's language; `message` is
 * the English for API clients and logs.
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
    readonly details?: unknown,
    readonly reason?: Reason,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends DomainError {
  constructor(message: string, details?: unknown, reason?: Reason) {
    super('invalid', message, details, reason);
  }
}
export class NotFound extends DomainError {
  constructor(message: string, details?: unknown, reason?: Reason) {
    super('not_found', message, details, reason);
  }
}
export class Conflict extends DomainError {
  constructor(message: string, details?: unknown, reason?: Reason) {
    super('conflict', message, details, reason);
  }
}
export class Forbidden extends DomainError {
  constructor(message: string, details?: unknown, reason?: Reason) {
    super('forbidden', message, details, reason);
  }
}
export class Unauthorized extends DomainError {
  constructor(message: string, details?: unknown, reason?: Reason) {
    super('unauthorized', message, details, reason);
  }
}
/** A heavy read ran past its time limit (HTTP 503): the message names the limit and what to do. */
export class TooSlow extends DomainError {
  constructor(message: string, details?: unknown, reason?: Reason) {
    super('too_slow', message, details, reason);
  }
}
/** The request is larger than this server takes (an upload past the limit, or the disk cannot hold it). */
export class TooLarge extends DomainError {
  constructor(message: string, details?: unknown, reason?: Reason) {
    super('too_large', message, details, reason);
  }
}
/** Well-formed but contradicting an earlier request (an Idempotency-Key reused for a different body). */
export class Unprocessable extends DomainError {
  constructor(message: string, details?: unknown, reason?: Reason) {
    super('unprocessable', message, details, reason);
  }
}
