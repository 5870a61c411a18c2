/** Order lifecycle as Huike speaks it, and the marketplaces' words for it. */
export const ORDER_STATUSES = ['created', 'paid', 'shipped', 'signed', 'completed', 'closed', 'refunded'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** The statuses an order only reaches after it was paid (a refund needs a payment first). */
export const PAID_STATUSES: ReadonlySet<OrderStatus> = new Set(['paid', 'shipped', 'signed', 'completed', 'refunded']);

// Progress of an order; a later export never moves an order back (an older export re-imported
// after a newer one leaves the newer status in place). closed/refunded are final.
const RANK: Record<OrderStatus, number> = {
  created: 0,
  paid: 1,
  shipped: 2,
  signed: 3,
  completed: 4,
  closed: 5,
  refunded: 5,
};

export function statusRank(s: OrderStatus): number {
  return RANK[s];
}

/** Whether a row carrying `incoming` may overwrite an order stored with `stored`. */
export function mayAdvance(stored: OrderStatus, incoming: OrderStatus): boolean {
  return RANK[incoming] >= RANK[stored];
}

/** What says how far an order had got when an export was taken. */
export interface OrderProgress {
  status: OrderStatus;
  paidAt: string | null;
  shippedAt: string | null;
  signedAt: string | null;
  closedAt: string | null;
  refundedFen: number;
}

function latestEvent(p: OrderProgress): number {
  let t = Number.NEGATIVE_INFINITY;
  for (const at of [p.paidAt, p.shippedAt, p.signedAt, p.closedAt]) if (at) t = Math.max(t, Date.parse(at));
  return t;
}

/**
 * Whether `incoming` shows an earlier state of the order than `stored`, judged by the order's own
 * data since exports carry no export time: first the status rank (statuses only move forward),
 * then the latest event time on the order (paid / shipped / signed / closed: a re-shipment moves it
 * on), then the refunded amount (refunds only grow, e.g. Shopify's partially_refunded keeps the
 * status). An older export imported after a newer one is then left out whole, so it cannot bring
 * back an old address, tracking number or note. When nothing tells the two apart the incoming row
 * wins: it is the same state read again (a corrected export, or the same file read better).
 */
export function isOlderState(stored: OrderProgress, incoming: OrderProgress): boolean {
  const rank = RANK[incoming.status] - RANK[stored.status];
  if (rank !== 0) return rank < 0;
  const a = latestEvent(incoming);
  const b = latestEvent(stored);
  if (a !== b) return a < b;
  return incoming.refundedFen < stored.refundedFen;
}

// Taobao / Tmall 订单状态 words (several export versions and the 千牛 wording).
const TAOBAO: Record<string, OrderStatus> = {
  等待买家付款: 'created',
  等待付款: 'created',
  待付款: 'created',
  付款确认中: 'created',
  买家已付定金: 'created',
  等待买家付尾款: 'created',
  '买家已付款，等待卖家发货': 'paid',
  '买家已付款,等待卖家发货': 'paid',
  买家已付款: 'paid',
  等待卖家发货: 'paid',
  待发货: 'paid',
  已付款: 'paid',
  '卖家已发货，等待买家确认': 'shipped',
  '卖家已发货,等待买家确认': 'shipped',
  卖家已发货: 'shipped',
  部分发货: 'shipped',
  卖家部分发货: 'shipped',
  已发货: 'shipped',
  待收货: 'shipped',
  买家已签收: 'signed',
  已签收: 'signed',
  交易成功: 'completed',
  已完成: 'completed',
  已收货: 'completed',
  交易关闭: 'closed',
  已关闭: 'closed',
  已取消: 'closed',
  交易关闭退款: 'refunded',
  退款成功: 'refunded',
  已退款: 'refunded',
};

export function normalizeStatusWord(word: string): string {
  return word.replace(/[\s()（）]/g, '');
}

/** Maps a Chinese marketplace status word; null when the word is unknown. */
export function mapChineseStatus(word: string): OrderStatus | null {
  const w = word.trim();
  return TAOBAO[w] ?? TAOBAO[normalizeStatusWord(w)] ?? null;
}

/**
 * A closed order that had been paid and whose refund covers the payment is a refund, not an
 * unpaid order that timed out.
 */
export function refineClosed(
  status: OrderStatus,
  paidAt: string | null,
  paidFen: number,
  refundedFen: number,
): OrderStatus {
  if (status === 'closed' && paidAt && paidFen > 0 && refundedFen >= paidFen) return 'refunded';
  return status;
}

/** Shopify's Financial Status + Fulfillment Status + Cancelled at. */
export function mapShopifyStatus(financial: string, fulfillment: string, cancelled: boolean): OrderStatus | null {
  const f = financial.trim().toLowerCase();
  const ful = fulfillment.trim().toLowerCase();
  if (f === 'refunded') return 'refunded';
  if (cancelled || f === 'voided') return 'closed';
  if (f === 'pending' || f === 'authorized' || f === 'expired') return 'created';
  if (f === 'paid' || f === 'partially_refunded' || f === 'partially_paid') {
    if (ful === 'fulfilled' || ful === 'partial' || ful === 'shipped') return 'shipped';
    if (ful === 'delivered') return 'signed';
    return 'paid';
  }
  return null;
}
