import { MAX_ORDER_FEN } from '../../core/money.js';
import { z } from 'zod';
import { couponRules, validitySchema } from '../../core/coupons.js';

export const templateOutput = z.object({
  id: z.string(),
  name: z.string(),
  rules: couponRules,
  validity: validitySchema,
  perCustomerLimit: z.number(),
  totalStock: z.number().nullable(),
  issued: z.number(),
  compensation: z.boolean(),
  paused: z.boolean().describe('no new coupons while paused; those out stay usable'),
  archivedAt: z.string().nullable().describe('archived: issues no more, listed only on request; its history stays'),
});

export const templatesOutput = z.object({ items: z.array(templateOutput) });

export const issueInput = z.object({
  customerId: z.string(),
  /** A compensation coupon's value (≤ ¥1,000,000, as any coupon amount) and the item's (an order's limit). */
  valueFen: z.number().int().min(1).max(100_000_000).optional(),
  itemValueFen: z.number().int().min(1).max(MAX_ORDER_FEN).optional(),
});

export const issuedOutput = z.object({
  id: z.string(),
  code: z.string(),
  validFrom: z.string(),
  validTo: z.string(),
  replayed: z.boolean(),
});

export const issueSegmentInput = z.object({ segmentId: z.string(), batch: z.string().min(1).max(60) });

export const issueSegmentOutput = z.object({
  issued: z.number(),
  skipped: z.number().describe('already had one from this batch, or over the per-customer limit'),
  erased: z.number().describe('in the segment but erased (PIPL): passed by'),
  stoppedAtStock: z.boolean(),
});

export const reportOutput = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      issued: z.number(),
      used: z.number(),
      expired: z.number(),
      revenueFen: z.number(),
      discountFen: z.number(),
    }),
  ),
});

export const expiringQuery = z.object({
  days: z.coerce.number().int().min(1).max(90).default(7),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const expiringOutput = z.object({
  items: z.array(
    z.object({ id: z.string(), customerId: z.string(), code: z.string(), validTo: z.string(), name: z.string() }),
  ),
  /** All coupons expiring within the days; items holds the `limit` soonest. */
  total: z.number(),
});

export const customerCouponsOutput = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      code: z.string(),
      status: z.string(),
      validFrom: z.string(),
      validTo: z.string(),
      orderId: z.string().nullable(),
      discountFen: z.number().nullable(),
      issuedAt: z.string(),
      usedAt: z.string().nullable(),
    }),
  ),
});

export const syncOutput = z.object({ used: z.number(), expired: z.number() });
