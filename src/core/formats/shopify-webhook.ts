import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { MAX_LINE_QUANTITY, MAX_ORDER_FEN, parseYuanToFen } from '../money.js';
import { mapShopifyStatus, type OrderStatus } from '../order-status.js';
import { reason } from '../reasons.js';
import { parseInput } from '../validation.js';
import { regionName } from './regions.js';
import type { OrderRecord } from './types.js';

/** Shopify signs a webhook's raw body: base64 HMAC-SHA256 under the shop's webhook secret. */
export function shopifySignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('base64');
}

export function verifyShopify(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const want = Buffer.from(shopifySignature(secret, body));
  const got = Buffer.from(header.trim());
  return want.length === got.length && timingSafeEqual(want, got);
}

export const SHOPIFY_TOPICS = [
  'orders/create',
  'orders/paid',
  'orders/fulfilled',
  'orders/cancelled',
  'refunds/create',
] as const;
export type ShopifyTopic = (typeof SHOPIFY_TOPICS)[number];

type Json = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

const invalid = (ctx: z.RefinementCtx, message: string) =>
  ctx.addIssue({ code: 'custom', message, params: reason('input.invalid', { message }) });

/**
 * A Shopify id: a JSON number is a whole one JavaScript holds exactly (2^64 was stored as 18446744073709552000,
 * another order's id); a text one is digits.
 */
const shopifyId = z.unknown().transform((v, ctx) => {
  if (typeof v === 'number' ? Number.isSafeInteger(v) && v > 0 : typeof v === 'string' && /^\d{1,30}$/.test(v))
    return String(v);
  invalid(ctx, `not a Shopify id: a whole number up to ${Number.MAX_SAFE_INTEGER} (larger ones as text)`);
  return z.NEVER;
});

/** A time with its offset, on a day the calendar has (2026-02-30 was stored as 2 March). */
const when = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

/** A price in yuan as Shopify writes it ("199.00"; a number is read as its text): fen, 0 to MAX_ORDER_FEN. */
const money = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v, ctx) => {
    let fen: number | null;
    try {
      fen = parseYuanToFen(typeof v === 'number' ? String(v) : v);
    } catch {
      invalid(ctx, `not an amount (expected e.g. "128.00"), got ${JSON.stringify(v)}`);
      return z.NEVER;
    }
    if (fen !== null && fen < 0) {
      ctx.addIssue({ code: 'custom', message: 'cannot be negative', params: reason('input.tooSmall', { min: 0 }) });
      return z.NEVER;
    }
    if (fen !== null && fen > MAX_ORDER_FEN) {
      const max = MAX_ORDER_FEN / 100;
      ctx.addIssue({ code: 'custom', message: `at most ${max}`, params: reason('input.tooBig', { max }) });
      return z.NEVER;
    }
    return fen ?? 0;
  });

const quantity = z.number().min(1).max(MAX_LINE_QUANTITY).int().nullish();

const refundShape = z.looseObject({
  created_at: when.nullish(),
  transactions: z.array(z.looseObject({ amount: money })).nullish(),
});
type Refund = z.infer<typeof refundShape>;

/**
 * What of Shopify's order JSON is checked (the rest — names, addresses, notes — is read as text when it is text):
 * the ids, times, amounts and quantities, which become keys, dates and sums. A payload that fails is refused whole.
 */
const orderShape = z.looseObject({
  id: shopifyId,
  name: z.string().max(100).nullish(),
  order_number: shopifyId.nullish(),
  created_at: when,
  processed_at: when.nullish(),
  updated_at: when.nullish(),
  cancelled_at: when.nullish(),
  total_price: money,
  subtotal_price: money,
  total_discounts: money,
  total_shipping_price_set: z.looseObject({ shop_money: z.looseObject({ amount: money }).nullish() }).nullish(),
  customer: z.looseObject({ id: shopifyId.nullish() }).nullish(),
  fulfillments: z.array(z.looseObject({ created_at: when.nullish() })).nullish(),
  refunds: z.array(refundShape).nullish(),
  line_items: z
    .array(z.looseObject({ id: shopifyId.nullish(), product_id: shopifyId.nullish(), quantity, price: money }))
    .nullish(),
  discount_codes: z.array(z.looseObject({})).nullish(),
});

/** The sum a refund object gives back (its successful refund transactions). */
export function refundFen(refund: Refund): number {
  return (refund.transactions ?? [])
    .filter((t) => (t.kind === undefined || t.kind === 'refund') && (t.status === undefined || t.status === 'success'))
    .reduce((s, t) => s + t.amount, 0);
}

const refundWebhook = refundShape.extend({ order_id: shopifyId });

/** A refunds/create body: the order it names, when, and what it gives back (400 naming the field when it is wrong). */
export function shopifyRefund(payload: unknown): { orderId: string; createdAt: string | null; fen: number } {
  const r = parseInput(refundWebhook, payload, 'the Shopify refund');
  return { orderId: r.order_id, createdAt: r.created_at ?? null, fen: refundFen(r) };
}

/**
 * Shopify's order JSON (the orders/* webhooks' body) as an import record, keyed like the CSV export (Name). An order
 * without an id or a creation time, or with an amount, quantity, id or time no one means, is refused with a 400
 * naming the field (it was stored as order "#" of 1970, or failed as a 500).
 */
export function shopifyOrderRecord(payload: unknown): OrderRecord {
  const o = parseInput(orderShape, payload, 'the Shopify order');
  const customer = o.customer ?? {};
  const ship = obj(o.shipping_address);
  const fulfillments = o.fulfillments ?? [];
  const refunds = o.refunds ?? [];
  const lines = o.line_items ?? [];
  const cancelled = Boolean(o.cancelled_at);
  const fulfillment = str(o.fulfillment_status) ?? '';
  const financial = str(o.financial_status) ?? 'pending';
  const status: OrderStatus = mapShopifyStatus(financial, fulfillment, cancelled) ?? 'created';
  const refunded = refunds.reduce((s, r) => s + refundFen(r), 0);
  const paid = status !== 'created' && status !== 'closed';
  const lastFulfilment = fulfillments[fulfillments.length - 1];
  const shippedAt = fulfillments[0]?.created_at ?? null;
  const name = str(o.name) ?? `#${o.order_number ?? o.id}`;
  const shippingFen = o.total_shipping_price_set?.shop_money?.amount ?? 0;
  const raw: Record<string, string> = { shopify_id: o.id };
  if (lastFulfilment) {
    const company = str(lastFulfilment.tracking_company);
    const number = str(lastFulfilment.tracking_number);
    if (company) raw.物流公司 = company;
    if (number) raw.运单号 = number;
  }
  return {
    line: 1,
    externalId: name,
    status,
    platformStatus: `${financial}/${fulfillment || 'unfulfilled'}`,
    createdAt: o.created_at,
    // Shopify sends no paid time: processed_at is when the payment was taken for a paid order.
    paidAt: paid ? (o.processed_at ?? o.updated_at ?? null) : null,
    shippedAt: status === 'shipped' || status === 'signed' ? shippedAt : null,
    signedAt: null,
    closedAt: cancelled
      ? (o.cancelled_at ?? null)
      : status === 'refunded'
        ? (refunds.at(-1)?.created_at ?? null)
        : null,
    goodsFen: o.subtotal_price,
    shippingFen,
    discountFen: o.total_discounts,
    totalFen: o.total_price,
    paidFen: paid ? o.total_price : 0,
    refundedFen: refunded,
    buyer: {
      nick: null,
      externalId: customer.id ?? null,
      email: str(o.email) ?? str(customer.email),
      phone: str(o.phone) ?? str(customer.phone),
      name: [str(customer.first_name), str(customer.last_name)].filter(Boolean).join(' ') || null,
    },
    receiverName: str(ship.name),
    receiverPhone: str(ship.phone),
    province: regionName(str(ship.province_code) ?? str(ship.province), str(ship.country_code)),
    city: str(ship.city),
    district: null,
    address: [str(ship.address1), str(ship.address2)].filter(Boolean).join(' ') || null,
    buyerMessage: str(o.note),
    sellerNote: null,
    source: str(o.source_name),
    activity: null,
    couponCode: str(o.discount_codes?.[0]?.code),
    title: str(lines[0]?.title),
    itemCount: lines.reduce((s, l) => s + (l.quantity ?? 0), 0) || null,
    acceptsMarketing: typeof customer.accepts_marketing === 'boolean' ? customer.accepts_marketing : null,
    items: lines.map((l, i) => ({
      lineKey: l.id ?? String(i + 1),
      title: str(l.title),
      sku: str(l.sku),
      externalItemId: l.product_id ?? null,
      category: str(l.product_type),
      quantity: l.quantity ?? 1,
      priceFen: l.price,
      paidFen: null,
      refundStatus: null,
    })),
    raw,
  };
}
