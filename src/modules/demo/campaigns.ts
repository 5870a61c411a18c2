import type { OrderRecord } from '../../core/formats/types.js';
import { Random } from '../../core/random.js';
import { DAY_MS } from '../../core/time.js';
import { launchCampaign, createCampaign } from '../campaigns/service.js';
import { planCampaign } from '../campaigns/plan.js';
import { type AppContext, chunks } from '../context.js';
import { createTemplate, expireCoupons } from '../coupons/service.js';
import { defaultChannel } from '../messaging/channels.js';
import { setMessagingSettings } from '../messaging/service.js';
import { ingestBatch } from '../orders/ingest.js';
import { listSegments } from '../segments/service.js';
import type { Store } from '../../db/types.js';
import { isQueued } from '../messaging/queue.js';

/**
 * Past campaigns for the demo shop, sent through the real plan (rules, hold-out, coupons) on a
 * clock set back to their launch day, delivered to the outbox, and followed by the orders that make
 * their reports look like a real shop's: recipients buy within the week at a higher rate than the
 * hold-out control (a coupon campaign more so), so conversion, lift and ROI have something to show.
 */
interface DemoCampaign {
  name: string;
  daysAgo: number;
  segment: string;
  holdoutPct: number;
  coupon: boolean;
  variants: { key: string; weight: number; content: { text: string } }[];
  /**
   * Chance of an extra order in the week after, on top of the shop's own: treated (per variant key) and control.
   * A real shop's hold-out buys too: its own repeat buyers order within a week anyway (a tenth to a third of these
   * segments, nothing extra needed), and some sleeping customers come back unasked, so the control group gets a
   * small chance of its own. Recipients get a few points more, as an SMS to a warm segment does (a coupon a little
   * more): lift of 3–6 points and, at 5 fen a message, an ROI of hundreds rather than thousands. A small demo's
   * control group is a dozen or two, so one campaign may show recipients below their control by chance, as a
   * small shop's would; the 20,000-customer demo shows each above.
   */
  treated: Record<string, number>;
  control: number;
}

const CAMPAIGNS: DemoCampaign[] = [
  {
    name: '老客回归 · 专享券',
    daysAgo: 45,
    segment: '高价值沉睡客户',
    holdoutPct: 20,
    coupon: true,
    variants: [
      { key: 'A', weight: 1, content: { text: '#客户昵称#，好久不见！送您#优惠券金额#元回归券 #优惠券#，7 天内有效' } },
    ],
    treated: { A: 0.07 },
    control: 0.025,
  },
  {
    name: '会员日 · 满减 A/B',
    daysAgo: 25,
    segment: '金卡以上且同意营销',
    holdoutPct: 20,
    coupon: false,
    variants: [
      { key: 'A', weight: 1, content: { text: '#客户昵称#，会员日全场满 300 减 40，今晚 24 点结束' } },
      { key: 'B', weight: 1, content: { text: '#客户昵称#，您的#会员等级#专享：会员日满 300 减 40' } },
    ],
    treated: { A: 0.05, B: 0.08 },
    control: 0.01,
  },
  {
    name: '双12 预热',
    daysAgo: 12,
    segment: '江浙沪女装复购客',
    holdoutPct: 20,
    coupon: false,
    variants: [{ key: 'A', weight: 1, content: { text: '#客户昵称#，双12 新款抢先看，老客加购立减 20' } }],
    treated: { A: 0.045 },
    control: 0.01,
  },
];

const TITLES = ['羊毛混纺大衣', '真丝衬衫', '针织开衫', '高腰阔腿裤', '羊绒围巾', '连衣裙'];

export async function seedDemoCampaigns(ctx: AppContext, ws: string, store: Store, seed: number): Promise<void> {
  const k = ctx.db.kysely;
  const rnd = new Random(seed + 12);
  await setMessagingSettings(ctx, ws, { smsSignature: '回客旗舰店' });
  const channel = await defaultChannel(ctx, ws);
  const segments = await listSegments(ctx, ws);
  const coupon = await createTemplate(ctx, ws, {
    name: '短信专享 满150减25',
    rules: { kind: 'spend_off', minFen: 15_000, offFen: 2_500 },
    validity: { days: 7 },
  });
  let seq = 0;
  for (const d of CAMPAIGNS) {
    const segment = segments.find((s) => s.name === d.segment);
    if (!segment) continue;
    // 10:00 in Shanghai on the launch day, inside the morning send window.
    const day = new Date(ctx.now().getTime() - d.daysAgo * DAY_MS);
    const launchAt = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 2, 0, 0));
    const then: AppContext = { ...ctx, now: () => launchAt };
    const c = await createCampaign(
      then,
      ws,
      {
        name: d.name,
        segmentId: segment.id,
        channelId: channel.id,
        holdoutPct: d.holdoutPct,
        seed: `demo-${d.name}`,
        variants: d.variants,
        couponTemplateId: d.coupon ? coupon.id : null,
      },
      null,
    );
    await launchCampaign(then, ws, c.id);
    await planCampaign(then, ws, c.id);
    const sentAt = launchAt.toISOString();
    // The outbox "sends" at once; the campaign is done.
    await k
      .updateTable('messages')
      .set({ status: 'sent', sent_at: sentAt, updated_at: sentAt })
      .where('workspace_id', '=', ws)
      .where('source_type', '=', 'campaign')
      .where('source_id', '=', c.id)
      .where(isQueued)
      .execute();
    await k
      .updateTable('campaigns')
      .set({ status: 'done', finished_at: sentAt, updated_at: sentAt })
      .where('workspace_id', '=', ws)
      .where('id', '=', c.id)
      .execute();
    await k
      .updateTable('jobs')
      .set({ status: 'done', finished_at: sentAt, updated_at: sentAt })
      .where('workspace_id', '=', ws)
      .where('kind', '=', 'campaign.deliver')
      .where('status', '=', 'queued')
      .execute();
    // Who was drawn where, and their buyer nick on this store (so the orders land on the same customer).
    const drawn = await k
      .selectFrom('campaign_recipients as r')
      .innerJoin('customer_identities as i', (j) =>
        j.onRef('i.workspace_id', '=', 'r.workspace_id').onRef('i.customer_id', '=', 'r.customer_id'),
      )
      .innerJoin('customers as c', (j) =>
        j.onRef('c.workspace_id', '=', 'r.workspace_id').onRef('c.id', '=', 'r.customer_id'),
      )
      .select(['r.customer_id', 'r.grp', 'i.value as nick', 'c.phone', 'c.real_name', 'c.province'])
      .where('r.workspace_id', '=', ws)
      .where('r.campaign_id', '=', c.id)
      .where('i.kind', '=', 'nick')
      .where('i.scope', '=', 'taobao')
      .orderBy('r.customer_id')
      .orderBy('i.value')
      .execute();
    // The coupon each recipient was sent (recipients a rule held back got none): their order names its code
    // and the coupon is marked used by that order, so the coupon's issued/used agree with the campaign's orders.
    const couponOf = new Map<string, { id: string; code: string }>();
    if (d.coupon)
      for (const row of await k
        .selectFrom('coupons')
        .select(['id', 'customer_id', 'code'])
        .where('workspace_id', '=', ws)
        .where('template_id', '=', coupon.id)
        .where('source', '=', 'campaign')
        .where('idempotency_key', 'like', `campaign:${c.id}:%`)
        .execute())
        couponOf.set(row.customer_id, { id: row.id, code: row.code });
    const redeemed: { couponId: string; externalId: string; at: string }[] = [];
    const seen = new Set<string>();
    const records: OrderRecord[] = [];
    for (const p of drawn) {
      if (seen.has(p.customer_id)) continue;
      seen.add(p.customer_id);
      const chance = p.grp === 'control' ? d.control : (d.treated[p.grp] ?? 0);
      if (!rnd.chance(chance)) continue;
      const created = launchAt.getTime() + rnd.int(1, 6 * 24) * 3_600_000;
      const price = rnd.int(180, 620) * 100;
      const held = p.grp !== 'control' ? couponOf.get(p.customer_id) : undefined;
      const off = held && price >= 15_000 ? 2_500 : 0;
      seq += 1;
      const at = new Date(created).toISOString();
      const externalId = String(3_990_000_000_000_000_000n + BigInt(seq) * 7919n);
      if (held && off > 0) redeemed.push({ couponId: held.id, externalId, at });
      records.push({
        line: seq,
        externalId,
        couponCode: off > 0 ? (held?.code ?? null) : null,
        status: 'completed',
        platformStatus: null,
        createdAt: at,
        paidAt: at,
        shippedAt: new Date(created + DAY_MS).toISOString(),
        signedAt: new Date(created + 3 * DAY_MS).toISOString(),
        closedAt: null,
        goodsFen: price,
        shippingFen: 0,
        discountFen: off,
        totalFen: price - off,
        paidFen: price - off,
        refundedFen: 0,
        buyer: { nick: p.nick, externalId: null, email: null, phone: p.phone, name: p.real_name },
        receiverName: p.real_name,
        receiverPhone: p.phone,
        province: p.province,
        city: null,
        district: null,
        address: null,
        buyerMessage: null,
        sellerNote: null,
        source: '短信营销',
        activity: null,
        title: rnd.pick(TITLES),
        itemCount: 1,
        acceptsMarketing: null,
        items: [
          {
            lineKey: '1',
            title: null,
            sku: null,
            externalItemId: null,
            category: '女装',
            quantity: 1,
            priceFen: price,
            paidFen: price - off,
            refundStatus: null,
          },
        ],
        raw: {},
      });
    }
    for (let i = 0; i < records.length; i += 2000)
      await k
        .transaction()
        .execute((trx) =>
          ingestBatch(ctx, trx, { store, runId: null, consentSource: 'demo' }, records.slice(i, i + 2000)),
        );
    await redeemCoupons(ctx, ws, store.id, redeemed);
  }
  // Coupons past their validity now are closed, as the nightly job would on the first night: the campaign's coupons
  // not used within their 7 days, and the 新人券 issued 35 days ago for 30 days (marketing.ts).
  await expireCoupons(ctx, ws);
}

/** Marks each coupon used by the demo order that named it (as the nightly match would), in one transaction. */
async function redeemCoupons(
  ctx: AppContext,
  ws: string,
  storeId: string,
  redeemed: { couponId: string; externalId: string; at: string }[],
): Promise<void> {
  if (redeemed.length === 0) return;
  await ctx.db.kysely.transaction().execute(async (trx) => {
    const orderId = new Map<string, string>();
    for (const part of chunks(
      redeemed.map((r) => r.externalId),
      900,
    ))
      for (const o of await trx
        .selectFrom('orders')
        .select(['id', 'external_id'])
        .where('workspace_id', '=', ws)
        .where('store_id', '=', storeId)
        .where('external_id', 'in', part)
        .execute())
        orderId.set(o.external_id, o.id);
    for (const r of redeemed) {
      const id = orderId.get(r.externalId);
      if (!id) continue;
      await trx
        .updateTable('coupons')
        .set({ status: 'used', used_at: r.at, order_id: id, discount_fen: 2_500 })
        .where('workspace_id', '=', ws)
        .where('id', '=', r.couponId)
        .where('status', '=', 'issued')
        .execute();
    }
  });
}
