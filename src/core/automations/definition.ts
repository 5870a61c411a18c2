import { z } from 'zod';
import { shownText } from '../validation.js';
import { templateIssues } from '../messaging/templates.js';
import { reason } from '../reasons.js';
import { TASK_PRIORITIES, TASK_TYPES } from '../tasks.js';
import { ORDER_EVENT_KINDS } from './order-events.js';
import { HOLIDAYS } from './holidays.js';
import { normalizeProvince } from '../address.js';

/**
 * An automation: a trigger (an order event, a date, a segment entry, a schedule) → conditions,
 * re-checked before every step → steps. Definitions are plain JSON: they are versioned, exported
 * and imported as they are.
 */
const id = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[A-Za-z0-9_-]+$/, 'step ids are letters, digits, _ and -');
const hm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time of day HH:MM');

export const CONDITION_FACTS = [
  'order.status',
  'order.totalFen',
  'order.category',
  'order.presale',
  'order.photoReviewSince',
  'customer.paidOrders',
  'customer.tags',
  'customer.paidOtherSince',
  'customer.orderedSince',
  'customer.daysSinceLastOrder',
] as const;
export type ConditionFact = (typeof CONDITION_FACTS)[number];

/** What a fact holds, and so how it may be compared and with what (`holds` in engine.ts). */
export const FACT_KINDS: Record<ConditionFact, 'number' | 'yesNo' | 'text' | 'list'> = {
  'order.status': 'text',
  'order.totalFen': 'number',
  'order.category': 'list',
  'order.presale': 'yesNo',
  'order.photoReviewSince': 'yesNo',
  'customer.paidOrders': 'number',
  'customer.tags': 'list',
  'customer.paidOtherSince': 'yesNo',
  'customer.orderedSince': 'yesNo',
  'customer.daysSinceLastOrder': 'number',
};
const KIND_OPS = {
  number: ['eq', 'neq', 'gte', 'lte'],
  yesNo: ['eq', 'neq'],
  text: ['eq', 'neq', 'in', 'nin'],
  list: ['eq', 'neq', 'in', 'nin', 'has', 'lacks'],
} as const;
const KIND_WANTS = {
  number: { zh: '一个数', en: 'a number' },
  yesNo: { zh: '是或否（true / false）', en: 'true or false' },
  text: { zh: '文字（属于 / 不属于：文字列表）', en: 'text (in / nin: a list of text)' },
  list: { zh: '文字或文字列表', en: 'text or a list of text' },
} as const;

/** Whether a value suits a fact of this kind under this comparison (a count compared with "lots" never held). */
function valueFits(kind: keyof typeof KIND_OPS, op: string, v: unknown): boolean {
  if (kind === 'number') return typeof v === 'number' && Number.isFinite(v);
  if (kind === 'yesNo') return typeof v === 'boolean';
  if (kind === 'text' && (op === 'eq' || op === 'neq')) return typeof v === 'string';
  return typeof v === 'string' || (Array.isArray(v) && v.length > 0);
}

export const conditionSchema = z
  .object({
    fact: z.enum(CONDITION_FACTS),
    op: z.enum(['eq', 'neq', 'in', 'nin', 'gte', 'lte', 'has', 'lacks']),
    value: z.union([z.string().max(200), z.number(), z.boolean(), z.array(z.string().max(200)).max(50)]),
  })
  .superRefine((c, ctx) => {
    const kind = FACT_KINDS[c.fact];
    const ops: readonly string[] = KIND_OPS[kind];
    if (!ops.includes(c.op))
      ctx.addIssue({
        code: 'custom',
        path: ['op'],
        message: `${c.fact} is not compared with ${c.op} (one of ${ops.join(', ')})`,
        params: reason('automation.conditionOp', { fact: c.fact, op: c.op, ops: ops.join(', ') }),
      });
    else if (!valueFits(kind, c.op, c.value))
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: `${c.fact} ${c.op} takes ${KIND_WANTS[kind].en}`,
        params: reason('automation.conditionValue', {
          fact: c.fact,
          op: c.op,
          wantZh: KIND_WANTS[kind].zh,
          wantEn: KIND_WANTS[kind].en,
        }),
      });
  });
export type Condition = z.infer<typeof conditionSchema>;

export const DATE_KINDS = [
  'birthday',
  'holiday',
  'coupon_expiry',
  'points_expiry',
  'dormant',
  'refill',
  'member_upgrade',
] as const;
export type DateKind = (typeof DATE_KINDS)[number];

/** A day of the year, MM-DD, that the calendar has (02-29 is one: a leap year's; 02-30 and 04-31 were taken). */
export const monthDay = z
  .string()
  .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'MM-DD')
  .refine((v) => Number(v.slice(3)) <= (DAYS_IN_MONTH[Number(v.slice(0, 2)) - 1] ?? 31), {
    message: 'a day the month does not have',
    params: reason('input.monthDay'),
  });
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export const triggerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('order_event'),
    event: z.enum(ORDER_EVENT_KINDS),
    /** An event seen later than this after it happened starts no run: it is skipped as too late. */
    tooLateMinutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 30)
      .optional(),
  }),
  z.object({
    type: z.literal('date'),
    date: z.enum(DATE_KINDS),
    /** birthday, holiday, coupon and points expiry: how many days before. */
    daysBefore: z.number().int().min(0).max(60).default(0),
    /** holiday: which ones (春节 … 店庆). */
    holidays: z
      .array(
        z.string().refine((h) => (HOLIDAYS as readonly string[]).includes(h), {
          message: `one of ${HOLIDAYS.join(' ')}`,
          params: reason('automation.holidayName', { holidays: HOLIDAYS.join('、') }),
        }),
      )
      .min(1)
      .max(20)
      .refine((l) => new Set(l).size === l.length, { message: 'a holiday named twice' })
      .optional(),
    /** dormant: the stages, in days without an order (each once per stage). */
    stages: z
      .array(z.number().int().min(1).max(3650))
      .min(1)
      .max(10)
      .refine((l) => new Set(l).size === l.length, { message: 'a stage given twice' })
      .optional(),
    /** refill: the interval learned per category (default) or per product (its SKU, else its title). */
    refillBy: z.enum(['category', 'product']).optional(),
    /** holiday 店庆: the shop's anniversary, MM-DD. */
    anniversary: monthDay.optional(),
  }),
  z.object({ type: z.literal('segment_entry'), segmentId: z.string().min(1).max(100) }),
  z.object({
    type: z.literal('review'),
    /** Which ratings start a run (评价: a bad or neutral review). */
    ratings: z
      .array(z.enum(['good', 'neutral', 'bad']))
      .min(1)
      .max(3)
      .default(['bad', 'neutral']),
  }),
  z.object({
    type: z.literal('schedule'),
    cron: z.string().min(1).max(100),
    segmentId: z.string().max(100).optional(),
  }),
]);
export type Trigger = z.infer<typeof triggerSchema>;

const messageText = z
  .string()
  .min(1)
  .max(2000)
  .superRefine((t, c) => {
    for (const p of templateIssues(t)) c.addIssue({ code: 'custom', message: p.message, params: p.why });
  });

export const stepSchema = z.discriminatedUnion('type', [
  z.object({
    id,
    type: z.literal('wait'),
    minutes: z
      .number()
      .int()
      .min(0)
      .max(60 * 24 * 400)
      .optional(),
    days: z.number().int().min(0).max(400).optional(),
    /** Counted from the trigger's event time (催付: 30 minutes after the order was created) or the previous step. */
    from: z.enum(['trigger', 'previous']).default('previous'),
    /** Then on to the next time the store's clock shows this. */
    untilLocal: hm.optional(),
    /**
     * Days by the order's province instead of `days` (物流异常: remote regions take longer): the first
     * entry naming the province wins; other provinces wait `days`.
     */
    byProvince: z
      .array(
        z.object({
          provinces: z
            .array(
              z
                .string()
                .min(1)
                .max(20)
                .refine((p) => normalizeProvince(p) !== null, {
                  message: 'not a province of China (广东, 新疆 …)',
                  params: reason('automation.province'),
                }),
            )
            .min(1)
            .max(40),
          days: z.number().int().min(0).max(400),
        }),
      )
      .max(20)
      .optional(),
    /**
     * 预售: wait until this many minutes before the order's balance (尾款) window closes, instead of a span;
     * an order without a balance window, or whose window has closed, leaves the run.
     */
    beforeBalanceDueMinutes: z
      .number()
      .int()
      .min(0)
      .max(60 * 24 * 30)
      .optional(),
  }),
  z.object({
    id,
    type: z.literal('branch'),
    when: z.array(conditionSchema).max(10),
    /** Where to go when `when` does not hold: a later step's id, or exit. */
    else: z.string().max(40),
  }),
  z.object({
    id,
    type: z.literal('message'),
    medium: z.enum(['sms', 'email', 'wechat', 'platform']),
    kind: z.enum(['marketing', 'care']),
    text: messageText,
    subject: z.string().max(200).optional(),
    channelId: z.string().max(100).optional(),
  }),
  z.object({
    id,
    type: z.literal('coupon'),
    templateId: z.string().min(1).max(100),
    /** A compensation coupon's value (capped at capPercent of the order's item value); ≤ ¥1,000,000. */
    valueFen: z.number().int().min(1).max(100_000_000).optional(),
    capPercent: z.number().int().min(1).max(100).optional(),
  }),
  z.object({
    id,
    type: z.literal('points'),
    points: z.number().int().min(1).max(1_000_000),
    reason: z.string().max(100),
  }),
  z.object({ id, type: z.literal('tag'), add: z.array(z.string().min(1).max(40)).min(1).max(10) }),
  z.object({
    id,
    type: z.literal('task'),
    title: z.string().min(1).max(200),
    taskType: z.enum(TASK_TYPES).default('manual'),
    priority: z.enum(TASK_PRIORITIES).default('normal'),
    /** The task's notes; #评价内容#, #订单号#, #运单号# … are filled from the trigger and the order. */
    notes: z.string().max(2000).optional(),
    dueHours: z
      .number()
      .int()
      .min(0)
      .max(24 * 60)
      .default(24),
  }),
]);
export type Step = z.infer<typeof stepSchema>;

export const definitionSchema = z
  .object({
    name: shownText(100),
    trigger: triggerSchema,
    conditions: z.array(conditionSchema).max(20).default([]),
    /** Leave the run when the customer paid (this order or another) or ordered again since the trigger. */
    exitWhen: z
      .array(z.enum(['paid', 'ordered']))
      .max(2)
      .default([]),
    steps: z.array(stepSchema).min(1).max(30),
  })
  .superRefine((d, c) => {
    const t = d.trigger;
    if (t.type === 'date' && t.date === 'holiday' && !t.holidays?.length)
      c.addIssue({
        code: 'custom',
        path: ['trigger', 'holidays'],
        message: 'a holiday trigger names its holidays',
        params: reason('automation.holidaysNone', { holidays: HOLIDAYS.join('、') }),
      });
    if (t.type === 'date' && t.date === 'holiday' && t.holidays?.includes('店庆') && !t.anniversary)
      c.addIssue({
        code: 'custom',
        path: ['trigger', 'anniversary'],
        message: "店庆 needs the shop's anniversary (MM-DD)",
        params: reason('automation.anniversaryNone'),
      });
    d.steps.forEach((s, i) => {
      if (s.type !== 'wait') return;
      const spans = [s.minutes, s.days, s.untilLocal, s.byProvince, s.beforeBalanceDueMinutes];
      if (spans.every((x) => x === undefined))
        c.addIssue({
          code: 'custom',
          path: ['steps', i],
          message: `wait step "${s.id}" says how long: minutes, days, a time of day, by province or before the balance`,
          params: reason('automation.waitEmpty', { step: s.id }),
        });
    });
    const ids = d.steps.map((s) => s.id);
    ids.forEach((x, i) => {
      if (ids.indexOf(x) !== i)
        c.addIssue({
          code: 'custom',
          path: ['steps', i, 'id'],
          message: `step id "${x}" twice`,
          params: reason('automation.stepIdTwice', { id: x }),
        });
    });
    d.steps.forEach((s, i) => {
      if (s.type !== 'branch' || s.else === 'exit') return;
      const to = ids.indexOf(s.else);
      if (to <= i)
        c.addIssue({
          code: 'custom',
          path: ['steps', i, 'else'],
          message: `"${s.else}" is not a later step's id (or "exit")`,
          params: reason('automation.elseNotLater', { else: s.else }),
        });
    });
  });
export type Definition = z.infer<typeof definitionSchema>;

/**
 * A definition as stored: parsed (defaults filled) when it passes today's schema, else taken as it is — it passed
 * the schema of the day it was saved, and a check added since (a holiday name, a condition's value, an empty wait)
 * must not stop the runs under way or every other automation of the shop. Saving or switching it on checks it again.
 */
export function storedDefinition(json: unknown): Definition {
  const r = definitionSchema.safeParse(json);
  return r.success ? r.data : (json as Definition);
}
export type DefinitionInput = z.input<typeof definitionSchema>;
