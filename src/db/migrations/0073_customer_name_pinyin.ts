import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * The pinyin keys of PostgreSQL's index on customers.name_pinyin, as the search must spell them: each
 * space-separated key one lexeme as it is (no parser, no dictionary), so `zj:*` finds `zjy`.
 */
export function pinyinLexemes(column = 'name_pinyin'): RawBuilder<unknown> {
  return sql`array_to_tsvector(string_to_array(${sql.ref(column)}, ' '))`;
}

/**
 * Customer search by pinyin (`zjy`, `zhang` find 张佳怡): customers.name_pinyin holds the pinyin keys of
 * the display name, the real name and the buyer nicks (core/pinyin-keys.ts), written by every path that
 * sets a name or a nick (modules/customers/pinyin.ts); a search matches a key by prefix.
 * PostgreSQL: a GIN index of the keys as lexemes, searched with a prefix tsquery (`zj:*`). SQLite:
 * customer_pinyin mirrors the non-null keys (kept by triggers on customers, its integer key the FTS5
 * row id, as customer_names of 0051) and customer_pinyin_fts indexes them word by word with prefix
 * indexes of 2 and 3 letters (`"zj" *`). Existing customers are filled here, `batch` at a time by primary
 * key, before the index is built.
 */
export function customerNamePinyin(dialect: Dialect, batch = 5000) {
  const pg = dialect === 'postgres';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // SQLite runs a migration outside a transaction: one stopped half-way (a kill during the backfill) is
      // run again from the start, so the column may be there already; the backfill writes what differs.
      if (pg) await sql`ALTER TABLE customers ADD COLUMN IF NOT EXISTS name_pinyin TEXT`.execute(db);
      else {
        const cols = await sql<{ name: string }>`SELECT name FROM pragma_table_info('customers')`.execute(db);
        if (!cols.rows.some((c) => c.name === 'name_pinyin'))
          await sql`ALTER TABLE customers ADD COLUMN name_pinyin TEXT`.execute(db);
      }
      await backfill(db, dialect, batch);
      if (pg) {
        await sql`CREATE INDEX customers_name_pinyin_idx ON customers USING gin (${pinyinLexemes()})
          WHERE name_pinyin IS NOT NULL`.execute(db);
        return;
      }
      await db.transaction().execute((trx) => sqliteIndex(trx));
    },
    async down(db: Kysely<unknown>): Promise<void> {
      if (pg) {
        await sql`DROP INDEX customers_name_pinyin_idx`.execute(db);
      } else {
        for (const t of [
          'customers_pinyin_insert',
          'customers_pinyin_update',
          'customers_pinyin_delete',
          'customer_pinyin_fts_insert',
          'customer_pinyin_fts_delete',
          'customer_pinyin_fts_update',
        ])
          await sql`DROP TRIGGER ${sql.raw(t)}`.execute(db);
        await sql`DROP TABLE customer_pinyin_fts`.execute(db);
        await sql`DROP TABLE customer_pinyin`.execute(db);
      }
      await sql`ALTER TABLE customers DROP COLUMN name_pinyin`.execute(db);
    },
  };
}

/** SQLite's mirror of the keys and its FTS5 index, filled and kept by triggers, in one transaction. */
async function sqliteIndex(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE customer_pinyin (
        id INTEGER PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        keys TEXT NOT NULL,
        UNIQUE (workspace_id, customer_id))`.execute(db);
  await sql`CREATE VIRTUAL TABLE customer_pinyin_fts USING fts5(
        keys, content='customer_pinyin', content_rowid='id', tokenize='ascii', prefix='2 3')`.execute(db);
  await sql`INSERT INTO customer_pinyin (workspace_id, customer_id, keys)
        SELECT workspace_id, id, name_pinyin FROM customers WHERE name_pinyin IS NOT NULL`.execute(db);
  await sql`INSERT INTO customer_pinyin_fts (customer_pinyin_fts) VALUES ('rebuild')`.execute(db);
  await sql`CREATE TRIGGER customer_pinyin_fts_insert AFTER INSERT ON customer_pinyin BEGIN
        INSERT INTO customer_pinyin_fts (rowid, keys) VALUES (new.id, new.keys); END`.execute(db);
  await sql`CREATE TRIGGER customer_pinyin_fts_delete AFTER DELETE ON customer_pinyin BEGIN
        INSERT INTO customer_pinyin_fts (customer_pinyin_fts, rowid, keys)
          VALUES ('delete', old.id, old.keys); END`.execute(db);
  await sql`CREATE TRIGGER customer_pinyin_fts_update AFTER UPDATE ON customer_pinyin BEGIN
        INSERT INTO customer_pinyin_fts (customer_pinyin_fts, rowid, keys) VALUES ('delete', old.id, old.keys);
        INSERT INTO customer_pinyin_fts (rowid, keys) VALUES (new.id, new.keys); END`.execute(db);
  await sql`CREATE TRIGGER customers_pinyin_insert AFTER INSERT ON customers WHEN new.name_pinyin IS NOT NULL BEGIN
        INSERT INTO customer_pinyin (workspace_id, customer_id, keys)
          VALUES (new.workspace_id, new.id, new.name_pinyin); END`.execute(db);
  // Only a change of the keys (or of the key) touches the mirror: most updates of a customer leave it.
  await sql`CREATE TRIGGER customers_pinyin_update AFTER UPDATE OF workspace_id, id, name_pinyin ON customers BEGIN
        DELETE FROM customer_pinyin WHERE workspace_id = old.workspace_id AND customer_id = old.id;
        INSERT INTO customer_pinyin (workspace_id, customer_id, keys)
          SELECT new.workspace_id, new.id, new.name_pinyin WHERE new.name_pinyin IS NOT NULL; END`.execute(db);
  await sql`CREATE TRIGGER customers_pinyin_delete AFTER DELETE ON customers BEGIN
        DELETE FROM customer_pinyin WHERE workspace_id = old.workspace_id AND customer_id = old.id; END`.execute(db);
}

interface NameRow {
  workspace_id: string;
  id: string;
  display_name: string;
  real_name: string | null;
  name_pinyin: string | null;
}

/**
 * Fills name_pinyin of every customer: a page of customers by primary key, their nicks by the range of
 * the identities' (workspace_id, customer_id) index that the page spans, the keys computed here, and
 * one UPDATE of the page's customers whose keys differ from the stored ones (null at first), so a run
 * stopped half-way (SQLite has no transaction around a migration) is simply run again.
 */
async function backfill(db: Kysely<unknown>, dialect: Dialect, batch: number): Promise<void> {
  // Loaded here, not with the module: the search imports pinyinLexemes on threads that never convert.
  const { customerPinyin } = await import('../../core/pinyin-keys.js');
  let after: [string, string] | null = null;
  for (;;) {
    const from: RawBuilder<unknown> = after ? sql`WHERE (workspace_id, id) > (${after[0]}, ${after[1]})` : sql``;
    const page = (
      await sql<NameRow>`SELECT workspace_id, id, display_name, real_name, name_pinyin FROM customers ${from}
        ORDER BY workspace_id, id LIMIT ${batch}`.execute(db)
    ).rows;
    if (page.length === 0) return;
    const last = page[page.length - 1]!;
    // The page's nicks: per workspace, the range of customer ids it covers (workspace_id = ? AND customer_id
    // BETWEEN: a range of the identities' (workspace_id, customer_id) index, where a row-value range over
    // both columns made SQLite walk a whole workspace's identities for every page).
    const nicks = new Map<string, string[]>();
    const spans = new Map<string, [string, string]>();
    for (const c of page) {
      const span = spans.get(c.workspace_id);
      if (span) span[1] = c.id;
      else spans.set(c.workspace_id, [c.id, c.id]);
    }
    for (const [ws, [low, high]] of spans) {
      const found = await sql<{ customer_id: string; value: string }>`
        SELECT customer_id, value FROM customer_identities
        WHERE workspace_id = ${ws} AND customer_id >= ${low} AND customer_id <= ${high} AND kind = 'nick'`.execute(db);
      for (const n of found.rows) {
        const k = `${ws}\u0000${n.customer_id}`;
        const list = nicks.get(k);
        if (list) list.push(n.value);
        else nicks.set(k, [n.value]);
      }
    }
    const rows: [string, string, string | null][] = [];
    for (const c of page) {
      const keys = customerPinyin(c.display_name, c.real_name, nicks.get(`${c.workspace_id}\u0000${c.id}`));
      if (keys !== c.name_pinyin) rows.push([c.workspace_id, c.id, keys]);
    }
    if (rows.length > 0) await writeKeys(db, dialect, rows);
    after = [last.workspace_id, last.id];
  }
}

async function writeKeys(db: Kysely<unknown>, dialect: Dialect, rows: [string, string, string | null][]) {
  if (dialect === 'postgres') {
    await sql`UPDATE customers c SET name_pinyin = v.k
      FROM unnest(${rows.map((r) => r[0])}::text[], ${rows.map((r) => r[1])}::text[], ${rows.map((r) => r[2])}::text[])
        AS v(w, i, k)
      WHERE c.workspace_id = v.w AND c.id = v.i`.execute(db);
    return;
  }
  await sql`UPDATE customers SET name_pinyin = j.value ->> 2
    FROM json_each(${JSON.stringify(rows)}) j
    WHERE customers.workspace_id = j.value ->> 0 AND customers.id = j.value ->> 1`.execute(db);
}
