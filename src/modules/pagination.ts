import { reason } from '../core/reasons.js';
import { Invalid } from '../core/errors.js';
import { isRealDateTime } from '../core/input.js';
import type { Kysely, SelectQueryBuilder } from 'kysely';
import type { Database } from '../db/types.js';

/** Opaque keyset cursors: the sort value and id of the last row of a page. */
export function encodeCursor(value: string | number | null, id: string): string {
  return Buffer.from(JSON.stringify([value, id])).toString('base64url');
}

/** What the sort value of a cursor must be: a time (ISO), a whole number, or any text or number. */
export type CursorValue = 'time' | 'number' | 'any';

/**
 * A cursor comes back from the client, so it is input like any other: a forged one (an object
 * where a time belongs, 1e308, "2026-02-30") is refused here rather than reaching SQL, where
 * PostgreSQL would reject the cast with an error of its own.
 */
export function decodeCursor(
  cursor: string,
  expect: CursorValue = 'any',
  nullable = true,
): { value: string | number | null; id: string } {
  const invalid = () =>
    new Invalid('cursor is not valid: pass back the nextCursor of the previous page', reason('input.cursor'));
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw invalid();
  const [value, id] = parsed as [unknown, unknown];
  if (typeof id !== 'string' || id.length === 0 || id.length > 100) throw invalid();
  if (value === null) {
    if (!nullable) throw invalid();
    return { value, id };
  }
  const ok =
    expect === 'time'
      ? typeof value === 'string' && value.length <= 40 && isRealDateTime(value)
      : expect === 'number'
        ? Number.isSafeInteger(value)
        : (typeof value === 'string' && value.length <= 200) || Number.isSafeInteger(value);
  if (!ok) throw invalid();
  return { value: value as string | number, id };
}

/** Escapes LIKE wildcards in user text (we use ESCAPE '\'). */
export function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * How many rows a list filter may pass for its page to be found by the filter's own index and sorted, as a search's
 * is. A filter more pass is paged by walking the sort's index until a page of them is found: a few hundred rows for
 * one of 1 %, but the whole shop for one nobody passes (1M customers, 3M orders: 9–15 s).
 */
export const FEW_MATCHES = 5_000;

/** How many rows `query` finds, counted on its index up to `most + 1` (more cost no more). */
export async function countUpTo(
  k: Kysely<Database>,
  // Any table's query: only its rows are counted.
  query: SelectQueryBuilder<Database, any, object>,
  most: number,
): Promise<number> {
  const { n } = await k
    .selectFrom(query.limit(most + 1).as('f'))
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(n);
}
