import { beforeAll, expect, it } from 'vitest';
import { buildServer } from '../../src/server.js';
import { createUser } from '../../src/modules/auth/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { credit, debit, expireDue, liability, pointsOf, syncOrderPoints } from '../../src/modules/points/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { createWorkspace } from '../../src/modules/workspaces/service.js';
import { describeBothDatabases, scratchDir } from '../helpers.js';
import { orderRecord } from '../support/records.js';

describeBothDatabases('points ledger', (env) => {
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    const e = env();
    e.setNow('2026-11-23T04:00:00.000Z');
    const store = await ensureStore(e.ctx, e.workspaceId, '积分店', 'tmall');
    const buyer = (nick: string, phone: string) => ({ nick, externalId: null, email: null, phone, name: null });
    await e.db.kysely.transaction().execute((trx) =>
      ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
        orderRecord({
          externalId: '1',
          createdAt: '2026-10-01T02:00:00.000Z',
          signedAt: '2026-10-05T02:00:00.000Z',
          paidFen: 12850,
          buyer: buyer('amy', '13700000001'),
        }),
        orderRecord({
          externalId: '2',
          createdAt: '2026-11-20T02:00:00.000Z',
          status: 'paid',
          paidFen: 9900,
          buyer: buyer('amy', '13700000001'),
        }),
        orderRecord({
          externalId: '3',
          createdAt: '2026-09-01T02:00:00.000Z',
          paidFen: 5000,
          buyer: buyer('ben', '13700000002'),
        }),
        orderRecord({
          externalId: '4',
          createdAt: '2026-09-01T02:00:00.000Z',
          paidFen: 5000,
          buyer: buyer('cat', '13700000003'),
        }),
      ]),
    );
    for (const c of await e.db.kysely
      .selectFrom('customers')
      .select(['id', 'display_name'])
      .where('workspace_id', '=', e.workspaceId)
      .execute())
      ids[c.display_name] = c.id;
  });

  it('spends the lots that expire first, records which, and never goes below zero', async () => {
    const { ctx, workspaceId: ws } = env();
    const c = ids.ben!;
    await credit(ctx, ws, {
      customerId: c,
      points: 100,
      kind: 'earn',
      source: 'grant',
      expiresAt: '2027-12-31T16:00:00.000Z',
      key: 'k-a',
    });
    await credit(ctx, ws, {
      customerId: c,
      points: 50,
      kind: 'earn',
      source: 'grant',
      expiresAt: '2027-06-30T16:00:00.000Z',
      key: 'k-b',
    });
    await credit(ctx, ws, {
      customerId: c,
      points: 30,
      kind: 'earn',
      source: 'grant',
      availableAt: '2026-12-01T00:00:00.000Z',
      expiresAt: null,
      key: 'k-c',
    });
    const spent = await debit(ctx, ws, { customerId: c, points: 70, kind: 'redeem', source: 'gift', key: 'r-1' });
    const lots = await ctx.db.kysely
      .selectFrom('points_entries')
      .select(['id', 'idempotency_key'])
      .where('workspace_id', '=', ws)
      .execute();
    const keyOf = (id: string) => lots.find((l) => l.id === id)!.idempotency_key;
    expect(spent.allocations.map((a) => [keyOf(a.lotId), a.points])).toEqual([
      ['k-b', 50],
      ['k-a', 20],
    ]);
    expect((await pointsOf(ctx, ws, c)).summary).toEqual({
      pending: 30,
      spendable: 80,
      spent: 70,
      expired: 0,
      lifetime: 180,
    });
    await expect(
      debit(ctx, ws, { customerId: c, points: 100, kind: 'redeem', source: 'gift', key: 'r-2' }),
    ).rejects.toThrow(/not enough points: 100 asked, 80 spendable/);
    expect((await pointsOf(ctx, ws, c)).entries).toHaveLength(4);
  });

  it('idempotency keys: the same earn or redemption twice happens once', async () => {
    const { ctx, workspaceId: ws } = env();
    const c = ids.ben!;
    const again = await credit(ctx, ws, { customerId: c, points: 100, kind: 'earn', source: 'grant', key: 'k-a' });
    expect(again.replayed).toBe(true);
    const redo = await debit(ctx, ws, { customerId: c, points: 70, kind: 'redeem', source: 'gift', key: 'r-1' });
    expect(redo.replayed).toBe(true);
    expect((await pointsOf(ctx, ws, c)).summary.spendable).toBe(80);
    await expect(
      credit(ctx, ws, { customerId: ids.cat!, points: 5, kind: 'earn', source: 'grant', key: 'k-a' }),
    ).rejects.toThrow(/already used/);
  });

  it('200 concurrent redemptions on one balance stay exact', async () => {
    const { ctx, workspaceId: ws } = env();
    const c = ids.cat!;
    await credit(ctx, ws, {
      customerId: c,
      points: 150,
      kind: 'earn',
      source: 'grant',
      expiresAt: null,
      key: 'cat-150',
    });
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        debit(ctx, ws, { customerId: c, points: 1, kind: 'redeem', source: 'gift', key: `cat-r-${i}` }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && /not enough points/.test(String(r.reason))).length;
    expect([ok, refused]).toEqual([150, 50]);
    expect((await pointsOf(ctx, ws, c)).summary).toMatchObject({ spendable: 0, spent: 150 });
    const allocated = await ctx.db.kysely
      .selectFrom('points_allocations')
      .select((eb) => eb.fn.sum<number>('points').as('n'))
      .where('workspace_id', '=', ws)
      .where(
        'lot_id',
        'in',
        (
          await ctx.db.kysely
            .selectFrom('points_entries')
            .select('id')
            .where('idempotency_key', '=', 'cat-150')
            .execute()
        ).map((x) => x.id),
      )
      .executeTakeFirstOrThrow();
    expect(Number(allocated.n)).toBe(150);
  });

  it('pending points become spendable when the time comes; expired ones are written off once', async () => {
    const e = env();
    const c = ids.ben!;
    e.setNow('2026-12-02T00:00:00.000Z');
    expect((await pointsOf(e.ctx, e.workspaceId, c)).summary).toMatchObject({ pending: 0, spendable: 110 });
    e.setNow('2027-07-01T00:00:00.000Z'); // k-b (fully spent) and nothing else has expired
    expect(await expireDue(e.ctx, e.workspaceId)).toBe(0);
    e.setNow('2028-01-01T00:00:00.000Z'); // k-a: 80 left
    expect(await expireDue(e.ctx, e.workspaceId)).toBe(80);
    expect(await expireDue(e.ctx, e.workspaceId)).toBe(0);
    expect((await pointsOf(e.ctx, e.workspaceId, c)).summary).toEqual({
      pending: 0,
      spendable: 30,
      spent: 70,
      expired: 80,
      lifetime: 180,
    });
    e.setNow('2026-11-23T04:00:00.000Z');
  });

  it('orders earn per yuan, pending for the return window; a refund takes them back', async () => {
    const e = env();
    const r = await syncOrderPoints(e.ctx, e.workspaceId);
    expect(r.earned).toBe(128 + 99 + 50 + 50);
    expect((await syncOrderPoints(e.ctx, e.workspaceId)).earned).toBe(0);
    const amy = await pointsOf(e.ctx, e.workspaceId, ids.amy!);
    // Order 1 was signed 2026-10-05: spendable after 7 days; order 2 is only paid: pending.
    expect(amy.summary).toMatchObject({ spendable: 128, pending: 99 });
    await debit(e.ctx, e.workspaceId, {
      customerId: ids.amy!,
      points: 100,
      kind: 'redeem',
      source: 'voucher',
      key: 'amy-r',
    });
    // Order 1 is refunded: 28 of its points are left, the other 100 were spent, nothing else is spendable.
    const store = await ensureStore(e.ctx, e.workspaceId, '积分店', 'tmall');
    await e.db.kysely.transaction().execute((trx) =>
      ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
        orderRecord({
          externalId: '1',
          createdAt: '2026-10-01T02:00:00.000Z',
          status: 'refunded',
          paidFen: 12850,
          refundedFen: 12850,
          buyer: { nick: 'amy', externalId: null, email: null, phone: '13700000001', name: null },
        }),
      ]),
    );
    const back = await syncOrderPoints(e.ctx, e.workspaceId);
    expect(back.reversed).toBe(28);
    expect((await syncOrderPoints(e.ctx, e.workspaceId)).reversed).toBe(0);
    const after = await pointsOf(e.ctx, e.workspaceId, ids.amy!);
    expect(after.summary).toMatchObject({ spendable: 0, pending: 99 });
    expect(after.entries[0]!.reason).toMatch(/100 points were already spent/);
  });

  it('order points wait for delivery plus the return window, not a fixed time after payment', async () => {
    const e = env();
    const ws = (await createWorkspace(e.ctx, '发货店')).id;
    const store = await ensureStore(e.ctx, ws, '发货店', 'tmall');
    const buyer = (nick: string) => ({ nick, externalId: null, email: null, phone: null, name: null });
    const paidAt = '2026-11-01T02:00:00.000Z';
    const ingest = (records: Parameters<typeof orderRecord>[0][]) =>
      e.db.kysely
        .transaction()
        .execute((trx) =>
          ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, records.map(orderRecord)),
        );
    const base = { createdAt: paidAt, paidAt, paidFen: 10000 };
    await ingest([
      // Paid, not shipped: 22 days after payment it is still not delivered.
      { ...base, externalId: 'p1', status: 'paid', buyer: buyer('unshipped') },
      // Shipped 11-08, no news since: taken as delivered 10 days later, spendable 7 days after that.
      { ...base, externalId: 'p2', status: 'shipped', shippedAt: '2026-11-08T02:00:00.000Z', buyer: buyer('on-way') },
      // 交易成功 with no signing time: delivered; the window counts from shipping (11-10 → 11-17).
      { ...base, externalId: 'p3', shippedAt: '2026-11-10T02:00:00.000Z', buyer: buyer('done') },
    ]);
    const id = async (nick: string) =>
      (
        await e.db.kysely
          .selectFrom('customers')
          .select('id')
          .where('workspace_id', '=', ws)
          .where('display_name', '=', nick)
          .executeTakeFirstOrThrow()
      ).id;
    e.setNow('2026-11-23T04:00:00.000Z');
    expect((await syncOrderPoints(e.ctx, ws)).earned).toBe(300);
    const unshipped = await pointsOf(e.ctx, ws, await id('unshipped'));
    expect(unshipped.summary).toMatchObject({ pending: 100, spendable: 0 });
    expect(unshipped.entries[0]).toMatchObject({ awaitingDelivery: true, availableAt: null });
    expect((await pointsOf(e.ctx, ws, await id('on-way'))).summary).toMatchObject({ pending: 100, spendable: 0 });
    expect((await pointsOf(e.ctx, ws, await id('done'))).summary).toMatchObject({ pending: 0, spendable: 100 });
    await expect(
      debit(e.ctx, ws, { customerId: await id('unshipped'), points: 1, kind: 'redeem', source: 'gift', key: 'u-1' }),
    ).rejects.toThrow(/not enough points/);

    // A later export: p1 shipped and signed on 11-12 (spendable from 11-19), p2 signed on 11-22 (from 11-29).
    await ingest([
      {
        ...base,
        externalId: 'p1',
        status: 'signed',
        shippedAt: '2026-11-05T02:00:00.000Z',
        signedAt: '2026-11-12T02:00:00.000Z',
        buyer: buyer('unshipped'),
      },
      {
        ...base,
        externalId: 'p2',
        status: 'signed',
        shippedAt: '2026-11-08T02:00:00.000Z',
        signedAt: '2026-11-22T02:00:00.000Z',
        buyer: buyer('on-way'),
      },
    ]);
    expect(await syncOrderPoints(e.ctx, ws)).toEqual({ earned: 0, reversed: 0 });
    const delivered = await pointsOf(e.ctx, ws, await id('unshipped'));
    expect(delivered.summary).toMatchObject({ pending: 0, spendable: 100 });
    expect(delivered.entries[0]).toMatchObject({ awaitingDelivery: false, availableAt: '2026-11-19T02:00:00.000Z' });
    const onWay = await pointsOf(e.ctx, ws, await id('on-way'));
    expect(onWay.summary).toMatchObject({ pending: 100, spendable: 0 });
    expect(onWay.entries[0]!.availableAt).toBe('2026-11-29T02:00:00.000Z');
  });

  it('the liability report values outstanding points by the month they expire', async () => {
    const e = env();
    const report = await liability(e.ctx, e.workspaceId);
    const total = report.items.reduce((s, i) => s + i.pending + i.spendable, 0);
    expect(total).toBe(report.totalPoints);
    expect(report.totalValueFen).toBe(report.totalPoints); // 1 point = 1 fen by default
    // ben's 30 never-expiring points become spendable on 2026-12-01: pending today.
    expect(report.items.find((i) => i.expiresIn === 'never')).toMatchObject({ pending: 30, spendable: 0 });
    // Order points earned in 2026 expire at the end of 2027 (end_of_next_year).
    expect(report.items.map((i) => i.expiresIn)).toEqual(['2027-12', 'never']);
    // The shop's report is every customer's pending and spendable points, as each customer's own ledger says.
    const each = await Promise.all(Object.values(ids).map((id) => pointsOf(e.ctx, e.workspaceId, id)));
    const sum = (k: 'pending' | 'spendable') => each.reduce((s, p) => s + p.summary[k], 0);
    expect([sum('pending'), sum('spendable')]).toEqual([
      report.items.reduce((s, i) => s + i.pending, 0),
      report.items.reduce((s, i) => s + i.spendable, 0),
    ]);
    expect(sum('spendable')).toBeGreaterThan(0);
  });

  it('over HTTP: redeeming needs an Idempotency-Key, and a retried request redeems once', async () => {
    const e = env();
    await createUser(e.ctx, e.workspaceId, { login: 'cashier', password: 'secret-pass-9' });
    const app = await buildServer(e.ctx, { dataDir: scratchDir('huike-pts-') });
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { login: 'cashier', password: 'secret-pass-9' },
      });
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const url = `/api/v1/customers/${ids.ben}/points/redeem`;
      const missing = await app.inject({
        method: 'POST',
        url,
        payload: { points: 5 },
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error.message).toMatch(/Idempotency-Key/);
      const first = await app.inject({
        method: 'POST',
        url,
        payload: { points: 5 },
        headers: { 'x-huike-client': 'test', cookie, 'idempotency-key': 'till-42' },
      });
      const retry = await app.inject({
        method: 'POST',
        url,
        payload: { points: 5 },
        headers: { 'x-huike-client': 'test', cookie, 'idempotency-key': 'till-42' },
      });
      expect(first.statusCode).toBe(201);
      expect(retry.json().id).toBe(first.json().id);
      expect(retry.json().replayed).toBe(true);
      const too = await app.inject({
        method: 'POST',
        url,
        payload: { points: 100000 },
        headers: { 'x-huike-client': 'test', cookie, 'idempotency-key': 'till-43' },
      });
      expect(too.statusCode).toBe(400);
      expect(too.json().error.details).toMatchObject({ spendable: expect.any(Number) });
      const bal = await app.inject({
        method: 'GET',
        url: `/api/v1/customers/${ids.ben}/points`,
        headers: { 'x-huike-client': 'test', cookie },
      });
      expect(bal.json().summary.spent).toBe(75);
    } finally {
      await app.close();
    }
  });
});
