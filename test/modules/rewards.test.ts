import { beforeAll, expect, it } from 'vitest';
import { createTemplate, customerCoupons } from '../../src/modules/coupons/service.js';
import { createReward, grantToSegment, redeemReward, voidRedemption } from '../../src/modules/points/rewards.js';
import { credit, pointsOf, setPointsSettings, syncOrderPoints } from '../../src/modules/points/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { describeBothDatabases } from '../helpers.js';
import { orderRecord } from '../support/records.js';

describeBothDatabases('points rewards', (env) => {
  const ids: string[] = [];
  beforeAll(async () => {
    const e = env();
    e.setNow('2026-11-23T04:00:00.000Z');
    const store = await ensureStore(e.ctx, e.workspaceId, '兑换店', 'tmall');
    await e.db.kysely.transaction().execute((trx) =>
      ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
        orderRecord({
          externalId: '1',
          createdAt: '2026-10-01T02:00:00.000Z',
          paidFen: 100,
          buyer: { nick: 'p1', externalId: null, email: null, phone: null, name: null },
        }),
        orderRecord({
          externalId: '2',
          createdAt: '2026-10-01T02:00:00.000Z',
          paidFen: 100,
          buyer: { nick: 'p2', externalId: null, email: null, phone: null, name: null },
        }),
      ]),
    );
    ids.push(
      ...(
        await e.db.kysely
          .selectFrom('customers')
          .select('id')
          .where('workspace_id', '=', e.workspaceId)
          .orderBy('display_name')
          .execute()
      ).map((r) => r.id),
    );
    for (const c of ids)
      await credit(e.ctx, e.workspaceId, {
        customerId: c,
        points: 1000,
        kind: 'earn',
        source: 'grant',
        expiresAt: '2027-12-31T16:00:00.000Z',
        key: `seed-${c}`,
      });
  });

  it('a gift takes stock and points together; without enough points nothing is taken', async () => {
    const e = env();
    const gift = await createReward(e.ctx, e.workspaceId, { name: '帆布袋', kind: 'gift', pointsCost: 600, stock: 1 });
    await expect(redeemReward(e.ctx, e.workspaceId, gift.id, ids[0]!, 'g-0', null)).resolves.toMatchObject({
      status: 'redeemed',
    });
    await expect(redeemReward(e.ctx, e.workspaceId, gift.id, ids[1]!, 'g-1', null)).rejects.toThrow(
      /"帆布袋" is out of stock/,
    );
    expect((await pointsOf(e.ctx, e.workspaceId, ids[1]!)).summary.spendable).toBe(1000);
    const pricey = await createReward(e.ctx, e.workspaceId, {
      name: '真丝眼罩',
      kind: 'gift',
      pointsCost: 5000,
      stock: 3,
    });
    await expect(redeemReward(e.ctx, e.workspaceId, pricey.id, ids[1]!, 'g-2', null)).rejects.toThrow(
      /not enough points/,
    );
    const still = await e.db.kysely
      .selectFrom('rewards')
      .select('stock')
      .where('id', '=', pricey.id)
      .executeTakeFirstOrThrow();
    expect(still.stock).toBe(3);
  });

  it('a cash voucher becomes a coupon; voiding it returns the points with their old expiry', async () => {
    const e = env();
    const tpl = await createTemplate(e.ctx, e.workspaceId, {
      name: '5元无门槛',
      rules: { kind: 'cash', offFen: 500 },
      validity: { days: 30 },
    });
    await expect(
      createReward(e.ctx, e.workspaceId, { name: '坏券', kind: 'cash_voucher', pointsCost: 500 }),
    ).rejects.toThrow(/couponTemplateId/);
    // An empty id is refused as input (it reached the insert: a foreign-key failure, 500).
    for (const kind of ['cash_voucher', 'gift'])
      await expect(
        createReward(e.ctx, e.workspaceId, { name: '空券', kind, pointsCost: 500, couponTemplateId: '' }),
      ).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/couponTemplateId/) });
    const voucher = await createReward(e.ctx, e.workspaceId, {
      name: '5元券',
      kind: 'cash_voucher',
      pointsCost: 500,
      couponTemplateId: tpl.id,
    });
    const r = await redeemReward(e.ctx, e.workspaceId, voucher.id, ids[1]!, 'v-1', null);
    expect(r.couponId).not.toBeNull();
    const retry = await redeemReward(e.ctx, e.workspaceId, voucher.id, ids[1]!, 'v-1', null);
    expect([retry.id, retry.replayed]).toEqual([r.id, true]);
    expect((await customerCoupons(e.ctx, e.workspaceId, ids[1]!)).map((c) => [c.name, c.status])).toEqual([
      ['5元无门槛', 'issued'],
    ]);
    expect((await pointsOf(e.ctx, e.workspaceId, ids[1]!)).summary.spendable).toBe(500);
    const v = await voidRedemption(e.ctx, e.workspaceId, r.id);
    expect(v.pointsReturned).toBe(500);
    const after = await pointsOf(e.ctx, e.workspaceId, ids[1]!);
    expect(after.summary.spendable).toBe(1000);
    expect(after.entries[0]).toMatchObject({ kind: 'adjust', source: 'refund', expiresAt: '2027-12-31T16:00:00.000Z' });
    expect((await customerCoupons(e.ctx, e.workspaceId, ids[1]!))[0]!.status).toBe('void');
    await expect(voidRedemption(e.ctx, e.workspaceId, r.id)).rejects.toThrow(/already voided/);
  });

  it('grants points to a whole segment once per customer', async () => {
    const e = env();
    const rule = { field: 'paid_orders', op: '>=', value: 1 };
    expect(await grantToSegment(e.ctx, e.workspaceId, rule, 50, 'anniversary-2026', '店庆')).toEqual({
      granted: 2,
      already: 0,
      erased: 0,
    });
    expect(await grantToSegment(e.ctx, e.workspaceId, rule, 50, 'anniversary-2026', '店庆')).toEqual({
      granted: 0,
      already: 2,
      erased: 0,
    });
    expect((await pointsOf(e.ctx, e.workspaceId, ids[0]!)).summary.lifetime).toBe(1050);
  });

  it("order points use the member tier's earn rate", async () => {
    const e = env();
    // A point worth 1e308 fen was stored, and the liability report's value became Infinity (500) until changed back.
    await expect(setPointsSettings(e.ctx, e.workspaceId, { pointValueFen: 1e308 })).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/pointValueFen/),
    });
    await setPointsSettings(e.ctx, e.workspaceId, { perYuan: 1, perYuanByTier: { gold: 3 } });
    await e.db.kysely
      .insertInto('member_tiers')
      .values({
        workspace_id: e.workspaceId,
        customer_id: ids[0]!,
        tier_key: 'gold',
        floor_key: null,
        cycle_started_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      })
      .execute();
    const r = await syncOrderPoints(e.ctx, e.workspaceId);
    // Both orders are ¥1.00: the gold member earns 3, the other 1.
    expect(r.earned).toBe(4);
  });
});
