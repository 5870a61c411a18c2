import type { ItemRecord, OrderRecord } from '../../core/formats/types.js';
import { PAID_STATUSES } from '../../core/order-status.js';
import { parseInput } from '../../core/validation.js';
import type { Store } from '../../db/types.js';
import type { AppContext } from '../context.js';
import { getStore } from '../stores/service.js';
import { ingestBatch, type IngestSummary } from './ingest.js';
import { ordersIngestInput, type OrderInput } from './schema.js';

/** An order from the API as the import's record, so it goes through the same ingest rules. */
export function recordOfInput(o: OrderInput, line: number): OrderRecord {
  const items: ItemRecord[] | null = o.items
    ? o.items.map((it, i) => ({
        lineKey: String(i + 1),
        title: it.title ?? null,
        sku: it.sku ?? null,
        externalItemId: null,
        category: it.category ?? null,
        quantity: it.quantity,
        priceFen: it.priceFen,
        paidFen: null,
        refundStatus: null,
      }))
    : null;
  const goods = o.goodsFen ?? items?.reduce((s, it) => s + it.priceFen * it.quantity, 0) ?? o.totalFen;
  const raw: Record<string, string> = {};
  if (o.courier) raw.物流公司 = o.courier;
  if (o.trackingNo) raw.运单号 = o.trackingNo;
  if (o.presale) raw.预售 = '是';
  if (o.balanceDueAt) raw.尾款截止 = o.balanceDueAt;
  const iso = (t: string | null | undefined) => (t ? new Date(t).toISOString() : null);
  const paid = o.paidAt || PAID_STATUSES.has(o.status);
  return {
    line,
    externalId: o.externalId,
    status: o.status,
    platformStatus: null,
    createdAt: new Date(o.createdAt).toISOString(),
    paidAt: iso(o.paidAt),
    shippedAt: iso(o.shippedAt),
    signedAt: iso(o.signedAt),
    closedAt: iso(o.closedAt),
    goodsFen: goods,
    shippingFen: o.shippingFen ?? 0,
    discountFen: o.discountFen ?? 0,
    totalFen: o.totalFen,
    paidFen: o.paidFen ?? (paid ? o.totalFen : 0),
    refundedFen: o.refundedFen ?? 0,
    buyer: {
      nick: o.buyer.nick ?? null,
      externalId: o.buyer.externalId ?? null,
      email: o.buyer.email ?? null,
      phone: o.buyer.phone ?? null,
      name: o.buyer.name ?? null,
    },
    receiverName: o.receiverName ?? null,
    receiverPhone: o.receiverPhone ?? null,
    province: o.province ?? null,
    city: o.city ?? null,
    district: o.district ?? null,
    address: o.address ?? null,
    buyerMessage: null,
    sellerNote: null,
    source: null,
    activity: o.presale ? '预售' : null,
    title: o.title ?? items?.[0]?.title ?? null,
    itemCount: items ? items.reduce((s, it) => s + it.quantity, 0) : null,
    acceptsMarketing: o.acceptsMarketing ?? null,
    items,
    raw,
  };
}

/** Orders through the import's ingest in one transaction: idempotent by store + order id, status only forward. */
export async function ingestRecords(
  ctx: AppContext,
  store: Store,
  records: OrderRecord[],
  source: 'api' | 'webhook',
): Promise<IngestSummary> {
  return ctx.db.kysely
    .transaction()
    .execute((trx) =>
      ingestBatch(ctx, trx, { store, runId: null, consentSource: source, eventSource: source }, records),
    );
}

export async function ingestOrders(ctx: AppContext, ws: string, input: unknown) {
  const body = parseInput(ordersIngestInput, input, 'The orders');
  const store = await getStore(ctx, ws, body.storeId);
  const s = await ingestRecords(
    ctx,
    store,
    (body.orders ?? [body.order!]).map((o, i) => recordOfInput(o, i + 1)),
    'api',
  );
  return {
    ordersCreated: s.ordersCreated,
    ordersUpdated: s.ordersUpdated,
    ordersUnchanged: s.ordersUnchanged,
    customersCreated: s.customersCreated,
    events: s.events,
  };
}
