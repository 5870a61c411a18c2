import { z } from 'zod';
import { ORDER_STATUSES } from '../../core/order-status.js';

export const orderListQuery = z.object({
  storeId: z.string().optional(),
  customerId: z.string().optional(),
  status: z.enum(ORDER_STATUSES).optional(),
  q: z.string().trim().max(100).optional().describe('order id or buyer nick'),
  from: z.iso.datetime({ offset: true }).optional().describe('created at or after (ISO 8601)'),
  to: z.iso.datetime({ offset: true }).optional().describe('created before (ISO 8601)'),
  cursor: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type OrderListQuery = z.input<typeof orderListQuery>;

export const orderItemOutput = z.object({
  lineKey: z.string(),
  title: z.string().nullable(),
  sku: z.string().nullable(),
  category: z.string().nullable(),
  quantity: z.number(),
  priceFen: z.number(),
  refundStatus: z.string().nullable(),
});

export const orderOutput = z.object({
  id: z.string(),
  storeId: z.string(),
  storeName: z.string().nullable(),
  externalId: z.string(),
  customerId: z.string().nullable(),
  status: z.enum(ORDER_STATUSES),
  platformStatus: z.string().nullable(),
  goodsFen: z.number(),
  shippingFen: z.number(),
  discountFen: z.number(),
  totalFen: z.number(),
  paidFen: z.number(),
  refundedFen: z.number(),
  currency: z.string().describe("ISO 4217 currency of the amounts (the store's)"),
  createdAt: z.string(),
  paidAt: z.string().nullable(),
  shippedAt: z.string().nullable(),
  signedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  buyerNick: z.string().nullable(),
  receiverName: z.string().nullable(),
  receiverPhone: z.string().nullable(),
  province: z.string().nullable(),
  city: z.string().nullable(),
  district: z.string().nullable(),
  address: z.string().nullable(),
  buyerMessage: z.string().nullable(),
  sellerNote: z.string().nullable(),
  source: z.string().nullable(),
  activity: z.string().nullable(),
  title: z.string().nullable(),
  itemCount: z.number().nullable(),
});

export const orderListOutput = z.object({ items: z.array(orderOutput), nextCursor: z.string().nullable() });
export const orderDetailOutput = orderOutput.extend({
  items: z.array(orderItemOutput),
  raw: z.record(z.string(), z.unknown()),
});
