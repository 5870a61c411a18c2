import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseYuanToFen } from '../money.js';
import { mapShopifyStatus, type OrderStatus } from '../order-status.js';
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
const num = (v: unknown): string | null => (typeof v === 'number' ? String(v) : str(v));
const fen = (v: unknown): number => parseYuanToFen(num(v)) ?? 0;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj) : []);
const iso = (v: unknown): string | null => {
  const s = str(v);
  if (!s) return null;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
};

/** The sum a refund object gives back (its successful refund transactions). */
export function refundFen(refund: Json): number {
  return arr(refund.transactions)
    .filter((t) => (t.kind === undefined || t.kind === 'refund') && (t.status === undefined || t.status === 'success'))
    .reduce((s, t) => s + fen(t.amount), 0);
}

/** Shopify's order JSON (the orders/* webhooks' body) as an import record, keyed like the CSV export (Name). */
export function shopifyOrderRecord(o: Json): OrderRecord {
  const customer = obj(o.customer);
  const ship = obj(o.shipping_address);
  const fulfillments = arr(o.fulfillments);
  const refunds = arr(o.refunds);
  const lines = arr(o.line_items);
  const cancelled = Boolean(str(o.cancelled_at));
  const fulfillment = str(o.fulfillment_status) ?? '';
  const financial = str(o.financial_status) ?? 'pending';
  const status: OrderStatus = mapShopifyStatus(financial, fulfillment, cancelled) ?? 'created';
  const refunded = refunds.reduce((s, r) => s + refundFen(r), 0);
  const paid = status !== 'created' && status !== 'closed';
  const lastFulfilment = fulfillments[fulfillments.length - 1];
  const shippedAt = fulfillments.length > 0 ? iso(fulfillments[0]!.created_at) : null;
  const name = str(o.name) ?? `#${num(o.order_number) ?? num(o.id) ?? ''}`;
  const shippingFen = fen(obj(obj(o.total_shipping_price_set).shop_money).amount);
  const raw: Record<string, string> = { shopify_id: num(o.id) ?? '' };
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
    createdAt: iso(o.created_at) ?? new Date(0).toISOString(),
    // Shopify sends no paid time: processed_at is when the payment was taken for a paid order.
    paidAt: paid ? (iso(o.processed_at) ?? iso(o.updated_at)) : null,
    shippedAt: status === 'shipped' || status === 'signed' ? shippedAt : null,
    signedAt: null,
    closedAt: cancelled
      ? iso(o.cancelled_at)
      : status === 'refunded'
        ? (iso(refunds.at(-1)?.created_at) ?? null)
        : null,
    goodsFen: fen(o.subtotal_price),
    shippingFen,
    discountFen: fen(o.total_discounts),
    totalFen: fen(o.total_price),
    paidFen: paid ? fen(o.total_price) : 0,
    refundedFen: refunded,
    buyer: {
      nick: null,
      externalId: num(customer.id),
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
    couponCode: str(arr(o.discount_codes)[0]?.code),
    title: str(lines[0]?.title),
    itemCount: lines.reduce((s, l) => s + (Number(l.quantity) || 0), 0) || null,
    acceptsMarketing: typeof customer.accepts_marketing === 'boolean' ? customer.accepts_marketing : null,
    items: lines.map((l, i) => ({
      lineKey: num(l.id) ?? String(i + 1),
      title: str(l.title),
      sku: str(l.sku),
      externalItemId: num(l.product_id),
      category: str(l.product_type),
      quantity: Number(l.quantity) || 1,
      priceFen: fen(l.price),
      paidFen: null,
      refundStatus: null,
    })),
    raw,
  };
}
