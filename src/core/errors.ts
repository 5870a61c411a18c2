/** Typed domain errors; routes map them to HTTP with `{ error: { code, message, details } }`. */
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
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class Invalid extends DomainError {
  constructor(message: string, details?: unknown) {
    super('invalid', message, details);
  }
}
export class NotFound extends DomainError {
  constructor(message: string, details?: unknown) {
    super('not_found', message, details);
  }
}
export class Conflict extends DomainError {
  constructor(message: string, details?: unknown) {
    super('conflict', message, details);
  }
}
export class Forbidden extends DomainError {
  constructor(message: string, details?: unknown) {
    super('forbidden', message, details);
  }
}
export class Unauthorized extends DomainError {
  constructor(message: string, details?: unknown) {
    super('unauthorized', message, details);
  }
}
/** A heavy read ran past its time limit (HTTP 503): the message names the limit and what to do. */
export class TooSlow extends DomainError {
  constructor(message: string, details?: unknown) {
    super('too_slow', message, details);
  }
}
/** The request is larger than this server takes (an upload past the limit, or the disk cannot hold it). */
export class TooLarge extends DomainError {
  constructor(message: string, details?: unknown) {
    super('too_large', message, details);
  }
}
/** Well-formed but contradicting an earlier request (an Idempotency-Key reused for a different body). */
export class Unprocessable extends DomainError {
  constructor(message: string, details?: unknown) {
    super('unprocessable', message, details);
  }
}
