import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerListQuery } from '../../src/modules/customers/schema.js';
import { searchCustomers } from '../../src/modules/customers/service.js';
import { loadDemo } from '../../src/modules/demo/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import type { Db } from '../../src/db/connect.js';
import { freshMigratedDatabase, PG_URL } from '../helpers.js';
import { loggedDatabase, replayExplained, type Logged } from '../support/plans.js';

/**
 * PostgreSQL: a search of two characters finds names by the index of their pairs of characters (0085), not by the
 * trigram index, which holds nothing for a part that short and so handed over every customer to be rechecked
 * (0.5–1.15 s at 1M customers). The answers are those of the LIKE search: customer-list.test.ts.
 */
describe.skipIf(!PG_URL)('a short search on PostgreSQL', () => {
  let drop: () => Promise<void>;
  let db: Db;
  let statements: Logged[];
  let workspaceId = '';

  beforeAll(async () => {
    const fresh = await freshMigratedDatabase('postgres');
    drop = fresh.drop;
    ({ db, statements } = loggedDatabase(fresh.url));
    const ctx = { db, now: () => new Date('2026-11-22T12:00:00Z') };
    workspaceId = (await createWorkspace(ctx, '回客')).id;
    await loadDemo(ctx, workspaceId, { customers: 300 });
    await db.kysely.executeQuery(CompiledQuery.raw('ANALYZE customers'));
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('asks for 2 characters what the index of pairs holds, for 1 or 3 what the trigram one holds', async () => {
    const ctx = { db, now: () => new Date('2026-11-22T12:00:00Z') };
    const sent: Record<string, string> = {};
    for (const q of ['王丽', 'Wl', 'W', '王丽华']) {
      statements.length = 0;
      await searchCustomers(ctx, workspaceId, customerListQuery.parse({ q }), 'owner');
      sent[q] = statements.map((s) => s.sql).join('\n');
    }
    // Exactly the indexed expressions of 0085 (the lower-cased part for the display name); no LIKE to recheck.
    const pairs = /huike_name_pairs\(lower\(n\.display_name\)\) @> ARRAY\[\$\d+\]::text\[\]/;
    const realPairs = /huike_name_pairs\(n\.real_name\) @> ARRAY\[\$\d+\]::text\[\]/;
    for (const q of ['王丽', 'Wl']) {
      expect(sent[q], q).toMatch(pairs);
      expect(sent[q], q).toMatch(realPairs);
      expect(sent[q], q).not.toMatch(/"display_name"\) like/);
    }
    for (const q of ['W', '王丽华']) expect(sent[q], q).not.toMatch(/huike_name_pairs/);
    // And those expressions are what the indexes serve (only index conditions allowed, as on a large table).
    const plan = await db.kysely.transaction().execute(async (trx) => {
      for (const off of ['seqscan', 'indexscan', 'indexonlyscan'])
        await trx.executeQuery(CompiledQuery.raw(`SET LOCAL enable_${off} = off`));
      const lines: string[] = [];
      for (const where of [
        `huike_name_pairs(lower(display_name)) @> ARRAY['wl']`,
        `huike_name_pairs(real_name) @> ARRAY['王丽']`,
      ]) {
        const r = await trx.executeQuery<{ 'QUERY PLAN': string }>(
          CompiledQuery.raw(`EXPLAIN SELECT id FROM customers WHERE ${where}`),
        );
        lines.push(...r.rows.map((l) => l['QUERY PLAN']));
      }
      return lines.join('\n');
    });
    expect(plan).toMatch(/Bitmap Index Scan on customers_name_pairs_idx/);
    expect(plan).toMatch(/Bitmap Index Scan on customers_real_name_pairs_idx/);
  });
});

/**
 * SQLite: a search of one or two characters finds names by the index of 0086 (their characters and pairs spelled as
 * trigrams) when it holds few of them, where it read the whole (name, id) index (200–470 ms at 400k customers); a part
 * the index holds for many customers is read the old way, which then costs less. The answers are those of the LIKE
 * search either way: customer-list.test.ts.
 */
describe('a short search on SQLite', () => {
  let drop: () => Promise<void>;
  let db: Db;
  let statements: Logged[];
  let workspaceId = '';
  const ctx = () => ({ db, now: () => new Date('2026-11-22T12:00:00Z') });

  beforeAll(async () => {
    const fresh = await freshMigratedDatabase('sqlite');
    drop = fresh.drop;
    ({ db, statements } = loggedDatabase(fresh.url));
    workspaceId = (await createWorkspace(ctx(), '回客')).id;
    await loadDemo(ctx(), workspaceId, { customers: 300 });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  /** The page's statements of a search (the index's count comes first and is no page). */
  async function searchedBy(q: string) {
    statements.length = 0;
    const r = await searchCustomers(ctx(), workspaceId, customerListQuery.parse({ q }), 'owner');
    const page = statements.filter((s) => /CROSS JOIN customer_names m/.test(s.sql)).map((s) => s.sql);
    return { items: r.items, page };
  }

  it('asks the index of characters and pairs for 1–2 characters, and reads it, not the names, if few', async () => {
    const { id, real_name } = await db.kysely
      .selectFrom('customers')
      .select(['id', 'real_name'])
      .where('workspace_id', '=', workspaceId)
      .where('real_name', 'is not', null)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const two = [...real_name!].slice(-2).join('');
    for (const q of [two, [...two][0]!, 'Wl']) {
      const { items, page } = await searchedBy(q);
      expect(page.join('\n'), q).toMatch(/"customer_name_grams_fts" f/);
      if (q === two) expect(items.map((c) => c.id)).toContain(id);
    }
    // What SQLite does with it: the index's rows, then each customer by key — no scan of the customers or their names.
    const { page } = await searchedBy(two);
    const plans = await replayExplained(db, statements, {
      explain: (s) => s === page[0],
      run: () => false,
    });
    const plan = plans.flatMap((p) => p.plan).join('\n');
    expect(plan).toMatch(/SCAN f VIRTUAL TABLE INDEX/);
    expect(plan).not.toMatch(/SCAN (n|c|customers)\b/);
  });

  it('reads the names the old way for a part the index holds for many customers', async () => {
    // 2,100 customers named 甲壳虫N: more than the index is asked for (GRAMS_AT_LEAST in a shop this small).
    const row = await db.kysely
      .selectFrom('customers')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const many = Array.from({ length: 2100 }, (_, i) => ({
      ...row,
      id: `zz-${String(i).padStart(5, '0')}`,
      display_name: i === 12 ? '甲壳虫鹦鹉' : `甲壳虫${i}`,
      real_name: null,
      phone: null,
      email: null,
    }));
    for (let i = 0; i < many.length; i += 500)
      await db.kysely
        .insertInto('customers')
        .values(many.slice(i, i + 500))
        .execute();
    const { page } = await searchedBy('甲壳');
    expect(page).toEqual([]);
    // A part only one of them holds is asked of the index again.
    const few = await searchedBy('鹦鹉');
    expect(few.page.join('\n')).toMatch(/"customer_name_grams_fts" f/);
    expect(few.items.map((c) => c.id)).toEqual(['zz-00012']);
  });
});
