import { beforeAll, expect, it } from 'vitest';
import { createUser } from '../../src/modules/auth/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createTask } from '../../src/modules/tasks/service.js';
import { orderRecord } from '../support/records.js';
import { describeBothDatabases } from '../helpers.js';

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
  });
});
