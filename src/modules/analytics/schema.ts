import { z } from 'zod';

export const dashboardQuery = z.object({ days: z.coerce.number().int().min(1).max(366).default(30) });

const periodKpis = z.object({
  orders: z.number(),
  revenueFen: z.number(),
  buyers: z.number(),
  newBuyers: z.number(),
  returningBuyers: z.number(),
  returningShare: z.number().describe('老会员占比: returning buyers / buyers'),
  returningRevenueShare: z.number().describe('revenue from returning buyers / revenue'),
  repurchaseRate: z.number().describe('buyers with two or more purchases in the period / buyers'),
  aovFen: z.number(),
  newCustomers: z.number().describe('customers whose first order (paid or not) falls in the period'),
  revenueByCurrency: z
    .array(z.object({ currency: z.string(), orders: z.number(), revenueFen: z.number(), aovFen: z.number() }))
    .describe('orders and revenue in each currency (the money figures above are in the main currency only)'),
});

export const dashboardOutput = z.object({
  timezone: z.string(),
  currency: z.string().describe('the currency of every money figure (revenueByCurrency has the others)'),
  currencies: z.array(z.string()),
  days: z.number(),
  today: periodKpis,
  period: periodKpis,
  totals: z.object({
    customers: z.number(),
    buyers: z.number(),
    repeatBuyers: z.number(),
    repurchaseRate: z.number().describe('复购率 over the whole customer file'),
    consented: z.number(),
  }),
  trend: z.array(
    z.object({
      day: z.string(),
      orders: z.number(),
      revenueFen: z.number(),
      buyers: z.number(),
      newBuyers: z.number(),
    }),
  ),
});

export const provincesOutput = z.object({
  from: z.string().optional().describe('with a range or store asked for: the range (else every buyer ever)'),
  to: z.string().optional(),
  currency: z.string().optional(),
  builtAt: z.string().nullable().optional(),
  items: z.array(
    z.object({
      province: z.string().nullable(),
      short: z.string().nullable().describe('the name the China map uses'),
      buyers: z.number(),
      orders: z.number(),
      spentFen: z.number(),
      currency: z.string(),
      spentShare: z.number(),
    }),
  ),
});

// ---- 数据分析 views (views.ts, effects.ts) ----

const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-11-11');

export const rangeQuery = z.object({
  from: localDate
    .optional()
    .describe('first local day of the range (workspace time zone); default: 30 days before `to`'),
  to: localDate.optional().describe('last local day of the range, included; default: today'),
  storeId: z.string().min(1).max(100).optional().describe('one store; all stores in the main currency when left out'),
});

export const productsQuery = rangeQuery.extend({ limit: z.coerce.number().int().min(1).max(100).default(10) });

const rangeHead = {
  from: z.string(),
  to: z.string(),
  currency: z.string(),
  builtAt: z.string().nullable().describe('when the pre-aggregates were last rebuilt from the orders'),
};

const memberKpis = z.object({
  buyers: z.number().describe('成交会员人数'),
  revenueFen: z.number().describe('成交金额 (paid minus refunded)'),
  orders: z.number(),
  aovFen: z.number(),
  returningBuyers: z.number().describe('老会员: buyers who had bought before the range, in the same stores'),
  returningRevenueFen: z.number(),
  returningBuyerShare: z.number().describe('老会员成交人数占比'),
  returningRevenueShare: z.number().describe('老会员成交金额占比'),
  newBuyers: z.number(),
  repeatBuyers: z.number(),
  repurchaseRate: z.number().describe('buyers with two or more orders in the range / buyers'),
});

const changes = z.object({
  buyers: z.number().nullable(),
  revenueFen: z.number().nullable(),
  orders: z.number().nullable(),
  aovFen: z.number().nullable(),
  returningBuyerShare: z.number().nullable(),
  returningRevenueShare: z.number().nullable(),
});

const comparedRange = z.object({
  from: z.string(),
  to: z.string(),
  kpis: memberKpis,
  comparable: z.boolean().describe("false when the shop's data starts after the range's first day: no change given"),
});

export const overviewOutput = z.object({
  ...rangeHead,
  kpis: memberKpis,
  /** The first local day of the shop's data in scope (null: none yet). */
  dataFrom: z.string().nullable(),
  previous: comparedRange,
  yearAgo: comparedRange,
  mom: changes.describe(
    '环比: change against the range of the same length just before (null without a base, or when not comparable)',
  ),
  yoy: changes.describe('同比: change against the same dates a year earlier (null likewise)'),
  payment: z.object({
    createdOrders: z.number(),
    paidOrders: z.number(),
    paymentRate: z.number().describe('paid / created, by the day the order was created'),
    recoveredOrders: z.number().describe('催付挽回: paid an hour or more after being created'),
    recoveredFen: z.number(),
  }),
});

const reference = z.object({ label: z.string(), low: z.number(), high: z.number() });

export const repurchaseOutput = z.object({
  ...rangeHead,
  reference: reference.nullable(),
  months: z.array(
    z.object({
      month: z.string(),
      buyers: z.number(),
      repeatBuyers: z.number(),
      rate: z.number().describe('复购率: buyers for whom a purchase in the month was at least their second'),
      gap: z.number().nullable().describe('0 inside the reference band, negative below it, positive above it'),
    }),
  ),
});

export const cohortsOutput = z.object({
  ...rangeHead,
  cohorts: z.array(
    z.object({ cohort: z.string(), buyers: z.number(), active: z.array(z.number()), retention: z.array(z.number()) }),
  ),
});

const band = z.object({ key: z.string(), buyers: z.number(), share: z.number() });

export const distributionOutput = z.object({
  ...rangeHead,
  frequency: z.array(band.extend({ revenueFen: z.number() })),
  aov: z.array(band),
  churn: z.array(band).describe('days from the last purchase to the end of the range, everyone who bought by then'),
  age: z.array(band),
  gender: z.array(band),
  cityTier: z.array(band),
});

const productRow = z.object({
  product: z.string(),
  units: z.number(),
  orders: z.number(),
  revenueFen: z.number(),
  buyers: z.number(),
  repeatBuyers: z.number(),
  repurchaseRate: z.number(),
});

export const productsOutput = z.object({
  ...rangeHead,
  bestByUnits: z.array(productRow),
  slowByUnits: z.array(productRow),
  bestByRepurchase: z.array(productRow),
  slowByRepurchase: z.array(productRow),
});

export const timingOutput = z.object({
  ...rangeHead,
  /** The first local day of the shop's data in scope (null: none yet). */
  dataFrom: z.string().nullable(),
  hours: z.array(z.object({ hour: z.number(), orders: z.number(), revenueFen: z.number() })),
  weekdays: z.array(
    z.object({ weekday: z.number().describe('0 = Monday'), orders: z.number(), revenueFen: z.number() }),
  ),
  months: z.array(
    z.object({
      month: z.string(),
      /** The days of the month in the range; `whole` when it covers the whole month. */
      from: z.string(),
      to: z.string(),
      whole: z.boolean(),
      orders: z.number(),
      revenueFen: z.number(),
      revenueMom: z.number().nullable(),
      revenueYoy: z.number().nullable(),
      ordersMom: z.number().nullable(),
      ordersYoy: z.number().nullable(),
    }),
  ),
});

export const effectsOutput = z.object({
  from: z.string(),
  to: z.string(),
  allStores: z
    .literal(true)
    .describe('campaigns and coupons are not per store: the effects are of all stores whatever storeId says'),
  campaigns: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      launchedAt: z.string(),
      treated: z.number(),
      control: z.number(),
      treatedConversion: z.number().nullable(),
      controlConversion: z.number().nullable(),
      conversionLift: z.number().nullable(),
      incrementalRevenueFen: z.number().nullable(),
      conversionLiftRange: z.object({ low: z.number(), high: z.number() }).nullable(),
      incrementalRevenueRangeFen: z.object({ low: z.number(), high: z.number() }).nullable(),
      costFen: z.number(),
      roi: z.number().nullable(),
    }),
  ),
  coupons: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      issued: z.number(),
      used: z.number(),
      useRate: z.number(),
      revenueFen: z.number(),
      discountFen: z.number(),
      holders: z.number(),
      holderConversion: z.number().nullable(),
      controlConversion: z.number().nullable(),
      conversionLift: z.number().nullable(),
      incrementalRevenueFen: z.number().nullable(),
      roi: z.number().nullable(),
    }),
  ),
});

export const settingsOutput = z.object({ repurchaseReference: reference.nullable() });

export const activitiesQuery = z.object({ year: z.coerce.number().int().min(2000).max(2100).optional() });
export const activitiesOutput = z.object({
  items: z.array(z.object({ key: z.string(), name: z.string(), from: z.string(), to: z.string() })),
});

export const dailyOutput = z.object({
  ...rangeHead,
  days: z.array(
    z.object({
      day: z.string(),
      buyers: z.number(),
      newBuyers: z.number().describe('buyers whose first purchase in the stores in scope is that day'),
      orders: z.number(),
      revenueFen: z.number(),
    }),
  ),
});

export const EXPORT_VIEWS = [
  'overview',
  'repurchase',
  'cohorts',
  'distribution',
  'products',
  'timing',
  'effects',
  'provinces',
  'daily',
] as const;
export const exportQuery = rangeQuery.extend({ view: z.enum(EXPORT_VIEWS).default('overview') });
