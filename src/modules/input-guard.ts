import { reason } from '../core/reasons.js';
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { Invalid } from '../core/errors.js';

/** What no one types and no database keeps as sent: a NUL character, or half of a UTF-16 surrogate pair. */
type Broken = 'nul' | 'surrogate';

/** Half of a surrogate pair: a high one not followed by a low one, or a low one after no high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function brokenText(s: string): Broken | null {
  if (s.includes('\u0000')) return 'nul';
  return LONE_SURROGATE.test(s) ? 'surrogate' : null;
}

/** The 400 for broken text at a path (the address, query or JSON body here; a form's field in uploads.ts). */
export function brokenTextError(path: string, broken: Broken): Invalid {
  return broken === 'nul'
    ? new Invalid(
        `${path}: text cannot contain the NUL character (\\u0000)`,
        reason('input.nulChar', { field: path }),
        {
          path,
        },
      )
    : new Invalid(
        `${path}: text holds half of a UTF-16 surrogate pair (a broken character)`,
        reason('input.brokenChar', { field: path }),
        { path },
      );
}

/** The path of the first string (or key) holding broken text, and what is broken, or null. */
export function brokenPath(v: unknown, path: string, depth = 0): { path: string; broken: Broken } | null {
  if (typeof v === 'string') {
    const broken = brokenText(v);
    return broken ? { path: path || 'value', broken } : null;
  }
  if (depth > 32 || v === null || typeof v !== 'object') return null;
  for (const [k, x] of Object.entries(v)) {
    const key = brokenText(k);
    if (key) {
      // The key as the message can show it: NUL written out, a half pair as U+FFFD.
      const shown = k.replace(/\u0000/g, '\\0').replace(new RegExp(LONE_SURROGATE, 'g'), '\ufffd');
      return { path: `${path}${path ? '.' : ''}${shown}`, broken: key };
    }
    const found = brokenPath(x, `${path}${path ? '.' : ''}${k}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * The name of the first query parameter whose %-escapes do not decode (a lone `%`, `%zz`, half of a UTF-8 character
 * like `%E4%B8`), or null. The query parser keeps such a value as it was sent, so a search looked for the escape
 * itself and found nothing, with no word why.
 */
function badlyEncodedParameter(url: string): string | null {
  const q = url.indexOf('?');
  if (q < 0 || !url.includes('%', q)) return null;
  for (const part of url.slice(q + 1).split('&')) {
    if (!part.includes('%')) continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      try {
        return decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        return name;
      }
    }
  }
  return null;
}

/**
 * Refuses text with a NUL character (\u0000) in the address, query or JSON body: no one types it, and PostgreSQL
 * cannot store it in text (it would fail as a 500 deep in a query). So is half of a surrogate pair (`"\ud800"`, valid
 * JSON): both databases would keep U+FFFD in its place, a name other than the one sent (27 routes stored it).
 */
export function registerInputGuard(app: FastifyInstance): void {
  // A JSON body that is not UTF-8 (bytes FF FE, or a latin1 charset) was decoded with U+FFFD in place of what was
  // sent — "café" stored as "caf�": refused, as a broken character in the text is. The JSON itself is read by
  // fastify's own parser (prototype poisoning refused as before).
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const raw = body as Buffer;
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8') {
      done(
        new Invalid(`a JSON body is UTF-8: charset=${charset} is not read`, reason('input.charset', { charset }), {
          charset,
        }),
        undefined,
      );
      return;
    }
    if (!isUtf8(raw)) {
      done(new Invalid('the body is not valid UTF-8 text', reason('input.badUtf8')), undefined);
      return;
    }
    void json(req, raw.toString('utf8'), done);
  });
  app.addHook('preValidation', async (req) => {
    const badName = badlyEncodedParameter(req.url);
    if (badName !== null)
      throw new Invalid(
        `querystring.${badName}: a %-escape in the address is not valid UTF-8 (%E4%B8%AD is 中; a literal % is %25)`,
        reason('input.badEscape', { field: `querystring.${badName}` }),
        { path: `querystring.${badName}` },
      );
    for (const [where, value] of [
      ['params', req.params],
      ['querystring', req.query],
      ['body', req.body],
    ] as const) {
      const found = brokenPath(value, where);
      if (!found) continue;
      throw brokenTextError(found.path, found.broken);
    }
  });
}
