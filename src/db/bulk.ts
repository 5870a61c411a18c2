import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import type { Dialect } from './connect.js';
import type { Database } from './types.js';

type Executor = Kysely<Database> | Transaction<Database>;

export interface BulkOptions<T extends keyof Database> {
  /** ON CONFLICT: 'ignore' (DO NOTHING) or the key columns to update every other column on. */
  onConflict?: 'ignore' | { key: readonly (keyof Database[T] & string)[] };
  /** JSON columns whose values are JSON text (db/json.ts) and must travel as JSON on PostgreSQL. */
  jsonColumns?: readonly string[];
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
  // SQLite allows 32,766 bind parameters per statement.
  const size = Math.max(1, Math.floor(30_000 / columns.length));
  for (let i = 0; i < rows.length; i += size) {
    const q = db.insertInto(table).values(rows.slice(i, i + size) as never);
    if (opts.onConflict === 'ignore') await q.onConflict((oc) => oc.doNothing()).execute();
    else if (opts.onConflict) {
      const key = opts.onConflict.key;
      await q
        .onConflict((oc) =>
          oc
            .columns(key as never)
            .doUpdateSet(
              Object.fromEntries(
                columns.filter((c) => !key.includes(c as never)).map((c) => [c, sql.ref(`excluded.${c}`)]),
              ) as never,
            ),
        )
        .execute();
    } else await q.execute();
  }
}
