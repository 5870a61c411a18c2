import type { OrderRecord } from '../../src/core/formats/types.js';

/** A complete order record as an export would produce it, with the fields a test cares about. */
export function orderRecord(over: Partial<OrderRecord> & { externalId: string; createdAt: string }): OrderRecord {
  const paidFen = over.paidFen ?? 0;
  return {
    line: 1,
    status: 'completed',
    platformStatus: null,
    paidAt: over.createdAt,
    shippedAt: null,
    signedAt: null,
    closedAt: null,
    goodsFen: paidFen,
    shippingFen: 0,
    discountFen: 0,
    totalFen: paidFen,
    paidFen,
    refundedFen: 0,
    buyer: { nick: null, externalId: null, email: null, phone: null, name: null },
    receiverName: null,
    receiverPhone: null,
    province: null,
    city: null,
    district: null,
    address: null,
    buyerMessage: null,
    sellerNote: null,
    source: null,
    activity: null,
    title: null,
    itemCount: null,
    acceptsMarketing: null,
    items: null,
    raw: {},
    ...over,
  };
}
