import { z } from 'zod';
import { normalizeProvince } from '../../core/address.js';

export const CUSTOMER_SORTS = ['last_order', 'spent', 'orders', 'newest'] as const;

export const customerListQuery = z.object({
  q: z.string().trim().max(100).optional().describe('nick, name, phone (full or last 4+ digits) or email'),
  storeId: z.string().optional().describe('customers who ordered in this store'),
  province: z
    .string()
    .trim()
    // 浙江 or 上海 as a seller types it is 浙江省 / 上海市 as the files store it (it matched nobody).
    .transform((v) => normalizeProvince(v) ?? v)
    .optional()
    .describe('the province, short (浙江) or full (浙江省)'),
  minPaidOrders: z.coerce.number().int().min(0).optional(),
  consent: z.enum(['granted', 'denied', 'unknown']).optional().describe('marketing consent'),
  sort: z.enum(CUSTOMER_SORTS).default('last_order'),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type CustomerListQuery = z.infer<typeof customerListQuery>;

export const statsOutput = z.object({
  currency: z.string().describe('ISO 4217 currency of the amounts (that of the store the customer came from)'),
  ordersCount: z.number(),
  paidOrders: z.number(),
  totalSpentFen: z.number(),
  aovFen: z.number(),
  refundFen: z.number(),
  refundOrders: z.number(),
  spent12mFen: z.number(),
  orders12m: z.number(),
  firstOrderAt: z.string().nullable(),
  lastOrderAt: z.string().nullable(),
  firstPaidAt: z.string().nullable(),
  lastPaidAt: z.string().nullable(),
  favouriteCategory: z.string().nullable(),
  province: z.string().nullable(),
});

export const customerSummary = z.object({
  id: z.string(),
  name: z.string(),
  realName: z.string().nullable(),
  phone: z.string().nullable(),
  email: z.string().nullable(),
  province: z.string().nullable(),
  city: z.string().nullable(),
  marketingConsent: z.string(),
  createdAt: z.string(),
  rfmClass: z.string().nullable().describe('RFM class (重要价值 …), null before the first RFM run'),
  lifecycle: z.string().nullable(),
  tier: z.string().nullable().describe('member tier key, null when not evaluated yet'),
  store: z
    .object({ name: z.string(), platform: z.string() })
    .nullable()
    .describe('the store the customer came from (first order or import)'),
  stats: statsOutput,
});

export const customerListOutput = z.object({
  items: z.array(
    customerSummary.extend({
      matched: z
        .enum(['name', 'realName', 'phone', 'email', 'nick'])
        .nullable()
        .describe('with q: the field the search text matched (nick: a buyer nick or id)'),
    }),
  ),
  nextCursor: z.string().nullable(),
  total: z.number().int().nullable().describe('customers the filters match; on the first page only (no cursor)'),
});

const flag = z.boolean().optional();
export const customerPatch = z
  .object({
    realName: z.string().trim().max(40).nullable().optional(),
    phone: z.string().trim().nullable().optional().describe('mainland mobile; +86 and spaces are fine'),
    email: z.string().trim().email('not an email address').max(200).nullable().optional(),
    gender: z.enum(['female', 'male']).nullable().optional(),
    birthday: z.iso.date({ message: 'birthday must be a date like 1995-03-15' }).nullable().optional(),
    wechat: z.string().trim().max(64).nullable().optional(),
    qq: z
      .string()
      .trim()
      .regex(/^\d{5,12}$/, 'a QQ number has 5–12 digits')
      .nullable()
      .optional(),
    source: z.string().trim().max(40).nullable().optional(),
    marketingConsent: z.enum(['granted', 'denied', 'unknown']).optional(),
    isPicky: flag,
    isBadReviewer: flag,
    isBlacklisted: flag,
    optOutSms: flag,
    optOutEmail: flag,
    optOutWechat: flag,
  })
  .strict();
export type CustomerPatch = z.infer<typeof customerPatch>;
