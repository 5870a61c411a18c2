import { reason } from '../reasons.js';
import { z } from 'zod';

/**
 * RFM and lifecycle settings of a workspace. Scores 1–5 are quintiles of recency, frequency and
 * monetary value among buyers (ties share a score); the 8 classes compare each buyer with the
 * average buyer, as Chinese CRMs do: R high = bought more recently than average, F high = more
 * orders than average, M high = more spend than average. Value tiers: spend at or above the 80th
 * percentile of buyers is high, the 50th middle, below low; no purchase in churnRiskDays is churn_risk.
 */
const ascending = (what: string) =>
  z
    .array(z.number().min(0))
    .length(4, `${what}: four boundaries, for scores 2, 3, 4 and 5`)
    .refine((a) => a.every((v, i) => i === 0 || v > a[i - 1]!), {
      message: `${what}: boundaries must increase`,
      params: reason('input.ascending', { field: what }),
    });

/**
 * Scores by fixed thresholds instead of quintiles: score 5 for R when the last purchase is at
 * most r[0] days ago, 4 within r[1] … 1 beyond r[3]; F and M score 2…5 from f[i] orders and m[i]
 * fen up.
 */
export const rfmThresholds = z
  .object({
    recencyDays: ascending('recencyDays'),
    orders: ascending('orders'),
    spentFen: ascending('spentFen'),
  })
  .strict();

export const rfmSettings = z
  .object({
    dormantDays: z.number().int().min(1).default(180),
    churnDays: z.number().int().min(1).default(365),
    matureOrders: z.number().int().min(2).default(3),
    churnRiskDays: z.number().int().min(1).default(180),
    scoring: z.enum(['quintiles', 'thresholds']).default('quintiles'),
    thresholds: rfmThresholds.optional(),
  })
  .refine((s) => s.churnDays > s.dormantDays, {
    message: 'churnDays must be larger than dormantDays',
    params: reason('rfm.churnAfterDormant'),
  })
  .refine((s) => s.scoring !== 'thresholds' || s.thresholds, {
    message: 'scoring "thresholds" needs thresholds: { recencyDays, orders, spentFen }',
  });
export type RfmSettings = z.infer<typeof rfmSettings>;

/** Class by (R high, F high, M high). */
export const RFM_CLASS_OF: Record<string, string> = {
  '111': '重要价值',
  '101': '重要发展',
  '011': '重要保持',
  '001': '重要挽留',
  '110': '一般价值',
  '100': '一般发展',
  '010': '一般保持',
  '000': '一般挽留',
};
