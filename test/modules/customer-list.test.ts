import { beforeAll, expect, it } from 'vitest';
import { loadDemo } from '../../src/modules/demo/service.js';
import { searchCustomers } from '../../src/modules/customers/service.js';
import { CUSTOMER_SORTS } from '../../src/modules/customers/schema.js';
import { describeBothDatabases } from '../helpers.js';

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

  async function allPagesOf(q: Record<string, unknown>) {
    const { ctx, workspaceId } = env();
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await searchCustomers(
        ctx,
        workspaceId,
        { sort: 'spent', limit: 37, cursor, ...q } as never,
        'owner',
      );
      ids.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return ids;
  }
});
