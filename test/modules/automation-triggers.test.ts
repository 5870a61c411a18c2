import { beforeAll, expect, it } from 'vitest';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { saveAutomation } from '../../src/modules/automations/service.js';
import { mergeCustomers, undoMerge } from '../../src/modules/customers/merge.js';
import { customerTimeline } from '../../src/modules/customers/timeline.js';
import { defaultChannel } from '../../src/modules/messaging/service.js';
import { ingestOrders } from '../../src/modules/orders/api.js';
import { ensureStore } from '../../src/modules/stores/service.js';
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

  it('runs move with the customer on a merge and back on undo, and stay on the timeline of whoever has them', async () => {
    at('2026-11-20T10:00:00.000Z');
    await send({
      externalId: 'M1',
      status: 'paid',
      createdAt: '2026-11-20T09:00:00Z',
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
  });

  it('a run stays visible when a later order reveals the buyer is a known customer (merged by phone on import)', async () => {
    at('2026-11-21T10:00:00.000Z');
    await send({
      externalId: 'P1',
      status: 'paid',
      createdAt: '2026-11-21T09:00:00Z',
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
  });
});
