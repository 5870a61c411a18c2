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
