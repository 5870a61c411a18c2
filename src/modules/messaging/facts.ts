import { type Kysely, sql } from 'kysely';
import { couponAmountText, type CouponRules } from '../../core/coupons.js';
import type { Database } from '../../db/types.js';
import { readJson } from '../../db/json.js';
import type { Consent, CustomerFacts } from '../../core/messaging/decide.js';
import type { TemplateValues } from '../../core/messaging/templates.js';
import { timestampCast } from '../../db/dates.js';
import { inIds, notIndexed } from '../../db/in-list.js';
import { chunks, type AppContext } from '../context.js';
import { getTierSettings } from '../membership/service.js';
import { pointsOf } from '../points/service.js';
import { workspaceTimezone } from '../workspaces/service.js';

/** What the send decision and the template need to know about one customer. */
export interface Recipient {
  facts: CustomerFacts;
  /** When marketing went (or is queued to go) to this customer, from every other source. */
  marketingAt: string[];
  values: TemplateValues;
}

const CONSENTS = new Set(['granted', 'denied', 'unknown']);

/** The variables a coupon issued with the message fills, not the customer's own coupon (loaded otherwise). */
export const ISSUED_COUPON_VARIABLES: ReadonlySet<string> = new Set(['优惠券', '优惠券金额']);

/** What a coupon issued with the message fills in: its code (#优惠券#) and its amount (#优惠券金额#). */
export function issuedCouponValues(coupon: { rules: CouponRules }, code: string) {
  return { 优惠券: code, 优惠券金额: couponAmountText(coupon.rules) };
}

/**
 * Loads customers' facts, contact history and the template values the text uses, a few queries
 * per batch (never one per customer, except points and tier when the text names them).
 */
export async function loadRecipients(
  ctx: AppContext,
  ws: string,
  ids: readonly string[],
  opts: RecipientOptions,
): Promise<Map<string, Recipient>> {
  const out = new Map<string, Recipient>();
  for (const part of chunks(ids, 500)) {
    const rows = await recipientBase(ctx.db.kysely, ws).where('c.id', 'in', part).execute();
    for (const [id, r] of await enrichRecipients(ctx, ws, rows, opts)) out.set(id, r);
  }
  return out;
}

export interface RecipientOptions {
  variables: ReadonlySet<string>;
  exclude?: { sourceType: string; sourceId: string };
  /** The facts decide() does not need for this medium are not loaded (buyer nicks off the hand-off). */
  medium?: string;
  /** Care messages are not capped: their contact history is not loaded. */
  kind?: string;
}

/**
 * What the send decision and the templates read of a recipient: the customer (c), its stats (s), its first
 * store (st) and its tier (mt). The campaign plan's chunk read selects the same, from its recipients.
 */
export const RECIPIENT_COLUMNS = [
  'c.display_name',
  'c.real_name',
  'c.phone',
  'c.email',
  'c.wechat',
  'c.marketing_consent',
  'c.is_blacklisted',
  'c.is_bad_reviewer',
  'c.is_picky',
  'c.opt_out_sms',
  'c.opt_out_email',
  'c.opt_out_wechat',
  's.last_paid_at',
  'st.name as store_name',
  'st.timezone as store_zone',
  'mt.tier_key',
] as const;

/** Customers with their stats, first store and tier: one row per customer, the base of a batch's facts. */
export function recipientBase(k: Kysely<Database>, ws: string) {
  return k
    .selectFrom('customers as c')
    .leftJoin('customer_stats as s', (j) =>
      j.onRef('s.workspace_id', '=', 'c.workspace_id').onRef('s.customer_id', '=', 'c.id'),
    )
    .leftJoin('stores as st', (j) =>
      j.onRef('st.workspace_id', '=', 'c.workspace_id').onRef('st.id', '=', 'c.first_store_id'),
    )
    .leftJoin('member_tiers as mt', (j) =>
      j.onRef('mt.workspace_id', '=', 'c.workspace_id').onRef('mt.customer_id', '=', 'c.id'),
    )
    .select(['c.id', ...RECIPIENT_COLUMNS])
    .where('c.workspace_id', '=', ws);
}

export type RecipientRow = Awaited<ReturnType<ReturnType<typeof recipientBase>['execute']>>[number];

/**
 * The rest of a batch's facts, a few queries for the whole batch (never one per customer, except
 * points when the text names them): buyer nicks, contact history, latest order, open coupon.
 */
export async function enrichRecipients(
  ctx: AppContext,
  ws: string,
  rows: readonly RecipientRow[],
  opts: RecipientOptions,
): Promise<Map<string, Recipient>> {
  const k = ctx.db.kysely;
  const out = new Map<string, Recipient>();
  if (rows.length === 0) return out;
  const zone = await workspaceTimezone(k, ws);
  const tiers = opts.variables.has('会员等级') ? await getTierSettings(ctx, ws) : null;
  const part = rows.map((r) => r.id);
  const among = (column: string) => inIds(ctx.db.dialect, column, part);
  const nicks = new Map<string, string>();
  if (!opts.medium || opts.medium === 'platform')
    for (const r of await k
      .selectFrom('customer_identities')
      .select(['customer_id', 'value'])
      .where('workspace_id', '=', ws)
      .where(among('customer_id'))
      .where(notIndexed(ctx.db.dialect, 'kind'), '=', 'nick')
      .orderBy('created_at')
      .execute())
      if (!nicks.has(r.customer_id)) nicks.set(r.customer_id, r.value);
  const history = new Map<string, string[]>();
  if (opts.kind !== 'care') {
    let hq = k
      .selectFrom('messages')
      .select(['customer_id', sql<string>`coalesce(sent_at, send_at, created_at)`.as('at')])
      .where('workspace_id', '=', ws)
      .where(among('customer_id'))
      .where('kind', '=', 'marketing')
      .where('status', 'in', ['queued', 'sent']);
    // PostgreSQL: the batch's own first and last id bound the index scan too (the same rows: every id of the
    // list lies between them; taken in SQL, so in the column's collation). With `= ANY` of 5,000 ids alone the
    // planner walked messages_source_idx (since replaced by the queue index, migration 0067) on (workspace,
    // status) — every queued or sent message of the workspace, filtered — instead of messages_customer_idx
    // (EXPLAIN at 360k messages: 150 ms against 7.8 ms); this read took 186 ms a chunk on average in the
    // campaign plan at 1M customers (33.6 s of a 65 s plan, more than the inserts), 24 ms with the bounds
    // (campaign bench, README Campaigns).
    if (ctx.db.dialect === 'postgres')
      hq = hq
        .where('customer_id', '>=', sql<string>`(SELECT min(x) FROM unnest(${part}::text[]) AS x)`)
        .where('customer_id', '<=', sql<string>`(SELECT max(x) FROM unnest(${part}::text[]) AS x)`);
    if (opts.exclude) {
      const ex = opts.exclude;
      hq = hq.where((eb) => eb.or([eb('source_type', '!=', ex.sourceType), eb('source_id', '!=', ex.sourceId)]));
    }
    for (const r of await hq.execute()) {
      const list = history.get(r.customer_id) ?? [];
      list.push(typeof r.at === 'string' ? r.at : new Date(r.at).toISOString());
      history.set(r.customer_id, list);
    }
  }
  const latestOrder = new Map<string, { external_id: string; title: string | null }>();
  if (opts.variables.has('订单号') || opts.variables.has('商品名')) {
    for (const o of await k
      .selectFrom('orders')
      .select(['customer_id', 'external_id', 'title'])
      .where('workspace_id', '=', ws)
      .where(among('customer_id'))
      .orderBy('created_at', 'desc')
      .execute())
      if (o.customer_id && !latestOrder.has(o.customer_id)) latestOrder.set(o.customer_id, o);
  }
  const coupon = new Map<string, { code: string; amount: string | null }>();
  if (opts.variables.has('优惠券') || opts.variables.has('优惠券金额')) {
    for (const c of await k
      .selectFrom('coupons as cp')
      .innerJoin('coupon_templates as t', (j) =>
        j.onRef('t.workspace_id', '=', 'cp.workspace_id').onRef('t.id', '=', 'cp.template_id'),
      )
      .select(['cp.customer_id', 'cp.code', 'cp.value_fen', 't.rules'])
      .where('cp.workspace_id', '=', ws)
      .where(among('cp.customer_id'))
      .where('cp.status', '=', 'issued')
      .where(sql<boolean>`cp.valid_to > ${ctx.now().toISOString()}${timestampCast(ctx.db.dialect)}`)
      .orderBy('cp.issued_at', 'desc')
      .execute())
      if (!coupon.has(c.customer_id))
        coupon.set(c.customer_id, {
          code: c.code,
          amount: couponAmountText(readJson<CouponRules>(c.rules), c.value_fen),
        });
  }
  for (const r of rows) {
    const cp = coupon.get(r.id);
    const values: TemplateValues = {
      客户昵称: r.display_name,
      姓名: r.real_name,
      店铺名: r.store_name,
      订单号: latestOrder.get(r.id)?.external_id,
      商品名: latestOrder.get(r.id)?.title,
      优惠券: cp?.code,
      优惠券金额: cp?.amount ?? null,
      会员等级: tiers?.tiers.find((t) => t.key === r.tier_key)?.name ?? null,
    };
    if (opts.variables.has('积分')) values.积分 = (await pointsOf(ctx, ws, r.id)).summary.spendable;
    out.set(r.id, {
      facts: {
        id: r.id,
        consent: (CONSENTS.has(r.marketing_consent) ? r.marketing_consent : 'unknown') as Consent,
        lastPaidAt: r.last_paid_at ?? null,
        phone: r.phone,
        email: r.email,
        wechat: r.wechat,
        platformHandle: nicks.get(r.id) ?? null,
        optOut: { sms: r.opt_out_sms === 1, email: r.opt_out_email === 1, wechat: r.opt_out_wechat === 1 },
        blacklisted: r.is_blacklisted === 1,
        badReviewer: r.is_bad_reviewer === 1,
        picky: r.is_picky === 1,
        timeZone: r.store_zone ?? zone,
      },
      marketingAt: history.get(r.id) ?? [],
      values,
    });
  }
  return out;
}
