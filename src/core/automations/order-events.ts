import type { OrderStatus } from '../order-status.js';

/** What an order event says happened. */
export const ORDER_EVENT_KINDS = ['created', 'paid', 'shipped', 'signed', 'completed', 'closed', 'refunded'] as const;
export type OrderEventKind = (typeof ORDER_EVENT_KINDS)[number];

export interface OrderState {
  status: OrderStatus;
  createdAt: string;
  paidAt: string | null;
  shippedAt: string | null;
  signedAt: string | null;
  closedAt: string | null;
  refundedFen: number;
}

export interface DerivedEvent {
  kind: OrderEventKind;
  /** When it happened, from the order's own times; when the order names none, when it was observed. */
  at: string;
}

/**
 * The events an order's state shows: one per step it has reached, each with the time it happened.
 * A later state of the same order shows the earlier ones again; the store keeps each kind once per
 * order, so only the new ones become rows.
 */
export function eventsOf(o: OrderState, observedAt: string): DerivedEvent[] {
  const out: DerivedEvent[] = [{ kind: 'created', at: o.createdAt }];
  const s = o.status;
  const reached = (k: OrderStatus[]) => k.includes(s);
  if (o.paidAt) out.push({ kind: 'paid', at: o.paidAt });
  else if (reached(['paid', 'shipped', 'signed', 'completed'])) out.push({ kind: 'paid', at: observedAt });
  if (o.shippedAt) out.push({ kind: 'shipped', at: o.shippedAt });
  else if (reached(['shipped', 'signed', 'completed'])) out.push({ kind: 'shipped', at: observedAt });
  if (o.signedAt) out.push({ kind: 'signed', at: o.signedAt });
  else if (reached(['signed'])) out.push({ kind: 'signed', at: observedAt });
  if (s === 'completed') out.push({ kind: 'completed', at: o.signedAt ?? o.closedAt ?? observedAt });
  if (s === 'closed') out.push({ kind: 'closed', at: o.closedAt ?? observedAt });
  if (s === 'refunded' || o.refundedFen > 0) out.push({ kind: 'refunded', at: o.closedAt ?? observedAt });
  // A time in the future (a clock skew in the sender) is taken as the moment it was seen.
  return out.map((e) => (Date.parse(e.at) > Date.parse(observedAt) ? { ...e, at: observedAt } : e));
}

/** Where an export or the API names a presale order's balance deadline (the API writes 尾款截止). */
const BALANCE_DUE_KEYS = [
  '尾款截止',
  '尾款截止时间',
  '付尾款截止时间',
  '尾款支付截止时间',
  '尾款结束时间',
  '尾款支付结束时间',
];

/**
 * A presale order's balance (尾款) deadline from its row, as UTC ISO: a time with an offset as it says, a
 * marketplace time without one in Beijing time (Taobao/Tmall exports are); null when the row names none.
 */
export function balanceDueOf(raw: Record<string, string>): string | null {
  for (const k of BALANCE_DUE_KEYS) {
    const v = raw[k]?.trim();
    if (!v) continue;
    const m = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(v);
    const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 23) - 8, +(m[5] ?? 59), +(m[6] ?? 59)) : Date.parse(v);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  return null;
}
