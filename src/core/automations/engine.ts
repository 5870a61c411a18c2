import { minutesOf, nextOpening } from '../messaging/windows.js';
import { type Reason, reason, renderReason } from '../reasons.js';
import type { OrderStatus } from '../order-status.js';
import type { Condition, ConditionFact, Definition, Step, Trigger } from './definition.js';

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
    /** A review with photos of this order since the trigger (回访's 晒图评价 reward). */
    photoReviewSince?: boolean;
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
  | { type: 'exit'; reason: string; why: Reason }
  | { type: 'done' }
  | { type: 'wait'; step: Step & { type: 'wait' }; until: Date }
  /** The step is passed without an effect: a wait that is over, or a branch (to: the next cursor). */
  | { type: 'pass'; step: Step; to: number; at: string; reason: string | null; why: Reason | null }
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
    case 'order.photoReviewSince':
      return f.order?.photoReviewSince ?? false;
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
    'order.photoReviewSince': '此后晒图评价了该订单',
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

/** A condition in English, for the reason in the console's English. */
export function describeEn(c: Condition): string {
  const ops: Record<Condition['op'], string> = {
    eq: 'is',
    neq: 'is not',
    in: 'is one of',
    nin: 'is none of',
    gte: '≥',
    lte: '≤',
    has: 'has',
    lacks: 'lacks',
  };
  const value = Array.isArray(c.value) ? c.value.join(', ') : String(c.value);
  return `${c.fact} ${ops[c.op]} ${value}`;
}

/** A condition's parameters for a reason: in Chinese and in English. */
const conditionParams = (c: Condition) => ({ condition: describe(c), conditionEn: describeEn(c) });

/** A reason's Chinese text (the runs' `reason` column, the dry run's tally). */
export const zh = (why: Reason) => renderReason(why, 'zh-CN') ?? why.key;

/** The customer's stored facts a definition's run can read (the dry run loads only those, at 1M customers). */
export interface FactsRead {
  /** The customer's orders: the days since the last, and those placed or paid since the trigger. */
  orders: boolean;
  paidOrders: boolean;
  tags: boolean;
  /** The trigger order's categories. */
  categories: boolean;
}

/**
 * What a definition's conditions, branches and exits read. Orders since the trigger can only exist once a wait has
 * moved the run past its trigger's instant: without a wait, "paid / ordered since" are false whatever the orders.
 */
export function factsRead(def: Pick<Definition, 'conditions' | 'exitWhen' | 'steps'>): FactsRead {
  const facts = new Set<ConditionFact>(def.conditions.map((c) => c.fact));
  for (const s of def.steps) if (s.type === 'branch') for (const c of s.when) facts.add(c.fact);
  const waits = def.steps.some((s) => s.type === 'wait');
  return {
    orders:
      facts.has('customer.daysSinceLastOrder') ||
      (waits &&
        (facts.has('customer.paidOtherSince') ||
          facts.has('customer.orderedSince') ||
          def.exitWhen.includes('paid') ||
          def.exitWhen.includes('ordered'))),
    paidOrders: facts.has('customer.paidOrders'),
    tags: facts.has('customer.tags'),
    categories: facts.has('order.category'),
  };
}

/** The first condition that does not hold, or null. */
export function failing(conditions: readonly Condition[], f: Facts): Condition | null {
  return conditions.find((c) => !holds(c, f)) ?? null;
}

/** Why the run leaves now (the customer paid or ordered meanwhile, a condition no longer holds), or null. */
export function exitWhy(def: Pick<Definition, 'conditions' | 'exitWhen'>, f: Facts): Reason | null {
  if (def.exitWhen.includes('paid')) {
    if (f.order && f.order.status !== 'created')
      return reason('automation.orderMoved', {
        status: STATUS_LABEL[f.order.status] ?? f.order.status,
        statusEn: f.order.status,
      });
    if (f.customer.paidOtherSince) return reason('automation.paidOther');
  }
  if (def.exitWhen.includes('ordered') && f.customer.orderedSince) return reason('automation.orderedSince');
  const bad = failing(def.conditions, f);
  return bad ? reason('automation.conditionFailed', conditionParams(bad)) : null;
}

/** exitWhy in Chinese. */
export function exitReason(def: Pick<Definition, 'conditions' | 'exitWhen'>, f: Facts): string | null {
  const why = exitWhy(def, f);
  return why ? zh(why) : null;
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
  const exit = (why: Reason): Move => ({ type: 'exit', reason: zh(why), why });
  const why = exitWhy(def, facts);
  if (why) return exit(why);
  if (step.type === 'wait') {
    if (step.beforeBalanceDueMinutes !== undefined) {
      const due = facts.order?.balanceDueAt;
      if (!due) return exit(reason('automation.noBalanceDue'));
      if (Date.parse(due) <= now.getTime()) return exit(reason('automation.balanceDuePassed'));
    }
    const until = waitUntil(step, place, timeZone, facts);
    if (until.getTime() > now.getTime()) return { type: 'wait', step, until };
    return { type: 'pass', step, to: place.cursor + 1, at: until.toISOString(), reason: null, why: null };
  }
  if (step.type === 'branch') {
    const bad = failing(step.when, facts);
    if (!bad) return { type: 'pass', step, to: place.cursor + 1, at: now.toISOString(), reason: null, why: null };
    const failed = reason('automation.branchFailed', conditionParams(bad));
    if (step.else === 'exit') return exit(failed);
    const to = def.steps.findIndex((s) => s.id === step.else);
    return {
      type: 'pass',
      step,
      to: to < 0 ? def.steps.length : to,
      at: now.toISOString(),
      reason: zh(failed),
      why: failed,
    };
  }
  return { type: 'act', step };
}

/**
 * The steps a branch that took its other path passes over (between it and the step it went to), each with why:
 * they appear on the run log and the timeline as skipped. `failed` is the branch's own reason.
 */
export function passedOver(def: Definition, from: number, to: number, failed: Reason): { step: Step; why: Reason }[] {
  const branch = def.steps[from];
  if (!branch || branch.type !== 'branch' || to <= from + 1) return [];
  const why = reason('automation.branchNotTaken', { ...failed.params, branch: branch.id });
  return def.steps.slice(from + 1, to).map((step) => ({ step, why }));
}

/** Events seen this long after they happened are history (an old export), not triggers. */
export const HISTORY_MINUTES = 7 * 24 * 60;

/** How far back the dry run ("had this been on for the last 30 days") replays a trigger. */
export const DRY_RUN_DAYS = 30;

/**
 * Whether an order event seen now is too late for this trigger, judged by when it happened (not
 * when it was imported): the reason, or null when it is in time.
 */
export function tooLateWhy(trigger: Trigger, happenedAt: string, now: Date): Reason | null {
  if (trigger.type !== 'order_event' || trigger.tooLateMinutes === undefined) return null;
  const late = (now.getTime() - Date.parse(happenedAt)) / 60_000;
  if (late <= trigger.tooLateMinutes) return null;
  const hours = late >= 120;
  const n = hours ? Math.floor(late / 60) : Math.floor(late);
  return reason('automation.tooLate', {
    late: hours ? `${n} 小时` : `${n} 分钟`,
    lateEn: hours ? `${n} h` : `${n} min`,
    limit: trigger.tooLateMinutes,
  });
}

/** tooLateWhy in Chinese. */
export function tooLate(trigger: Trigger, happenedAt: string, now: Date): string | null {
  const why = tooLateWhy(trigger, happenedAt, now);
  return why ? zh(why) : null;
}
