import { shownText } from '../../core/validation.js';
import { z } from 'zod';
import { reason } from '../../core/reasons.js';
import { MAX_ORDER_FEN } from '../../core/money.js';
import { contentSchema, kindSchema } from '../messaging/schema.js';

export const variantInput = z
  .object({
    key: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,20}$/, 'a short key: letters, digits, - or _ (A, B …)')
      .refine((k) => k !== 'control', '"control" is the hold-out group')
      // Counted by key in plain objects (the dry run, reports): a name objects already have would be lost or break it.
      .refine((k) => !(k in Object.prototype), 'a name JavaScript objects already have (constructor, __proto__ …)'),
    weight: z.number().int().min(1).max(100).default(1),
    content: contentSchema,
  })
  .strict();

export const campaignInput = z
  .object({
    name: shownText(80),
    kind: kindSchema.default('marketing'),
    /** Default: the workspace's outbox. */
    channelId: z.string().optional(),
    /** A saved segment id, a system one (sys:…, an RFM cell sys:rfm:R3F4) or an uploaded list (list:…). */
    segmentId: z.string().min(1).max(200),
    variants: z.array(variantInput).min(1).max(5),
    holdoutPct: z.number().min(0).max(50).default(10),
    /** The seed that draws the hold-out and the variants (default: random, stored). */
    seed: z.string().min(1).max(64).optional(),
    budgetFen: z.number().int().min(0).max(MAX_ORDER_FEN).nullable().default(null),
    attributionDays: z.number().int().min(1).max(90).default(7),
    /** A coupon template issued to each recipient with the message (#优惠券# #优惠券金额# are its code and amount). */
    couponTemplateId: z.string().min(1).nullable().default(null),
    /** now; at a time (startAt); or at the next send window. */
    schedule: z.enum(['now', 'at', 'window']).default('now'),
    startAt: z.iso.datetime({ offset: true }).nullable().default(null),
    /** At most this many messages a minute (null: as fast as the channel takes them). */
    throttlePerMinute: z.number().int().min(1).max(100_000).nullable().default(null),
    /** Where #链接# leads. */
    linkUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .nullable()
      .default(null),
  })
  .superRefine((c, ctx) => {
    const keys = c.variants.map((v) => v.key);
    if (new Set(keys).size !== keys.length)
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'variant keys must differ' });
    const usesLink = c.variants.some((v) => `${v.content.text}${v.content.html ?? ''}`.includes('#链接#'));
    if (c.schedule === 'at' && !c.startAt)
      ctx.addIssue({ code: 'custom', path: ['startAt'], message: 'a campaign scheduled "at" a time needs startAt' });
    // A start time beside "now" or "the next send window" was dropped without a word: the campaign went out at once.
    if (c.schedule !== 'at' && c.startAt)
      ctx.addIssue({
        code: 'custom',
        path: ['startAt'],
        message: `startAt is only for a campaign scheduled "at" a time (this one starts ${c.schedule})`,
        params: reason('campaign.startAtNotScheduled', {
          schedule: c.schedule === 'now' ? '「立即发送」' : '「下一个发送时段」',
          scheduleEn: c.schedule === 'now' ? 'now' : 'at the next send window',
        }),
      });
    // A coupon sent to a segment is an offer: as care it would pass the consent, the 30-day cap and the SMS rules.
    if (c.kind === 'care' && c.couponTemplateId)
      ctx.addIssue({
        code: 'custom',
        path: ['couponTemplateId'],
        message: 'a coupon is marketing: a care campaign cannot carry one (make it kind "marketing")',
        params: reason('campaign.careCoupon'),
      });
    if (usesLink && !c.linkUrl)
      ctx.addIssue({ code: 'custom', path: ['linkUrl'], message: 'the text uses #链接#: give linkUrl' });
  });
export type CampaignInput = z.infer<typeof campaignInput>;

export const campaignStatus = z.enum(['draft', 'scheduled', 'running', 'paused', 'done', 'cancelled']);

export const campaignView = z.object({
  id: z.string(),
  name: z.string(),
  status: campaignStatus,
  kind: kindSchema,
  channelId: z.string(),
  segmentId: z.string(),
  snapshotId: z.string().nullable(),
  variants: z.array(z.object({ key: z.string(), weight: z.number(), content: contentSchema })),
  holdoutPct: z.number(),
  seed: z.string(),
  budgetFen: z.number().nullable(),
  attributionDays: z.number(),
  linkUrl: z.string().nullable(),
  couponTemplateId: z.string().nullable(),
  schedule: z.enum(['now', 'at', 'window']),
  startAt: z.string().nullable(),
  throttlePerMinute: z.number().nullable(),
  createdBy: z.string().nullable(),
  launchedAt: z.string().nullable(),
  plannedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CampaignView = z.infer<typeof campaignView>;

const reasonCounts = z.record(z.string(), z.number());

export const dryRunView = z.object({
  opensAt: z
    .string()
    .nullable()
    .describe('when the next send window opens and the deferred go out; null when none is deferred'),
  localLinks: z
    .string()
    .nullable()
    .describe(
      "the messages carry links (the campaign's, an e-mail's unsubscribe) to this public address, which only this " +
        'machine or its network opens',
    ),
  audience: z.number(),
  control: z.number(),
  treated: z.number(),
  /** Per variant: the customers drawn into it (before the rules that hold some back). */
  variants: z.record(z.string(), z.number()),
  /** Per variant: of those, how many would receive it. */
  variantsReceiving: z.record(z.string(), z.number()),
  wouldReceive: z.number(),
  /** Of those: deferred to the next send window. */
  deferred: z.number(),
  heldBack: reasonCounts,
  parts: z.number(),
  costFen: z.number(),
});

export const reportView = z.object({
  status: campaignStatus,
  audience: z.number(),
  control: z.number(),
  targeted: z.number(),
  heldBack: reasonCounts,
  queued: z.number(),
  deferred: z.number(),
  nextSendAt: z.string().nullable().describe('the earliest a deferred message goes out (the next send window)'),
  sent: z.number(),
  failed: z.number(),
  cancelled: z.number(),
  clicked: z.number(),
  /** Sent messages a provider's receipt confirmed delivered (channels without receipts count none). */
  delivered: z.number(),
  optedOut: z.number(),
  costFen: z.number(),
  variants: z.array(
    z.object({ key: z.string(), targeted: z.number(), sent: z.number(), failed: z.number(), clicked: z.number() }),
  ),
});

const estimate = z.object({ value: z.number(), low: z.number(), high: z.number() });
const attributionOf = z.object({
  treated: z.object({ customers: z.number(), conversion: z.number(), orders: z.number(), revenueFen: z.number() }),
  control: z.object({ customers: z.number(), conversion: z.number(), orders: z.number(), revenueFen: z.number() }),
  conversionLift: estimate,
  relativeLift: z.number().nullable(),
  incrementalConversions: estimate,
  incrementalOrders: estimate,
  incrementalRevenueFen: estimate,
});

export const attributionView = z.object({
  days: z.number(),
  from: z.string(),
  to: z.string(),
  costFen: z.number(),
  /** Incremental revenue ÷ cost (null when nothing was spent or there is no control). */
  roi: z.number().nullable(),
  overall: attributionOf.nullable(),
  /** Drawn into a variant and into the hold-out, whether or not there is an attribution (none without a control). */
  treated: z.number(),
  control: z.number(),
  variants: z.array(z.object({ key: z.string(), attribution: attributionOf.nullable() })),
});

export const testSendInput = z
  .object({
    userIds: z.array(z.string()).max(20).default([]),
    phone: z.string().trim().max(40).nullable().optional(),
    email: z.string().trim().max(200).nullable().optional(),
    /** One variant (default: every variant). */
    variant: z.string().nullable().optional(),
  })
  .strict();

export const testSendView = z.object({
  items: z.array(
    z.object({
      to: z.string(),
      variant: z.string(),
      status: z.string(),
      error: z.string().nullable(),
      messageId: z.string(),
    }),
  ),
});

export const audienceListView = z.object({
  id: z.string(),
  segmentId: z.string(),
  name: z.string(),
  fileName: z.string().nullable(),
  rows: z.number(),
  matched: z.number(),
  unmatched: z.number(),
  createdAt: z.string(),
});

const compareRow = z.object({
  key: z.string().nullable(),
  targeted: z.number(),
  sent: z.number(),
  delivered: z.number(),
  clicked: z.number(),
  treatedConversion: z.number().nullable(),
  controlConversion: z.number().nullable(),
  incrementalRevenueFen: estimate.nullable(),
  costFen: z.number(),
  roi: z.number().nullable(),
});

export const compareView = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: campaignStatus,
      launchedAt: z.string().nullable(),
      couponTemplateId: z.string().nullable(),
      attributionDays: z.number(),
      overall: compareRow,
      variants: z.array(compareRow),
    }),
  ),
});
