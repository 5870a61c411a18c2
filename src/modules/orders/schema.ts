import { reason } from '../../core/reasons.js';
import { z } from 'zod';
import { ORDER_STATUSES, PAID_STATUSES } from '../../core/order-status.js';
import { MAX_LINE_QUANTITY, MAX_ORDER_FEN } from '../../core/money.js';

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

const when = z.iso.datetime({ offset: true });
/**
 * An amount of one order in fen: at most ¥1,000,000,000. With 9e15 a customer's sum of a few such orders passed 2^53
 * and lost its last digits in every figure after it.
 */
const fen = z.number().int().min(0).max(MAX_ORDER_FEN);

/** One order as an ERP or a script sends it (amounts in fen, times ISO 8601 with offset). */
export const orderInput = z
  .object({
    externalId: z.string().trim().min(1).max(100).describe('the order id in the shop (with storeId: the identity)'),
    status: z.enum(ORDER_STATUSES),
    createdAt: when,
    paidAt: when.nullish(),
    shippedAt: when.nullish(),
    signedAt: when.nullish(),
    closedAt: when.nullish(),
    totalFen: fen,
    paidFen: fen.optional(),
    goodsFen: fen.optional(),
    shippingFen: fen.optional(),
    discountFen: fen.optional(),
    refundedFen: fen.optional(),
    buyer: z.object({
      nick: z.string().max(100).nullish(),
      externalId: z.string().max(100).nullish(),
      phone: z.string().max(40).nullish(),
      email: z.string().max(200).nullish(),
      name: z.string().max(100).nullish(),
    }),
    receiverName: z.string().max(100).nullish(),
    receiverPhone: z.string().max(40).nullish(),
    province: z.string().max(50).nullish(),
    city: z.string().max(50).nullish(),
    district: z.string().max(50).nullish(),
    address: z.string().max(500).nullish(),
    title: z.string().max(500).nullish(),
    courier: z.string().max(50).nullish().describe('the courier company'),
    trackingNo: z.string().max(80).nullish().describe('the tracking number'),
    presale: z.boolean().optional().describe('a presale order: a deposit now, the balance later'),
    balanceDueAt: when.nullish().describe('presale: when the balance payment window closes'),
    acceptsMarketing: z.boolean().nullish(),
    items: z
      .array(
        z.object({
          title: z.string().max(500).nullish(),
          sku: z.string().max(100).nullish(),
          category: z.string().max(100).nullish(),
          quantity: z.number().int().min(1).max(MAX_LINE_QUANTITY),
          priceFen: fen,
        }),
      )
      .max(500)
      .optional(),
  })
  // An order that says it was paid must say when: without a paid time it would not count as a purchase (stats,
  // tiers, 老会员, automations all start from the paid time), so the API refuses it instead of storing a non-purchase.
  .superRefine((o, ctx) => {
    if (PAID_STATUSES.has(o.status) && !o.paidAt)
      ctx.addIssue({
        code: 'custom',
        path: ['paidAt'],
        message: `status "${o.status}" means the order was paid: paidAt (when it was paid) is required`,
      });
    // More refunded than paid would make the customer's spend negative.
    const paid = o.paidFen ?? o.totalFen;
    if (o.refundedFen !== undefined && o.refundedFen > paid)
      ctx.addIssue({
        code: 'custom',
        path: ['refundedFen'],
        message: `refundedFen (${o.refundedFen}) is more than was paid (${paid})`,
      });
  });
export type OrderInput = z.infer<typeof orderInput>;

export const ordersIngestInput = z
  .object({
    storeId: z.string().min(1).max(100),
    order: orderInput.optional().describe('one order'),
    orders: z.array(orderInput).min(1).max(1000).optional().describe('or a batch of up to 1,000'),
  })
  .refine((b) => (b.order === undefined) !== (b.orders === undefined), {
    message: 'send either "order" (one) or "orders" (a batch)',
    params: reason('input.oneOf', { choices: 'order, orders' }),
  });

export const webhookSecretInput = z.object({
  secret: z
    .string()
    .trim()
    .min(16)
    .max(200)
    .optional()
    .describe("Shopify's webhook signing secret; omit for a new one"),
});
export const webhookSecretOutput = z.object({
  path: z.string().describe('where the shop sends its webhooks (after the public address)'),
  secretSet: z.boolean().describe('the secret is stored (encrypted; it is never returned)'),
  generatedSecret: z.string().optional().describe('only when no secret was sent: the one made here, shown this once'),
  topics: z.array(z.string()),
});

export const ordersIngestOutput = z.object({
  ordersCreated: z.number(),
  ordersUpdated: z.number(),
  ordersUnchanged: z.number(),
  customersCreated: z.number(),
  events: z.number().describe('order events first seen (created, paid, shipped …)'),
});

export const orderEventsOutput = z.object({
  items: z.array(z.object({ kind: z.string(), happenedAt: z.string(), observedAt: z.string(), source: z.string() })),
});
