import { reason } from '../core/reasons.js';
import type { FastifyInstance } from 'fastify';
import { Invalid } from '../core/errors.js';

/** The path of the first string holding a NUL character, or null. */
function nulPath(v: unknown, path: string, depth = 0): string | null {
  if (typeof v === 'string') return v.includes('\u0000') ? path || 'value' : null;
  if (depth > 32 || v === null || typeof v !== 'object') return null;
  for (const [k, x] of Object.entries(v)) {
    if (k.includes('\u0000')) return `${path}${path ? '.' : ''}${k.replace(/\u0000/g, '\\0')}`;
    const found = nulPath(x, `${path}${path ? '.' : ''}${k}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Refuses text with a NUL character (\u0000) in the address, query or JSON body: no one types it,
 * and PostgreSQL cannot store it in text (it would fail as a 500 deep in a query).
 */
export function registerInputGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    for (const [where, value] of [
      ['params', req.params],
      ['querystring', req.query],
      ['body', req.body],
    ] as const) {
      const path = nulPath(value, where);
      if (path)
        throw new Invalid(
          `${path}: text cannot contain the NUL character (\\u0000)`,
          reason('input.nulChar', { field: path }),
          { path },
        );
    }
  });
}
