import { Invalid } from '../core/errors.js';

/** Opaque keyset cursors: the sort value and id of the last row of a page. */
export function encodeCursor(value: string | number | null, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { value: string | number | null; id: string } {
  try {
    const [value, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      string | number | null,
      string,
    ];
    if (typeof id !== 'string') throw new Error('bad');
    return { value, id };
  } catch {
    throw new Invalid('cursor is not valid: pass back the nextCursor of the previous page');
  }
}

/** Escapes LIKE wildcards in user text (we use ESCAPE '\'). */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
