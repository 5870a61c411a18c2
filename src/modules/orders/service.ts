import { reason } from '../../core/reasons.js';
import { sql } from 'kysely';
import { parseInput } from '../../core/validation.js';
import { NotFound } from '../../core/errors.js';
import { DEFAULT_CURRENCY } from '../../core/money.js';
import { maskPhone } from '../../core/pii.js';
import { maskAddress, maskName, maskRawColumns, maskText } from '../../core/pii-mask.js';
import type { OrderStatus } from '../../core/order-status.js';
import { readJson } from '../../db/json.js';
import type { AppContext } from '../context.js';
import { canSeePii } from '../auth/roles.js';
import { countUpTo, decodeCursor, encodeCursor, FEW_MATCHES } from '../pagination.js';
import { orderListQuery, type OrderListQuery } from './schema.js';
import { timestampCast } from '../../db/dates.js';
import { offLoop } from '../heavy/run.js';
import { notIndexed } from '../../db/in-list.js';
import type { z } from 'zod';

function orderRows(ctx: AppContext, workspaceId: string) {
  return ctx.db.kysely
    .selectFrom('orders as o')
    .leftJoin('stores as st', (j) =>
      j.onRef('st.workspace_id', '=', 'o.workspace_id').onRef('st.id', '=', 'o.store_id'),
    )
    .where('o.workspace_id', '=', workspaceId)
    .selectAll('o')
    .select(['st.name as store_name', 'st.currency']);
}
type OrderRow = Awaited<ReturnType<ReturnType<typeof orderRows>['executeTakeFirstOrThrow']>>;

function present(o: OrderRow, role: string) {
  const pii = canSeePii(role);
  return {
    id: o.id,
    storeId: o.store_id,
    storeName: o.store_name,
    externalId: o.external_id,
    customerId: o.customer_id,
    status: o.status as OrderStatus,
    platformStatus: o.platform_status,
    goodsFen: o.goods_fen,
    shippingFen: o.shipping_fen,
    discountFen: o.discount_fen,
    totalFen: o.total_fen,
    paidFen: o.paid_fen,
    refundedFen: o.refunded_fen,
    currency: o.currency ?? DEFAULT_CURRENCY,
    createdAt: o.created_at,
    paidAt: o.paid_at,
    shippedAt: o.shipped_at,
    signedAt: o.signed_at,
    closedAt: o.closed_at,
    buyerNick: o.buyer_nick,
    receiverName: pii || !o.receiver_name ? o.receiver_name : maskName(o.receiver_name),
    receiverPhone: pii ? o.receiver_phone : maskPhone(o.receiver_phone),
    province: o.province,
    city: o.city,
    district: o.district,
    address: pii || !o.address ? o.address : maskAddress(o.address),
    buyerMessage: pii || !o.buyer_message ? o.buyer_message : maskText(o.buyer_message),
    sellerNote: pii || !o.seller_note ? o.seller_note : maskText(o.seller_note),
    source: o.source,
    activity: o.activity,
    title: o.title,
    itemCount: o.item_count,
  };
}

export async function listOrders(ctx: AppContext, workspaceId: string, input: OrderListQuery, role: string) {
  const q = parseInput(orderListQuery, input, 'The order query');
  // The pages of a store with more than a few orders walk the orders newest first until a page of matches is found
  // (a store of 0.2 % of 3M orders: ~25k orders). On SQLite those run on a read thread, under the heavy reads' time
  // limit. A status's orders are read newest first from their own index (0081; a status no order has took 8.5–17 s
  // at 3M orders before, on a read thread), one customer's orders and a search's by theirs.
  const walks = q.storeId && !q.customerId;
  return ctx.db.dialect === 'sqlite' && walks
    ? offLoop(ctx, 'orders.page', ordersPageHere, workspaceId, q, role)
    : ordersPageHere(ctx, workspaceId, q, role);
}

/** A page of the orders list (listOrders), newest first. */
export async function ordersPageHere(
  ctx: AppContext,
  workspaceId: string,
  q: z.output<typeof orderListQuery>,
  role: string,
) {
  const k = ctx.db.kysely;
  // A store with few orders (one the shop has just added): its orders by the number's key, then sorted. Walking the
  // shop's orders newest first for them read all 3M for a store with none (1M customers: 15 s).
  const inStore =
    q.storeId && !q.q && !q.customerId
      ? k
          .selectFrom('orders as n')
          .select('n.id')
          .where('n.workspace_id', '=', workspaceId)
          .where('n.store_id', '=', q.storeId)
      : null;
  const few = inStore !== null && (await countUpTo(k, inStore, FEW_MATCHES)) <= FEW_MATCHES;
  // A search's few rows, or a small store's: read from their set, the other filters checked on them. SQLite without
  // statistics would walk a filter's index instead — the time index for a date range (a search of 2020–2026 at 3M
  // orders: 9.7 s), the status index — so on SQLite those columns are not offered as indexes then (unary +).
  const fromSet = Boolean(q.q) || few;
  const col = (c: 'o.status' | 'o.created_at') => (fromSet ? notIndexed(ctx.db.dialect, c) : sql.ref(c));
  // SQLite without statistics would still walk the time index for the order of a search's few rows.
  const time = col('o.created_at');
  let query = orderRows(ctx, workspaceId);
  if (q.storeId) query = query.where('o.store_id', '=', q.storeId);
  if (q.customerId) query = query.where('o.customer_id', '=', q.customerId);
  if (q.status) query = query.where(col('o.status'), '=', q.status);
  if (q.from) query = query.where(time, '>=', new Date(q.from).toISOString());
  if (q.to) query = query.where(time, '<', new Date(q.to).toISOString());
  // A search: the order number in each of the shop's stores (its key leads with the store) and the nick's orders
  // (migration 0080), then sorted — a few rows. Walking the shop's orders newest first for them took 34 s at 3M.
  if (q.q)
    query = query.where('o.id', 'in', (eb) =>
      eb
        .selectFrom('orders as n')
        .select('n.id')
        .where('n.workspace_id', '=', workspaceId)
        .where('n.store_id', 'in', k.selectFrom('stores').select('id').where('workspace_id', '=', workspaceId))
        .where('n.external_id', '=', q.q!)
        .unionAll(
          k
            .selectFrom('orders as b')
            .select('b.id')
            .where('b.workspace_id', '=', workspaceId)
            .where('b.buyer_nick', '=', q.q!),
        ),
    );
  if (few && inStore) query = query.where('o.id', 'in', inStore);
  if (q.cursor) {
    const cur = decodeCursor(q.cursor, 'time', false);
    const v = String(cur.value);
    const cast = timestampCast(ctx.db.dialect);
    query = query.where(sql<boolean>`(${time} < ${v}${cast} OR (${time} = ${v}${cast} AND o.id < ${cur.id}))`);
  }
  const rows = await query
    .orderBy(time, 'desc')
    .orderBy('o.id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => present(r, role)),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.created_at, last.id) : null,
  };
}

export async function orderDetail(ctx: AppContext, workspaceId: string, id: string, role: string) {
  const row = await orderRows(ctx, workspaceId).where('o.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFound(`order ${id} not found`, reason('order.notFound', { id }));
  const raw = readJson<Record<string, unknown>>(row.raw) ?? {};
  const items = await ctx.db.kysely
    .selectFrom('order_items')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('order_id', '=', id)
    .orderBy('line_key')
    .execute();
  return {
    ...present(row, role),
    items: items.map((i) => ({
      lineKey: i.line_key,
      title: i.title,
      sku: i.sku,
      category: i.category,
      quantity: i.quantity,
      priceFen: i.price_fen,
      refundStatus: i.refund_status,
    })),
    raw: canSeePii(role) ? raw : maskRawColumns(raw),
  };
}

/**
 * An order's contact data in full, for a role allowed to reveal it: the receiver fields and the raw
 * export columns that hold personal data (the caller writes the audit entry).
 */
export async function revealOrder(ctx: AppContext, workspaceId: string, id: string) {
  const row = await orderRows(ctx, workspaceId).where('o.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFound(`order ${id} not found`, reason('order.notFound', { id }));
  const raw = readJson<Record<string, unknown>>(row.raw) ?? {};
  const masked = maskRawColumns(raw);
  const personal = Object.fromEntries(Object.entries(raw).filter(([k, v]) => masked[k] !== v));
  return {
    id: row.id,
    customerId: row.customer_id,
    receiverName: row.receiver_name,
    receiverPhone: row.receiver_phone,
    address: row.address,
    buyerMessage: row.buyer_message,
    sellerNote: row.seller_note,
    raw: personal,
  };
}
