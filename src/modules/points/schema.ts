import { reason } from '../../core/reasons.js';
import { z } from 'zod';

export const entryOutput = z.object({
  id: z.string(),
  kind: z.string(),
  points: z.number(),
  source: z.string(),
  reason: z.string().nullable(),
  orderId: z.string().nullable(),
  availableAt: z.string().nullable(),
  /** Order points waiting for the order to be delivered: no date yet (availableAt null). */
  awaitingDelivery: z.boolean(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  replayed: z.boolean(),
});

export const balanceOutput = z.object({
  summary: z.object({
    pending: z.number(),
    spendable: z.number(),
    spent: z.number(),
    expired: z.number(),
    lifetime: z.number(),
  }),
  entries: z.array(entryOutput),
});

export const idempotencyHeader = z.object({ 'idempotency-key': z.string().min(1).max(200).optional() });

export const earnInput = z.object({
  points: z.number().int().min(1).max(10_000_000),
  source: z.string().trim().min(1).max(40).default('grant'),
  reason: z.string().max(200).nullable().default(null),
  expiresAt: z.iso.datetime().nullable().optional(),
});

export const redeemInput = z.object({
  points: z.number().int().min(1).max(10_000_000),
  source: z.string().trim().min(1).max(40).default('redemption'),
  reason: z.string().max(200).nullable().default(null),
});

export const redeemOutput = entryOutput.extend({
  allocations: z.array(z.object({ lotId: z.string(), points: z.number() })),
});

export const adjustInput = z.object({
  points: z
    .number()
    .int()
    .min(-10_000_000)
    .max(10_000_000)
    .refine((n) => n !== 0, { message: 'points cannot be 0', params: reason('input.notZero', { field: 'points' }) }),
  reason: z.string().trim().min(1, 'say why').max(200),
});

export const signInInput = z.object({ at: z.iso.datetime({ offset: true }).optional() }).default({});

export const referralInput = z.object({ referredCustomerId: z.string().min(1) });

export const rewardOutput = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  pointsCost: z.number(),
  stock: z.number().nullable(),
  couponTemplateId: z.string().nullable(),
  archivedAt: z.string().nullable().describe('archived: not redeemable, listed only on request; redemptions stay'),
});

export const rewardsOutput = z.object({ items: z.array(rewardOutput) });

export const redeemRewardInput = z.object({ customerId: z.string() });

export const redemptionOutput = z.object({
  id: z.string(),
  rewardId: z.string(),
  customerId: z.string(),
  pointsEntryId: z.string(),
  couponId: z.string().nullable(),
  status: z.string(),
  createdAt: z.string(),
  voidedAt: z.string().nullable(),
  replayed: z.boolean(),
});

export const voidOutput = z.object({ id: z.string(), pointsReturned: z.number(), voidedAt: z.string() });

export const grantInput = z.object({
  segmentId: z.string(),
  points: z.number().int().min(1).max(1_000_000),
  batch: z.string().trim().min(1).max(60),
  reason: z.string().trim().min(1).max(200),
});

export const grantOutput = z.object({
  granted: z.number(),
  already: z.number().describe('members who had this batch already'),
  erased: z.number().describe('members erased (PIPL): passed by'),
});

export const liabilityOutput = z.object({
  items: z.array(z.object({ expiresIn: z.string(), pending: z.number(), spendable: z.number(), valueFen: z.number() })),
  totalPoints: z.number(),
  totalValueFen: z.number(),
});

export const syncOutput = z.object({ earned: z.number(), reversed: z.number(), expired: z.number() });
