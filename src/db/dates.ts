import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from './connect.js';

/**
 * The local calendar day (YYYY-MM-DD text) of a stored timestamp, shifted by a fixed offset in
 * minutes. Timestamps are ISO text on SQLite and timestamptz on PostgreSQL; this hides that.
 * A fixed offset is exact for zones without daylight saving (Asia/Shanghai) and off by an hour
 * around a DST change elsewhere, which day buckets of a dashboard can live with.
 */
export function localDaySql(
  dialect: Dialect,
  column: RawBuilder<unknown> | ReturnType<typeof sql.ref>,
  offsetMinutes: number,
): RawBuilder<string> {
  const minutes = Math.trunc(offsetMinutes);
  if (dialect === 'postgres') {
    return sql<string>`to_char((${column} AT TIME ZONE 'UTC') +
      make_interval(mins => ${sql.lit(minutes)}), 'YYYY-MM-DD')`;
  }
  return sql<string>`substr(datetime(${column}, ${sql.lit(`${minutes >= 0 ? '+' : ''}${minutes} minutes`)}), 1, 10)`;
}

/**
 * What a bound ISO-text parameter needs to compare with a timestamp column: `::timestamptz` on PostgreSQL, nothing on
 * SQLite.
 */
export function timestampCast(dialect: Dialect): RawBuilder<unknown> {
  return dialect === 'postgres' ? sql`::timestamptz` : sql``;
}
