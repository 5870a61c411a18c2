import { minutesOf, nextOpening } from '../messaging/windows.js';
import type { OrderStatus } from '../order-status.js';
import type { Condition, Definition, Step, Trigger } from './definition.js';

/**
 * The automation engine's decisions, pure: given a run's place, what the customer and the order
 * look like now and the clock, what happens next. The runner (modules/automations) gathers the
 * facts, carries out the step exactly once and stores where the run is.
 */
export interface Facts {
  order: {
    status: OrderStatus;
    totalFen: number;
    categories: string[];
    presale: boolean;
    /** Where it is delivered (物流异常 waits by region). */
    province?: string | null;
    /** A presale order: when its balance window closes. */
    balanceDueAt?: string | null;
  } | null;
  customer: {
    paidOrders: number;
    tags: string[];
    /** Paid another order since the trigger happened. */
    paidOtherSince: boolean;
    /** Placed another order since the trigger happened. */
    orderedSince: boolean;
    daysSinceLastOrder: number | null;
  };
}

export interface RunPlace {
  cursor: number;
  /** When the trigger happened (an order's creation, the birthday's reminder day …). */
  triggerAt: string;
  /** When the run reached its current step (a wait counted "from previous" starts here). */
  stepAt: string;
}

export type Move =
  | { type: 'exit'; reason: string }
  | { type: 'done' }
  | { type: 'wait'; step: Step & { type: 'wait' }; until: Date }
  /** The step is passed without an effect: a wait that is over, or a branch (to: the next cursor). */
  | { type: 'pass'; step: Step; to: number; at: string; reason: string | null }
  | { type: 'act'; step: Exclude<Step, { type: 'wait' } | { type: 'branch' }> };

const STATUS_LABEL: Record<string, string> = {
  created: '待付款',
  paid: '已付款',
  shipped: '已发货',
  signed: '已签收',
  completed: '交易成功',
  closed: '已关闭',
  refunded: '已退款',
};

function factValue(fact: Condition['fact'], f: Facts): string | number | boolean | string[] | null {
  switch (fact) {
    case 'order.status':
      return f.order?.status ?? null;
    case 'order.totalFen':
      return f.order?.totalFen ?? null;
    case 'order.category':
      return f.order?.categories ?? [];
    case 'order.presale':
      return f.order?.presale ?? false;
    case 'customer.paidOrders':
      return f.customer.paidOrders;
    case 'customer.tags':
      return f.customer.tags;
    case 'customer.paidOtherSince':
      return f.customer.paidOtherSince;
    case 'customer.orderedSince':
      return f.customer.orderedSince;
    case 'customer.daysSinceLastOrder':
      return f.customer.daysSinceLastOrder;
  }
}

/** Whether one condition holds. */
export function holds(c: Condition, f: Facts): boolean {
  const v = factValue(c.fact, f);
  const want = c.value;
  const list = Array.isArray(want) ? want : [String(want)];
  switch (c.op) {
    case 'eq':
      return Array.isArray(v) ? v.includes(String(want)) : v === want;
    case 'neq':
      return Array.isArray(v) ? !v.includes(String(want)) : v !== want;
    case 'in':
      return Array.isArray(v) ? v.some((x) => list.includes(x)) : v !== null && list.includes(String(v));
    case 'nin':
      return Array.isArray(v) ? !v.some((x) => list.includes(x)) : v === null || !list.includes(String(v));
    case 'has':
      return Array.isArray(v) && list.every((x) => v.includes(x));
    case 'lacks':
      return Array.isArray(v) && !list.some((x) => v.includes(x));
    case 'gte':
      return typeof v === 'number' && v >= Number(want);
    case 'lte':
      return typeof v === 'number' && v <= Number(want);
  }
}

/** A condition in the seller's words, for the reason a run stopped. */
export function describe(c: Condition): string {
  const names: Record<Condition['fact'], string> = {
    'order.status': '订单状态',
    'order.totalFen': '订单金额(分)',
    'order.category': '商品类目',
    'order.presale': '预售订单',
    'customer.paidOrders': '付款订单数',
    'customer.tags': '客户标签',
    'customer.paidOtherSince': '此后付过其他订单',
    'customer.orderedSince': '此后又下过单',
    'customer.daysSinceLastOrder': '距上次下单天数',
  };
  const ops: Record<Condition['op'], string> = {
    eq: '为',
    neq: '不为',
    in: '属于',
    nin: '不属于',
    gte: '≥',
    lte: '≤',
    has: '包含',
    lacks: '不含',
  };
  const show = (x: unknown) => (typeof x === 'string' ? (STATUS_LABEL[x] ?? x) : String(x));
  const value = Array.isArray(c.value) ? c.value.map(show).join('、') : show(c.value);
  return `${names[c.fact]}${ops[c.op]}${value}`;
}

/** The first condition that does not hold, or null. */
export function failing(conditions: readonly Condition[], f: Facts): Condition | null {
  return conditions.find((c) => !holds(c, f)) ?? null;
}

/** Why the run leaves now (the customer paid or ordered meanwhile, a condition no longer holds), or null. */
export function exitReason(def: Pick<Definition, 'conditions' | 'exitWhen'>, f: Facts): string | null {
  if (def.exitWhen.includes('paid')) {
    if (f.order && f.order.status !== 'created') return `订单${STATUS_LABEL[f.order.status] ?? f.order.status}`;
    if (f.customer.paidOtherSince) return '客户此后已付款其他订单';
  }
  if (def.exitWhen.includes('ordered') && f.customer.orderedSince) return '客户此后又下了单';
  const bad = failing(def.conditions, f);
  return bad ? `条件不再满足：${describe(bad)}` : null;
}

/** The days a wait takes for this order: by its province when the step names it, else `days`. */
export function waitDays(step: Step & { type: 'wait' }, province: string | null | undefined): number {
  const p = province ? provinceKey(province) : null;
  const hit = p ? step.byProvince?.find((r) => r.provinces.some((x) => provinceKey(x) === p)) : undefined;
  return hit ? hit.days : (step.days ?? 0);
}

/** 新疆维吾尔自治区, 新疆 and 新疆省 are one province. */
function provinceKey(p: string): string {
  return p.trim().replace(/(省|市|自治区|特别行政区|壮族|回族|维吾尔)+$/, '');
}

/**
 * When a wait step is over: N minutes/days after its start (days by the order's province when the step
 * says so), or some minutes before a presale order's balance window closes; then on to the next local HH:MM.
 */
export function waitUntil(step: Step & { type: 'wait' }, place: RunPlace, timeZone: string, facts?: Facts): Date {
  if (step.beforeBalanceDueMinutes !== undefined) {
    const due = facts?.order?.balanceDueAt;
    if (due) return new Date(Date.parse(due) - step.beforeBalanceDueMinutes * 60_000);
  }
  const base = Date.parse(step.from === 'trigger' ? place.triggerAt : place.stepAt);
  const days = waitDays(step, facts?.order?.province);
  let until = new Date(base + (step.minutes ?? 0) * 60_000 + days * 86_400_000);
  if (step.untilLocal) {
    const m = minutesOf(step.untilLocal);
    until = nextOpening(until, timeZone, [[m, m + 1]]) ?? until;
  }
  return until;
}

/** What the run does next. Exit reasons are checked before every step, waits included. */
export function nextMove(def: Definition, place: RunPlace, facts: Facts, now: Date, timeZone: string): Move {
  const step = def.steps[place.cursor];
  if (!step) return { type: 'done' };
  const why = exitReason(def, facts);
  if (why) return { type: 'exit', reason: why };
  if (step.type === 'wait') {
    if (step.beforeBalanceDueMinutes !== undefined) {
      const due = facts.order?.balanceDueAt;
      if (!due) return { type: 'exit', reason: '订单没有尾款支付截止时间' };
      if (Date.parse(due) <= now.getTime()) return { type: 'exit', reason: '尾款支付已截止' };
    }
    const until = waitUntil(step, place, timeZone, facts);
    if (until.getTime() > now.getTime()) return { type: 'wait', step, until };
    return { type: 'pass', step, to: place.cursor + 1, at: until.toISOString(), reason: null };
  }
  if (step.type === 'branch') {
    const bad = failing(step.when, facts);
    if (!bad) return { type: 'pass', step, to: place.cursor + 1, at: now.toISOString(), reason: null };
    const reason = `分支条件不满足：${describe(bad)}`;
    if (step.else === 'exit') return { type: 'exit', reason };
    const to = def.steps.findIndex((s) => s.id === step.else);
    return { type: 'pass', step, to: to < 0 ? def.steps.length : to, at: now.toISOString(), reason };
  }
  return { type: 'act', step };
}

/** Events seen this long after they happened are history (an old export), not triggers. */
export const HISTORY_MINUTES = 7 * 24 * 60;

/**
 * Whether an order event seen now is too late for this trigger, judged by when it happened (not
 * when it was imported): the reason, or null when it is in time.
 */
export function tooLate(trigger: Trigger, happenedAt: string, now: Date): string | null {
  if (trigger.type !== 'order_event' || trigger.tooLateMinutes === undefined) return null;
  const late = (now.getTime() - Date.parse(happenedAt)) / 60_000;
  if (late <= trigger.tooLateMinutes) return null;
  const hours = late >= 120 ? `${Math.floor(late / 60)} 小时` : `${Math.floor(late)} 分钟`;
  return `为时已晚：事件发生于 ${hours}前（超过 ${trigger.tooLateMinutes} 分钟不再触发）`;
}
