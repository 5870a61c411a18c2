import { reason } from '../../core/reasons.js';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import {
  SHOPIFY_TOPICS,
  shopifyOrderRecord,
  shopifyRefund,
  type ShopifyTopic,
  verifyShopify,
} from '../../core/formats/shopify-webhook.js';
import type { OrderRecord } from '../../core/formats/types.js';
import { Invalid, NotFound, Unauthorized } from '../../core/errors.js';
import { readJson } from '../../db/json.js';
import type { Order, Store } from '../../db/types.js';
import { nowIso, type AppContext } from '../context.js';
import { decryptSecret, encryptSecret, hasSecretKey, isEncrypted } from '../messaging/secrets.js';
import { getStore } from '../stores/service.js';
import { brokenPath, brokenTextError } from '../input-guard.js';
import { ingestBatch } from './ingest.js';
import type { OrderStatus } from '../../core/order-status.js';

/**
 * Sets a store's webhook secret (Shopify's signing secret, or a new random one) and says where to send. The
 * secret is stored AES-256-GCM encrypted under HUIKE_SECRET_KEY (refused without it, before anything is
 * written) and never read back through the API: a secret the caller gave is not echoed, one made here is
 * answered this once (the caller has no other way to learn it).
 */
export async function setWebhookSecret(ctx: AppContext, ws: string, storeId: string, secret?: string) {
  const store = await getStore(ctx, ws, storeId);
  const given = secret?.trim();
  const value = given || randomBytes(24).toString('base64url');
  const stored = encryptSecret(value);
  await ctx.db.kysely
    .insertInto('store_webhooks')
    .values({ workspace_id: ws, store_id: store.id, secret: stored, created_at: nowIso(ctx) })
    .onConflict((oc) => oc.columns(['workspace_id', 'store_id']).doUpdateSet({ secret: stored }))
    .execute();
  return {
    path: `/hooks/shopify/${ws}/${store.id}`,
    secretSet: true,
    ...(given ? {} : { generatedSecret: value }),
    topics: [...SHOPIFY_TOPICS],
  };
}

/** The stored secret in clear: encrypted ones decrypted; one saved before encryption is encrypted now. */
async function webhookSecretOf(ctx: AppContext, ws: string, storeId: string): Promise<string | null> {
  const hook = await ctx.db.kysely
    .selectFrom('store_webhooks')
    .select('secret')
    .where('workspace_id', '=', ws)
    .where('store_id', '=', storeId)
    .executeTakeFirst();
  if (!hook) return null;
  if (isEncrypted(hook.secret)) return decryptSecret<string>(hook.secret);
  if (hasSecretKey())
    await ctx.db.kysely
      .updateTable('store_webhooks')
      .set({ secret: encryptSecret(hook.secret) })
      .where('workspace_id', '=', ws)
      .where('store_id', '=', storeId)
      .where('secret', '=', hook.secret)
      .execute();
  return hook.secret;
}

/** A stored order as an import record again (a refund webhook names only the order). */
function recordOfStored(o: Order): OrderRecord {
  return {
    line: 1,
    externalId: o.external_id,
    status: o.status as OrderStatus,
    platformStatus: o.platform_status,
    createdAt: o.created_at,
    paidAt: o.paid_at,
    shippedAt: o.shipped_at,
    signedAt: o.signed_at,
    closedAt: o.closed_at,
    goodsFen: o.goods_fen,
    shippingFen: o.shipping_fen,
    discountFen: o.discount_fen,
    totalFen: o.total_fen,
    paidFen: o.paid_fen,
    refundedFen: o.refunded_fen,
    buyer: { nick: o.buyer_nick, externalId: null, email: null, phone: null, name: null },
    receiverName: o.receiver_name,
    receiverPhone: o.receiver_phone,
    province: o.province,
    city: o.city,
    district: o.district,
    address: o.address,
    buyerMessage: o.buyer_message,
    sellerNote: o.seller_note,
    source: o.source,
    activity: o.activity,
    couponCode: o.coupon_code,
    title: o.title,
    itemCount: o.item_count,
    acceptsMarketing: null,
    items: null,
    raw: readJson<Record<string, string>>(o.raw) ?? {},
  };
}

export interface WebhookDelivery {
  ws: string;
  storeId: string;
  topic: string | undefined;
  webhookId: string | undefined;
  signature: string | undefined;
  body: string;
}

/**
 * A Shopify webhook: the signature is checked against the store's secret (401 when it is wrong),
 * a delivery id already taken is answered without a second effect (Shopify retries and replays),
 * and the order goes through the import's ingest, so it becomes order events like an import.
 */
export async function receiveShopify(ctx: AppContext, d: WebhookDelivery) {
  const secret = await webhookSecretOf(ctx, d.ws, d.storeId);
  // An unknown store answers like a bad signature: the caller learns nothing about which ids exist.
  if (secret === null || !verifyShopify(secret, d.body, d.signature))
    throw new Unauthorized(
      'bad or missing X-Shopify-Hmac-Sha256 (base64 HMAC-SHA256 of the body under the secret)',
      reason('webhook.shopifyHmac'),
    );
  const topic = d.topic as ShopifyTopic | undefined;
  if (!topic || !SHOPIFY_TOPICS.includes(topic))
    throw new Invalid(
      `X-Shopify-Topic "${d.topic ?? ''}" is not handled (${SHOPIFY_TOPICS.join(', ')})`,
      reason('webhook.shopifyTopic', { topic: d.topic ?? '', topics: SHOPIFY_TOPICS.join(', ') }),
    );
  if (!d.webhookId) throw new Invalid('X-Shopify-Webhook-Id is missing', reason('webhook.shopifyId'));
  let payload: unknown;
  try {
    payload = JSON.parse(d.body);
  } catch {
    throw new Invalid('the body is not JSON', reason('webhook.notJson'));
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload))
    throw new Invalid('the body is not a JSON object', reason('webhook.notObject'));
  // The body is text until here (the signature covers its bytes), so the app's guard saw `\u0000` as six
  // characters: a NUL it decodes to is refused as in any other body (PostgreSQL cannot store it in text).
  const broken = brokenPath(payload, 'body');
  if (broken) throw brokenTextError(broken.path, broken.broken);
  // Checked before anything is written: a payload refused (400 naming the field) takes no delivery id either.
  const refund = topic === 'refunds/create' ? shopifyRefund(payload) : null;
  const order = refund ? null : shopifyOrderRecord(payload);
  const store: Store = await getStore(ctx, d.ws, d.storeId);
  const now = nowIso(ctx);
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const taken = await trx
      .insertInto('webhook_receipts')
      .values({ workspace_id: d.ws, store_id: store.id, webhook_id: d.webhookId!, topic, received_at: now })
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(taken.numInsertedOrUpdatedRows ?? 0n) === 0) return { replayed: true, events: 0 };
    let record: OrderRecord;
    if (refund) {
      const shopifyId = refund.orderId;
      const found = await trx
        .selectFrom('orders')
        .selectAll()
        .where('workspace_id', '=', d.ws)
        .where('store_id', '=', store.id)
        .where(
          ctx.db.dialect === 'postgres'
            ? sql<boolean>`raw->>'shopify_id' = ${shopifyId}`
            : sql<boolean>`json_extract(raw, '$.shopify_id') = ${shopifyId}`,
        )
        .executeTakeFirst();
      if (!found)
        throw new NotFound(
          `order ${shopifyId} of this store is not known yet (orders/create first)`,
          reason('webhook.orderUnknown', { order: shopifyId }),
        );
      record = recordOfStored(found);
      record.refundedFen = found.refunded_fen + refund.fen;
      if (record.refundedFen >= found.paid_fen && found.paid_fen > 0) {
        record.status = 'refunded';
        record.closedAt = refund.createdAt ?? now;
      }
    } else {
      record = order!;
      if (topic === 'orders/cancelled' && record.status === 'created') record.status = 'closed';
    }
    const s = await ingestBatch(
      ctx,
      trx,
      { store, runId: null, consentSource: 'webhook:shopify', eventSource: 'webhook' },
      [record],
    );
    return { replayed: false, events: s.events };
  });
}
