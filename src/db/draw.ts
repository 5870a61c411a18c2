import { type RawBuilder, sql } from 'kysely';
import type SqliteDatabase from 'better-sqlite3';
import { drawRank } from '../core/messaging/assign.js';
import type { Dialect } from './connect.js';

/** The SQLite function computing core/messaging/assign.ts drawRank (registered on every connection). */
export const DRAW_RANK_FN = 'huike_draw_rank';

export function registerDrawRank(db: SqliteDatabase.Database): void {
  db.function(DRAW_RANK_FN, { deterministic: true }, (seed: unknown, id: unknown) =>
    drawRank(String(seed), String(id)),
  );
}

/**
 * drawRank(seed, column) as SQL, collated bytewise so ORDER BY sorts it (and the ids breaking its
 * ties) the way JS compares strings: sha256 of seed, a NUL byte and the id, first 16 hex digits.
 */
export function drawRankSql(dialect: Dialect, seed: string, column: RawBuilder<unknown>): RawBuilder<string> {
  if (dialect === 'postgres') {
    const bytes = sql`convert_to(${seed}::text, 'UTF8') || decode('00', 'hex') || convert_to(${column}, 'UTF8')`;
    return sql<string>`substr(encode(sha256(${bytes}), 'hex'), 1, 16) COLLATE "C"`;
  }
  return sql<string>`${sql.raw(DRAW_RANK_FN)}(${seed}, ${column})`;
}

/** A column collated bytewise (JS string order for ASCII ids) on both dialects. */
export function bytewise(dialect: Dialect, column: RawBuilder<unknown>): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`${column} COLLATE "C"` : sql<string>`${column}`;
}
