import { beforeAll, expect, it } from 'vitest';
import { newId } from '../../src/core/ids.js';
import { renderReason } from '../../src/core/reasons.js';
import { listRuns, runDaily, saveAutomation, setEnabled } from '../../src/modules/automations/service.js';
import { evaluateSegmentEntries, runScheduled } from '../../src/modules/automations/triggers.js';
import { mergeCustomers, undoMerge } from '../../src/modules/customers/merge.js';
import { customerTimeline } from '../../src/modules/customers/timeline.js';
import { saveSegment } from '../../src/modules/segments/service.js';
import { ingestOrders } from '../../src/modules/orders/api.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { tagCustomers } from '../../src/modules/tags/service.js';
import { describeBothDatabases } from '../helpers.js';
import { customerRow } from '../support/records.js';

describeBothDatabases('automations: audiences walked by page, carried through a merge', (env) => {
  const q = () => env().db.kysely;
  const ws = () => env().workspaceId;
  const customers: string[] = [];

  /** Customers straight into the table: only the automations' own work is under test here. */
  const addCustomers = async (names: string[]) => {
    const now = '2026-10-01T00:00:00.000Z';
    const rows = names.map((name) => customerRow(ws(), newId(), name, now));
    for (let i = 0; i < rows.length; i += 200)
      await q()
        .insertInto('customers')
        .values(rows.slice(i, i + 200))
        .execute();
    return rows.map((r) => r.id);
  };
  const runsOf = (automationId: string) =>
    q()
      .selectFrom('automation_runs')
      .select(['customer_id', 'trigger_key', 'status'])
      .where('workspace_id', '=', ws())
      .where('automation_id', '=', automationId)
      .execute();

  beforeAll(async () => {
    env().setNow('2026-11-01T02:00:00.000Z');
    customers.push(...(await addCustomers(Array.from({ length: 150 }, (_, i) => `定时客${i}`))));
  });

  it('a schedule without a segment gives every customer exactly one run per firing, page by page', async () => {
    const { ctx } = env();
    const a = await saveAutomation(ctx, ws(), {
      enabled: true,
      definition: {
        name: '全员定时',
        trigger: { type: 'schedule', cron: '0 10 * * *' },
        // A first step that waits: the firing's own work is starting the runs, not what they do later.
        steps: [
          { id: 'wait', type: 'wait', days: 1 },
          { id: 'tag', type: 'tag', add: ['全员'] },
        ],
      },
    });
    // Pages of 32: the 150 customers take four full pages and a short fifth.
    expect(await runScheduled(ctx, ws(), a.id, 'firing-1', 32)).toBe(150);
    const runs = await runsOf(a.id);
    expect(runs).toHaveLength(150);
    expect(new Set(runs.map((r) => r.customer_id))).toEqual(new Set(customers));
    expect(runs.every((r) => r.status === 'waiting')).toBe(true);
    // The same firing again (a retried job) starts nobody, whatever the page size.
    expect(await runScheduled(ctx, ws(), a.id, 'firing-1', 50)).toBe(0);
    expect(await runsOf(a.id)).toHaveLength(150);
    await setEnabled(ctx, ws(), a.id, false);
  });

  it('a schedule with a segment walks only the segment, by page, once per firing', async () => {
    const { ctx } = env();
    const seg = await saveSegment(ctx, ws(), {
      name: '定时客1x',
      rule: { field: 'name', op: 'starts_with', value: '定时客1' },
    });
    const a = await saveAutomation(ctx, ws(), {
      enabled: true,
      definition: {
        name: '分群定时',
        trigger: { type: 'schedule', cron: '0 10 * * *', segmentId: seg.id },
        steps: [
          { id: 'wait', type: 'wait', days: 1 },
          { id: 'tag', type: 'tag', add: ['分群'] },
        ],
      },
    });
    // 定时客1, 定时客10–19, 定时客100–149: 61 customers in pages of 16.
    expect(await runScheduled(ctx, ws(), a.id, 'firing-1', 16)).toBe(61);
    expect(await runScheduled(ctx, ws(), a.id, 'firing-1', 16)).toBe(0);
    const runs = await runsOf(a.id);
    expect(runs).toHaveLength(61);
    expect(new Set(runs.map((r) => r.customer_id)).size).toBe(61);
    await setEnabled(ctx, ws(), a.id, false);
  });

  it('a merged customer keeps the source’s place in a segment-entry audience; undo restores', async () => {
    const { ctx } = env();
    const [target, source] = await addCustomers(['并入甲', '并入乙']);
    await tagCustomers(ctx, ws(), [source!], ['入群标签']);
    const seg = await saveSegment(ctx, ws(), {
      name: '入群标签',
      rule: { field: 'tags', op: 'has_any', value: ['入群标签'] },
    });
    const a = await saveAutomation(ctx, ws(), {
      enabled: true,
      definition: {
        name: '入群欢迎',
        trigger: { type: 'segment_entry', segmentId: seg.id },
        steps: [{ id: 'tag', type: 'tag', add: ['欢迎过'] }],
      },
    });
    const audience = async () =>
      (
        await q()
          .selectFrom('automation_audience')
          .select('customer_id')
          .where('workspace_id', '=', ws())
          .where('automation_id', '=', a.id)
          .execute()
      ).map((r) => r.customer_id);
    await evaluateSegmentEntries(ctx, ws()); // the baseline: 乙 is in
    expect(await audience()).toEqual([source]);

    // The merge brings 乙's tag to 甲, so 甲 is in the segment now: not a new entry, 乙's place is 甲's.
    env().setNow('2026-11-01T02:20:00.000Z');
    const merge = await mergeCustomers(ctx, ws(), target!, source!, null);
    expect(await audience()).toEqual([target]);
    expect(await evaluateSegmentEntries(ctx, ws())).toBe(0);
    expect(await runsOf(a.id)).toHaveLength(0);
    expect(await audience()).toEqual([target]);

    // Undo: 乙 has its place back, 甲 loses the one it got by the merge (and the tag with it).
    await undoMerge(ctx, ws(), merge.id);
    expect(await audience()).toEqual([source]);
    env().setNow('2026-11-01T02:40:00.000Z');
    expect(await evaluateSegmentEntries(ctx, ws())).toBe(0);
    expect(await runsOf(a.id)).toHaveLength(0);
  });

  it('steps a branch passes over, and a branch exit, show on run log and timeline with a coded reason', async () => {
    const { ctx } = env();
    const [who] = await addCustomers(['分支客']);
    const seg = await saveSegment(ctx, ws(), { name: '分支客', rule: { field: 'name', op: 'eq', value: '分支客' } });
    const noOrders = { fact: 'customer.paidOrders', op: 'gte', value: 1 } as const;
    const jump = await saveAutomation(ctx, ws(), {
      enabled: true,
      definition: {
        name: '老客分支',
        trigger: { type: 'schedule', cron: '0 10 * * *', segmentId: seg.id },
        steps: [
          { id: 'old', type: 'branch', when: [noOrders], else: 'new' },
          { id: 'thanks', type: 'tag', add: ['老客感谢'] },
          { id: 'vip', type: 'tag', add: ['老客VIP'] },
          { id: 'new', type: 'tag', add: ['新客'] },
        ],
      },
    });
    const leave = await saveAutomation(ctx, ws(), {
      enabled: true,
      definition: {
        name: '老客才发',
        trigger: { type: 'schedule', cron: '0 10 * * *', segmentId: seg.id },
        steps: [
          { id: 'old', type: 'branch', when: [noOrders], else: 'exit' },
          { id: 'thanks', type: 'tag', add: ['老客感谢'] },
        ],
      },
    });
    env().setNow('2026-11-02T02:00:00.000Z');
    expect(await runScheduled(ctx, ws(), jump.id, 'branch-1')).toBe(1);
    expect(await runScheduled(ctx, ws(), leave.id, 'branch-1')).toBe(1);

    const [run] = await listRuns(ctx, ws(), jump.id);
    expect(run!.status).toBe('done');
    const steps = Object.fromEntries(run!.steps.map((st) => [st.stepId, st]));
    expect(steps.old).toMatchObject({ status: 'done', why: { key: 'automation.branchFailed' } });
    expect(steps.new).toMatchObject({ status: 'done', why: null });
    for (const id of ['thanks', 'vip']) {
      expect(steps[id]).toMatchObject({ status: 'skipped', why: { key: 'automation.branchNotTaken' } });
      expect(steps[id]!.reason).toMatch(/未执行：分支「old」的条件不满足（付款订单数≥1）/);
      expect(renderReason(steps[id]!.why!, 'en')).toBe(
        'not run: branch "old" took the other path (customer.paidOrders ≥ 1 does not hold)',
      );
    }
    const [exited] = await listRuns(ctx, ws(), leave.id);
    expect(exited).toMatchObject({ status: 'exited', why: { key: 'automation.branchFailed' } });
    expect(renderReason(exited!.why!, 'en')).toBe('the branch condition does not hold: customer.paidOrders ≥ 1');

    const timeline = await customerTimeline(ctx, ws(), who!, 100);
    const skipped = timeline.filter((e) => e.kind === 'automation.step_skipped');
    expect(skipped.map((e) => e.title).sort()).toEqual([
      '自动化「老客分支」跳过步骤 thanks',
      '自动化「老客分支」跳过步骤 vip',
    ]);
    expect(skipped.every((e) => e.why?.key === 'automation.branchNotTaken')).toBe(true);
    const left = timeline.find((e) => e.kind === 'automation.exited');
    expect(left).toMatchObject({ detail: '分支条件不满足：付款订单数≥1', why: { key: 'automation.branchFailed' } });
  });

  it('沉睡唤醒 (dormant stages): the daily pass starts one run per stage reached, once', async () => {
    const { ctx } = env();
    const store = await ensureStore(ctx, ws(), '沉睡店', 'taobao');
    env().setNow('2026-08-01T02:00:00.000Z');
    await ingestOrders(ctx, ws(), {
      storeId: store.id,
      order: {
        externalId: 'D1',
        status: 'paid',
        totalFen: 5000,
        title: '面霜',
        createdAt: '2026-08-01T01:00:00Z',
        paidAt: '2026-08-01T01:05:00Z',
        buyer: { nick: '沉睡客', phone: '13900000901' },
      },
    });
    const a = await saveAutomation(ctx, ws(), {
      enabled: true,
      definition: {
        name: '沉睡标记',
        trigger: { type: 'date', date: 'dormant', daysBefore: 0, stages: [90, 180] },
        exitWhen: ['ordered'],
        steps: [{ id: 'tag', type: 'tag', add: ['沉睡'] }],
      },
    });
    env().setNow('2026-10-01T02:00:00.000Z'); // 61 days: no stage yet
    expect(await runDaily(ctx, ws())).toBe(0);
    env().setNow('2026-11-02T02:00:00.000Z'); // 93 days: the 90-day stage, once
    expect(await runDaily(ctx, ws())).toBe(1);
    env().setNow('2026-11-03T02:00:00.000Z');
    expect(await runDaily(ctx, ws())).toBe(0);
    env().setNow('2027-02-01T02:00:00.000Z'); // 184 days: the 180-day stage, once
    expect(await runDaily(ctx, ws())).toBe(1);
    expect(await runDaily(ctx, ws())).toBe(0);
    const runs = await runsOf(a.id);
    expect(runs.map((r) => r.trigger_key.split(':').slice(0, 2).join(':')).sort()).toEqual([
      'dormant:180',
      'dormant:90',
    ]);
    expect(runs.every((r) => r.status === 'done')).toBe(true);
  });
});
