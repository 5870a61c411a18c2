import { reasonView } from '../http.js';
import { z } from 'zod';
import { benefitsSchema, tierSettingsSchema } from '../../core/tiers.js';

export const tierSettingsOutput = tierSettingsSchema;

export const tierLadderOutput = tierSettingsSchema.safeExtend({
  members: z.record(z.string(), z.number()).describe('members per tier key'),
});

const tierCount = z.object({ key: z.string(), name: z.string(), members: z.number() });

export const tierPreviewOutput = z.object({
  before: z.array(tierCount),
  after: z.array(tierCount),
  /** Against each member's tier now (stored): what re-evaluating with the proposed settings would move. */
  wouldMoveUp: z.number(),
  wouldMoveDown: z.number(),
  /** Members the edit itself moves: their tier under the proposed settings differs from the current settings' one. */
  changedByEdit: z.number(),
});

export const evaluateInput = z.object({ yearly: z.boolean().default(false) });

export const evaluateOutput = z.object({
  joined: z.number(),
  upgraded: z.number(),
  yearly: z.object({ reviewed: z.number(), down: z.number(), up: z.number() }).nullable(),
});

export const memberTierOutput = z.object({
  tier: z.object({ key: z.string(), name: z.string(), benefits: benefitsSchema }).nullable(),
  growth: z.number().describe('growth value (成长值) now'),
  floor: z.string().nullable(),
  cycleStartedAt: z.string().nullable(),
  history: z.array(
    z.object({
      from: z.string().nullable(),
      to: z.string(),
      /** The tiers' names on the current ladder (a key no longer on it shows as itself). */
      fromName: z.string().nullable(),
      toName: z.string(),
      /** In English. */
      reason: z.string(),
      /** The reason as a key of core/reasons.ts and its parameters; null on changes made before reasons had codes. */
      why: reasonView.nullable(),
      at: z.string(),
    }),
  ),
});

export const tierFloorInput = z.object({ tierKey: z.string(), reason: z.string().max(200) });
