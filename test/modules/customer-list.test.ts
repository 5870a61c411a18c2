import { beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { loadDemo } from '../../src/modules/demo/service.js';
import { matchedField, searchCustomers } from '../../src/modules/customers/service.js';
import { type CustomerRow, listCustomers, sortValueOf } from '../../src/modules/customers/repo.js';
import { encodeCursor } from '../../src/modules/pagination.js';
import { CUSTOMER_SORTS, customerListQuery } from '../../src/modules/customers/schema.js';
import { describeBothDatabases, type TestEnv } from '../helpers.js';
import { customerPinyin } from '../../src/core/pinyin-keys.js';
import { pinyinQuery } from '../../src/core/pinyin-query.js';
import { refreshNamePinyin } from '../../src/modules/customers/pinyin.js';

/** Every customer id a list query finds, page after page through its cursor. */
async function allIds({ ctx, workspaceId }: TestEnv, query: Record<string, unknown>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await searchCustomers(ctx, workspaceId, { ...query, cursor } as never, 'owner');
    ids.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

describeBothDatabases('customer list pages', (env) => {
  beforeAll(async () => {
    const { ctx, workspaceId, db } = env();
    await loadDemo(ctx, workspaceId, { customers: 300, until: new Date('2026-11-22T00:00:00Z') });
    // Customers with no stats row at all (never ordered) belong at the end of every stats sort.
    const bare = await db.kysely
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .orderBy('id')
      .limit(7)
      .execute();
    await db.kysely
      .deleteFrom('customer_stats')
      .where('workspace_id', '=', workspaceId)
      .where(
        'customer_id',
        'in',
        bare.map((b) => b.id),
      )
      .execute();
  }, 120_000);

  /** Every customer in the order a whole-table ORDER BY COALESCE(value, floor) DESC, id DESC gives. */
  async function expected(sort: (typeof CUSTOMER_SORTS)[number], only?: (r: { id: string; name: string }) => boolean) {
    const { db, workspaceId } = env();
    const rows = await db.kysely
      .selectFrom('customers as c')
      .leftJoin('customer_stats as s', (j) =>
        j.onRef('s.workspace_id', '=', 'c.workspace_id').onRef('s.customer_id', '=', 'c.id'),
      )
      .select(['c.id', 'c.display_name', 's.last_order_at', 's.total_spent_fen', 's.paid_orders'])
      .where('c.workspace_id', '=', workspaceId)
      .execute();
    const key = (r: (typeof rows)[number]): string | number =>
      sort === 'last_order'
        ? (r.last_order_at ?? '')
        : sort === 'spent'
          ? (r.total_spent_fen ?? 0)
          : sort === 'orders'
            ? (r.paid_orders ?? 0)
            : r.id;
    return rows
      .filter((r) => !only || only({ id: r.id, name: r.display_name }))
      .sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        if (ka !== kb) return ka < kb ? 1 : -1;
        return a.id < b.id ? 1 : -1;
      })
      .map((r) => r.id);
  }

  async function allPages(sort: (typeof CUSTOMER_SORTS)[number], q?: string) {
    const { ctx, workspaceId } = env();
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await searchCustomers(ctx, workspaceId, { sort, limit: 37, cursor, q } as never, 'owner');
      ids.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return ids;
  }

  it('pages by keyset on every sort give the whole-table order, buyers first, then the rest newest first', async () => {
    for (const sort of CUSTOMER_SORTS) {
      const want = await expected(sort);
      expect(want.length).toBe(300);
      expect(await allPages(sort), sort).toEqual(want);
    }
  });

  it('a search pages the same way over what it finds (name contains, phone tail, nick)', async () => {
    const want = await expected('spent', (r) => r.name.toLowerCase().includes('tb'));
    expect(want.length).toBeGreaterThan(37);
    expect(await allPages('spent', 'TB')).toEqual(want);
    const { db, workspaceId } = env();
    const one = await db.kysely
      .selectFrom('customers')
      .select(['id', 'phone'])
      .where('workspace_id', '=', workspaceId)
      .where('phone', 'is not', null)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(await allPages('last_order', one.phone!.slice(-6))).toContain(one.id);
    expect(await allPages('last_order', one.phone!)).toEqual([one.id]);
    const nick = await db.kysely
      .selectFrom('customer_identities')
      .select(['customer_id', 'value'])
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', 'nick')
      .executeTakeFirstOrThrow();
    expect(await allPages('newest', nick.value)).toContain(nick.customer_id);
  });

  it('first page carries the total the filters match, later pages none; a hit says which field matched', async () => {
    const { ctx, workspaceId, db } = env();
    const first = (q: Record<string, unknown>) =>
      searchCustomers(ctx, workspaceId, { sort: 'last_order', limit: 20, ...q } as never, 'owner');
    const all = await first({});
    expect(all.total).toBe(300);
    expect((await first({ cursor: all.nextCursor })).total).toBeNull();

    const tb = await first({ q: 'TB' });
    expect(tb.total).toBe((await expected('spent', (r) => r.name.toLowerCase().includes('tb'))).length);
    expect(tb.total).toBeGreaterThan(20);
    expect(tb.items.every((i) => i.matched === 'name')).toBe(true);

    // Filters the stats row answers (paid orders) are counted the same way the pages walk them.
    const buyers = await first({ minPaidOrders: 2 });
    const want = await db.kysely
      .selectFrom('customer_stats')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('paid_orders', '>=', 2)
      .executeTakeFirstOrThrow();
    expect(buyers.total).toBe(Number(want.n));
    expect((await allPagesOf({ minPaidOrders: 2 })).length).toBe(Number(want.n));

    const one = await db.kysely
      .selectFrom('customers')
      .select(['id', 'phone', 'display_name'])
      .where('workspace_id', '=', workspaceId)
      .where('phone', 'is not', null)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const byPhone = await first({ q: one.phone! });
    expect(byPhone.total).toBe(1);
    expect(byPhone.items[0]).toMatchObject({ id: one.id, matched: 'phone' });
    // Digits are a phone's tail first, where the nick holds them too (…1249 and tb66868406_11249 said 匹配：昵称).
    const tail = one.phone!.slice(-4);
    const row = { display_name: `tb_${one.phone!.slice(-6)}`, real_name: null, phone: one.phone, email: null };
    expect(matchedField(row as CustomerRow, tail)).toBe('phone');
    expect(matchedField(row as CustomerRow, one.phone!.slice(-6))).toBe('phone');
    expect(matchedField({ ...row, phone: '13900000000' } as CustomerRow, tail)).toBe('name');
    const nick = await db.kysely
      .selectFrom('customer_identities')
      .select(['customer_id', 'value'])
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', 'nick')
      .executeTakeFirstOrThrow();
    const byNick = await first({ q: nick.value });
    expect(byNick.items.find((i) => i.id === nick.customer_id)?.matched).toMatch(/^(nick|name)$/);

    const none = await first({ q: 'no-such-customer-zz' });
    expect(none).toMatchObject({ items: [], total: 0, nextCursor: null });
    expect(all.items.some((i) => i.store !== null)).toBe(true);
  });

  const allPagesOf = (q: Record<string, unknown>) => allIds(env(), { sort: 'spent', limit: 37, ...q });

  it('a filter few pass is found by its index and sorted, one many pass by walking the sort: same pages', async () => {
    const { ctx, db, workspaceId } = env();
    const people = await db.kysely
      .selectFrom('customers as c')
      .leftJoin('customer_stats as s', (j) =>
        j.onRef('s.workspace_id', '=', 'c.workspace_id').onRef('s.customer_id', '=', 'c.id'),
      )
      .select(['c.id', 'c.province', 's.province as bought_in', 'c.marketing_consent', 's.paid_orders'])
      .where('c.workspace_id', '=', workspaceId)
      .execute();
    const inStore = await db.kysely
      .selectFrom('orders')
      .select(['store_id', 'customer_id'])
      .where('workspace_id', '=', workspaceId)
      .execute();
    const stores = [...new Set(inStore.map((o) => o.store_id))];
    // The demo's most common province, and one few customers have: two by their own address, one by their orders'.
    const tally = new Map<string, number>();
    for (const p of people) if (p.province) tally.set(p.province, (tally.get(p.province) ?? 0) + 1);
    const common = [...tally].sort((a, b) => b[1] - a[1])[0]![0];
    const rare = people.filter((p) => p.paid_orders && p.province !== '西藏自治区').slice(10, 13);
    const inTibet = (table: 'customers' | 'customer_stats', column: 'id' | 'customer_id', ids: string[]) =>
      db.kysely
        .updateTable(table)
        .set({ province: '西藏自治区' })
        .where('workspace_id', '=', workspaceId)
        .where(column, 'in', ids)
        .execute();
    await inTibet('customers', 'id', [rare[0]!.id, rare[1]!.id]);
    await inTibet('customer_stats', 'customer_id', [rare[2]!.id]);
    rare[0]!.province = rare[1]!.province = rare[2]!.bought_in = '西藏自治区';
    const filters: Record<string, unknown>[] = [
      { province: common },
      { province: '西藏自治区' },
      { province: '无此省份' },
      { consent: 'granted' },
      { consent: 'denied' },
      { minPaidOrders: 2 },
      { storeId: stores[0] },
      { province: common, minPaidOrders: 1, consent: 'granted' },
      { province: '西藏自治区', storeId: stores[stores.length - 1] },
    ];
    const passes = (f: Record<string, unknown>, p: (typeof people)[number]) =>
      (f.province === undefined || p.province === f.province || p.bought_in === f.province) &&
      (f.consent === undefined || p.marketing_consent === f.consent) &&
      (f.minPaidOrders === undefined || (p.paid_orders ?? -1) >= (f.minPaidOrders as number)) &&
      (f.storeId === undefined || inStore.some((o) => o.customer_id === p.id && o.store_id === f.storeId));
    let walked = 0;
    for (const f of filters) {
      const only = new Set(people.filter((p) => passes(f, p)).map((p) => p.id));
      if (f.province === common) expect(only.size).toBeGreaterThan(10);
      for (const sort of CUSTOMER_SORTS) {
        const want = await expected(sort, (r) => only.has(r.id));
        const what = `${JSON.stringify(f)} by ${sort}`;
        // Found by the filter's index (the demo's 300 customers are few for every filter), with its total.
        expect(await allIds(env(), { sort, limit: 10, ...f }), what).toEqual(want);
        const first = await searchCustomers(ctx, workspaceId, { sort, limit: 10, ...f } as never, 'owner');
        expect(first.total, what).toBe(want.length);
        // Walked in the sort's order, as when more than FEW_MATCHES pass (a filter nobody passes is found either way).
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const q = { sort, limit: 10, cursor, ...f } as never;
          const rows = await listCustomers(db, workspaceId, q, 0);
          const page = rows.slice(0, 10);
          ids.push(...page.map((r) => r.id));
          const last = page[page.length - 1];
          cursor = rows.length > 10 && last ? encodeCursor(sortValueOf(q, last), last.id) : undefined;
        } while (cursor);
        expect(ids, `${what}, walked`).toEqual(want);
        walked += want.length;
      }
    }
    expect(walked).toBeGreaterThan(1000);
    // A province as a seller types it, short: the same customers as its full name (it matched nobody).
    const short = customerListQuery.parse({ province: ' 西藏 ', limit: 10 });
    expect(short.province).toBe('西藏自治区');
    const full = customerListQuery.parse({ province: '西藏自治区', limit: 10 });
    expect(await allIds(env(), short)).toEqual(await allIds(env(), full));
    expect((await allIds(env(), full)).length).toBeGreaterThan(0);
    expect(customerListQuery.parse({ province: '无此省份' }).province).toBe('无此省份');
  });
});

describeBothDatabases('customer search by a part of the name', (env) => {
  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    await loadDemo(ctx, workspaceId, { customers: 200, until: new Date('2026-11-22T00:00:00Z') });
  }, 120_000);

  /** What the search found before the trigram index (0051): the same OR of LIKEs and equalities, in SQL. */
  async function likeAnswer(text: string): Promise<string[]> {
    const { db, workspaceId } = env();
    const esc = (t: string) => `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const digits = text.replace(/\D/g, '');
    const phone = digits.length >= 4 && digits === text.replace(/[\s-]/g, '');
    const rows = await db.kysely
      .selectFrom('customers as c')
      .select('c.id')
      .where('c.workspace_id', '=', workspaceId)
      .where((eb) =>
        eb.or([
          eb(eb.fn('lower', ['c.display_name']), 'like', sql<string>`${esc(text.toLowerCase())} ESCAPE '\\'`),
          eb('c.real_name', 'like', sql<string>`${esc(text)} ESCAPE '\\'`),
          eb('c.email', '=', text.toLowerCase()),
          eb(
            'c.id',
            'in',
            eb
              .selectFrom('customer_identities as i')
              .select('i.customer_id')
              .where('i.workspace_id', '=', workspaceId)
              .where('i.value', '=', text),
          ),
          ...(phone ? [digits.length === 11 ? eb('c.phone', '=', digits) : eb('c.phone', 'like', `%${digits}`)] : []),
        ]),
      )
      .execute();
    // Since 0073 a text that can be pinyin also finds the names whose pinyin keys it starts (zjy: 张佳怡).
    const pinyin = pinyinQuery(text);
    const byPinyin = pinyin ? await pinyinAnswer(pinyin) : [];
    return [...new Set([...rows.map((r) => r.id), ...byPinyin])].sort();
  }

  /** The customers whose names' and nicks' pinyin keys, as core/pinyin-keys.ts makes them, start with `prefix`. */
  async function pinyinAnswer(prefix: string): Promise<string[]> {
    const { db, workspaceId } = env();
    const people = await db.kysely
      .selectFrom('customers')
      .select(['id', 'display_name', 'real_name'])
      .where('workspace_id', '=', workspaceId)
      .execute();
    const nicks = await db.kysely
      .selectFrom('customer_identities')
      .select(['customer_id', 'value'])
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', 'nick')
      .execute();
    return people
      .filter((c) => {
        const own = nicks.filter((n) => n.customer_id === c.id).map((n) => n.value);
        const keys = customerPinyin(c.display_name, c.real_name, own)?.split(' ') ?? [];
        return keys.some((k) => k.startsWith(prefix));
      })
      .map((c) => c.id);
  }

  const searched = async (text: string) => (await allIds(env(), { sort: 'newest', limit: 200, q: text })).sort();

  it('finds exactly what the LIKE search found, on random parts of names, real names and odd text', async () => {
    const { db, workspaceId } = env();
    const some = await db.kysely
      .selectFrom('customers')
      .select(['id', 'display_name', 'real_name'])
      .where('workspace_id', '=', workspaceId)
      .orderBy('id')
      .execute();
    // Names the trigram index folds differently from LIKE (non-ASCII case, wildcards, quotes), set by UPDATE
    // so the index follows an edit.
    const odd = ['Ärger Müller', 'ärger müller', 'ÉCOLE 50%_off', 'say "hi" O\'Neil', 'Mixed Case Shop', 'ＴＢ全角'];
    for (const [i, name] of odd.entries())
      await db.kysely
        .updateTable('customers')
        .set({ display_name: name, real_name: i % 2 ? name.toUpperCase() : null })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', some[i]!.id)
        .execute();
    // As every path that renames a customer does (these UPDATEs are the test's own): the pinyin keys follow.
    await refreshNamePinyin(
      db.kysely,
      db.dialect,
      workspaceId,
      some.slice(0, odd.length).map((c) => c.id),
    );
    let seed = 20261128;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const needles = [
      'Ärger',
      'ÄRGER',
      'ärg',
      'RGER M',
      '50%_',
      '0%_o',
      '"hi"',
      "O'N",
      'mixed c',
      'MIXED',
      'ｔｂ全',
      'Ｔ',
      // One or two characters (PostgreSQL: two are found by the index of pairs of 0085, no LIKE after it).
      '%',
      '_',
      '%_',
      '0%',
      'ä',
      'Ä',
      'É',
      '"',
      "'N",
      ' M',
      'ＴＢ',
      'ｔｂ',
      'İa',
      // Pinyin of the demo's Chinese names: the index of 0073 must give what the keys say.
      'xiao',
      'XIAO',
      'li',
      'zh',
      'wang',
      'chen jia',
    ];
    for (let k = 0; k < 60; k++) {
      const r = some[rand(some.length)]!;
      const from = rand(2) === 0 || !r.real_name ? r.display_name : r.real_name;
      const chars = [...from];
      const start = rand(chars.length);
      let needle = chars.slice(start, start + 1 + rand(5)).join('');
      if (rand(3) === 0) needle = needle.toUpperCase();
      needles.push(needle);
    }
    for (const needle of needles) expect(await searched(needle), needle).toEqual(await likeAnswer(needle));
    // SQLite's lower() and LIKE fold ASCII only (Ä is not ä), PostgreSQL's lower() folds both: as before.
    expect((await searched('ärger')).length).toBe(db.dialect === 'sqlite' ? 1 : 2);
  });

  it('follows new, renamed and deleted customers', async () => {
    const { db, workspaceId } = env();
    const [a, b] = await db.kysely
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .orderBy('id', 'desc')
      .limit(2)
      .execute();
    await db.kysely
      .updateTable('customers')
      .set({ display_name: '改名后的买家甲' })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', a!.id)
      .execute();
    expect(await searched('改名后的')).toEqual([a!.id]);
    // One or two characters: SQLite's index of 0086 follows the names as well.
    expect(await searched('名后')).toEqual([a!.id]);
    await db.kysely
      .updateTable('customers')
      .set({ display_name: '又改了一次' })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', a!.id)
      .execute();
    expect(await searched('改名后的')).toEqual([]);
    expect(await searched('名后')).toEqual([]);
    expect(await searched('又改了')).toEqual([a!.id]);
    expect(await searched('又')).toEqual([a!.id]);
    await db.kysely
      .updateTable('customers')
      .set({ real_name: '欧阳娜娜' })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', b!.id)
      .execute();
    expect(await searched('欧阳娜')).toEqual([b!.id]);
    expect(await searched('阳娜')).toEqual([b!.id]);
    const row = await db.kysely
      .selectFrom('customers')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', b!.id)
      .executeTakeFirstOrThrow();
    await db.kysely
      .insertInto('customers')
      .values({ ...row, id: `${row.id}x`, display_name: '新来的买家乙', real_name: null, phone: null, email: null })
      .execute();
    expect(await searched('新来的买家')).toEqual([`${row.id}x`]);
    expect(await searched('乙')).toEqual([`${row.id}x`]);
    await db.kysely
      .deleteFrom('customers')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', `${row.id}x`)
      .execute();
    expect(await searched('新来的买家')).toEqual([]);
    expect(await searched('乙')).toEqual([]);
  });
});
