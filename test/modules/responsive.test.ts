/**
 * A server that stays responsive, on a demo shop of 5,000 customers (`huike demo` loads 20,000; SQLite's plans
 * do not depend on the size, as it keeps no statistics, and 5,000 make the counts below long enough):
 * order-fact conditions are planned from the customer's own orders, heavy reads run on read threads
 * under a time limit, /health answers while a long segment count runs in the real server, and a count
 * whose client went away is stopped.
 */
import { readFileSync } from 'node:fs';
import { CompiledQuery, sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TooSlow } from '../../src/core/errors.js';
import { parseRule } from '../../src/core/segments/rule.js';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { AppContext } from '../../src/modules/context.js';
import { purchaseRule } from '../../src/modules/customers/stats.js';
import { customerListQuery } from '../../src/modules/customers/schema.js';
import { searchCustomers } from '../../src/modules/customers/service.js';
import { listOrders } from '../../src/modules/orders/service.js';
import { dryRun } from '../../src/modules/automations/service.js';
import { dryRun as campaignDryRun } from '../../src/modules/campaigns/service.js';
import { campaignAttribution, campaignReport, compareCampaigns } from '../../src/modules/campaigns/report.js';
import { attribute, outcomeOf } from '../../src/core/messaging/attribution.js';
import { CONTROL } from '../../src/core/messaging/assign.js';
import { listMessages } from '../../src/modules/messaging/service.js';
import { listAudit } from '../../src/modules/audit/service.js';
import { auditQuery } from '../../src/modules/audit/schema.js';
import { customerExportLayout, customerExportRows } from '../../src/modules/customers/export.js';
import { offLoop } from '../../src/modules/heavy/run.js';
import { previewTiers, tierLadder } from '../../src/modules/membership/service.js';
import { loadDemo } from '../../src/modules/demo/service.js';
import { dashboardHere } from '../../src/modules/analytics/service.js';
import { startReadPool } from '../../src/modules/heavy/pool.js';
import { compileRule, segmentSource } from '../../src/modules/segments/compile.js';
import { recomputeRfm } from '../../src/modules/segments/rfm.js';
import { countRule, countRuleHere, ruleCsv, ruleMembers, ruleMembersHere } from '../../src/modules/segments/service.js';
import { buildServer } from '../../src/server.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { createUser } from '../../src/modules/auth/service.js';
import { describeBothDatabases, fixture, freshDatabaseUrl } from '../helpers.js';
import { postEvaluate } from '../support/http.js';
import { loggedDatabase, replayExplained } from '../support/plans.js';
import { exited, servedAt, spawnTs, waitFor } from '../support/processes.js';

const DEMO_CUSTOMERS = Number(process.env.HUIKE_TEST_DEMO_CUSTOMERS ?? 5_000);
const AS_OF = new Date('2026-11-22T00:00:00Z');

/** Every order-fact filter alone, and all of them together. */
function orderWheres(storeId: string): Record<string, Record<string, unknown>> {
  return {
    category: { category: ['女装/连衣裙'] },
    titleContains: { titleContains: '连衣裙' },
    activity: { activity: ['双11 2026'] },
    source: { source: ['直播'] },
    storeId: { storeId },
    status: { status: ['completed'] },
    from: { from: '2025-01-01' },
    to: { to: '2025-06-30' },
    'paid: false': { paid: false },
    'two dimensions': { category: ['女装/连衣裙'], activity: ['双11 2026'] },
    'two dimensions in a window': { category: ['女装/连衣裙'], activity: ['双11 2026'], from: '2025-01-01' },
    'source in a store, in a window': { source: ['直播'], storeId, from: '2025-01-01' },
    'no filter': {},
    everything: {
      category: ['女装/连衣裙', '美妆/面膜'],
      titleContains: '裙',
      activity: ['双11 2026'],
      source: ['直播', '搜索'],
      storeId,
      status: ['completed', 'signed'],
      from: '2025-01-01',
      to: '2026-06-30',
    },
  };
}

/**
 * Conditions on one order dimension of purchases, answered from customer_order_facts (an activity with a
 * category is one: their pairs' facts).
 */
const FACT_PATH = new Set(['category', 'activity', 'source', 'storeId', 'two dimensions']);

/**
 * A rule that makes SQLite work for seconds: many order-fact conditions no order matches, each read
 * from every customer's orders (a status filter keeps them off the facts table and the title index).
 */
function slowRule(conditions: number) {
  return {
    any: Array.from({ length: conditions }, (_, i) => ({
      field: 'orders',
      op: 'count_gte',
      value: 1,
      where: { source: [`无此来源-${i}`], status: ['completed'], paid: false },
    })),
  };
}

/** A real read pool whose tasks are recorded by name, each first awaiting `before` (if given). */
function recordedPool(url: string, threads: number, before?: (task: string) => Promise<unknown> | undefined) {
  const real = startReadPool(url, { threads });
  const tasks: string[] = [];
  const readPool = {
    run: async (task: string, ...rest: Parameters<typeof real.run> extends [string, ...infer R] ? R : never) => {
      tasks.push(task);
      await before?.(task);
      return real.run(task, ...rest);
    },
    close: () => real.close(),
  };
  return { readPool, tasks };
}

/** A new owner of the workspace, logged in to `app`: the session cookie. */
async function ownerCookie(app: FastifyInstance, ctx: AppContext, workspaceId: string, login: string) {
  await createUser(ctx, workspaceId, { login, password: 'secret-pass-1', role: 'owner' });
  const r = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { login, password: 'secret-pass-1' },
  });
  return String(r.headers['set-cookie']).split(';')[0]!;
}

describe('a demo-size shop on SQLite', () => {
  let db: Db;
  let url = '';
  let drop: () => Promise<void>;
  let ctx: AppContext;
  let workspaceId = '';
  let storeId = '';

  beforeAll(async () => {
    const fresh = await freshDatabaseUrl('sqlite');
    url = fresh.url;
    drop = fresh.drop;
    db = openDatabase(url);
    await migrateToLatest(db);
    ctx = { db, now: () => AS_OF };
    workspaceId = (await createWorkspace(ctx, '演示店铺')).id;
    await loadDemo(ctx, workspaceId, { customers: DEMO_CUSTOMERS, until: AS_OF });
    storeId = (
      await db.kysely
        .selectFrom('stores')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .limit(1)
        .executeTakeFirstOrThrow()
    ).id;
  }, 600_000);
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  /** Runs fn with a context whose heavy reads go to one real read thread, the tasks sent there recorded by name. */
  const onReadThread = async (fn: (pooled: AppContext, tasks: string[]) => Promise<void>) => {
    const { readPool, tasks } = recordedPool(url, 1);
    try {
      await fn({ ...ctx, readPool, queryTimeoutMs: 120_000 }, tasks);
    } finally {
      await readPool.close();
    }
  };

  // A range of one value's facts: the primary key (the whole row) or the narrow index of the key alone.
  const FACT_RANGE =
    /USING (PRIMARY KEY|COVERING INDEX customer_order_facts_key_idx) \(workspace_id=\? AND dim=\? AND value=\?\)/;
  it(
    "every order-fact condition is planned from the customer's own orders, " + 'never a walk of a global index',
    async () => {
      const lines = (plan: { detail: string }[]) => plan.map((p) => p.detail);
      for (const [name, where] of Object.entries(orderWheres(storeId))) {
        for (const op of ['count_gte', 'exists', 'not_exists']) {
          const rule = parseRule({
            all: [
              { field: 'province', op: 'in', value: ['江苏省', '浙江省', '上海市'] },
              { field: 'orders', op, value: op === 'count_gte' ? 2 : null, where },
            ],
          });
          const cc = {
            workspaceId,
            asOf: AS_OF,
            timeZone: 'Asia/Shanghai',
            dialect: 'sqlite' as const,
            purchase: await purchaseRule(db.kysely, workspaceId),
          };
          const q = segmentSource(db, workspaceId)
            .where((eb) => compileRule(eb, rule, cc))
            .select((eb) => eb.fn.countAll().as('n'))
            .compile();
          const plan = lines(
            (await db.kysely.executeQuery<{ detail: string }>({ ...q, sql: `EXPLAIN QUERY PLAN ${q.sql}` })).rows,
          );
          const what = `${name} ${op}:\n${plan.join('\n')}`;
          const orders = plan.filter((l) => /^(SEARCH|SCAN) o\b/.test(l));
          const items = plan.filter((l) => /^(SEARCH|SCAN) i\b/.test(l));
          const facts = plan.filter((l) => /^(SEARCH|SCAN) [fg]\b/.test(l));
          if (FACT_PATH.has(name)) {
            // One dimension of purchases: a range of the facts' key, and no order or line read at all. A count
            // reads the primary key (a WITHOUT ROWID table: the counts are in the key's rows, no table row per
            // entry); membership may read the narrow index of the key alone.
            expect(orders, what).toHaveLength(0);
            expect(items, what).toHaveLength(0);
            expect(facts, what).toHaveLength(1);
            expect(facts[0], what).toMatch(
              op === 'count_gte' ? /USING PRIMARY KEY \(workspace_id=\? AND dim=\? AND value=\?/ : FACT_RANGE,
            );
            continue;
          }
          if ('titleContains' in where) {
            // The trigram index finds the titles (a text under 3 characters reads the distinct titles), the
            // title index their lines, the primary key their orders.
            const trigram = [...String(where.titleContains)].length >= 3;
            expect(
              plan.some((l) => /item_titles_fts VIRTUAL TABLE/.test(l)),
              what,
            ).toBe(trigram);
            expect(items, what).toHaveLength(1);
            expect(items[0], what).toMatch(
              /USING (COVERING )?INDEX order_items_title_idx \(workspace_id=\? AND title=\?\)/,
            );
            expect(orders, what).toHaveLength(1);
            expect(orders[0], what).toMatch(/USING INDEX sqlite_autoindex_orders_1 \(workspace_id=\? AND id=\?\)/);
            continue;
          }
          // Several dimensions or a window: "at least" first narrows the customers by each dimension's facts
          // (the first's customers, probed in the other's by key; an activity with a category is one, their
          // pairs), then walks the candidates' orders; "none" walks every customer's.
          const narrowing: Record<string, number> = {
            'two dimensions in a window': 1,
            'source in a store, in a window': 2,
          };
          expect(facts, what).toHaveLength(op !== 'not_exists' ? (narrowing[name] ?? 0) : 0);
          // The first dimension's customers are a range of the primary key; the other's fact of one customer
          // is a probe by its whole key (the primary key, or the customer index, which holds the key's columns).
          const [first, probe] = [facts.find((l) => /^SEARCH f\b/.test(l)), facts.find((l) => /^SEARCH g\b/.test(l))];
          if (facts.length > 0) expect(first, what).toMatch(FACT_RANGE);
          if (facts.length > 1) {
            const index = String.raw`(PRIMARY KEY|COVERING INDEX customer_order_facts_(key|customer)_idx)`;
            // The customer index is declared on the customer alone (migration 0079): the workspace follows it.
            const key =
              String.raw`(workspace_id=\? AND dim=\? AND value=\? AND customer_id=\?|` +
              String.raw`customer_id=\? AND workspace_id=\? AND dim=\? AND value=\?)`;
            expect(probe, what).toMatch(new RegExp(String.raw`USING ${index} \(${key}\)`));
          }
          expect(orders, what).toHaveLength(1);
          // This customer's orders (orders_customer_idx), and the lines of one order (the primary key).
          expect(orders[0], what).toMatch(
            /USING (COVERING )?INDEX orders_customer_idx \(workspace_id=\? AND customer_id=\?/,
          );
          const needsLines = 'category' in where;
          expect(items, what).toHaveLength(needsLines ? 1 : 0);
          if (needsLines)
            expect(items[0], what).toMatch(
              /USING (COVERING )?INDEX sqlite_autoindex_order_items_1 \(workspace_id=\? AND order_id=\?\)/,
            );
        }
      }
    },
  );

  it('the RFM pass joins its ranked buyers to the customers by key, today and as of a date', async () => {
    // SQLite keeps no statistics here: a join to a materialised subquery got no automatic index and was
    // scanned once per customer (27 s for the 20,000-customer demo). Every join of the pass must be a probe.
    const statements: { sql: string; parameters: readonly unknown[] }[] = [];
    const logged = openDatabase(url, {
      log: (e) => {
        if (e.level === 'query') statements.push({ sql: e.query.sql, parameters: e.query.parameters });
      },
    });
    try {
      for (const asOf of [undefined, '2026-06-30T16:00:00.000Z']) {
        statements.length = 0;
        await recomputeRfm({ db: logged, now: () => AS_OF }, workspaceId, asOf);
        const write = statements.findIndex((q) => /^\s*INSERT INTO customer_rfm/.test(q.sql));
        expect(write, 'the pass writes customer_rfm').toBeGreaterThan(0);
        // Replay what the pass set up before its write (its temporary table), then ask for the write's plan.
        const plan = await logged.kysely
          .transaction()
          .execute(async (trx) => {
            for (const q of statements.slice(0, write))
              if (!/^\s*(begin|commit|rollback)/i.test(q.sql))
                await trx.executeQuery(CompiledQuery.raw(q.sql, [...q.parameters]));
            const { sql: text, parameters } = statements[write]!;
            const r = await trx.executeQuery<{ detail: string }>(
              CompiledQuery.raw(`EXPLAIN QUERY PLAN ${text}`, [...parameters]),
            );
            throw Object.assign(new Error('roll back'), { plan: r.rows.map((l) => l.detail) });
          })
          .catch((e: { plan?: string[] }) => e.plan ?? Promise.reject(e));
        const what = `as of ${asOf ?? 'today'}:\n${plan.join('\n')}`;
        const joined = plan.filter((l) => /LEFT-JOIN/.test(l));
        expect(joined, what).toHaveLength(1);
        expect(joined[0], what).toMatch(/^SEARCH b USING (COVERING )?INDEX rfm_buyers_\d+_key \(customer_id=\?\)/);
        expect(
          plan.filter((l) => /^SCAN (?!a$)/.test(l) && !/subquery|rfm_buyers/.test(l)),
          what,
        ).toEqual([]);
      }
    } finally {
      await logged.close();
    }
  });

  it("the dashboard reads the orders paid in its windows by the paid-hour index, not the shop's orders", async () => {
    // Every statement the dashboard sends, on a connection of its own that logs them.
    const sent: { sql: string; parameters: readonly unknown[] }[] = [];
    const logged = openDatabase(url, {
      log: (e) => {
        if (e.level === 'query') sent.push({ sql: e.query.sql, parameters: e.query.parameters });
      },
    });
    try {
      const before = await dashboardHere({ db: logged, now: () => AS_OF }, workspaceId, 30, { preAggregates: false });
      expect(before.period.orders).toBeGreaterThan(0);
      // Today's KPIs (two statements), the period's (two) and the daily trend: each a range of the paid-hour index.
      const windows = sent.filter((q) => q.sql.includes('substr(o.paid_at, 1, 13)'));
      expect(windows).toHaveLength(5);
      for (const q of windows) {
        const plan = (
          await db.kysely.executeQuery<{ detail: string }>(
            CompiledQuery.raw(`EXPLAIN QUERY PLAN ${q.sql}`, [...q.parameters]),
          )
        ).rows.map((r) => r.detail);
        expect(plan.join('\n')).toMatch(
          /SEARCH o USING INDEX orders_paid_hour_idx \(workspace_id=\? AND <expr>>\? AND <expr><\?\)/,
        );
      }
    } finally {
      await logged.close();
    }
  });

  it("a rule's page with figures and an order condition walks the newest customers first", async () => {
    // The API bench's 5-condition rule: SQLite without statistics drove its windowed page from "≥ 2 paid orders"
    // (customer_stats_page_orders_idx: every such buyer of the shop, each checked against the window), 1.1–1.9 s at
    // 1M customers; the window first, 4–8 ms.
    const rule = {
      all: [
        { field: 'province', op: 'in', value: ['浙江省', '江苏省', '上海市', '广东省'] },
        { field: 'paid_orders', op: 'gte', value: 2 },
        { field: 'days_since_last_order', op: 'lte', value: 365 },
        { field: 'total_spent', op: 'gte', value: 100 },
        { field: 'orders', op: 'exists', value: null, where: { category: ['女装/连衣裙'] } },
      ],
    };
    const { db: logged, statements } = loggedDatabase(url);
    try {
      const page = await ruleMembersHere({ db: logged, now: ctx.now }, workspaceId, rule, { limit: 20, role: 'owner' });
      expect(page.items.length).toBe(20);
      const read = statements.filter((q) => /\bwin\b/.test(q.sql));
      expect(read).toHaveLength(1);
      const [explained] = await replayExplained(logged, read, { explain: () => true, run: () => false });
      const plan = explained!.plan;
      const what = plan.join('\n');
      // The window (the newest customers, read in id order) is the outer loop; each of its customers is then read by
      // key, and no figure's index is walked.
      expect(plan.slice(0, 3), what).toEqual([
        'CO-ROUTINE win',
        'SEARCH w USING COVERING INDEX sqlite_autoindex_customers_1 (workspace_id=?)',
        'SCAN win',
      ]);
      expect(what).not.toMatch(/customer_stats_page_/);
      expect(what).toMatch(
        /SEARCH s USING INDEX sqlite_autoindex_customer_stats_1 \(workspace_id=\? AND customer_id=\?\)/,
      );
    } finally {
      await logged.close();
    }
  });

  it('the issue\'s segment ("江浙沪, ≥ 2 orders in 女装/连衣裙") counts the same on a read thread as here', async () => {
    const rule = {
      all: [
        { field: 'province', op: 'in', value: ['江苏省', '浙江省', '上海市'] },
        { field: 'orders', op: 'count_gte', value: 2, where: { category: ['女装/连衣裙'] } },
      ],
    };
    const here = await countRuleHere(ctx, workspaceId, rule);
    expect(here).toBeGreaterThan(0);
    await onReadThread(async (pooled) => {
      expect(await countRule(pooled, workspaceId, rule)).toBe(here);
      const page = { limit: 50, role: 'owner' };
      expect(await ruleMembers(pooled, workspaceId, rule, page)).toEqual(
        await ruleMembersHere(ctx, workspaceId, rule, page),
      );
      // A rule error crosses the thread as the same domain error.
      await expect(countRule(pooled, workspaceId, { field: 'orders', op: 'count_gte', value: -1 })).rejects.toThrow(
        /not valid/,
      );
    });
  }, 180_000);

  it("an automation's 30-day dry run replays on a read thread, answering as it does here", async () => {
    // 沉睡唤醒's replay took 1.5 s of the event loop on the 20,000-customer demo: /health waited as long.
    await onReadThread(async (pooled, tasks) => {
      const here = await dryRun(ctx, workspaceId, { builtin: 'winback' });
      expect(here.triggered).toBeGreaterThan(0);
      expect(tasks).toEqual([]);
      expect(await dryRun(pooled, workspaceId, { builtin: 'winback' })).toEqual(here);
      expect(tasks).toEqual(['automations.dryRun']);
    });
  }, 180_000);

  it("a tier preview, a campaign's dry run, the chosen customers' export: the same on a read thread", async () => {
    // Each held the event loop 0.2–4.8 s on the 20,000-customer demo (a tier preview with a category multiplier).
    await onReadThread(async (pooled, tasks) => {
      const { members: _members, ...settings } = await tierLadder(ctx, workspaceId);
      const proposal = {
        ...settings,
        tiers: settings.tiers.map((t, i) => (i === 0 ? t : { ...t, growth: 1000 * i })),
        growthMultipliers: [{ category: '女装/连衣裙', multiplier: 2 }],
      };
      expect(await offLoop(pooled, 'tiers.preview', previewTiers, workspaceId, proposal)).toEqual(
        await previewTiers(ctx, workspaceId, proposal),
      );
      // The ladder's member counts (a count of every member: 0.74 s at 1M).
      expect(await tierLadder(pooled, workspaceId)).toEqual(await tierLadder(ctx, workspaceId));
      const campaign = await db.kysely
        .selectFrom('campaigns')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirstOrThrow();
      expect(await offLoop(pooled, 'campaigns.dryRun', campaignDryRun, workspaceId, campaign.id)).toEqual(
        await campaignDryRun(ctx, workspaceId, campaign.id),
      );
      const ids = (await searchCustomers(ctx, workspaceId, customerListQuery.parse({ limit: 50 }), 'owner')).items.map(
        (c) => c.id,
      );
      const layout = await customerExportLayout(ctx, workspaceId);
      expect(
        await offLoop(pooled, 'customers.export', customerExportRows, workspaceId, ids, 'marketer', layout),
      ).toEqual(await customerExportRows(ctx, workspaceId, ids, 'marketer', layout));
      expect(tasks).toEqual(['tiers.preview', 'tiers.members', 'campaigns.dryRun', 'customers.export']);
    });
  }, 180_000);

  it("a campaign's report, attribution and comparison, a page of messages: the same on a read thread", async () => {
    // At 200k recipients the attribution held the event loop 1.5–2.7 s, a page of an older campaign's messages
    // 0.4–2.9 s at 1.2M messages.
    const launched = await db.kysely
      .selectFrom('campaigns')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('launched_at', 'is not', null)
      .orderBy('launched_at')
      .execute();
    expect(launched.length).toBeGreaterThanOrEqual(2);
    const [first, second] = launched.map((c) => c.id) as [string, string];
    // The groups' sums the database makes equal those of each recipient's orders read one by one.
    const { from, to } = await campaignAttribution(ctx, workspaceId, first, 30);
    const perRecipient = await db.kysely
      .selectFrom('campaign_recipients as r')
      .select(['r.grp', 'r.customer_id'])
      .where('r.workspace_id', '=', workspaceId)
      .where('r.campaign_id', '=', first)
      .execute();
    const bought = await db.kysely
      .selectFrom('orders')
      .select(['customer_id', 'paid_fen', 'refunded_fen'])
      .where('workspace_id', '=', workspaceId)
      .where('paid_at', '>=', from)
      .where('paid_at', '<', to)
      .execute();
    const each = (grp: (g: string) => boolean) =>
      outcomeOf(
        perRecipient
          .filter((r) => grp(r.grp))
          .map((r) => {
            const own = bought.filter((o) => o.customer_id === r.customer_id && o.paid_fen > o.refunded_fen);
            return { orders: own.length, revenueFen: own.reduce((s, o) => s + o.paid_fen - o.refunded_fen, 0) };
          }),
      );
    const reference = attribute(
      each((g) => g !== CONTROL),
      each((g) => g === CONTROL),
    );
    expect(reference?.treated.orders).toBeGreaterThan(0);
    const byDatabase = (await campaignAttribution(ctx, workspaceId, first, 30)).overall;
    expect(byDatabase?.treated).toEqual(reference?.treated);
    expect(byDatabase?.control).toEqual(reference?.control);
    expect(byDatabase?.incrementalRevenueFen.value).toBeCloseTo(reference!.incrementalRevenueFen.value, 6);
    expect(byDatabase?.incrementalRevenueFen.low).toBeCloseTo(reference!.incrementalRevenueFen.low, 6);
    expect(byDatabase?.incrementalOrders.high).toBeCloseTo(reference!.incrementalOrders.high, 6);

    await onReadThread(async (pooled, tasks) => {
      expect(await campaignReport(pooled, workspaceId, first)).toEqual(await campaignReport(ctx, workspaceId, first));
      expect(await campaignAttribution(pooled, workspaceId, first)).toEqual(
        await campaignAttribution(ctx, workspaceId, first),
      );
      const compared = await compareCampaigns(pooled, workspaceId, [first, second]);
      expect(compared).toEqual(await compareCampaigns(ctx, workspaceId, [first, second]));
      expect(compared.items.map((i) => i.overall.sent)).toEqual([
        (await campaignReport(ctx, workspaceId, first)).sent,
        (await campaignReport(ctx, workspaceId, second)).sent,
      ]);
      const filter = { sourceType: 'campaign', sourceId: first, limit: 20 };
      const page = await listMessages(pooled, workspaceId, filter, 'marketer');
      expect(page.items).toHaveLength(20);
      expect(page).toEqual(await listMessages(ctx, workspaceId, filter, 'marketer'));
      // One customer's messages read their own index here.
      const own = { customerId: page.items[0]!.customerId, limit: 5 };
      expect(await listMessages(pooled, workspaceId, own, 'marketer')).toEqual(
        await listMessages(ctx, workspaceId, own, 'marketer'),
      );
      expect(tasks).toEqual(['campaigns.report', 'campaigns.attribution', 'campaigns.compare', 'messages.page']);
    });
  }, 180_000);

  it('an audit search or date range runs on the short read lane, the plain log here', async () => {
    // A text search read every entry's five columns, a date range sorted every entry in it: 130–190 ms at 150,000.
    await onReadThread(async (pooled, tasks) => {
      const plain = auditQuery.parse({});
      expect(await listAudit(pooled, workspaceId, plain)).toEqual(await listAudit(ctx, workspaceId, plain));
      expect(tasks).toEqual([]);
      for (const q of [{ q: 'customer' }, { from: '2020-01-01T00:00:00Z', to: '2030-01-01T00:00:00Z' }]) {
        const parsed = auditQuery.parse(q);
        expect(await listAudit(pooled, workspaceId, parsed)).toEqual(await listAudit(ctx, workspaceId, parsed));
      }
      expect(tasks).toEqual(['audit.page', 'audit.page']);
    });
  });

  it("a segment's export reads each page of members and their rows on a read thread: the same file", async () => {
    // A million buyers' CSV (500 pages) held the event loop for up to 0.94 s at a time: /health waited as long.
    await onReadThread(async (pooled, tasks) => {
      const rule = { field: 'paid_orders', op: '>=', value: 1 };
      const csv = async (c: AppContext) => {
        let text = '';
        for await (const part of ruleCsv(c, workspaceId, rule, 'marketer')) text += part;
        return text;
      };
      const here = await csv(ctx);
      expect(tasks).toEqual([]);
      const lines = here.split('\r\n').length - 2; // the header, and the empty string after the last line
      expect(lines).toBe(await countRule(ctx, workspaceId, rule));
      expect(lines).toBeGreaterThan(2000); // more than one page
      expect(await csv(pooled)).toBe(here);
      expect(tasks).toEqual(Array(Math.ceil(lines / 2000)).fill('segments.exportPage'));
    });
  }, 180_000);

  it('a filtered page of customers or orders runs on a read thread, the plain list on the event loop', async () => {
    // A province no customer has: the page walks the sort's whole index (1M customers: 11–17 s) — off the event loop.
    await onReadThread(async (pooled, tasks) => {
      const none = await searchCustomers(
        pooled,
        workspaceId,
        customerListQuery.parse({ province: '无此省份' }),
        'owner',
      );
      expect(none.items).toEqual([]);
      expect(tasks).toEqual(['customers.search']);
      const zj = customerListQuery.parse({ province: '浙江省', sort: 'spent', limit: 5 });
      const there = await searchCustomers(pooled, workspaceId, zj, 'owner');
      expect(there.items.map((c) => c.id)).toEqual(
        (await searchCustomers(ctx, workspaceId, zj, 'owner')).items.map((c) => c.id),
      );
      expect(there.items.length).toBe(5);
      expect(tasks.slice(1, 2)).toEqual(['customers.search']);
      tasks.length = 0;
      const plain = await searchCustomers(pooled, workspaceId, customerListQuery.parse({ limit: 5 }), 'owner');
      expect(plain.items.length).toBe(5);
      expect(tasks).toEqual([]);
      // Orders: a store walks the shop's orders newest first until a page is found.
      const inStore = { storeId, limit: 5 };
      const page = await listOrders(pooled, workspaceId, inStore, 'owner');
      expect(page.items.length).toBe(5);
      expect(page).toEqual(await listOrders(ctx, workspaceId, inStore, 'owner'));
      expect(tasks).toEqual(['orders.page']);
      // A status (its own index), one customer's orders, a search (an order number, a nick): by their indexes, here.
      tasks.length = 0;
      const refunded = await listOrders(pooled, workspaceId, { status: 'refunded', limit: 5 }, 'owner');
      expect(refunded.items.length).toBe(5);
      expect(refunded.items.every((o) => o.status === 'refunded')).toBe(true);
      expect((await listOrders(pooled, workspaceId, { q: '无此订单' }, 'owner')).items).toEqual([]);
      const { externalId, buyerNick } = page.items[0]!;
      const byNumber = await listOrders(pooled, workspaceId, { q: externalId }, 'owner');
      expect(byNumber.items.map((o) => o.id)).toEqual([page.items[0]!.id]);
      const byNick = await listOrders(pooled, workspaceId, { q: buyerNick! }, 'owner');
      expect(byNick.items.map((o) => o.id)).toContain(page.items[0]!.id);
      expect(byNick.items.every((o) => o.buyerNick === buyerNick)).toBe(true);
      const mine = await listOrders(
        pooled,
        workspaceId,
        { customerId: page.items[0]!.customerId ?? undefined, q: 'x' },
        'owner',
      );
      expect(mine.items).toEqual([]);
      expect(tasks).toEqual([]);
    });
  }, 180_000);

  it("a rule with a figure and an order condition few match is read from the condition's facts", async () => {
    // "≥ 2 paid orders and bought 无此类目": SQLite walked the paid orders' index through every such buyer and probed
    // the facts for each (1M: 0.7 s to count none); now from the facts, each customer then by key.
    const rule = {
      all: [
        { field: 'paid_orders', op: 'gte', value: 2 },
        { field: 'orders', op: 'exists', value: null, where: { category: ['无此类目'] } },
      ],
    };
    const { db: logged, statements } = loggedDatabase(url);
    try {
      const here = { db: logged, now: ctx.now };
      expect(await countRuleHere(here, workspaceId, rule)).toBe(0);
      expect((await ruleMembersHere(here, workspaceId, rule, { limit: 20, role: 'owner' })).items).toEqual([]);
      const read = statements.filter((q) => /\bdrv\b/.test(q.sql));
      expect(read).toHaveLength(2);
      for (const { plan } of await replayExplained(logged, read, { explain: () => true, run: () => false })) {
        const what = plan.join('\n');
        expect(plan.slice(0, 3), what).toEqual([
          'CO-ROUTINE drv',
          'SEARCH f USING COVERING INDEX customer_order_facts_key_idx (workspace_id=? AND dim=? AND value=?)',
          'SCAN drv',
        ]);
        expect(what).not.toMatch(/customer_stats_page_/);
      }
    } finally {
      await logged.close();
    }
  });

  it('a list filter few pass and an order status are read by their own indexes, never a walk of the shop', async () => {
    // Before 0081 a province nobody has walked the sort's index through every customer (1M: 9.5 s), a store with no
    // orders too (15 s), a status no order has every order newest first (8.5 s), a store with none too.
    const { db: logged, statements } = loggedDatabase(url);
    try {
      const here = { db: logged, now: ctx.now };
      const lists = [
        { province: '无此省份' },
        { province: '无此省份', sort: 'spent' },
        { minPaidOrders: 999, sort: 'newest' },
        { storeId: 'no-such-store', sort: 'orders', consent: 'denied' },
      ];
      for (const q of lists)
        expect((await searchCustomers(here, workspaceId, customerListQuery.parse(q), 'owner')).items).toEqual([]);
      const unpaid = await listOrders(here, workspaceId, { status: 'created', from: '2020-01-01T00:00:00Z' }, 'owner');
      expect(unpaid.items.length).toBeGreaterThan(0);
      expect(unpaid.items.every((o) => o.status === 'created')).toBe(true);
      expect((await listOrders(here, workspaceId, { storeId: 'no-such-store' }, 'owner')).items).toEqual([]);
      // A search over years with a status: the search's few orders by key, the range and status checked on them.
      // SQLite walked the time index through the range instead (the 1M shop, 2020–2026: 9.7 s).
      const years = { from: '2020-01-01T00:00:00Z', to: '2026-12-01T00:00:00Z', status: 'completed' } as const;
      expect((await listOrders(here, workspaceId, { q: '精华', ...years }, 'owner')).items).toEqual([]);
      const known = await db.kysely
        .selectFrom('orders')
        .select(['id', 'external_id'])
        .where('workspace_id', '=', workspaceId)
        .where('status', '=', 'completed')
        .executeTakeFirstOrThrow();
      const found = await listOrders(here, workspaceId, { q: known.external_id, ...years }, 'owner');
      expect(found.items.map((o) => o.id)).toEqual([known.id]);
      const reads = statements.filter((q) => /^\s*select\b/i.test(q.sql));
      const plans = await replayExplained(logged, reads, { explain: () => true, run: () => false });
      // A page, or a count, read from the filter's index: every customer, stats row and order by its key or by the
      // filter's value; nothing read by the workspace alone or a range of a sort's values (but the shop's few stores,
      // where a search looks for an order number).
      const walks = plans.flatMap(({ sql, plan }) =>
        plan
          .filter((l) => /^SCAN (c|s|o|n|p)\b|\(workspace_id=\?\)|(last_order_at|total_spent_fen)>\?/.test(l))
          .filter((l) => !l.startsWith('SEARCH stores USING COVERING INDEX sqlite_autoindex_stores_1'))
          .map((l) => `${sql.slice(0, 120)} → ${l}`),
      );
      expect(walks).toEqual([]);
      const all = plans.flatMap((p) => p.plan).join('\n');
      expect(all).toMatch(/customers_province_idx \(workspace_id=\? AND province=\?\)/);
      expect(all).toMatch(/customer_stats_province_idx \(workspace_id=\? AND province=\?\)/);
      // The status's orders in the index's order: nothing sorted but the ties of one time.
      const orders = plans.find((p) => p.sql.startsWith('select "o".*'))!.plan.join('\n');
      expect(orders).toMatch(/orders_status_idx \(workspace_id=\? AND status=\? AND created_at>\?\)/);
      expect(orders).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
      const searches = plans.filter((p) => p.sql.includes('"buyer_nick"'));
      expect(searches).toHaveLength(2);
      for (const { plan } of searches) {
        expect(plan[0]).toBe('SEARCH o USING INDEX sqlite_autoindex_orders_1 (workspace_id=? AND id=?)');
        expect(plan.join('\n')).not.toMatch(/orders_created_idx|orders_status_idx/);
      }
      // The indexes are partial: a statement reading the whole workspace never walks them (SQLite without statistics
      // walks the range of the last index made on the table; these would read the rows in province, nick or status
      // order: the 1M shop's orders by status, 6.4 s against 0.6 s).
      const explain = async (text: string) =>
        (
          await db.kysely.executeQuery<{ detail: string }>(
            CompiledQuery.raw(`EXPLAIN QUERY PLAN ${text}`, [workspaceId]),
          )
        ).rows
          .map((r) => r.detail)
          .join('\n');
      for (const whole of [
        `SELECT COUNT(*) FROM customers c LEFT JOIN customer_stats s ON s.workspace_id = c.workspace_id
          AND s.customer_id = c.id WHERE c.workspace_id = ? AND c.gender = 'F'`,
        `SELECT COUNT(*) FROM customer_stats s WHERE s.workspace_id = ? AND s.aov_fen > 100`,
        "SELECT SUM(o.refunded_fen) FROM orders o WHERE o.workspace_id = ? AND o.source = '直播'",
      ])
        expect(await explain(whole)).not.toMatch(/province_idx|orders_status_idx|orders_buyer_nick_idx/);
      // The stats' indexes are partial too (0082): a whole workspace's stats are read along their key, the customers'
      // order (1M, a figure without an index of its own: 5.7 → 0.6 s, walking the first-order dates before), and a
      // segment's count of such a figure reads them so, each customer then by key.
      const byKey = 'SEARCH s USING INDEX sqlite_autoindex_customer_stats_1 (workspace_id=?)';
      expect(await explain('SELECT COUNT(*) FROM customer_stats s WHERE s.workspace_id = ? AND s.aov_fen > 100')).toBe(
        byKey,
      );
      const { db: counted, statements: counts } = loggedDatabase(url);
      try {
        await countRuleHere({ db: counted, now: ctx.now }, workspaceId, { field: 'aov', op: 'gte', value: 100 });
      } finally {
        await counted.close();
      }
      const [aov] = await replayExplained(db, counts.slice(-1), { explain: () => true, run: () => false });
      expect(aov!.plan).toEqual([
        byKey,
        'SEARCH c USING COVERING INDEX sqlite_autoindex_customers_1 (workspace_id=? AND id=?)',
      ]);
    } finally {
      await logged.close();
    }
  });

  it("an evaluate queues its count and its page at once (a page never waits behind others' counts)", async () => {
    let pageAsked = () => {};
    const asked = new Promise<void>((resolve) => {
      pageAsked = resolve;
    });
    // The count goes on only once the page has been asked for: asked one after the other, it never is.
    const { readPool, tasks } = recordedPool(url, 2, (task) => {
      if (task === 'segments.members') pageAsked();
      if (task !== 'segments.count') return undefined;
      const late = new Promise((_, stop) => setTimeout(() => stop(new Error('the page was not asked for')), 10_000));
      return Promise.race([asked, late]);
    });
    const app = await buildServer({ ...ctx, readPool, queryTimeoutMs: 120_000 });
    try {
      const cookie = await ownerCookie(app, ctx, workspaceId, 'evaluate');
      const rule = { field: 'province', op: 'in', value: ['浙江省', '江苏省'] };
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/segments/evaluate',
        headers: { 'x-huike-client': 'test', cookie },
        payload: { rule, limit: 5 },
      });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json().count).toBe(await countRuleHere(ctx, workspaceId, rule));
      expect(r.json().preview).toHaveLength(5);
      expect(tasks.sort()).toEqual(['segments.count', 'segments.members']);
    } finally {
      await app.close();
      await readPool.close();
    }
  }, 60_000);

  it('a heavy read past its time limit is stopped and answered 503 naming the limit; the next one runs', async () => {
    const readPool = startReadPool(url, { threads: 1 });
    const app = await buildServer({ ...ctx, readPool, queryTimeoutMs: 300 });
    try {
      const cookie = await ownerCookie(app, ctx, workspaceId, 'limit');
      const slow = await app.inject({
        method: 'POST',
        url: '/api/v1/segments/evaluate',
        headers: { 'x-huike-client': 'test', cookie },
        payload: { rule: slowRule(60), limit: 0 },
      });
      expect(slow.statusCode, slow.body).toBe(503);
      expect(slow.json().error.code).toBe('too_slow');
      expect(slow.json().error.message).toMatch(/300 ms time limit \(HUIKE_QUERY_TIMEOUT_MS\)/);
      // The stopped thread is replaced: a light count still answers (its start may take a while).
      const light = { ...ctx, readPool, queryTimeoutMs: 120_000 };
      expect(await countRule(light, workspaceId, { field: 'province', op: 'eq', value: '浙江省' })).toBeGreaterThan(0);
    } finally {
      await app.close();
      await readPool.close();
    }
  }, 180_000);

  it('the real server answers /health in < 200 ms while a long segment count runs', async () => {
    await createUser(ctx, workspaceId, { login: 'watcher', password: 'secret-pass-2', role: 'owner' });
    await db.close(); // the server is the only writer from here on
    const child = spawnTs('src/cli/index.ts', ['serve', '--port', '0', '--no-demo'], {
      DATABASE_URL: url,
      HUIKE_QUERY_TIMEOUT_MS: '600000',
      // The tier evaluation below waits for its job, however long the worker's queue is on a loaded machine.
      HUIKE_JOB_WAIT_MS: '600000',
      // One heavy read thread: the long count below fills it, and the list's reads must not wait for it.
      HUIKE_READ_THREADS: '1',
    });
    try {
      const base = await waitFor('the server', async () => servedAt(child.output()), 120_000, 100);
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'watcher', password: 'secret-pass-2' }),
      });
      expect(login.status, child.output()).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const evaluate = (rule: unknown, signal?: AbortSignal) => postEvaluate(base, cookie, rule, signal);
      // Warm the read thread, so the probes below measure the count, not a thread's start.
      expect((await evaluate({ field: 'province', op: 'eq', value: '浙江省' })).status).toBe(200);

      // A long count whose client goes away: it holds the one heavy thread until the client leaves.
      const client = new AbortController();
      let counting = true;
      const count = evaluate(slowRule(100), client.signal).then(
        (r) => ({ answered: r.status }),
        () => ({ answered: 'no: the client left' }),
      );
      void count.then(() => (counting = false));
      // A search page (read on a thread too) answers while the count still holds the heavy thread: it has
      // a lane of its own. Before, it queued behind the count.
      const search = fetch(`${base}/api/v1/customers?q=${encodeURIComponent('张三')}&limit=20`, {
        headers: { 'x-huike-client': 'test', cookie },
      }).then((r) => ({ status: r.status, whileCounting: counting }));
      let searched = false;
      void search.then(() => (searched = true));
      const probes: number[] = [];
      while (counting && (probes.length < 10 || !searched)) {
        const t0 = performance.now();
        const health = await fetch(`${base}/api/v1/health`);
        const ms = performance.now() - t0;
        expect(health.status).toBe(200);
        if (counting) probes.push(ms);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(counting, 'the count ran past the probes').toBe(true);
      expect(await search).toEqual({ status: 200, whileCounting: true });
      // /health was answered throughout, each time quickly. (Before the read threads, the first probe waited
      // for the whole count.)
      const sorted = [...probes].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      expect(median, `probes: ${sorted.map((p) => p.toFixed(0)).join(', ')}`).toBeLessThan(200);
      expect(sorted[sorted.length - 1]!, `probes: ${sorted.map((p) => p.toFixed(0)).join(', ')}`).toBeLessThan(1000);

      // The client leaves: the server stops the count's thread and says so in its log, and the heavy thread
      // (a fresh one) serves the next count. Before, the abandoned count held the thread to its end (100 such
      // conditions: seconds to minutes, as loaded as the machine is) and nothing was logged.
      client.abort();
      expect(await count).toEqual({ answered: 'no: the client left' });
      const stopped = await waitFor(
        'the log of the stopped count',
        async () =>
          child
            .output()
            .split('\n')
            .find((l) => l.includes('heavy read segments.count stopped: its client went away')),
        60_000,
        50,
      );
      expect(JSON.parse(stopped)).toMatchObject({ task: 'segments.count', where: 'read thread' });
      const next = await evaluate({ field: 'province', op: 'eq', value: '浙江省' });
      expect(next.status).toBe(200);
      expect(((await next.json()) as { count: number }).count).toBeGreaterThan(0);

      // The job worker runs in its own thread of the server, with its own connection (the probes above
      // ran while it synced the demo's points): an import is done.
      const form = new FormData();
      form.set('store', '回客旗舰店');
      form.set('format', 'taobao');
      form.set('file', new Blob([readFileSync(fixture('taobao-orders-gbk.csv'))]), 'taobao-orders-gbk.csv');
      const upload = await fetch(`${base}/api/v1/imports`, {
        method: 'POST',
        body: form,
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(upload.status).toBe(202);
      const { id } = (await upload.json()) as { id: string };
      const run = await waitFor(
        'the import to finish',
        async () => {
          const r = (await (
            await fetch(`${base}/api/v1/imports/${id}`, { headers: { 'x-huike-client': 'test', cookie } })
          ).json()) as {
            status: string;
          };
          return r.status === 'done' || r.status === 'failed' ? r : null;
        },
        // Behind the demo's points sync of every customer, which starts with the server.
        480_000,
        250,
      );
      expect(run).toMatchObject({ status: 'done', ordersCreated: 12 });

      // A button's long write (evaluate the tiers: 106 s on a million customers) is a job on the worker's thread,
      // which the request waits for without holding the server's event loop; it answers what the job reported.
      const headers = { 'x-huike-client': 'test', cookie, 'content-type': 'application/json' };
      const evaluated = await fetch(`${base}/api/v1/tiers/evaluate`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ yearly: false }),
      });
      expect(evaluated.status).toBe(200);
      const answer = await evaluated.json();
      const { items } = (await (await fetch(`${base}/api/v1/jobs?limit=200`, { headers })).json()) as {
        items: { id: string; kind: string }[];
      };
      const job = items.find((j) => j.kind === 'tiers.evaluate')!; // the newest: the import queued one before
      expect(await (await fetch(`${base}/api/v1/jobs/${job.id}`, { headers })).json()).toMatchObject({
        status: 'done',
        maxAttempts: 1,
        result: answer,
      });
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  }, 900_000);
});

describeBothDatabases('heavy-read time limit', (env) => {
  it(
    'a count past the limit stops with a TooSlow error naming the limit ' + '(statement_timeout on PostgreSQL)',
    async () => {
      const { ctx, workspaceId, db } = env();
      if (db.dialect === 'sqlite') {
        // SQLite without read threads has no way to stop a query: it runs to the end.
        expect(await countRule({ ...ctx, queryTimeoutMs: 1 }, workspaceId, slowRule(3))).toBe(0);
        return;
      }
      const err = await countRule({ ...ctx, queryTimeoutMs: 1 }, workspaceId, slowRule(100)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TooSlow);
      expect((err as Error).message).toMatch(/1 ms time limit/);
      // The limit was local to that read: the next query on the pool has none.
      expect(
        (await sql<{ statement_timeout: string }>`SHOW statement_timeout`.execute(db.kysely)).rows[0]!
          .statement_timeout,
      ).toBe('0');
    },
  );
});
