import { beforeAll, expect, it } from 'vitest';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { listRuns, saveAutomation, setEnabled } from '../../src/modules/automations/service.js';
import { recordReview } from '../../src/modules/feedback/service.js';
import { createManualTask, getTask } from '../../src/modules/tasks/service.js';
import { saveSegment } from '../../src/modules/segments/service.js';
import { mergeCustomers, undoMerge } from '../../src/modules/customers/merge.js';
import { customerTimeline } from '../../src/modules/customers/timeline.js';
import { defaultChannel } from '../../src/modules/messaging/service.js';
import { ingestOrders } from '../../src/modules/orders/api.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { readJson } from '../../src/db/json.js';
import { describeBothDatabases } from '../helpers.js';

describeBothDatabases('automations: the remaining triggers, merges and the timeline', (env) => {
  let storeId = '';
  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    storeId = (await ensureStore(ctx, workspaceId, '触发店', 'taobao')).id;
    await defaultChannel(ctx, workspaceId);
    await saveAutomation(ctx, workspaceId, { builtin: 'cart_reminder', enabled: true });
  });

  const at = (iso: string) => env().setNow(iso);
  const drain = () => createWorker(env().ctx, { handlers: jobHandlers, schedules: true }).drain();
  const send = (o: Record<string, unknown>) =>
    ingestOrders(env().ctx, env().workspaceId, {
      storeId,
      order: {
        totalFen: 5000,
        title: '面霜',
        buyer: { nick: o.nick ?? '买家', phone: o.phone ?? '13900000001' },
        ...o,
      },
    });
  const q = () => env().db.kysely;
  const ws = () => env().workspaceId;
  const customerOf = async (externalId: string) =>
    (
      await q()
        .selectFrom('orders')
        .select('customer_id')
        .where('workspace_id', '=', ws())
        .where('external_id', '=', externalId)
        .executeTakeFirstOrThrow()
    ).customer_id!;
  const runsOf = async (externalId: string) =>
    q()
      .selectFrom('automation_runs as r')
      .innerJoin('orders as o', (j) =>
        j.onRef('o.workspace_id', '=', 'r.workspace_id').onRef('o.id', '=', 'r.order_id'),
      )
      .selectAll('r')
      .where('r.workspace_id', '=', ws())
      .where('o.external_id', '=', externalId)
      .execute();
  const kinds = async (customerId: string) =>
    (await customerTimeline(env().ctx, ws(), customerId, 100)).map((e) => e.kind);

  it(
    'runs move with the customer on a merge and back on undo,' + ' and stay on the timeline of whoever has them',
    async () => {
      at('2026-11-20T10:00:00.000Z');
      await send({
        externalId: 'M1',
        status: 'paid',
        createdAt: '2026-11-20T09:00:00Z',
        paidAt: '2026-11-20T09:01:00Z',
        nick: '并甲',
        phone: '13900000101',
      });
      // Seen five hours late: the 催付 run is recorded as skipped, with why.
      await send({
        externalId: 'M2',
        status: 'created',
        createdAt: '2026-11-20T05:00:00Z',
        nick: '并乙',
        phone: '13900000102',
      });
      await drain();
      const a = await customerOf('M1');
      const b = await customerOf('M2');
      const [run] = await runsOf('M2');
      expect(run).toMatchObject({ status: 'skipped', customer_id: b });
      expect(await kinds(b)).toContain('automation.skipped');

      const merge = await mergeCustomers(env().ctx, ws(), a, b, null);
      expect((await runsOf('M2'))[0]!.customer_id).toBe(a);
      expect(await kinds(a)).toContain('automation.skipped');
      const events = await q()
        .selectFrom('order_events')
        .select('customer_id')
        .where('workspace_id', '=', ws())
        .execute();
      expect(events.every((e) => e.customer_id !== b)).toBe(true);

      await undoMerge(env().ctx, ws(), merge.id);
      expect((await runsOf('M2'))[0]!.customer_id).toBe(b);
      expect(await kinds(b)).toContain('automation.skipped');
      expect(await kinds(a)).not.toContain('automation.skipped');
    },
  );

  it(
    'a run stays visible when a later order reveals the buyer is a' + ' known customer (merged by phone on import)',
    async () => {
      at('2026-11-21T10:00:00.000Z');
      await send({
        externalId: 'P1',
        status: 'paid',
        createdAt: '2026-11-21T09:00:00Z',
        paidAt: '2026-11-21T09:01:00Z',
        nick: '机甲',
        phone: '13900000201',
      });
      await send({
        externalId: 'P2',
        status: 'created',
        createdAt: '2026-11-21T05:00:00Z',
        nick: '机乙',
        phone: '13900000202',
      });
      await drain();
      // 机乙 orders again with 机甲's phone: the import merges the two customers.
      at('2026-11-21T11:00:00.000Z');
      await send({
        externalId: 'P3',
        status: 'paid',
        createdAt: '2026-11-21T10:59:00Z',
        paidAt: '2026-11-21T11:00:00Z',
        nick: '机乙',
        phone: '13900000201',
      });
      await drain();
      const survivor = await customerOf('P3');
      expect(await customerOf('P2')).toBe(survivor);
      const [run] = await runsOf('P2');
      expect(run!.customer_id).toBe(survivor);
      const tl = await customerTimeline(env().ctx, ws(), survivor, 100);
      expect(tl.find((e) => e.kind === 'automation.skipped')?.detail).toMatch(/为时已晚/);
    },
  );

  const messagesOfRun = async (runId: string) =>
    q()
      .selectFrom('messages')
      .selectAll()
      .where('workspace_id', '=', ws())
      .where('source_type', '=', 'automation')
      .where('source_id', '=', runId)
      .execute();
  const tasksOf = async (customerId: string) =>
    q()
      .selectFrom('service_tasks')
      .selectAll()
      .where('workspace_id', '=', ws())
      .where('customer_id', '=', customerId)
      .execute();

  it(
    '预售: the balance reminder comes 12 hours before the balance' + ' window closes; 催付 leaves presale orders alone',
    async () => {
      await saveAutomation(env().ctx, ws(), { builtin: 'presale_balance', enabled: true });
      at('2026-11-01T02:00:00.000Z');
      await send({
        externalId: 'PS1',
        status: 'created',
        createdAt: '2026-11-01T02:00:00Z',
        presale: true,
        balanceDueAt: '2026-11-03T12:00:00Z',
        nick: '预甲',
        phone: '13900000301',
      });
      await drain();
      const runs = await runsOf('PS1');
      const cart = runs.find((r) => r.status !== 'waiting');
      expect(cart?.status).toBe('exited');
      const presale = runs.find((r) => r.status === 'waiting')!;
      expect(presale.next_at).toBe('2026-11-03T00:00:00.000Z');
      at('2026-11-03T00:00:00.000Z');
      await drain();
      const [m] = await messagesOfRun(presale.id);
      expect(m!.body).toContain('尾款');
      // Paid in time: a second presale order's reminder is not sent.
      at('2026-11-01T03:00:00.000Z');
      await send({
        externalId: 'PS2',
        status: 'created',
        createdAt: '2026-11-01T03:00:00Z',
        presale: true,
        balanceDueAt: '2026-11-03T12:00:00Z',
        nick: '预乙',
        phone: '13900000302',
      });
      await drain();
      at('2026-11-02T03:00:00.000Z');
      await send({
        externalId: 'PS2',
        status: 'paid',
        createdAt: '2026-11-01T03:00:00Z',
        paidAt: '2026-11-02T03:00:00Z',
        presale: true,
        balanceDueAt: '2026-11-03T12:00:00Z',
        nick: '预乙',
        phone: '13900000302',
      });
      at('2026-11-03T00:00:00.000Z');
      await drain();
      const ps2 = await runsOf('PS2');
      expect(ps2.map((r) => r.status)).toEqual(['exited', 'exited']);
      for (const r of ps2) expect(await messagesOfRun(r.id)).toHaveLength(0);
    },
  );

  it('评价: a bad review opens a task with its text and flags the customer; a good one does nothing', async () => {
    const auto = await saveAutomation(env().ctx, ws(), { builtin: 'bad_review', enabled: true });
    at('2026-11-05T02:00:00.000Z');
    await send({
      externalId: 'RV1',
      status: 'signed',
      createdAt: '2026-11-04T02:00:00Z',
      paidAt: '2026-11-04T02:01:00Z',
      signedAt: '2026-11-05T01:00:00Z',
      nick: '评甲',
      phone: '13900000401',
    });
    await send({
      externalId: 'RV2',
      status: 'signed',
      createdAt: '2026-11-04T02:00:00Z',
      paidAt: '2026-11-04T02:01:00Z',
      signedAt: '2026-11-05T01:00:00Z',
      nick: '评乙',
      phone: '13900000402',
    });
    await drain();
    const bad = await customerOf('RV1');
    const good = await customerOf('RV2');
    const orderId = async (x: string) =>
      (
        await q()
          .selectFrom('orders')
          .select('id')
          .where('workspace_id', '=', ws())
          .where('external_id', '=', x)
          .executeTakeFirstOrThrow()
      ).id;
    await recordReview(env().ctx, ws(), bad, {
      orderId: await orderId('RV1'),
      rating: 'bad',
      body: '质量太差，用了两天就坏了',
    });
    await recordReview(env().ctx, ws(), good, { orderId: await orderId('RV2'), rating: 'good', body: '很好' });
    await drain();
    const [task] = await tasksOf(bad);
    expect(task).toMatchObject({ type: 'bad_review', priority: 'high', notes: '质量太差，用了两天就坏了' });
    expect(task!.title).toContain('差评');
    // The task names the automation and the run that created it (the 服务任务 page links to its run log).
    const view = await getTask(env().ctx, ws(), task!.id);
    expect(view.automation).toEqual({ id: auto.id, name: auto.name, runId: task!.source_ref });
    const [run] = await q()
      .selectFrom('automation_runs')
      .select(['id', 'automation_id'])
      .where('workspace_id', '=', ws())
      .where('id', '=', task!.source_ref!)
      .execute();
    expect(run).toEqual({ id: task!.source_ref, automation_id: auto.id });
    // A later run pushes it out of the recent ones: the task's link still finds it, first.
    at('2026-11-05T03:00:00.000Z');
    await send({
      externalId: 'RV3',
      status: 'signed',
      createdAt: '2026-11-04T02:00:00Z',
      paidAt: '2026-11-04T02:01:00Z',
      signedAt: '2026-11-05T01:00:00Z',
      nick: '评乙',
      phone: '13900000402',
    });
    await recordReview(env().ctx, ws(), good, { orderId: await orderId('RV3'), rating: 'neutral', body: '一般' });
    await drain();
    const [latest] = await listRuns(env().ctx, ws(), auto.id, 1);
    expect(latest!.id).not.toBe(task!.source_ref);
    const linked = await listRuns(env().ctx, ws(), auto.id, 1, task!.source_ref!);
    expect(linked.map((r) => r.id)).toEqual([task!.source_ref, latest!.id]);
    expect(linked[0]!.customerName).toBe('评甲');
    const manual = await createManualTask(
      env().ctx,
      ws(),
      { type: 'manual', customerId: bad, dueAt: '2026-11-06T02:00:00.000Z', title: '手工回访' },
      null,
    );
    expect(manual.automation).toBeNull();
    const c = await q()
      .selectFrom('customers')
      .select('is_bad_reviewer')
      .where('workspace_id', '=', ws())
      .where('id', '=', bad)
      .executeTakeFirstOrThrow();
    expect(c.is_bad_reviewer).toBe(1);
    expect(await tasksOf(good)).toHaveLength(1); // the neutral review of RV3
  });

  it('物流异常: shipped and not signed after the days of its region opens a task and sends an apology', async () => {
    await saveAutomation(env().ctx, ws(), { builtin: 'logistics_exception', enabled: true });
    at('2026-11-10T02:00:00.000Z');
    const shipped = (x: string, nick: string, phone: string, province: string) =>
      send({
        externalId: x,
        status: 'shipped',
        createdAt: '2026-11-09T02:00:00Z',
        paidAt: '2026-11-09T02:01:00Z',
        shippedAt: '2026-11-10T02:00:00Z',
        province,
        courier: '顺丰',
        trackingNo: `SF${x}`,
        nick,
        phone,
      });
    await shipped('LG1', '流甲', '13900000501', '浙江省');
    await shipped('LG2', '流乙', '13900000502', '新疆维吾尔自治区');
    await drain();
    at('2026-11-15T02:00:00.000Z');
    await drain();
    const near = await tasksOf(await customerOf('LG1'));
    expect(near).toHaveLength(1);
    expect(near[0]).toMatchObject({ type: 'logistics', notes: '顺丰 SFLG1' });
    expect(await tasksOf(await customerOf('LG2'))).toHaveLength(0);
    const [lg1] = (await runsOf('LG1')).filter((r) => r.trigger_key.endsWith(':shipped'));
    expect((await messagesOfRun(lg1!.id)).length).toBe(1);
    at('2026-11-18T02:00:00.000Z');
    await drain();
    expect(await tasksOf(await customerOf('LG2'))).toHaveLength(1);
  });

  it(
    'segment entry starts a run for customers newly in the segment (not for' +
      ' those in it when switched on); a schedule fires by its cron',
    async () => {
      const { ctx } = env();
      at('2026-11-12T02:00:00.000Z');
      await send({
        externalId: 'SG1',
        status: 'paid',
        createdAt: '2026-11-12T01:00:00Z',
        paidAt: '2026-11-12T01:01:00Z',
        nick: 'sg-老',
        phone: '13900000601',
      });
      const seg = await saveSegment(ctx, ws(), {
        name: 'sg',
        rule: { field: 'name', op: 'starts_with', value: 'sg-' },
      });
      await saveAutomation(ctx, ws(), {
        enabled: true,
        definition: {
          name: '入群欢迎',
          trigger: { type: 'segment_entry', segmentId: seg.id },
          steps: [{ id: 'tag', type: 'tag', add: ['新入群'] }],
        },
      });
      await saveAutomation(ctx, ws(), {
        enabled: true,
        definition: {
          name: '每日定时',
          trigger: { type: 'schedule', cron: '0 10 * * *', segmentId: seg.id },
          steps: [{ id: 'tag', type: 'tag', add: ['定时'] }],
        },
      });
      await drain();
      at('2026-11-12T02:16:00.000Z');
      await drain(); // the first evaluation: a baseline
      await send({
        externalId: 'SG2',
        status: 'paid',
        createdAt: '2026-11-12T02:20:00Z',
        paidAt: '2026-11-12T02:21:00Z',
        nick: 'sg-新',
        phone: '13900000602',
      });
      at('2026-11-12T02:31:00.000Z');
      await drain();
      const tagged = async (tag: string) =>
        (
          await q()
            .selectFrom('customer_tags as ct')
            .innerJoin('tags as t', (j) =>
              j.onRef('t.workspace_id', '=', 'ct.workspace_id').onRef('t.id', '=', 'ct.tag_id'),
            )
            .select('ct.customer_id')
            .where('ct.workspace_id', '=', ws())
            .where('t.name', '=', tag)
            .execute()
        ).map((r) => r.customer_id);
      expect(await tagged('新入群')).toEqual([await customerOf('SG2')]);
      expect(await tagged('定时')).toEqual([]);
      // 10:00 in Shanghai: the schedule fires once for everyone in its segment.
      at('2026-11-13T02:00:30.000Z');
      await drain();
      expect((await tagged('定时')).sort()).toEqual([await customerOf('SG1'), await customerOf('SG2')].sort());
      const withCron = (cron: string) =>
        saveAutomation(ctx, ws(), {
          definition: {
            name: 'x',
            trigger: { type: 'schedule', cron },
            steps: [{ id: 't', type: 'tag', add: ['x'] }],
          },
        });
      await expect(withCron('not a cron')).rejects.toThrow(/cron/);
      // Seconds ran a segment's run every second; every minute, or every half hour, is refused too.
      for (const [cron, key] of [
        ['* * * * * *', 'automation.cronFields'],
        ['0 10 * * * *', 'automation.cronFields'],
        ['* * * * *', 'automation.cronTooOften'],
        ['0,30 * * * *', 'automation.cronTooOften'],
        ['0 10,11 * * *', null],
        ['@daily', null],
      ] as const) {
        const saved = withCron(cron);
        if (key) await expect(saved, cron).rejects.toMatchObject({ reason: { key } });
        else await expect(saved, cron).resolves.toMatchObject({ name: 'x' });
      }
    },
  );

  it('a schedule saved before the cron rules is switched off at its next firing, not run, until fixed', async () => {
    const { ctx } = env();
    at('2026-11-20T02:00:00.000Z');
    await send({
      externalId: 'LC1',
      status: 'paid',
      createdAt: '2026-11-20T01:00:00Z',
      paidAt: '2026-11-20T01:01:00Z',
      nick: 'lc-买家',
      phone: '13900000701',
    });
    const saved = await saveAutomation(ctx, ws(), {
      enabled: true,
      definition: {
        name: '旧定时',
        trigger: { type: 'schedule', cron: '0 10 * * *' },
        steps: [{ id: 'tag', type: 'tag', add: ['旧定时'] }],
      },
    });
    // As an earlier version stored it: a six-field cron (seconds), firing at every tick of the worker.
    const buyer = await customerOf('LC1');
    // The schedule has no segment: everyone; the buyer's runs stand for all of them.
    const runs = async () =>
      (
        await q()
          .selectFrom('automation_runs')
          .select('customer_id')
          .where('workspace_id', '=', ws())
          .where('automation_id', '=', saved.id)
          .where('customer_id', '=', buyer)
          .execute()
      ).map((r) => r.customer_id);
    const legacy = { ...saved.definition, trigger: { type: 'schedule' as const, cron: '*/5 * * * * *' } };
    await q()
      .updateTable('automations')
      .set({ definition: JSON.stringify(legacy) })
      .where('workspace_id', '=', ws())
      .where('id', '=', saved.id)
      .execute();
    await q()
      .updateTable('schedules')
      .set({ cron: '*/5 * * * * *', next_run_at: '2026-11-20T02:00:05.000Z' })
      .where('workspace_id', '=', ws())
      .where('name', '=', `automation:${saved.id}`)
      .execute();
    at('2026-11-20T02:00:10.000Z');
    await drain();
    const row = await q()
      .selectFrom('automations')
      .select('enabled')
      .where('workspace_id', '=', ws())
      .where('id', '=', saved.id)
      .executeTakeFirstOrThrow();
    expect(row.enabled).toBe(0);
    expect(await runs()).toEqual([]);
    const schedule = await q()
      .selectFrom('schedules')
      .select('name')
      .where('workspace_id', '=', ws())
      .where('name', '=', `automation:${saved.id}`)
      .execute();
    expect(schedule).toEqual([]);
    const logged = await q()
      .selectFrom('audit_log')
      .select(['action', 'target', 'details', 'via'])
      .where('workspace_id', '=', ws())
      .where('action', '=', 'automation.paused_schedule')
      .execute();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ target: `automation ${saved.id}`, via: 'system' });
    expect(readJson(logged[0]!.details)).toMatchObject({
      name: '旧定时',
      reason: expect.stringMatching(/five fields/),
    });
    // Switching it on again asks for a cron that passes; saving one brings the schedule back and it runs.
    await expect(setEnabled(ctx, ws(), saved.id, true)).rejects.toMatchObject({
      reason: { key: 'automation.cronFields' },
    });
    await saveAutomation(
      ctx,
      ws(),
      {
        enabled: true,
        definition: { ...legacy, trigger: { type: 'schedule', cron: '0 10 * * *' } },
      },
      saved.id,
    );
    at('2026-11-21T02:00:30.000Z');
    await drain();
    expect(await runs()).toEqual([buyer]);
    // Off and on again with nothing changed: the schedule is still there, and the next day's firing runs.
    await setEnabled(ctx, ws(), saved.id, false);
    await setEnabled(ctx, ws(), saved.id, true);
    at('2026-11-22T02:00:30.000Z');
    await drain();
    expect(await runs()).toEqual([buyer, buyer]);
  });
});
