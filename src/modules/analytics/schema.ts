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
