import { beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/modules/auth/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { customerTags } from '../../src/modules/tags/service.js';
import { customerTimeline } from '../../src/modules/customers/timeline.js';
import {
  completeTask,
  createManualTask,
  createTask,
  getTask,
  listTasks,
  taskCounts,
  updateTask,
} from '../../src/modules/tasks/service.js';
import { taskListQuery } from '../../src/modules/tasks/schema.js';
import { orderRecord } from '../support/records.js';
import { describeBothDatabases } from '../helpers.js';
import { loggedDatabase } from '../support/plans.js';

describeBothDatabases('service tasks', (env) => {
  let customerId = '';
  let otherId = '';
  let orderId = '';
  let agentId = '';
  beforeAll(async () => {
    const e = env();
    const store = await ensureStore(e.ctx, e.workspaceId, '任务测试店', 'taobao');
    const rec = (n: number, nick: string, phone: string) =>
      orderRecord({
        line: n,
        externalId: String(880000 + n),
        createdAt: '2026-11-01T02:00:00.000Z',
        paidFen: 12900,
        buyer: { nick, externalId: null, email: null, phone, name: null },
        receiverPhone: phone,
        title: '保湿面霜',
      });
    await e.db.kysely
      .transaction()
      .execute((trx) =>
        ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
          rec(1, 'task_buyer', '13900000011'),
          rec(2, 'task_other', '13900000012'),
        ]),
      );
    const cs = await e.db.kysely
      .selectFrom('customers')
      .select(['id', 'display_name'])
      .where('workspace_id', '=', e.workspaceId)
      .execute();
    customerId = cs.find((c) => c.display_name === 'task_buyer')!.id;
    otherId = cs.find((c) => c.display_name === 'task_other')!.id;
    orderId = (
      await e.db.kysely
        .selectFrom('orders')
        .select('id')
        .where('workspace_id', '=', e.workspaceId)
        .where('customer_id', '=', customerId)
        .executeTakeFirstOrThrow()
    ).id;
    agentId = (await createUser(e.ctx, e.workspaceId, { login: 'agent1', password: 'agent-pass-1', role: 'agent' })).id;
  });

  it('an automation creates a task inside its own transaction, with the names an inbox shows', async () => {
    const e = env();
    const task = await e.db.kysely.transaction().execute((trx) =>
      createTask(trx, {
        workspaceId: e.workspaceId,
        type: 'logistics',
        customerId,
        orderId,
        dueAt: '2026-11-24T02:00:00.000Z',
        priority: 'high',
        assigneeId: agentId,
        title: '物流超过 5 天未签收',
        source: 'automation',
        sourceRef: 'run-1',
        key: 'auto:logistics:run-1',
        now: e.ctx.now(),
      }),
    );
    expect(task).toMatchObject({
      type: 'logistics',
      typeLabel: '物流异常',
      status: 'open',
      priority: 'high',
      customerName: 'task_buyer',
      orderExternalId: '880001',
      assigneeName: 'agent1',
      source: 'automation',
      overdue: false,
    });
    // A retried step with the same key makes no second task.
    const again = await createTask(e.db.kysely, {
      workspaceId: e.workspaceId,
      type: 'logistics',
      customerId,
      dueAt: '2026-11-25T02:00:00.000Z',
      title: '重复',
      source: 'automation',
      key: 'auto:logistics:run-1',
    });
    expect(again.id).toBe(task.id);
    const n = await e.db.kysely
      .selectFrom('service_tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', e.workspaceId)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);
  });

  it('a task rolled back with its transaction leaves nothing behind', async () => {
    const e = env();
    await expect(
      e.db.kysely.transaction().execute(async (trx) => {
        await createTask(trx, {
          workspaceId: e.workspaceId,
          type: 'manual',
          customerId,
          dueAt: '2026-11-24T02:00:00.000Z',
          title: '回滚',
          source: 'automation',
          key: 'rolled-back',
        });
        throw new Error('step failed');
      }),
    ).rejects.toThrow('step failed');
    const row = await e.db.kysely
      .selectFrom('service_tasks')
      .select('id')
      .where('workspace_id', '=', e.workspaceId)
      .where('dedupe_key', '=', 'rolled-back')
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });

  it('refuses an unknown customer, an order of another customer, an unknown assignee and a bad type', async () => {
    const e = env();
    const base = {
      workspaceId: e.workspaceId,
      type: 'revisit' as const,
      customerId,
      dueAt: '2026-11-24T02:00:00.000Z',
      title: '回访',
    };
    await expect(createTask(e.db.kysely, { ...base, customerId: 'nobody' })).rejects.toThrow(
      /customer nobody not found/,
    );
    await expect(createTask(e.db.kysely, { ...base, customerId: otherId, orderId })).rejects.toThrow(
      /belongs to another customer/,
    );
    await expect(createTask(e.db.kysely, { ...base, assigneeId: 'ghost' })).rejects.toThrow(/user ghost not found/);
    await expect(createTask(e.db.kysely, { ...base, type: 'party' as unknown as 'manual' })).rejects.toThrow(/type/);
    await expect(createTask(e.db.kysely, { ...base, dueAt: 'tomorrow' })).rejects.toThrow(/dueAt/);
    // A due time no one means (year 0001 or 9999 was taken).
    for (const dueAt of ['0001-01-01T00:00:00Z', '9999-12-31T00:00:00Z'])
      await expect(createTask(e.db.kysely, { ...base, dueAt }), dueAt).rejects.toThrow(/dueAt/);
  });

  it('task flow: created by hand, assigned, taken up, completed with an outcome → timeline and tag', async () => {
    const e = env();
    const ws = e.workspaceId;
    e.setNow('2026-11-23T04:00:00.000Z');
    const t = await createManualTask(
      e.ctx,
      ws,
      {
        type: 'bad_review',
        customerId,
        orderId,
        dueAt: '2026-11-23T08:00:00.000Z',
        title: '差评回访',
        notes: '说面霜过敏',
      },
      null,
    );
    expect(t).toMatchObject({ status: 'open', source: 'manual', assigneeId: null, typeLabel: '差评处理' });
    const assigned = await updateTask(e.ctx, ws, t.id, { assigneeId: agentId, priority: 'urgent' });
    expect(assigned).toMatchObject({ assigneeId: agentId, assigneeName: 'agent1', priority: 'urgent' });
    e.setNow('2026-11-23T05:00:00.000Z');
    const started = await updateTask(e.ctx, ws, t.id, { status: 'in_progress' });
    expect(started).toMatchObject({ status: 'in_progress', startedAt: '2026-11-23T05:00:00.000Z' });
    e.setNow('2026-11-23T06:30:00.000Z');
    const done = await completeTask(
      e.ctx,
      ws,
      t.id,
      { outcome: '已致歉并补发小样，客户改为好评', tag: '差评已挽回' },
      agentId,
    );
    expect(done).toMatchObject({
      status: 'done',
      outcome: '已致歉并补发小样，客户改为好评',
      outcomeTag: '差评已挽回',
      closedAt: '2026-11-23T06:30:00.000Z',
      overdue: false,
    });
    expect((await customerTags(e.ctx, ws, customerId)).map((x) => x.name)).toContain('差评已挽回');
    const timeline = await customerTimeline(e.ctx, ws, customerId);
    const doneEv = timeline.find((x) => x.kind === 'task.done' && x.ref?.id === t.id);
    expect(doneEv).toMatchObject({ at: '2026-11-23T06:30:00.000Z', detail: '已致歉并补发小样，客户改为好评' });
    expect(doneEv?.title).toContain('差评回访');
    expect(doneEv?.title).toContain('差评已挽回');
    expect(timeline.some((x) => x.kind === 'task.created' && x.ref?.id === t.id)).toBe(true);
    // Done is final: neither a second completion nor a status change goes through.
    await expect(completeTask(e.ctx, ws, t.id, { outcome: '再来一次' }, null)).rejects.toThrow(/already done/);
    await expect(updateTask(e.ctx, ws, t.id, { status: 'open' })).rejects.toThrow(/only its notes/);
    expect((await getTask(e.ctx, ws, t.id)).outcome).toBe('已致歉并补发小样，客户改为好评');
    await expect(completeTask(e.ctx, ws, 'nope', { outcome: 'x' }, null)).rejects.toThrow(/task nope not found/);
  });

  it('a failed tag leaves the task open: completion is one transaction', async () => {
    const e = env();
    const ws = e.workspaceId;
    const t = await createManualTask(
      e.ctx,
      ws,
      { type: 'revisit', customerId, dueAt: '2026-11-30T08:00:00.000Z', title: '回访使用效果' },
      null,
    );
    await expect(completeTask(e.ctx, ws, t.id, { outcome: '已回访', tag: 'x'.repeat(41) }, null)).rejects.toThrow();
    expect((await getTask(e.ctx, ws, t.id)).status).toBe('open');
    await updateTask(e.ctx, ws, t.id, { status: 'cancelled' });
    expect((await getTask(e.ctx, ws, t.id)).status).toBe('cancelled');
  });

  it("an agent's inbox: active tasks earliest due first, the urgent first among equals; mine and overdue", async () => {
    const e = env();
    const ws = e.workspaceId;
    e.setNow('2026-11-26T04:00:00.000Z');
    const mk = (title: string, dueAt: string, priority: 'low' | 'normal' | 'high' | 'urgent', mine: boolean) =>
      createManualTask(
        e.ctx,
        ws,
        { type: 'manual', customerId: otherId, dueAt, title, priority, ...(mine ? { assigneeId: agentId } : {}) },
        null,
      );
    await mk('下周', '2026-12-03T04:00:00.000Z', 'low', true);
    await mk('明天普通', '2026-11-27T04:00:00.000Z', 'normal', false);
    await mk('明天紧急', '2026-11-27T04:00:00.000Z', 'urgent', true);
    await mk('昨天', '2026-11-25T04:00:00.000Z', 'normal', false);
    const q = (over: Record<string, string>) => taskListQuery.parse(over);
    const all = await listTasks(e.ctx, ws, agentId, q({}));
    // The logistics task from the first test is due 2026-11-24 (overdue now); finished and cancelled ones are gone.
    expect(all.items.map((x) => x.title)).toEqual(['物流超过 5 天未签收', '昨天', '明天紧急', '明天普通', '下周']);
    expect(all.total).toBe(5);
    expect(all.items.filter((x) => x.overdue).map((x) => x.title)).toEqual(['物流超过 5 天未签收', '昨天']);
    const mine = await listTasks(e.ctx, ws, agentId, q({ view: 'mine' }));
    expect(mine.items.map((x) => x.title)).toEqual(['物流超过 5 天未签收', '明天紧急', '下周']);
    const overdue = await listTasks(e.ctx, ws, agentId, q({ overdue: 'true' }));
    expect(overdue.items.map((x) => x.title)).toEqual(['物流超过 5 天未签收', '昨天']);
    const unassigned = await listTasks(e.ctx, ws, agentId, q({ assigneeId: 'none' }));
    expect(unassigned.items.map((x) => x.title)).toEqual(['昨天', '明天普通']);
    const done = await listTasks(e.ctx, ws, agentId, q({ status: 'done' }));
    expect(done.items.map((x) => x.title)).toEqual(['差评回访']);
    const { db: logged, statements } = loggedDatabase(e.url);
    const page = await listTasks({ ...e.ctx, db: logged }, ws, agentId, q({ limit: '2', offset: '2' })).finally(() =>
      logged.close(),
    );
    expect(page.items.map((x) => x.title)).toEqual(['明天紧急', '明天普通']);
    expect(page.items.map((x) => x.customerName)).toEqual(all.items.slice(2, 4).map((x) => x.customerName));
    // Counted and paged on the tasks alone; the names joined to the page's two rows only (with the joins, the count
    // and the page's sort read every task's joined row: 0.4–1.1 s at 63,000 tasks).
    expect(statements.map((x) => /join/i.test(x.sql))).toEqual([false, false, true]);
    expect(await taskCounts(e.ctx, ws, agentId)).toEqual({ open: 5, inProgress: 0, overdue: 2, mine: 3 });
  });
});
