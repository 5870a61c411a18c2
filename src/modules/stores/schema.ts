import { shownText } from '../../core/validation.js';
import { z } from 'zod';
import { DEFAULT_CURRENCY, isCurrencyCode } from '../../core/money.js';
import { DEFAULT_TIMEZONE, isValidTimeZone } from '../../core/time.js';

export const PLATFORMS = ['taobao', 'tmall', 'jd', 'douyin', 'shopify', 'other'] as const;

export const timezoneSchema = z
  .string()
  .refine(isValidTimeZone, { message: 'not a known IANA time zone (e.g. Asia/Shanghai)' });

export const currencySchema = z
  .string()
  .trim()
  .transform((c) => c.toUpperCase())
  .refine(isCurrencyCode, { message: 'not an ISO 4217 currency code (e.g. CNY, GBP, USD)' });

export const storeInput = z.object({
  name: shownText(100),
  platform: z.enum(PLATFORMS),
  timezone: timezoneSchema.default(DEFAULT_TIMEZONE),
  /** Every amount of the store's orders is in this currency. */
  currency: currencySchema.default(DEFAULT_CURRENCY),
});
export const storePatch = z.object({
  name: storeInput.shape.name.optional(),
  platform: storeInput.shape.platform.optional(),
  timezone: timezoneSchema.optional(),
  currency: currencySchema.optional(),
});

export const storeOutput = z.object({
  id: z.string(),
  name: z.string(),
  platform: z.string(),
  timezone: z.string(),
  currency: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type StoreInput = z.input<typeof storeInput>;
export type StorePatch = z.input<typeof storePatch>;
