/**
 * A heavy read whose client went away is stopped: a request's handler runs with an AbortSignal that fires
 * when the connection closes before the answer was sent, and offLoop (run.ts) hands it to the read pool
 * (the task is dropped from the queue, or its thread stopped) or cancels the PostgreSQL statement. Before,
 * an abandoned segment evaluation held a heavy read thread until it finished or hit its time limit.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';

export interface RequestScope {
  signal: AbortSignal;
  /** Logs at warn level on the request's logger. */
  warn(fields: Record<string, unknown>, message: string): void;
}

const scope = new AsyncLocalStorage<RequestScope>();

/** The request this code runs for, if any (jobs and tests run outside of one). */
export function currentRequest(): RequestScope | undefined {
  return scope.getStore();
}

/** The error a heavy read stops with when its client went away; nobody is left to answer. */
export class ClientGone extends Error {
  constructor(readonly task: string) {
    super(`the client went away: heavy read ${task} stopped`);
    this.name = 'ClientGone';
  }
}

export function registerAbandonHook(app: FastifyInstance): void {
  // preHandler: after the body was read (stream events do not carry the async context), so the handler and
  // everything it awaits runs inside this scope. The signal is made only when a heavy read asks for it.
  app.addHook('preHandler', (req, reply, done) => {
    const res = reply.raw;
    let controller: AbortController | undefined;
    const request: RequestScope = {
      get signal() {
        if (!controller) {
          const made = new AbortController();
          controller = made;
          const gone = () => {
            if (!res.writableFinished) made.abort(new Error('the client went away'));
          };
          if (res.destroyed) gone();
          else res.once('close', gone);
        }
        return controller.signal;
      },
      warn: (fields, message) => req.log.warn(fields, message),
    };
    inRequest(request, done);
  });
}

/** Runs `fn` as the given request's code: what it awaits sees that request (registerAbandonHook, tests). */
export function inRequest<T>(request: RequestScope, fn: () => T): T {
  return scope.run(request, fn);
}
