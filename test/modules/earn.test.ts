import { beforeAll, expect, it } from 'vitest';
import { DEFAULT_TIERS } from '../../src/core/tiers.js';
import { renderReason } from '../../src/core/reasons.js';
import { recordReview } from '../../src/modules/feedback/service.js';
import { evaluateUpgrades, memberTier, setTierFloor, setTierSettings } from '../../src/modules/membership/service.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { referral, signIn } from '../../src/modules/points/earn.js';
import { pointsOf, syncOrderPoints } from '../../src/modules/points/service.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { customerTimeline } from '../../src/modules/customers/timeline.js';
import { describeBothDatabases } from '../helpers.js';
import { orderRecord } from '../support/records.js';

/**
 * Points and growth outside orders, on 2026-11-23 12:00 Shanghai:
 *   gao  bought a ¥60 coat (女装/大衣), delivered 11-20; and ¥40 of 美妆, delivered 11-10
 *   hu   bought ¥100 on 11-05, birthday in November, gold by staff
 *   jin  never bought
 */
describeBothDatabases('earn rules, reviews and growth', (env) => {
  const id: Record<string, string> = {};
  const order: Record<string, string> = {};
  beforeAll(async () => {
    const e = env();
    e.setNow('2026-11-23T04:00:00.000Z');
    const store = await ensureStore(e.ctx, e.workspaceId, '积分规则店', 'tmall');
    const buyer = (nick: string) => ({ nick, externalId: null, email: null, phone: null, name: null });
    const item = (category: string, fen: number) => [
      {
        lineKey: 'L1',
        title: category,
        sku: null,
        externalItemId: null,
        category,
        quantity: 1,
        priceFen: fen,
        paidFen: fen,
        refundStatus: null,
      },
    ];
    await e.db.kysely.transaction().execute((trx) =>
      ingestBatch(e.ctx, trx, { store, runId: null, consentSource: 'test' }, [
        orderRecord({
          externalId: 'G1',
          createdAt: '2026-11-15T02:00:00.000Z',
          paidFen: 6000,
          status: 'signed',
          signedAt: '2026-11-20T02:00:00.000Z',
          buyer: buyer('gao'),
          items: item('女装/大衣', 6000),
        }),
        orderRecord({
          externalId: 'G2',
          createdAt: '2026-11-05T02:00:00.000Z',
          paidFen: 4000,
          status: 'signed',
          signedAt: '2026-11-10T02:00:00.000Z',
          buyer: buyer('gao'),
          items: item('美妆', 4000),
        }),
        orderRecord({
          externalId: 'H1',
          createdAt: '2026-11-05T02:00:00.000Z',
          paidFen: 10000,
          status: 'signed',
          signedAt: '2026-11-08T02:00:00.000Z',
          buyer: buyer('hu'),
        }),
        orderRecord({
          externalId: 'J0',
          createdAt: '2026-11-05T02:00:00.000Z',
          paidFen: 0,
          status: 'created',
          paidAt: null,
          buyer: buyer('jin'),
        }),
      ]),
    );
    for (const c of await e.db.kysely
      .selectFrom('customers')
      .select(['id', 'display_name'])
      .where('workspace_id', '=', e.workspaceId)
      .execute())
      id[c.display_name] = c.id;
    for (const o of await e.db.kysely
      .selectFrom('orders')
      .select(['id', 'external_id'])
      .where('workspace_id', '=', e.workspaceId)
      .execute())
      order[o.external_id] = o.id;
    await e.db.kysely.updateTable('customers').set({ birthday: '1990-11-30' }).where('id', '=', id.hu!).execute();
  });

  it('sign-in earns once per local day of the shop', async () => {
    const e = env();
    const a = await signIn(e.ctx, e.workspaceId, id.jin!, '2026-11-23T15:59:00.000Z');
    const again = await signIn(e.ctx, e.workspaceId, id.jin!, '2026-11-23T02:00:00.000Z');
    const next = await signIn(e.ctx, e.workspaceId, id.jin!, '2026-11-23T16:01:00.000Z');
    expect([a.points, again.replayed, again.id === a.id, next.replayed]).toEqual([5, true, true, false]);
    expect((await pointsOf(e.ctx, e.workspaceId, id.jin!)).summary.lifetime).toBe(10);
  });

  it('a referral pays the referrer once per referred customer; a second claim on them is refused', async () => {
    const e = env();
    const r = await referral(e.ctx, e.workspaceId, id.gao!, id.jin!, null);
    expect(r.points).toBe(100);
    expect((await referral(e.ctx, e.workspaceId, id.gao!, id.jin!, null)).replayed).toBe(true);
    await expect(referral(e.ctx, e.workspaceId, id.hu!, id.jin!, null)).rejects.toThrow(/already used/);
    await expect(referral(e.ctx, e.workspaceId, id.gao!, id.gao!, null)).rejects.toThrow(/refer themselves/);
  });

  it(
    'a photo review adds 50 growth and, within 5 days of delivery, ' +
      'points; a tier on growth rises; a repeat changes nothing',
    async () => {
      const e = env();
      // 银卡 by growth ≥ 100 only; gao's ¥100 spend gives 100 growth, the coat ×2 gives 60 more.
      await setTierSettings(e.ctx, e.workspaceId, {
        ...DEFAULT_TIERS,
        tiers: DEFAULT_TIERS.tiers.map((t, i) =>
          i === 1 ? { ...t, spend12mFen: null, totalSpentFen: null, growth: 200 } : t,
        ),
        growthMultipliers: [{ category: '女装', multiplier: 2 }],
      });
      await evaluateUpgrades(e.ctx, e.workspaceId);
      expect(await memberTier(e.ctx, e.workspaceId, id.gao!)).toMatchObject({ tier: { key: 'regular' }, growth: 160 });
      const fresh = await recordReview(e.ctx, e.workspaceId, id.gao!, {
        orderId: order.G1,
        rating: 'good',
        hasPhoto: true,
        body: '版型很正',
        reviewedAt: '2026-11-23T04:00:00.000Z',
      });
      expect(fresh).toMatchObject({
        replayed: false,
        points: 20,
        pointsRefused: null,
        pointsRefusedWhy: null,
        growth: 50,
        markedBadReviewer: false,
      });
      const t = await memberTier(e.ctx, e.workspaceId, id.gao!);
      expect(t).toMatchObject({ tier: { key: 'silver' }, growth: 210 });
      expect(t.history[0]!.reason).toMatch(/qualify for 银卡/);
      const late = await recordReview(e.ctx, e.workspaceId, id.gao!, {
        orderId: order.G2,
        rating: 'neutral',
        hasPhoto: true,
        reviewedAt: '2026-11-23T04:00:00.000Z',
      });
      expect(late).toMatchObject({
        points: 0,
        pointsRefused: 'reviewed 13 days after delivery (the rule is within 5)',
        growth: 50,
      });
      // The same refusal as a code, so the console can word it in Chinese.
      expect(renderReason(late.pointsRefusedWhy!, 'zh-CN')).toMatch(/13/);
      expect(renderReason(late.pointsRefusedWhy!, 'zh-CN')).toMatch(/\p{Script=Han}/u);
      const repeat = await recordReview(e.ctx, e.workspaceId, id.gao!, {
        orderId: order.G1,
        rating: 'good',
        hasPhoto: true,
      });
      expect(repeat).toMatchObject({ id: fresh.id, replayed: true, points: 20, growth: 0 });
      expect(
        (await pointsOf(e.ctx, e.workspaceId, id.gao!)).entries.filter((x) => x.source === 'photo_review'),
      ).toHaveLength(1);
      expect((await memberTier(e.ctx, e.workspaceId, id.gao!)).growth).toBe(260);
      const timeline = await customerTimeline(e.ctx, e.workspaceId, id.gao!);
      expect(
        timeline
          .filter((x) => x.kind.startsWith('review.'))
          .map((x) => x.title)
          .sort(),
      ).toEqual(['中评（有图）', '好评（有图）'].sort());
      // The source names where the points come from; the server's reason (with internal ids) is not shown.
      expect(timeline.filter((x) => x.kind === 'points.earn').map((x) => [x.title, x.detail, x.params])).toEqual(
        expect.arrayContaining([
          ['获得积分 +20', null, { points: 20, source: 'photo_review' }],
          ['获得积分 +100', null, { points: 100, source: 'referral' }],
        ]),
      );
      expect(timeline.find((x) => x.kind === 'tier.changed')?.title).toBe('等级 普通会员 → 银卡');
    },
  );

  it('a bad review marks the customer a bad reviewer; a review of someone else’s order is refused', async () => {
    const e = env();
    await expect(recordReview(e.ctx, e.workspaceId, id.jin!, { orderId: order.H1, rating: 'good' })).rejects.toThrow(
      /belongs to another customer/,
    );
    await expect(recordReview(e.ctx, e.workspaceId, id.jin!, { rating: 'good' })).rejects.toThrow(/orderId/);
    const r = await recordReview(e.ctx, e.workspaceId, id.hu!, {
      orderId: order.H1,
      rating: 'bad',
      hasPhoto: true,
      body: '色差',
    });
    expect(r).toMatchObject({ markedBadReviewer: true, points: 0, growth: 0 });
    const c = await e.db.kysely
      .selectFrom('customers')
      .select('is_bad_reviewer')
      .where('id', '=', id.hu!)
      .executeTakeFirstOrThrow();
    expect(c.is_bad_reviewer).toBe(1);
  });

  it('order points in the birthday month use the tier’s birthday multiplier', async () => {
    const e = env();
    await setTierFloor(e.ctx, e.workspaceId, id.hu!, 'gold', 'VIP by staff', null);
    await syncOrderPoints(e.ctx, e.workspaceId);
    const hu = (await pointsOf(e.ctx, e.workspaceId, id.hu!)).entries.find((x) => x.orderId === order.H1)!;
    // ¥100 × 1 point per yuan × 金卡's birthday ×2.
    expect([hu.points, hu.reason]).toEqual([200, `order ${order.H1} (birthday month ×2)`]);
    const gao = (await pointsOf(e.ctx, e.workspaceId, id.gao!)).entries.find((x) => x.orderId === order.G1)!;
    expect(gao.points).toBe(60);
  });
});
