import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import type { Dialect } from './connect.js';

/**
 * `column IN (the ids)` with the ids as ONE parameter: a PostgreSQL text array (`= ANY($1)`), a
 * JSON array read by json_each on SQLite. A batch of 5,000 ids is then one short statement — the
 * same text for every batch, so SQLite's prepared statement is reused and nothing is compiled per
 * id — where an IN list is 5,000 placeholders for Kysely to build and the database to parse.
 */
export function inIds(dialect: Dialect, column: string, ids: readonly string[]): Expression<SqlBool> {
  if (dialect === 'postgres') return sql<SqlBool>`${sql.ref(column)} = ANY(${ids}::text[])`;
  return sql<SqlBool>`${sql.ref(column)} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

/** ` AND column IN (the ids)` (inIds), or nothing when `ids` is null: a pass over every row. */
export function andInIds(dialect: Dialect, column: string, ids: readonly string[] | null) {
  return ids === null ? sql`` : sql` AND ${inIds(dialect, column, ids)}`;
}

/**
 * A column SQLite may not read by an index (`+column`, its documented way), for a condition beside a list of ids or
 * an order beside a customer: without statistics SQLite takes `workspace_id = ? AND kind = ?` for ~10 rows and read
 * every identity of that kind in the workspace by the (workspace_id, kind, …) key instead of the listed customers' by
 * the customer index (and a key that gives the order, the whole workspace's rows in it). PostgreSQL plans from its
 * statistics; the column as it is.
 */
export function notIndexed(dialect: Dialect, column: string): Expression<unknown> {
  return dialect === 'sqlite' ? sql`+${sql.ref(column)}` : sql.ref(column);
}

/**
 * `INDEXED BY index` on SQLite, nothing on PostgreSQL: the index a statement must read, whatever statistics the file
 * has. A user's file has none (nothing runs ANALYZE), and SQLite then takes `workspace_id = ?` for ~10 rows of any
 * index: it read a covering index or the key range of the whole workspace where a customer's rows were meant.
 */
export function indexedBy(dialect: Dialect, index: string): RawBuilder<unknown> {
  return dialect === 'sqlite' ? sql`INDEXED BY ${sql.raw(index)}` : sql``;
}
