import { mapShopifyStatus } from '../order-status.js';
import type { FormatSpec } from './engine.js';
import { regionName } from './regions.js';

/** Shopify's orders export: a line per line item, order fields on an order's first line. */
export const shopifyOrders: FormatSpec = {
  format: 'shopify',
  label: 'Shopify orders export',
  rows: 'group',
  output: 'orders',
  orderFieldsAgree: true,
  // Shopify's Total is what the buyer paid: already after discounts (Discount Amount is kept as its
  // own figure, never subtracted again); refunds stay in Refunded Amount.
  totalIsPaid: true,
  // SH, ZJ, CA … → 上海市, 浙江省, California (by Shipping Country).
  province: (v) => regionName(v.province, v.country),
  required: ['externalId', 'financialStatus', 'createdAt'],
  status: (v) =>
    v.financialStatus ? mapShopifyStatus(v.financialStatus, v.fulfillmentStatus ?? '', Boolean(v.cancelledAt)) : null,
  aliases: {
    externalId: ['Name'],
    buyerEmail: ['Email'],
    financialStatus: ['Financial Status'],
    fulfillmentStatus: ['Fulfillment Status'],
    paidAt: ['Paid at'],
    shippedAt: ['Fulfilled at'],
    acceptsMarketing: ['Accepts Marketing', 'Accepts Email Marketing'],
    goods: ['Subtotal'],
    shipping: ['Shipping'],
    total: ['Total'],
    discount: ['Discount Amount'],
    refund: ['Refunded Amount'],
    createdAt: ['Created at'],
    cancelledAt: ['Cancelled at'],
    itemQuantity: ['Lineitem quantity'],
    itemTitle: ['Lineitem name'],
    itemPrice: ['Lineitem price'],
    itemSku: ['Lineitem sku'],
    itemCategory: ['Lineitem product type', 'Product Type'],
    itemRefundStatus: ['Lineitem fulfillment status'],
    receiverName: ['Shipping Name'],
    street: ['Shipping Street'],
    city: ['Shipping City'],
    province: ['Shipping Province Name', 'Shipping Province'],
    country: ['Shipping Country Code', 'Shipping Country'],
    receiverPhone: ['Shipping Phone'],
    buyerPhone: ['Phone'],
    buyerName: ['Billing Name'],
    sellerNote: ['Notes'],
    source: ['Source'],
    couponCode: ['Discount Code'],
    buyerId: ['Customer ID', 'Customer Id'],
  },
};
