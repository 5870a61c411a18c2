import { z } from 'zod';

/** How the values are turned into money, and how long the holdout for the calibration check is. */
export const predictSettings = z
  .object({
    /** CLV horizon in months. */
    horizonMonths: z.number().int().min(1).max(120).default(12),
    /** Monthly discount rate (0.01 = 1 % a month). */
    monthlyDiscount: z.number().min(0).max(0.5).default(0.01),
    /** The last days kept out of the calibration fit, to compare its predictions with what happened. */
    holdoutDays: z.number().int().min(14).max(730).default(90),
  })
  .strict();
export type PredictSettings = z.infer<typeof predictSettings>;

export const churnBandSchema = z.enum(['low', 'medium', 'high', 'one_time']);

export const customerPredictionOut = z.object({
  frequency: z.number().describe('repeat purchase days (days with a paid order after the first)'),
  recencyDays: z.number().describe('days from the first to the last purchase day'),
  ageDays: z.number().describe('days from the first purchase day to the fit'),
  expectedOrders30d: z.number(),
  expectedOrders90d: z.number(),
  expectedOrders365d: z.number(),
  pAlive: z.number().describe('probability the customer still buys (BG/NBD)'),
  expectedOrderValueFen: z.number().describe('expected spend per order (Gamma-Gamma)'),
  clvFen: z.number().describe('expected discounted spend over the horizon'),
  churnBand: churnBandSchema,
  nextOrderDate: z.string().nullable().describe('local date by which the next order is more likely than not'),
  fittedAt: z.string(),
});

const calibrationRow = z.object({
  frequency: z.string().describe('repeat purchase days in the calibration period: 0 … 6, or 7+'),
  customers: z.number(),
  predicted: z.number().describe('mean predicted repeat orders (order days) in the holdout'),
  actual: z.number().describe('mean actual order days in the holdout'),
});

export const calibrationOut = z.object({
  status: z.enum(['ok', 'insufficient_data']),
  message: z.string().nullable(),
  holdoutDays: z.number(),
  calibrationEnd: z.string().nullable().describe('first local date of the holdout'),
  customers: z.number(),
  predictedTotal: z.number(),
  actualTotal: z.number(),
  rows: z.array(calibrationRow),
});
export type Calibration = z.infer<typeof calibrationOut>;

export const modelParamsOut = z.object({
  timeUnit: z.literal('day'),
  bgnbd: z.object({ r: z.number(), alpha: z.number(), a: z.number(), b: z.number(), logLikelihood: z.number() }),
  spend: z.object({
    model: z.enum(['gamma-gamma', 'average']),
    p: z.number().nullable(),
    q: z.number().nullable(),
    gamma: z.number().nullable(),
    meanOrderValueFen: z.number(),
    customers: z.number(),
  }),
  repeatCustomers: z.number(),
});
export type ModelParams = z.infer<typeof modelParamsOut>;

export const modelOut = z.object({
  status: z.enum(['fitted', 'insufficient_data', 'never_fitted']),
  message: z.string().nullable(),
  fittedAt: z.string().nullable(),
  fitMs: z.number().nullable(),
  customers: z.number(),
  params: modelParamsOut.nullable(),
  settings: predictSettings,
  calibration: calibrationOut.nullable(),
});
