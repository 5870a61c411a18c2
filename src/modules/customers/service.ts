import { NotFound } from '../../core/errors.js';
import { DEFAULT_CURRENCY } from '../../core/money.js';
import { maskPhone } from '../../core/pii.js';
import type { AppContext } from '../context.js';
import { canSeePii } from '../auth/roles.js';
import { encodeCursor } from '../pagination.js';
import { listOrders } from '../orders/service.js';
import { customerIdentities, customerRows, listCustomers, type CustomerRow } from './repo.js';
import type { CustomerListQuery } from './schema.js';
import { customerPrediction } from '../predict/service.js';

export function presentCustomer(r: CustomerRow, role: string) {
  return {
    id: r.id,
    name: r.display_name,
    realName: r.real_name,
    phone: canSeePii(role) ? r.phone : maskPhone(r.phone),
    email: r.email,
    province: r.province ?? r.stats_province,
    city: r.city,
    marketingConsent: r.marketing_consent,
    createdAt: r.created_at,
    rfmClass: r.rfm_class,
    lifecycle: r.lifecycle,
    tier: r.tier_key,
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
  const { rows, sortValue } = await listCustomers(ctx.db, workspaceId, q);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => presentCustomer(r, role)),
    nextCursor: rows.length > q.limit && last ? encodeCursor(sortValue(last), last.id) : null,
  };
}

export async function customerDetail(ctx: AppContext, workspaceId: string, id: string, role: string) {
  const row = await customerRows(ctx.db, workspaceId).where('c.id', '=', id).executeTakeFirst();
  if (!row) throw new NotFound(`customer ${id} not found`);
  const identities = await customerIdentities(ctx.db, workspaceId, id);
  const orders = await listOrders(ctx, workspaceId, { customerId: id, limit: 100 }, role);
  return {
    ...presentCustomer(row, role),
    gender: row.gender,
    birthday: row.birthday,
    wechat: row.wechat,
    qq: row.qq,
    source: row.source,
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
      value: i.kind === 'phone' && !canSeePii(role) ? maskPhone(i.value)! : i.value,
      storeId: i.store_id,
      storeName: i.store_name,
      createdAt: i.created_at,
    })),
    orders: orders.items,
    moreOrders: orders.nextCursor !== null,
    prediction: await customerPrediction(ctx, workspaceId, id),
  };
}
