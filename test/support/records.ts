import type { Insertable } from 'kysely';
import type { OrderRecord } from '../../src/core/formats/types.js';
import type { CustomersTable, MessagesTable } from '../../src/db/types.js';

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

/** A customer row with nothing known but its name: no contact, no region, consent unknown. */
export function customerRow(
  workspaceId: string,
  id: string,
  displayName: string,
  now: string,
  over: Partial<Insertable<CustomersTable>> = {},
): Insertable<CustomersTable> {
  return {
    workspace_id: workspaceId,
    id,
    display_name: displayName,
    real_name: null,
    phone: null,
    email: null,
    province: null,
    city: null,
    gender: null,
    birthday: null,
    marketing_consent: 'unknown',
    consent_source: null,
    consent_at: null,
    first_store_id: null,
    created_at: now,
    updated_at: now,
    ...over,
  };
}

/** A queued care SMS row as the send path writes it, to a customer on a channel at `at`; the rest as given. */
export function messageRow(
  workspaceId: string,
  id: string,
  at: string,
  over: Partial<Insertable<MessagesTable>> & Pick<Insertable<MessagesTable>, 'customer_id' | 'channel_id'>,
): Insertable<MessagesTable> {
  return {
    workspace_id: workspaceId,
    id,
    source_type: 'test',
    source_id: id,
    step: 'main',
    kind: 'care',
    medium: 'sms',
    variant: null,
    status: 'queued',
    reason: null,
    detail: null,
    contact: null,
    contact_key: null,
    subject: null,
    body: null,
    send_at: at,
    sent_at: null,
    error: null,
    provider_ref: null,
    delivery: null,
    delivered_at: null,
    delivery_error: null,
    coupon_id: null,
    created_at: at,
    updated_at: at,
    ...over,
  };
}
