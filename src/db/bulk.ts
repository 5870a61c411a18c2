import { CompiledQuery, sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from './connect.js';
import type { Database } from './types.js';

type Executor = Kysely<Database> | Transaction<Database>;

export interface BulkOptions<T extends keyof Database> {
  /** ON CONFLICT: 'ignore' (DO NOTHING) or the key columns to update every other column on. */
  onConflict?: 'ignore' | { key: readonly (keyof Database[T] & string)[] };
  /** JSON columns whose values are JSON text (db/json.ts) and must travel as JSON on PostgreSQL. */
  jsonColumns?: readonly string[];
  /** SQLite: the columns every row gives (all keys of each row), so they are not gathered row by row. */
  columns?: readonly (keyof Database[T] & string)[];
}

/**
 * Inserts many rows fast on both dialects. PostgreSQL: one statement per 5,000 rows with the
 * rows as a single JSON parameter (json_populate_recordset) instead of tens of thousands of bind
 * parameters. SQLite: multi-row INSERTs whose prepared statements are reused (db/connect.ts).
 */
export async function bulkInsert<T extends keyof Database & string>(
  db: Executor,
  dialect: Dialect,
  table: T,
  rows: readonly Insertable<Database[T]>[],
  opts: BulkOptions<T> = {},
): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  if (dialect === 'postgres') {
    const cols = sql.join(columns.map((c) => sql.ref(c)));
    const conflict =
      opts.onConflict === 'ignore'
        ? sql`ON CONFLICT DO NOTHING`
        : opts.onConflict
          ? sql`ON CONFLICT (${sql.join(opts.onConflict.key.map((c) => sql.ref(c)))}) DO UPDATE SET ${sql.join(
              columns
                .filter((c) => !(opts.onConflict as { key: readonly string[] }).key.includes(c))
                .map((c) => sql`${sql.ref(c)} = EXCLUDED.${sql.ref(c)}`),
            )}`
          : sql``;
    for (let i = 0; i < rows.length; i += 5000) {
      let part: readonly object[] = rows.slice(i, i + 5000);
      if (opts.jsonColumns?.length) {
        part = part.map((r) => {
          const copy: Record<string, unknown> = { ...r };
          for (const c of opts.jsonColumns!) if (typeof copy[c] === 'string') copy[c] = JSON.parse(copy[c] as string);
          return copy;
        });
      }
      await sql`INSERT INTO ${sql.table(table)} (${cols}) SELECT ${cols} FROM
        json_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(part)}::json) ${conflict}`.execute(db);
    }
    return;
  }
  // SQLite: the statement text is built here, not by Kysely's builder (whose parse and compile of
  // every value cost more than SQLite's insert itself), and reused across chunks of one size so
  // the prepared statement cache (db/connect.ts) hits. Columns missing from a row are NULL.
  // Like Kysely: a column no row gives a value (all undefined) is left out, so its DEFAULT applies.
  let cols: string[];
  if (opts.columns) cols = [...opts.columns];
  else {
    const union = new Set<string>();
    for (const r of rows as readonly Record<string, unknown>[]) for (const k in r) if (r[k] !== undefined) union.add(k);
    cols = [...union];
  }
  if (cols.length === 0) throw new Error(`bulkInsert into ${table}: the rows have no values`);
  const quoted = cols.map((c) => `"${c.replace(/"/g, '""')}"`);
  const conflict =
    opts.onConflict === 'ignore'
      ? ' ON CONFLICT DO NOTHING'
      : opts.onConflict
        ? ` ON CONFLICT (${opts.onConflict.key.map((c) => `"${c}"`).join(', ')}) DO UPDATE SET ${cols
            .map((c, i) => [c, quoted[i]!] as const)
            .filter(([c]) => !(opts.onConflict as { key: readonly string[] }).key.includes(c))
            .map(([, q]) => `${q} = excluded.${q}`)
            .join(', ')}`
        : '';
  const params: unknown[] = [];
  for (const r of rows as readonly Record<string, unknown>[])
    for (const c of cols) params.push(r[c] === undefined ? null : r[c]);
  await insertFlat(db, table, quoted, conflict, params);
}

/**
 * SQLite: rows given as one flat array of values, row after row in `columns` order (rows decided on
 * another thread cross as one array of primitives, cheaper to pass and to bind than row objects).
 */
export async function insertValues<T extends keyof Database & string>(
  db: Executor,
  table: T,
  columns: readonly (keyof Database[T] & string)[],
  values: readonly unknown[],
  opts: { onConflict?: 'ignore' } = {},
): Promise<void> {
  if (values.length === 0) return;
  const quoted = columns.map((c) => `"${c.replace(/"/g, '""')}"`);
  await insertFlat(db, table, quoted, opts.onConflict === 'ignore' ? ' ON CONFLICT DO NOTHING' : '', values);
}

async function insertFlat(
  db: Executor,
  table: string,
  quoted: readonly string[],
  conflict: string,
  values: readonly unknown[],
): Promise<void> {
  const width = quoted.length;
  const count = values.length / width;
  const tuple = `(${quoted.map(() => '?').join(', ')})`;
  // SQLite allows 32,766 bind parameters per statement. Full statements of `size` rows, then the
  // rest in power-of-two statements (300 rows: 256 + 32 + 8 + 4): a few statement texts in all,
  // each prepared once and reused from the cache, where a tail of any length would be a new
  // statement to prepare (costlier than running it) in almost every call.
  const size = Math.max(1, Math.floor(30_000 / width));
  let i = 0;
  while (i < count) {
    const left = count - i;
    const n = left >= size ? size : 2 ** Math.floor(Math.log2(left));
    const params = values.slice(i * width, (i + n) * width);
    i += n;
    const text = `INSERT INTO "${table}" (${quoted.join(', ')}) VALUES ${Array(n).fill(tuple).join(', ')}${conflict}`;
    await db.executeQuery(CompiledQuery.raw(text, params));
  }
}

/**
 * Updates many rows, each found by `key` (its values taken from the row) and given the row's other
 * columns, on both dialects. PostgreSQL: one UPDATE … FROM json_populate_recordset per 5,000 rows
 * instead of one statement (and one round trip) per row. SQLite: one prepared UPDATE per row, the same
 * statement text for every row so it is prepared once (no round trip to save there).
 * A column a row leaves undefined is not written for that row (as Kysely's `set` does): rows are grouped
 * by the columns they give, one statement per group.
 */
export async function bulkUpdate<T extends keyof Database & string>(
  db: Executor,
  dialect: Dialect,
  table: T,
  key: readonly (keyof Database[T] & string)[],
  rows: readonly Partial<Insertable<Database[T]>>[],
  opts: { jsonColumns?: readonly string[] } = {},
): Promise<void> {
  const groups = new Map<string, { cols: string[]; rows: Record<string, unknown>[] }>();
  for (const r of rows as readonly Record<string, unknown>[]) {
    const cols = Object.keys(r).filter((c) => r[c] !== undefined && !key.includes(c as never));
    const sig = cols.join('\u0000');
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { cols, rows: [] }));
    g.rows.push(r);
  }
  for (const { cols, rows: part } of groups.values()) {
    if (cols.length === 0) continue;
    if (dialect === 'postgres') {
      const set = sql.join(cols.map((c) => sql`${sql.ref(c)} = n.${sql.ref(c)}`));
      const on = sql.join(
        key.map((k) => sql`t.${sql.ref(k)} = n.${sql.ref(k)}`),
        sql` AND `,
      );
      for (let i = 0; i < part.length; i += 5000) {
        const chunk = part.slice(i, i + 5000).map((r) => {
          const copy: Record<string, unknown> = { ...r };
          for (const c of opts.jsonColumns ?? [])
            if (typeof copy[c] === 'string') copy[c] = JSON.parse(copy[c] as string);
          return copy;
        });
        await sql`UPDATE ${sql.table(table)} AS t SET ${set}
          FROM json_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(chunk)}::json) AS n
          WHERE ${on}`.execute(db);
      }
      continue;
    }
    const q = (c: string) => `"${c.replace(/"/g, '""')}"`;
    const text = `UPDATE "${table}" SET ${cols.map((c) => `${q(c)} = ?`).join(', ')} WHERE ${key
      .map((k) => `${q(k)} = ?`)
      .join(' AND ')}`;
    for (const r of part) {
      const params = [...cols.map((c) => r[c]), ...key.map((k) => r[k])];
      await db.executeQuery(CompiledQuery.raw(text, params as unknown[]));
    }
  }
}
