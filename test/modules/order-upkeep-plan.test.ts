import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Random } from '../../src/core/random.js';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { rebuildAnalytics } from '../../src/modules/analytics/rebuild.js';
import type { AppContext } from '../../src/modules/context.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { mergeCustomers, undoMerge } from '../../src/modules/customers/merge.js';
import { refreshNamePinyin } from '../../src/modules/customers/pinyin.js';
import { loadRecipients } from '../../src/modules/messaging/facts.js';
import { handoffTable, listMessages } from '../../src/modules/messaging/service.js';
import { listGroups, listTags, tagCustomers } from '../../src/modules/tags/service.js';
import { credit, debit } from '../../src/modules/points/service.js';
import { listOrders } from '../../src/modules/orders/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { freshMigratedDatabase } from '../helpers.js';
import { loggedDatabase, replayExplained } from '../support/plans.js';
import { type ShopOrder, cnyStores, ingestByStore, randomShop } from '../support/analytics-shop.js';

/**
 * The plan of every statement an order's upkeep runs on SQLite (issue 16): an import batch, an order from the API or a
 * webhook into a shop with built analytics. A user's database has no statistics (nothing runs ANALYZE), and three of
 * them read the whole workspace each time: the lines of every category (order_items_category_idx, for the stats'
 * favourite category and the batch's category levels), the key range of the order facts (their DELETE and UPDATE),
 * and every day pair (the delete of the pairs left at zero). One order for a known buyer took 373–385 ms on the demo
 * shop and 24–40 s at 1M customers; 13–19 ms after. Each statement of one batch is replayed in order (rolled back)
 * and explained before it runs.
 */
const BIG_TABLES = new RegExp(
  '^(orders|order_items|order_events|customers|customer_stats|customer_identities|customer_order_facts|messages|' +
    'campaign_recipients|audience_list_members|automation_audience|' +
    'survey_invitations|survey_responses|reward_redemptions|customer_tags|customer_groups|' +
    'analytics_buyer_days|analytics_buyer_attrs|analytics_day_pairs|analytics_product_days|points_entries)$',
);

const KEYWORDS = new Set([
  'where',
  'on',
  'set',
  'indexed',
  'join',
  'cross',
  'left',
  'inner',
  'using',
  'select',
  'values',
]);

/** The tables a statement names, by their alias (and by their own name). */
function tablesOf(text: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of text.matchAll(/\b(?:FROM|JOIN|UPDATE|INTO)\s+"?(\w+)"?(?:\s+(?:AS\s+)?"?(\w+)"?)?/gi)) {
    names.set(m[1]!, m[1]!);
    if (m[2] && !KEYWORDS.has(m[2].toLowerCase())) names.set(m[2], m[1]!);
  }
  return names;
}

/** Index columns whose values many rows share: a search by these alone reads a range of the whole workspace. */
const SHARED = /^(workspace_id|kind|scope|dim|store_id|status|category)\b/;

/** The plan lines that read a big table by more than a key: a scan, the workspace's whole range, the category index. */
function widePlans(plans: readonly { sql: string; plan: string[] }[]): string[] {
  return plans.flatMap(({ sql, plan }) => {
    const names = tablesOf(sql);
    return plan
      .filter((line) => {
        if (line.includes('order_items_category_idx')) return true;
        const read = /^(?:SCAN|SEARCH) (\w+)(.*)$/.exec(line);
        if (!read) return false;
        // An INSERT's lookups of tables it does not name are its foreign keys' children, read only while a deferred
        // violation is outstanding (never here).
        if (/^\s*insert\b/i.test(sql) && !names.has(read[1]!)) return false;
        const table = names.get(read[1]!) ?? read[1]!;
        if (!BIG_TABLES.test(table)) return false;
        if (line.startsWith('SCAN')) return true;
        // Only columns many rows share (the workspace, a kind, a store…): a range of the whole workspace.
        const terms = /\((.*)\)/.exec(read[2]!)?.[1]?.split(' AND ') ?? [];
        return terms.every((t) => SHARED.test(t));
      })
      .map((line) => `${sql.replace(/\s+/g, ' ').trim().slice(0, 100)} → ${line}`);
  });
}

describe('an order batch upkeep on SQLite without statistics', () => {
  let db: Db;
  let url = '';
  let drop: () => Promise<void>;
  let ctx: AppContext;
  let ws = '';
  const rnd = new Random(1130);
  const shop = randomShop(rnd, {
    prefix: 'U',
    phonePrefix: '1370000',
    firstDay: '2025-06-01',
    days: 500,
    stores: 2,
    maxYuan: 40,
    hours: [9, 22],
  });
  const withCategories = (list: ShopOrder[]) => {
    for (const o of list)
      for (const item of o.rec.items ?? []) item.category = rnd.pick(['女装/连衣裙', '女装/衬衫', '配饰/围巾']);
    return list;
  };

  beforeAll(async () => {
    const fresh = await freshMigratedDatabase('sqlite');
    url = fresh.url;
    drop = fresh.drop;
    db = openDatabase(url);
    await migrateToLatest(db);
    ctx = { db, now: () => new Date('2026-11-30T04:00:00.000Z') };
    ws = (await createWorkspace(ctx, '测试店铺')).id;
    await ingestByStore(ctx, await cnyStores(ctx, ws), withCategories(shop(400, 90)));
    await rebuildAnalytics(ctx, ws);
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  it('reads lines by their order and deletes emptied day pairs by key, never a pass over the workspace', async () => {
    const { db: logged, statements } = loggedDatabase(url);
    try {
      const [store] = await cnyStores(ctx, ws);
      // Orders of known buyers on new days: their buyer rows change, and pairs only they counted empty.
      const recs = withCategories(shop(40, 90)).map((o) => o.rec);
      const stop = new Error('one batch');
      await expect(
        logged.kysely.transaction().execute(async (trx) => {
          await ingestBatch(
            { db: logged, now: ctx.now },
            trx,
            { store: store!, runId: null, consentSource: 'test' },
            recs,
          );
          throw stop;
        }),
      ).rejects.toBe(stop);
      const batch = statements.filter((q) => !/^\s*(begin|commit|rollback|savepoint|release)\b/i.test(q.sql));
      expect(batch.some((q) => /INSERT INTO analytics_day_pairs/.test(q.sql))).toBe(true);
      expect(batch.some((q) => /^DELETE FROM "?analytics_day_pairs/i.test(q.sql.trim()))).toBe(true);
      const plans = await replayExplained(logged, batch, {
        explain: (text) => /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i.test(text),
        run: () => true,
      });
      expect(plans.length).toBeGreaterThan(30);
      expect(widePlans(plans)).toEqual([]);
    } finally {
      await logged.close();
    }
  });
  it("a points debit, a name refresh, a message batch's facts, a merge and its undo read rows by key", async () => {
    const ids = (
      await db.kysely
        .selectFrom('customers')
        .select('id')
        .where('workspace_id', '=', ws)
        .orderBy('id')
        .limit(20)
        .execute()
    ).map((r) => r.id);
    for (const id of ids.slice(0, 3))
      await credit(ctx, ws, { customerId: id, kind: 'adjust', points: 100, source: 'test', key: `credit-${id}` });
    const { db: logged, statements } = loggedDatabase(url);
    try {
      const here = { db: logged, now: ctx.now };
      await debit(here, ws, { customerId: ids[0]!, points: 30, kind: 'redeem', source: 'test', key: 'debit-1' });
      await refreshNamePinyin(logged.kysely, 'sqlite', ws, ids);
      await loadRecipients(here, ws, ids, { variables: new Set(), medium: 'platform', kind: 'care' });
      const merged = await mergeCustomers(here, ws, ids[5]!, ids[6]!, null);
      await undoMerge(here, ws, merged.id);
      // A customer's messages, newest first (and the next page), and the tag and group lists with their counts.
      await listMessages(here, ws, { customerId: ids[0]!, limit: 20 }, 'owner');
      await listMessages(here, ws, { customerId: ids[0]!, limit: 20, before: 'zzzz' }, 'owner');
      await tagCustomers(here, ws, [ids[1]!], ['老客']);
      await listTags(here, ws);
      await listGroups(here, ws);
      // A campaign's platform hand-off list: its messages, then their recipients' orders.
      await handoffTable(here, ws, 'campaign', 'no-such-campaign');
      // The orders list's search: an order number or a nick.
      await listOrders(here, ws, { q: 'tb-someone' }, 'owner');
      const reads = statements.filter((q) => /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i.test(q.sql));
      expect(reads.some((q) => /points_allocations/.test(q.sql))).toBe(true);
      expect(reads.some((q) => /"customer_identities"/.test(q.sql))).toBe(true);
      expect(reads.some((q) => /FROM campaign_recipients/.test(q.sql))).toBe(true);
      expect(reads.filter((q) => /from "messages" where[\s\S]*order by/.test(q.sql))).toHaveLength(2);
      expect(reads.some((q) => /"customer_groups" as "cg"/.test(q.sql))).toBe(true);
      expect(reads.some((q) => /cross join "orders" as "o"/.test(q.sql))).toBe(true);
      expect(reads.some((q) => /"buyer_nick" = \?\)/.test(q.sql))).toBe(true);
      // Explained against the rows as they are now (each of these commits on its own). The stats and facts refresh of
      // the merge, which reads temporary tables, is the order upkeep's, planned above.
      const plans = await replayExplained(
        logged,
        reads.filter((q) => !/\b(fact_levels|fresh_facts)\b/.test(q.sql)),
        { explain: () => true, run: () => false },
      );
      expect(widePlans(plans)).toEqual([]);
    } finally {
      await logged.close();
    }
  });
});
