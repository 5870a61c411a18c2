import { reason } from '../../core/reasons.js';
import { NotFound } from '../../core/errors.js';
import { DEFAULT_CURRENCY } from '../../core/money.js';
import { maskPhone } from '../../core/pii.js';
import { nameMatchesPinyin } from '../../core/pinyin-keys.js';
import { pinyinQuery } from '../../core/pinyin-query.js';
import { maskAccount, maskDisplayName, maskEmail, maskName } from '../../core/pii-mask.js';
import type { AppContext } from '../context.js';
import { canSeePii } from '../auth/roles.js';
import { encodeCursor } from '../pagination.js';
import { listOrders } from '../orders/service.js';
import {
  countCustomersHere,
  customerIdentities,
  customerRows,
  listCustomers,
  searchPageHere,
  sortValueOf,
  type CustomerRow,
} from './repo.js';
import { offLoop } from '../heavy/run.js';
import type { CustomerListQuery } from './schema.js';
import { sharedTotal } from '../heavy/shared-total.js';
import { keptFileTotals, type FileTotals } from './file-counts.js';
import { customerPrediction } from '../predict/service.js';

const masked = <T extends string | null>(v: T, pii: boolean, mask: (s: string) => string): T =>
  (pii || v === null ? v : mask(v)) as T;

export function presentCustomer(r: CustomerRow, role: string) {
  const pii = canSeePii(role);
  return {
    id: r.id,
    name: pii ? r.display_name : maskDisplayName(r.display_name, r.real_name),
    realName: masked(r.real_name, pii, maskName),
    phone: pii ? r.phone : maskPhone(r.phone),
    email: masked(r.email, pii, maskEmail),
    province: r.province ?? r.stats_province,
    city: r.city,
    marketingConsent: r.marketing_consent,
    createdAt: r.created_at,
    rfmClass: r.rfm_class,
    lifecycle: r.lifecycle,
    tier: r.tier_key,
    store: r.store_name && r.store_platform ? { name: r.store_name, platform: r.store_platform } : null,
    stats: {
      currency: r.currency ?? DEFAULT_CURRENCY,
      ordersCount: r.orders_count ?? 0,
      paidOrders: r.paid_orders ?? 0,
      totalSpentFen: r.total_spent_fen ?? 0,
      aovFen: r.aov_fen ?? 0,
      refundFen: r.refund_fen ?? 0,
      refundOrders: r.refund_orders ?? 0,
      spent12mFen: r.spent_12m_fen ?? 0,
      orders12m: r.orders_12m ?? 0,
      firstOrderAt: r.first_order_at,
      lastOrderAt: r.last_order_at,
      firstPaidAt: r.first_paid_at,
      lastPaidAt: r.last_paid_at,
      favouriteCategory: r.favourite_category,
      province: r.stats_province,
    },
  };
}

export async function searchCustomers(ctx: AppContext, workspaceId: string, q: CustomerListQuery, role: string) {
  // On SQLite a search or a filtered page runs on a read thread: a part of a name shorter than the trigram
  // index's three characters reads the whole name index, and a common one can match many; a filter many customers
  // pass walks the sort's index until a page of them is found, and its total counts them (a province of 10% at 1M
  // customers: 0.9 s). A filter few pass is found by its own index (repo.ts). The plain list pages on indexes.
  const { cursor: _cursor, limit: _limit, sort: _sort, ...filters } = q;
  const filtered = Object.values(filters).some((v) => v !== undefined && v !== '');
  const rows =
    ctx.db.dialect === 'sqlite' && filtered
      ? await offLoop(ctx, 'customers.search', searchPageHere, workspaceId, q)
      : await listCustomers(ctx.db, workspaceId, q);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const more = rows.length > q.limit;
  // The total comes with the first page only (later pages keep it); a first page that is the whole
  // answer needs no COUNT at all.
  // Shared between concurrent first pages, and reused a while when slow (heavy/shared-total.ts). On SQLite the
  // count runs on a read thread (a million customers took the event loop for ~100 ms); PostgreSQL answers
  // it asynchronously already, in one round trip.
  const count = () =>
    ctx.db.dialect === 'sqlite'
      ? offLoop(ctx, 'customers.count', countCustomersHere, workspaceId, q)
      : countCustomersHere(ctx, workspaceId, q);
  // The whole file, its buyers, repeat buyers or consented customers: the kept totals (file-counts.ts), exact and
  // read by key. Other filters are counted.
  const kept = keptColumnOf(filters);
  const total = q.cursor
    ? null
    : !more
      ? page.length
      : kept
        ? (await keptFileTotals(ctx.db.kysely, ctx.db.dialect, workspaceId))[kept]
        : await sharedTotal(`${workspaceId} ${JSON.stringify(filters)}`, count);
  return {
    items: page.map((r) => ({
      ...presentCustomer(r, role),
      matched: q.q ? matchedField(r, q.q) : null,
    })),
    nextCursor: more && last ? encodeCursor(sortValueOf(q, last), last.id) : null,
    total,
  };
}

/** The kept total that counts exactly the customers these list filters leave, if one does. */
function keptColumnOf(filters: Omit<CustomerListQuery, 'cursor' | 'limit' | 'sort'>): keyof FileTotals | null {
  const given = Object.entries(filters).filter(([, v]) => v !== undefined && v !== '');
  if (given.length === 0) return 'customers';
  if (given.length > 1) return null;
  const [name, value] = given[0]!;
  if (name === 'consent' && value === 'granted') return 'consented';
  if (name === 'minPaidOrders' && value === 1) return 'buyers';
  if (name === 'minPaidOrders' && value === 2) return 'repeatBuyers';
  return null;
}

/**
 * Which field a search text found the customer by: digits the phone (full or its tail) first, then in the order
 * the console shows them: the name, the real name, the e-mail, the pinyin of the name or the real
 * name; else a nick or buyer id (an identity value, or its pinyin: the list does not show them).
 */
export function matchedField(r: CustomerRow, text: string): 'name' | 'realName' | 'phone' | 'email' | 'nick' {
  const lower = text.toLowerCase();
  const digits = text.replace(/\D/g, '');
  // Digits typed are a phone's tail first: 1249 found 王丽 by her phone …1249 and said 匹配：昵称 because her nick
  // tb66868406_11249 holds the digits too.
  if (r.phone && digits.length >= 4 && digits === text.replace(/[\s-]/g, '') && r.phone.endsWith(digits))
    return 'phone';
  if (r.display_name.toLowerCase().includes(lower)) return 'name';
  if (r.real_name?.includes(text)) return 'realName';
  if (r.email && r.email === lower) return 'email';
  // Found by the pinyin of a name (`zjy` for 张佳怡), else of a nick.
  const pinyin = pinyinQuery(text);
  if (pinyin && nameMatchesPinyin(r.display_name, pinyin)) return 'name';
  if (pinyin && nameMatchesPinyin(r.real_name, pinyin)) return 'realName';
  return 'nick';
}

export async function customerDetail(ctx: AppContext, workspaceId: string, id: string, role: string) {
  const pii = canSeePii(role);
  const row = await customerRows(ctx.db, workspaceId).where('c.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFound(`customer ${id} not found`, reason('customer.notFound', { id }));
  // Independent reads: on PostgreSQL they go out together (three round trips waited as one).
  const [identities, orders, prediction] = await Promise.all([
    customerIdentities(ctx.db, workspaceId, id),
    listOrders(ctx, workspaceId, { customerId: id, limit: 100 }, role),
    customerPrediction(ctx, workspaceId, id),
  ]);
  return {
    ...presentCustomer(row, role),
    gender: row.gender,
    birthday: row.birthday,
    wechat: masked(row.wechat, pii, maskAccount),
    qq: masked(row.qq, pii, maskAccount),
    source: row.source,
    erased: row.erased_at !== null,
    flags: {
      isPicky: row.is_picky === 1,
      isBadReviewer: row.is_bad_reviewer === 1,
      isBlacklisted: row.is_blacklisted === 1,
      optOutSms: row.opt_out_sms === 1,
      optOutEmail: row.opt_out_email === 1,
      optOutWechat: row.opt_out_wechat === 1,
    },
    consentSource: row.consent_source,
    consentAt: row.consent_at,
    identities: identities.map((i) => ({
      id: i.id,
      kind: i.kind,
      platform: i.scope || null,
      value: pii ? i.value : maskIdentity(i.kind, i.value),
      storeId: i.store_id,
      storeName: i.store_name,
      createdAt: i.created_at,
    })),
    orders: orders.items,
    moreOrders: orders.nextCursor !== null,
    prediction,
  };
}

/** Identities as a role without `pii:read` sees them: phones and e-mails masked, nicks and buyer ids kept. */
function maskIdentity(kind: string, value: string): string {
  if (kind === 'phone') return maskPhone(value)!;
  if (kind === 'email') return maskEmail(value);
  return value;
}

/**
 * One customer's contact data in full, for a role allowed to reveal it (the caller writes the audit
 * entry). `fields` narrows it (an agent calling back needs the phone, not the address).
 */
export async function revealCustomer(
  ctx: AppContext,
  workspaceId: string,
  id: string,
  fields: readonly RevealField[] = REVEAL_FIELDS,
): Promise<Partial<Record<RevealField, string | null>>> {
  const row = await ctx.db.kysely
    .selectFrom('customers')
    .select(['display_name', 'real_name', 'phone', 'email', 'wechat', 'qq'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw new NotFound(`customer ${id} not found`, reason('customer.notFound', { id }));
  const all: Record<RevealField, string | null> = {
    name: row.display_name,
    realName: row.real_name,
    phone: row.phone,
    email: row.email,
    wechat: row.wechat,
    qq: row.qq,
  };
  return Object.fromEntries(fields.map((f) => [f, all[f]]));
}

export const REVEAL_FIELDS = ['name', 'realName', 'phone', 'email', 'wechat', 'qq'] as const;
export type RevealField = (typeof REVEAL_FIELDS)[number];
