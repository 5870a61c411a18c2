import { reason } from '../../core/reasons.js';
import type { Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import { orderHash } from '../../core/order-hash.js';
import { isOlderState, type OrderProgress, type OrderStatus } from '../../core/order-status.js';
import { identifierOrNull, normalizeCnMobile, normalizeEmail } from '../../core/pii.js';
import { buyerDisplayName, buyerPinyin, buyerRealName } from '../../core/buyer-names.js';
import type { ItemsRecord, OrderRecord, RowError } from '../../core/formats/types.js';
import type { Insertable } from 'kysely';
import type { Database, Store } from '../../db/types.js';
import { writeJson } from '../../db/json.js';
import { bulkInsert, bulkUpdate } from '../../db/bulk.js';
import { inIds } from '../../db/in-list.js';
import { chunks, type AppContext } from '../context.js';
import { deferStatsRefresh } from '../customers/stats-pending.js';
import { refreshCustomerStats } from '../customers/stats.js';
import { refreshBuyerRows } from '../analytics/rebuild.js';
import { mergeInTransaction } from '../customers/merge.js';
import { refreshNamePinyin } from '../customers/pinyin.js';
import { consentStates, recordConsent } from '../customers/consent.js';
import { erasedName } from '../../core/privacy.js';
import { erasedOrderColumns } from '../privacy/erase.js';
import { erasedAmong, erasureSalt, findTombstones, type Tombstone } from '../privacy/tombstones.js';
import type { Dialect } from '../../db/connect.js';
import { balanceDueOf, eventsOf } from '../../core/automations/order-events.js';
import { recordOrderEvents, type NewOrderEvent } from '../automations/events.js';

/**
 * Writes one batch of parsed export records in one transaction: finds or creates each buyer's
 * customer through their identities, inserts new orders, updates orders whose export content
 * changed (never moving an order's status backwards), replaces their lines, and refreshes the
 * touched customers' stats. Running the same batch twice changes nothing the second time.
 */
export interface IngestSummary {
  ordersCreated: number;
  ordersUpdated: number;
  ordersUnchanged: number;
  itemsWritten: number;
  customersCreated: number;
  /** Customers merged into another because an imported phone showed they are one buyer. */
  customersMerged: number;
  rejected: RowError[];
  /** Order events first seen in this batch (created, paid, shipped …). */
  events: number;
}

/**
 * Merges each group of customers linked by a shared phone into the earliest of them (ids sort by
 * creation time), with the same undoable merge as the console's. Returns merged-away id → target.
 */
async function mergeLinkedCustomers(
  trx: Transaction<Database>,
  dialect: Dialect,
  ws: string,
  links: [string, string][],
  now: string,
): Promise<Map<string, string>> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.has(r)) r = parent.get(r)!;
    return r;
  };
  for (const [a, b] of links) {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) continue;
    if (ra < rb) parent.set(rb, ra);
    else parent.set(ra, rb);
  }
  const mergedInto = new Map<string, string>();
  for (const source of [...parent.keys()].sort()) {
    const target = find(source);
    await mergeInTransaction(trx, dialect, ws, target, source, null, now);
    mergedInto.set(source, target);
  }
  return mergedInto;
}

export interface IngestOptions {
  store: Store;
  runId: string | null;
  /** Where a consent signal came from, e.g. "import:shopify". */
  consentSource: string;
  /** Where the orders came from, for their events: import (default), api, webhook, demo. */
  eventSource?: 'import' | 'api' | 'webhook' | 'demo';
  /**
   * The touched customers' stats, order facts and analytics buyer rows are marked for a refresh
   * (customers/stats-pending.ts) instead of refreshed in this transaction: an import refreshes each
   * buyer once, when its file is done, where a buyer with orders in k batches was refreshed k times.
   */
  deferStats?: boolean;
}

type Identifier = { kind: 'buyer_id' | 'nick' | 'phone' | 'email'; scope: string; value: string };

/** Marketplace accounts are shared across the shops of one platform family (Taobao and Tmall). */
export function platformFamily(platform: string): string {
  return platform === 'tmall' ? 'taobao' : platform;
}

function identifiersOf(o: OrderRecord, family: string): Identifier[] {
  const ids: Identifier[] = [];
  const buyerId = identifierOrNull(o.buyer.externalId);
  if (buyerId) ids.push({ kind: 'buyer_id', scope: family, value: buyerId });
  const nick = identifierOrNull(o.buyer.nick);
  if (nick) ids.push({ kind: 'nick', scope: family, value: nick });
  const phone = normalizeCnMobile(o.buyer.phone);
  if (phone) ids.push({ kind: 'phone', scope: '', value: phone });
  const email = normalizeEmail(o.buyer.email);
  if (email) ids.push({ kind: 'email', scope: '', value: email });
  return ids;
}

const idKey = (i: Identifier) => `${i.kind}\u0000${i.scope}\u0000${i.value}`;

const contentHash = (o: OrderRecord): string => o.contentHash ?? orderHash(o);

function orderColumns(o: OrderRecord) {
  return {
    status: o.status,
    platform_status: o.platformStatus,
    goods_fen: o.goodsFen,
    shipping_fen: o.shippingFen,
    discount_fen: o.discountFen,
    total_fen: o.totalFen,
    paid_fen: o.paidFen,
    refunded_fen: o.refundedFen,
    created_at: o.createdAt,
    paid_at: o.paidAt,
    shipped_at: o.shippedAt,
    signed_at: o.signedAt,
    closed_at: o.closedAt,
    buyer_nick: o.buyer.nick,
    receiver_name: o.receiverName,
    receiver_phone: o.receiverPhone,
    province: o.province,
    city: o.city,
    district: o.district,
    address: o.address,
    buyer_message: o.buyerMessage,
    seller_note: o.sellerNote,
    source: o.source,
    activity: o.activity,
    balance_due_at: balanceDueOf(o.raw),
    coupon_code: o.couponCode ?? null,
    kind: o.kind ?? 'order',
    credit_of: o.creditOf ?? null,
    title: o.title,
    item_count: o.itemCount,
    raw: writeJson(o.raw),
    content_hash: contentHash(o),
  };
}

interface StoredOrder {
  id: string;
  external_id: string;
  customer_id: string | null;
  status: string;
  content_hash: string;
  paid_at: string | null;
  shipped_at: string | null;
  signed_at: string | null;
  closed_at: string | null;
  refunded_fen: number;
}

const progressOf = (o: StoredOrder): OrderProgress => ({
  status: o.status as OrderStatus,
  paidAt: o.paid_at,
  shippedAt: o.shipped_at,
  signedAt: o.signed_at,
  closedAt: o.closed_at,
  refundedFen: o.refunded_fen,
});

async function loadOrders(
  trx: Transaction<Database>,
  dialect: Dialect,
  workspaceId: string,
  storeId: string,
  externalIds: string[],
) {
  const found = new Map<string, StoredOrder>();
  // The batch's keys as one parameter (inIds): one statement, planned once, whatever the batch's size.
  const rows = await trx
    .selectFrom('orders')
    .select([
      'id',
      'external_id',
      'customer_id',
      'status',
      'content_hash',
      'paid_at',
      'shipped_at',
      'signed_at',
      'closed_at',
      'refunded_fen',
    ])
    .where('workspace_id', '=', workspaceId)
    .where('store_id', '=', storeId)
    .where(inIds(dialect, 'external_id', externalIds))
    .execute();
  for (const r of rows) found.set(r.external_id, r);
  return found;
}

async function loadIdentities(trx: Transaction<Database>, dialect: Dialect, workspaceId: string, wanted: Identifier[]) {
  const owners = new Map<string, string>();
  const groups = new Map<string, Identifier[]>();
  for (const i of wanted) {
    const k = `${i.kind}\u0000${i.scope}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(i);
  }
  for (const list of groups.values()) {
    const { kind, scope } = list[0]!;
    const rows = await trx
      .selectFrom('customer_identities')
      .select(['customer_id', 'value'])
      .where('workspace_id', '=', workspaceId)
      .where('kind', '=', kind)
      .where('scope', '=', scope)
      .where(inIds(dialect, 'value', [...new Set(list.map((i) => i.value))]))
      .execute();
    for (const r of rows) owners.set(idKey({ kind, scope, value: r.value }), r.customer_id);
  }
  return owners;
}

export async function ingestBatch(
  ctx: AppContext,
  trx: Transaction<Database>,
  opts: IngestOptions,
  orderRecords: OrderRecord[],
  itemRecords: ItemsRecord[] = [],
): Promise<IngestSummary> {
  const { store } = opts;
  const ws = store.workspace_id;
  const now = ctx.now().toISOString();
  const family = platformFamily(store.platform);
  const summary: IngestSummary = {
    ordersCreated: 0,
    ordersUpdated: 0,
    ordersUnchanged: 0,
    itemsWritten: 0,
    customersCreated: 0,
    customersMerged: 0,
    rejected: [],
    events: 0,
  };

  // Of several rows of one order in a batch, the one showing the latest state wins (ties: the later row).
  const latest = new Map<string, OrderRecord>();
  for (const o of orderRecords) {
    const prev = latest.get(o.externalId);
    if (prev) summary.ordersUnchanged += 1;
    if (!prev || !isOlderState(prev, o)) latest.set(o.externalId, o);
  }
  // Credit notes last, so that one cancelling an order of the same batch finds its customer.
  const records = [...latest.values()].sort((a, b) => Number(a.kind === 'credit') - Number(b.kind === 'credit'));
  const cancelled = records.flatMap((o) => (o.creditOf ? [o.creditOf] : []));
  const existing = await loadOrders(trx, ctx.db.dialect, ws, store.id, [
    ...new Set([...latest.keys(), ...itemRecords.map((r) => r.orderExternalId), ...cancelled]),
  ]);
  const customerOfOrder = new Map<string, string>();
  // The new orders' ids in the order of their creation time, and their rows written in that order: a real export
  // lists the newest first, and index entries written in descending order fill SQLite's index pages only half (a full
  // page is split in two and the upper half never written to again): the time indexes of a newest-first import took
  // twice the pages (orders_created_idx 115 MB at 1M orders, half of it empty; at 100k orders the database
  // is 13.5 MB (4.7 %) smaller). PostgreSQL, which splits pages in the middle of a tree in two whatever the
  // order, is the same size either way.
  const newOrderIds = new Map(
    records
      .filter((o) => !existing.has(o.externalId))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0))
      .map((o) => [o, newId()] as const),
  );

  const wanted = records.flatMap((o) => identifiersOf(o, family));
  const owners = await loadIdentities(trx, ctx.db.dialect, ws, wanted);
  // Buyers erased on request (PIPL): their identifiers survive only as salted digests. An order of
  // theirs from before the erasure (a re-import of an old export) goes to the anonymous customer
  // with its personal fields erased again; nothing is created or linked with their data.
  const salt = await erasureSalt(trx, ws);
  const tombstones = salt ? await findTombstones(trx, ws, salt, wanted) : new Map<string, Tombstone>();
  const erasedCustomers = salt
    ? await erasedAmong(
        trx,
        ws,
        [...existing.values()].map((s) => s.customer_id),
      )
    : new Set<string>();

  const newCustomers: Insertable<Database['customers']>[] = [];
  const newIdentities: Insertable<Database['customer_identities']>[] = [];
  const consent = new Map<string, boolean>();
  const affected = new Set<string>();
  const inserts: Insertable<Database['orders']>[] = [];
  const updates: { id: string; values: ReturnType<typeof orderColumns> & { customer_id: string | null } }[] = [];
  const itemsToWrite = new Map<string, OrderRecord['items'] & object>();
  const changed: { orderId: string; customerId: string | null; record: OrderRecord }[] = [];
  const phoneLinks: [string, string][] = [];
  const phonesToFill = new Map<string, string>();
  const createdHere = new Map<string, Insertable<Database['customers']>>();
  /** The nick each new customer's pinyin keys were computed with. */
  const createdNick = new Map<string, string | null>();

  for (const o of records) {
    const ids = identifiersOf(o, family);
    const stored = existing.get(o.externalId);
    let customerId = stored?.customer_id ?? null;
    const tomb = ids.map((i) => tombstones.get(idKey(i))).find((t) => t !== undefined && o.createdAt <= t.erasedAt);
    if (!customerId && tomb) customerId = tomb.customerId;
    const erased = tomb !== undefined || (customerId !== null && erasedCustomers.has(customerId));
    // Of an erased buyer, nothing personal is read from this row: no identity, no consent, no phone.
    if (!erased) {
      if (!customerId && o.creditOf)
        customerId = existing.get(o.creditOf)?.customer_id ?? customerOfOrder.get(o.creditOf) ?? null;
      if (!customerId) customerId = ids.map((i) => owners.get(idKey(i))).find((c) => c !== undefined) ?? null;
      if (!customerId && ids.length > 0) {
        customerId = newId();
        summary.customersCreated += 1;
        const phone = normalizeCnMobile(o.buyer.phone);
        const customer: Insertable<Database['customers']> = {
          workspace_id: ws,
          id: customerId,
          display_name: buyerDisplayName(o),
          real_name: buyerRealName(o),
          // The read thread computed the pinyin search keys (core/buyer-names.ts); records from the API not.
          name_pinyin: o.namePinyin !== undefined ? o.namePinyin : buyerPinyin(o),
          phone,
          email: normalizeEmail(o.buyer.email),
          province: o.province,
          city: o.city,
          gender: null,
          birthday: null,
          marketing_consent: o.acceptsMarketing === null ? 'unknown' : o.acceptsMarketing ? 'granted' : 'denied',
          consent_source: o.acceptsMarketing === null ? null : opts.consentSource,
          consent_at: o.acceptsMarketing === null ? null : now,
          first_store_id: store.id,
          // Where the customer came from: the traffic source of their first order (聚划算, 直播 …).
          source: o.source,
          created_at: now,
          updated_at: now,
        };
        newCustomers.push(customer);
        createdHere.set(customerId, customer);
        createdNick.set(customerId, identifierOrNull(o.buyer.nick));
      } else if (customerId && o.acceptsMarketing !== null) {
        consent.set(customerId, o.acceptsMarketing);
      }
      if (customerId) {
        for (const i of ids) {
          const owner = owners.get(idKey(i));
          if (owner !== undefined) {
            // A mobile number is the person: when it already belongs to another customer, the two
            // are one buyer (e.g. a re-import now reads the phone Excel had guarded). They are merged
            // below with the undoable merge. Nicks and buyer ids of another customer are never merged.
            if (i.kind === 'phone' && owner !== customerId) phoneLinks.push([owner, customerId]);
            continue;
          }
          // A customer made before their phone was readable gets it now (new customers already have it).
          if (i.kind === 'phone') {
            const fresh = createdHere.get(customerId);
            if (!fresh) phonesToFill.set(customerId, i.value);
            else fresh.phone ??= i.value;
          }
          owners.set(idKey(i), customerId);
          newIdentities.push({
            workspace_id: ws,
            id: newId(),
            customer_id: customerId,
            kind: i.kind,
            scope: i.scope,
            value: i.value,
            store_id: store.id,
            created_at: now,
          });
        }
      }
    }
    if (customerId) customerOfOrder.set(o.externalId, customerId);
    const columns =
      erased && customerId
        ? { ...orderColumns(o), ...erasedOrderColumns(erasedName(customerId), o.raw) }
        : orderColumns(o);
    if (!stored) {
      const id = newOrderIds.get(o)!;
      inserts.push({
        workspace_id: ws,
        id,
        store_id: store.id,
        external_id: o.externalId,
        customer_id: customerId,
        ...columns,
        import_run_id: opts.runId,
        imported_at: now,
        updated_at: now,
      });
      summary.ordersCreated += 1;
      changed.push({ orderId: id, customerId, record: o });
      if (o.items) itemsToWrite.set(id, o.items);
      if (customerId) affected.add(customerId);
    } else if (stored.content_hash === columns.content_hash || isOlderState(progressOf(stored), o)) {
      summary.ordersUnchanged += 1;
    } else {
      updates.push({ id: stored.id, values: { ...columns, customer_id: customerId } });
      summary.ordersUpdated += 1;
      changed.push({ orderId: stored.id, customerId, record: o });
      if (o.items) itemsToWrite.set(stored.id, o.items);
      if (customerId) affected.add(customerId);
    }
  }

  for (const r of itemRecords) {
    const stored = existing.get(r.orderExternalId);
    if (!stored) {
      summary.rejected.push({
        line: r.line,
        column: null,
        reason: `order ${r.orderExternalId} is not imported yet: import the orders export (订单报表) first`,
        why: reason('import.orderMissing', { order: r.orderExternalId }),
        value: r.orderExternalId,
      });
      continue;
    }
    itemsToWrite.set(stored.id, r.items);
    if (stored.customer_id) affected.add(stored.customer_id);
  }

  const dialect = ctx.db.dialect;
  await bulkInsert(trx, dialect, 'customers', newCustomers);
  await bulkInsert(trx, dialect, 'customer_identities', newIdentities, { onConflict: 'ignore' });
  // A nick newly linked to a customer (one found by phone or buyer id, or made from another row of this
  // batch) is searchable by its pinyin too.
  const nicked = newIdentities.filter((i) => i.kind === 'nick' && createdNick.get(i.customer_id) !== i.value);
  if (nicked.length > 0)
    await refreshNamePinyin(
      trx,
      dialect,
      ws,
      nicked.map((i) => i.customer_id),
    );
  // Consent read from the export ("Accepts Marketing"): each change goes into the consent history too.
  const consentBefore = consent.size > 0 ? await consentStates(trx, ws, [...consent.keys()]) : new Map();
  await recordConsent(
    trx,
    dialect,
    ws,
    [
      ...newCustomers.map((c) => ({
        customerId: c.id,
        before: null,
        after: { marketing_consent: c.marketing_consent },
      })),
      ...[...consent]
        .filter(([customerId]) => consentBefore.has(customerId))
        .map(([customerId, granted]) => ({
          customerId,
          before: consentBefore.get(customerId)!,
          after: { marketing_consent: granted ? 'granted' : 'denied' },
        })),
    ],
    { source: 'import', detail: opts.runId ? `${opts.consentSource} run ${opts.runId}` : opts.consentSource },
    now,
  );
  // One UPDATE per consent value per batch (a round trip per customer on PostgreSQL before).
  for (const value of ['granted', 'denied'] as const) {
    const ids = [...consent].filter(([, granted]) => (granted ? 'granted' : 'denied') === value).map(([id]) => id);
    if (ids.length === 0) continue;
    await trx
      .updateTable('customers')
      .set({ marketing_consent: value, consent_source: opts.consentSource, consent_at: now, updated_at: now })
      .where('workspace_id', '=', ws)
      .where(inIds(dialect, 'id', ids))
      .where('marketing_consent', '<>', value)
      .execute();
  }
  inserts.sort((a, b) => (a.id < b.id ? -1 : 1));
  await bulkInsert(trx, dialect, 'orders', inserts, { jsonColumns: ['raw'] });
  // Changed orders in one statement per batch on PostgreSQL (one per order was a round trip each:
  // a re-import of 2,000 changed orders spent most of its time waiting on them).
  await bulkUpdate(
    trx,
    dialect,
    'orders',
    ['workspace_id', 'id'],
    updates.map((u) => ({ ...u.values, import_run_id: opts.runId, updated_at: now, workspace_id: ws, id: u.id })),
    { jsonColumns: ['raw'] },
  );
  if (itemsToWrite.size > 0) {
    const inserted = new Set(inserts.map((i) => i.id));
    const replaced = [...itemsToWrite.keys()].filter((id) => !inserted.has(id));
    for (const part of chunks(replaced, 900)) {
      await trx.deleteFrom('order_items').where('workspace_id', '=', ws).where('order_id', 'in', part).execute();
    }
    const rows = [...itemsToWrite].flatMap(([orderId, items]) =>
      items.map((it) => ({
        workspace_id: ws,
        order_id: orderId,
        line_key: it.lineKey,
        title: it.title,
        sku: it.sku,
        external_item_id: it.externalItemId,
        category: it.category,
        quantity: it.quantity,
        price_fen: it.priceFen,
        paid_fen: it.paidFen,
        refund_status: it.refundStatus,
      })),
    );
    await bulkInsert(trx, dialect, 'order_items', rows);
    summary.itemsWritten += rows.length;
  }
  for (const [customerId, phone] of phonesToFill) {
    await trx
      .updateTable('customers')
      .set({ phone, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', customerId)
      .where('phone', 'is', null)
      .execute();
  }
  const mergedInto = await mergeLinkedCustomers(trx, dialect, ws, phoneLinks, now);
  summary.customersMerged = mergedInto.size;
  const refresh = new Set([...affected].map((id) => mergedInto.get(id) ?? id));
  const touched = [...affected, ...mergedInto.keys(), ...refresh];
  if (opts.deferStats) await deferStatsRefresh(trx, dialect, ws, touched);
  else {
    await refreshCustomerStats(trx, dialect, ws, refresh, now);
    await refreshBuyerRows(trx, dialect, ws, touched, now);
  }
  const events: NewOrderEvent[] = changed.flatMap((c) =>
    eventsOf(c.record, now).map((e) => ({
      orderId: c.orderId,
      storeId: store.id,
      customerId: c.customerId ? (mergedInto.get(c.customerId) ?? c.customerId) : null,
      kind: e.kind,
      happenedAt: e.at,
    })),
  );
  // In the orders' id order (their creation's, for new orders): the events' keys are written ascending too.
  events.sort((a, b) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
  summary.events = await recordOrderEvents(
    ctx,
    trx,
    ws,
    events,
    opts.eventSource ?? 'import',
    new Set(inserts.map((i) => i.id)),
  );
  return summary;
}
