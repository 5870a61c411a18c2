import { z } from 'zod';

/**
 * RFM and lifecycle settings of a workspace. Scores 1–5 are quintiles of recency, frequency and
 * monetary value among buyers (ties share a score); the 8 classes compare each buyer with the
 * average buyer, as Chinese CRMs do: R high = bought more recently than average, F high = more
 * orders than average, M high = more spend than average. Value tiers: spend at or above the 80th
 * percentile of buyers is high, the 50th middle, below low; no purchase in churnRiskDays is churn_risk.
 */
export const rfmSettings = z
  .object({
    dormantDays: z.number().int().min(1).default(180),
    churnDays: z.number().int().min(1).default(365),
    matureOrders: z.number().int().min(2).default(3),
    churnRiskDays: z.number().int().min(1).default(180),
  })
  .refine((s) => s.churnDays > s.dormantDays, { message: 'churnDays must be larger than dormantDays' });
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
