import { z } from 'zod';
import { DEFAULT_TIMEZONE, isValidTimeZone } from '../../core/time.js';

export const PLATFORMS = ['taobao', 'tmall', 'jd', 'douyin', 'shopify', 'other'] as const;

export const timezoneSchema = z
  .string()
  .refine(isValidTimeZone, { message: 'not a known IANA time zone (e.g. Asia/Shanghai)' });

export const storeInput = z.object({
  name: z.string().trim().min(1, 'name is required').max(100),
  platform: z.enum(PLATFORMS),
  timezone: timezoneSchema.default(DEFAULT_TIMEZONE),
});
export const storePatch = storeInput.partial();

export const storeOutput = z.object({
  id: z.string(),
  name: z.string(),
  platform: z.string(),
  timezone: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type StoreInput = z.input<typeof storeInput>;
