import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deliverDue } from '../../src/modules/messaging/deliver.js';
import { beforeAll, expect, it } from 'vitest';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { handleOrderEvents, saveAutomation } from '../../src/modules/automations/service.js';
import { advanceRun } from '../../src/modules/automations/runner.js';
import { customerTimeline as timeline } from '../../src/modules/customers/timeline.js';
import { importFile } from '../../src/modules/imports/service.js';
import { defaultChannel } from '../../src/modules/messaging/service.js';
import { ingestOrders } from '../../src/modules/orders/api.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';

describeBothDatabases('automations: 催付 and the engine', (env) => {
  let storeId = '';
  beforeAll(async () => {
    const { ctx, workspaceId } = env();
    storeId = (await ensureStore(ctx, workspaceId, '自动化店', 'taobao')).id;
    await defaultChannel(ctx, workspaceId);
    await saveAutomation(ctx, workspaceId, { builtin: 'cart_reminder', enabled: true });
  });

  const at = (iso: string) => env().setNow(iso);
  const drain = () => createWorker(env().ctx, { handlers: jobHandlers }).drain();
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
  const orderId = async (externalId: string) =>
    (
      await env()
        .db.kysely.selectFrom('orders')
        .select('id')
        .where('workspace_id', '=', env().workspaceId)
        .where('external_id', '=', externalId)
        .executeTakeFirstOrThrow()
    ).id;
  const runOf = async (externalId: string) =>
    env()
      .db.kysely.selectFrom('automation_runs')
      .selectAll()
      .where('workspace_id', '=', env().workspaceId)
      .where('order_id', '=', await orderId(externalId))
      .execute();
  const messagesOf = async (runId: string) =>
    env()
      .db.kysely.selectFrom('messages')
      .selectAll()
      .where('workspace_id', '=', env().workspaceId)
      .where('source_type', '=', 'automation')
      .where('source_id', '=', runId)
      .execute();

  it('催付 reminds an unpaid order 30 minutes after it was created, once per order', async () => {
    at('2026-11-23T04:00:00.000Z');
    await send({
      externalId: 'A1',
      status: 'created',
      createdAt: '2026-11-23T04:00:00Z',
      nick: '甲',
      phone: '13900000001',
    });
    await drain();
    const [run] = await runOf('A1');
    expect(run).toMatchObject({ status: 'waiting', next_at: '2026-11-23T04:30:00.000Z' });
    at('2026-11-23T04:29:00.000Z');
    await drain();
    expect(await messagesOf(run!.id)).toHaveLength(0);
    at('2026-11-23T04:30:00.000Z');
    await drain();
    const msgs = await messagesOf(run!.id);
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatchObject({ kind: 'care', medium: 'sms', status: 'sent', contact: '13900000001' });
    expect(msgs[0]!.body).toContain('A1');
    // The same order seen again (re-sent, re-imported) starts nothing new.
    await send({
      externalId: 'A1',
      status: 'created',
      createdAt: '2026-11-23T04:00:00Z',
      nick: '甲',
      phone: '13900000001',
      title: '面霜2',
    });
    at('2026-11-23T05:30:00.000Z');
    await drain();
    expect(await runOf('A1')).toHaveLength(1);
    expect(await messagesOf(run!.id)).toHaveLength(1);
    const [after] = await runOf('A1');
    expect(after!.status).toBe('done');
  });

  it('automation messages go out through one batched delivery run, each exactly once, no job per message', async () => {
    const e = env();
    at('2026-11-25T04:00:00.000Z');
    const ext = ['BATCH-1', 'BATCH-2', 'BATCH-3', 'BATCH-4'];
    for (const [i, x] of ext.entries())
      await send({ externalId: x, status: 'created', createdAt: '2026-11-25T04:00:00Z', phone: `1390000090${i}` });
    await drain();
    at('2026-11-25T04:30:00.000Z');
    await drain();
    const runs = (await Promise.all(ext.map(runOf))).flat();
    expect(runs).toHaveLength(4);
    const msgs = (await Promise.all(runs.map((r) => messagesOf(r.id)))).flat();
    expect(msgs.map((m) => [m.status, m.attempts])).toEqual(ext.map(() => ['sent', 1]));
    const jobs = await e.db.kysely
      .selectFrom('jobs')
      .select(['kind', 'status'])
      .where('workspace_id', '=', e.workspaceId)
      .where('kind', 'in', ['message.send', 'messages.deliver'])
      .where('created_at', '>=', '2026-11-25T04:30:00.000Z')
      .execute();
    expect(jobs).toEqual([{ kind: 'messages.deliver', status: 'done' }]);
    // A second run (a worker that died after sending and is replayed) sends nothing again.
    expect(
      await deliverDue(
        e.ctx,
        e.workspaceId,
        async () => 'go',
        async () => {},
      ),
    ).toBe(0);
  });

  it('催付 stops when the order is paid meanwhile', async () => {
    at('2026-11-23T06:00:00.000Z');
    await send({
      externalId: 'B1',
      status: 'created',
      createdAt: '2026-11-23T06:00:00Z',
      nick: '乙',
      phone: '13900000002',
    });
    await drain();
    at('2026-11-23T06:10:00.000Z');
    await send({
      externalId: 'B1',
      status: 'paid',
      createdAt: '2026-11-23T06:00:00Z',
      paidAt: '2026-11-23T06:09:00Z',
      nick: '乙',
      phone: '13900000002',
    });
    at('2026-11-23T06:31:00.000Z');
    await drain();
    const [run] = await runOf('B1');
    expect(run).toMatchObject({ status: 'exited', reason: '订单已付款' });
    expect(await messagesOf(run!.id)).toHaveLength(0);
  });

  it('催付 is not sent when the buyer paid another order since', async () => {
    at('2026-11-23T07:00:00.000Z');
    await send({
      externalId: 'C1',
      status: 'created',
      createdAt: '2026-11-23T07:00:00Z',
      nick: '丙',
      phone: '13900000003',
    });
    await drain();
    at('2026-11-23T07:06:00.000Z');
    await send({
      externalId: 'C2',
      status: 'paid',
      createdAt: '2026-11-23T07:05:00Z',
      paidAt: '2026-11-23T07:06:00Z',
      nick: '丙',
      phone: '13900000003',
    });
    at('2026-11-23T07:31:00.000Z');
    await drain();
    const [run] = await runOf('C1');
    expect(run).toMatchObject({ status: 'exited', reason: '客户此后已付款其他订单' });
    expect(await messagesOf(run!.id)).toHaveLength(0);
  });

  it('a reminder due at night waits for 08:00, and is cancelled if the order is paid before then', async () => {
    // 23:00 in Shanghai: the reminder is due at 23:30, outside 08:00–22:00.
    at('2026-11-23T15:00:00.000Z');
    await send({
      externalId: 'D1',
      status: 'created',
      createdAt: '2026-11-23T15:00:00Z',
      nick: '丁',
      phone: '13900000004',
    });
    await send({
      externalId: 'D2',
      status: 'created',
      createdAt: '2026-11-23T15:00:00Z',
      nick: '戊',
      phone: '13900000005',
    });
    await drain();
    at('2026-11-23T15:31:00.000Z');
    await drain();
    const [d1] = await runOf('D1');
    const [m1] = await messagesOf(d1!.id);
    expect(m1).toMatchObject({ status: 'queued', send_at: '2026-11-24T00:00:00.000Z' });
    at('2026-11-23T23:00:00.000Z');
    await send({
      externalId: 'D2',
      status: 'paid',
      createdAt: '2026-11-23T15:00:00Z',
      paidAt: '2026-11-23T22:59:00Z',
      nick: '戊',
      phone: '13900000005',
    });
    await drain();
    expect((await messagesOf(d1!.id))[0]!.status).toBe('queued');
    at('2026-11-24T00:00:00.000Z');
    await drain();
    expect((await messagesOf(d1!.id))[0]).toMatchObject({ status: 'sent', sent_at: '2026-11-24T00:00:00.000Z' });
    const [d2] = await runOf('D2');
    expect((await messagesOf(d2!.id))[0]!.status).toBe('cancelled');
  });

  it('an order seen hours after it was created is skipped as too late, with the reason on the timeline', async () => {
    at('2026-11-24T10:00:00.000Z');
    await send({
      externalId: 'E1',
      status: 'created',
      createdAt: '2026-11-24T05:00:00Z',
      nick: '己',
      phone: '13900000006',
    });
    await drain();
    const [run] = await runOf('E1');
    expect(run).toMatchObject({ status: 'skipped' });
    expect(run!.reason).toMatch(/为时已晚：事件发生于 5 小时前/);
    const events = await timeline(env().ctx, env().workspaceId, run!.customer_id, 50);
    expect(events.find((e) => e.kind === 'automation.skipped')?.detail).toMatch(/为时已晚/);
  });

  it('an import judges events by when they happened: unpaid 5 h ago is too late, 10 min ago reminded', async () => {
    const { ctx, workspaceId } = env();
    at('2026-11-26T10:00:00.000Z'); // 18:00 in Shanghai
    const path = join(scratchDir('huike-auto-import-'), 'orders.csv');
    writeFileSync(
      path,
      [
        'Order,Date,State,Amount,Customer,Mobile',
        'IMP-OLD,2026-11-26 13:00:00,Unpaid,50.00,导入甲,13900000031', // 5 hours before the import
        'IMP-NEW,2026-11-26 17:50:00,Unpaid,50.00,导入乙,13900000032', // 10 minutes before
        '',
      ].join('\n'),
    );
    const store = await ensureStore(ctx, workspaceId, '自动化店', 'taobao');
    const run = await importFile(ctx, {
      workspaceId,
      store,
      format: 'generic',
      mapping: {
        columns: {
          externalId: 'Order',
          createdAt: 'Date',
          status: 'State',
          paid: 'Amount',
          buyerNick: 'Customer',
          buyerPhone: 'Mobile',
        },
        statuses: { Unpaid: 'created' },
      },
      filePath: path,
    });
    expect(run.orders_created).toBe(2);
    await drain();
    const [old] = await runOf('IMP-OLD');
    expect(old).toMatchObject({ status: 'skipped', reason_key: 'automation.tooLate' });
    expect(old!.reason).toMatch(/为时已晚：事件发生于 5 小时前/);
    at('2026-11-26T10:21:00.000Z'); // 30 minutes after IMP-NEW was created
    await drain();
    const [fresh] = await runOf('IMP-NEW');
    expect(fresh).toMatchObject({ status: 'done' });
    expect(await messagesOf(fresh!.id)).toHaveLength(1);
    expect(await messagesOf(old!.id)).toHaveLength(0);
  });

  it('a run that crashed after a step’s effect resumes without doing the step twice', async () => {
    const { ctx, workspaceId } = env();
    await saveAutomation(ctx, workspaceId, {
      enabled: true,
      definition: {
        name: '新单关怀',
        trigger: { type: 'order_event', event: 'paid' },
        steps: [
          { id: 'thanks', type: 'message', medium: 'sms', kind: 'care', text: '感谢下单 #订单号#' },
          { id: 'tag', type: 'tag', add: ['已关怀'] },
        ],
      },
    });
    at('2026-11-25T04:00:00.000Z');
    const before = await ctx.db.kysely
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', 'automation.events')
      .execute();
    await send({
      externalId: 'F1',
      status: 'paid',
      createdAt: '2026-11-25T03:59:00Z',
      paidAt: '2026-11-25T04:00:00Z',
      nick: '庚',
      phone: '13900000007',
    });
    const job = await ctx.db.kysely
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', 'automation.events')
      .where(
        'id',
        'not in',
        before.map((b) => b.id),
      )
      .executeTakeFirstOrThrow();
    const { eventIds } = JSON.parse(typeof job.payload === 'string' ? job.payload : JSON.stringify(job.payload));
    // The process dies right after the message was recorded, before the run moved past the step.
    await expect(
      handleOrderEvents(ctx, workspaceId, eventIds, {
        afterEffect: (step) => {
          if (step === 'thanks') throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const [run] = (await runOf('F1')).filter((r) => r.trigger_key.endsWith(':paid'));
    expect(run).toMatchObject({ status: 'waiting', cursor: 0 });
    expect(await messagesOf(run!.id)).toHaveLength(1);
    // Resumed (the job retried): the message is not sent again, the run goes on and finishes.
    await advanceRun(ctx, workspaceId, run!.id);
    await drain();
    const [done] = (await runOf('F1')).filter((r) => r.trigger_key.endsWith(':paid'));
    expect(done).toMatchObject({ status: 'done', cursor: 2 });
    expect(await messagesOf(run!.id)).toHaveLength(1);
    const tags = await ctx.db.kysely
      .selectFrom('customer_tags as ct')
      .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'ct.workspace_id').onRef('t.id', '=', 'ct.tag_id'))
      .select('t.name')
      .where('ct.workspace_id', '=', workspaceId)
      .where('ct.customer_id', '=', run!.customer_id)
      .execute();
    expect(tags.map((t) => t.name)).toContain('已关怀');
  });
});
