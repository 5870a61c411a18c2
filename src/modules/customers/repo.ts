import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import { decodeCursor, likeContains } from '../pagination.js';
import type { CustomerListQuery } from './schema.js';
import { timestampCast } from '../../db/dates.js';

const SORT_COLUMN = {
  last_order: 's.last_order_at',
  spent: 's.total_spent_fen',
  orders: 's.paid_orders',
  newest: 'c.id',
} as const;

export function customerRows(db: Db, workspaceId: string) {
  return (
    db.kysely
      .selectFrom('customers as c')
      .leftJoin('customer_stats as s', (j) =>
        j.onRef('s.workspace_id', '=', 'c.workspace_id').onRef('s.customer_id', '=', 'c.id'),
      )
      .leftJoin('customer_rfm as r', (j) =>
        j.onRef('r.workspace_id', '=', 'c.workspace_id').onRef('r.customer_id', '=', 'c.id'),
      )
      .leftJoin('member_tiers as t', (j) =>
        j.onRef('t.workspace_id', '=', 'c.workspace_id').onRef('t.customer_id', '=', 'c.id'),
      )
      // The customer's amounts are shown in the currency of the store they came from.
      .leftJoin('stores as cs', (j) =>
        j.onRef('cs.workspace_id', '=', 'c.workspace_id').onRef('cs.id', '=', 'c.first_store_id'),
      )
      .where('c.workspace_id', '=', workspaceId)
      .select([
        'c.id',
        'c.display_name',
        'c.real_name',
        'c.phone',
        'c.email',
        'c.province',
        'c.city',
        'c.gender',
        'c.birthday',
        'c.marketing_consent',
        'c.consent_source',
        'c.consent_at',
        'c.created_at',
        'c.wechat',
        'c.qq',
        'c.source',
        'c.is_picky',
        'c.is_bad_reviewer',
        'c.is_blacklisted',
        'c.opt_out_sms',
        'c.opt_out_email',
        'c.opt_out_wechat',
        's.orders_count',
        's.paid_orders',
        's.total_spent_fen',
        's.aov_fen',
        's.refund_fen',
        's.refund_orders',
        's.spent_12m_fen',
        's.orders_12m',
        's.first_order_at',
        's.last_order_at',
        's.first_paid_at',
        's.last_paid_at',
        's.favourite_category',
        's.province as stats_province',
        'r.rfm_class',
        'r.lifecycle',
        't.tier_key',
        'cs.currency',
      ])
  );
}
export type CustomerRow = Awaited<ReturnType<ReturnType<typeof customerRows>['executeTakeFirstOrThrow']>>;

export async function listCustomers(
  db: Db,
  workspaceId: string,
  q: CustomerListQuery,
): Promise<{ rows: CustomerRow[]; sortValue: (r: CustomerRow) => string | number | null }> {
  let query = customerRows(db, workspaceId);
  if (q.q) {
    const text = q.q;
    const digits = text.replace(/\D/g, '');
    query = query.where((eb) => {
      const ors = [
        eb(eb.fn('lower', ['c.display_name']), 'like', sql<string>`${likeContains(text.toLowerCase())} ESCAPE '\\'`),
        eb('c.real_name', 'like', sql<string>`${likeContains(text)} ESCAPE '\\'`),
        eb('c.email', '=', text.toLowerCase()),
        eb.exists(
          eb
            .selectFrom('customer_identities as i')
            .select('i.id')
            .whereRef('i.workspace_id', '=', 'c.workspace_id')
            .whereRef('i.customer_id', '=', 'c.id')
            .where('i.value', '=', text),
        ),
      ];
      if (digits.length >= 4 && digits === text.replace(/[\s-]/g, '')) {
        ors.push(digits.length === 11 ? eb('c.phone', '=', digits) : eb('c.phone', 'like', `%${digits}`));
      }
      return eb.or(ors);
    });
  }
  if (q.province)
    query = query.where((eb) => eb.or([eb('c.province', '=', q.province!), eb('s.province', '=', q.province!)]));
  if (q.minPaidOrders !== undefined) query = query.where('s.paid_orders', '>=', q.minPaidOrders);
  if (q.consent) query = query.where('c.marketing_consent', '=', q.consent);
  if (q.storeId) {
    const storeId = q.storeId;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('orders as o')
          .select('o.id')
          .whereRef('o.workspace_id', '=', 'c.workspace_id')
          .whereRef('o.customer_id', '=', 'c.id')
          .where('o.store_id', '=', storeId),
      ),
    );
  }

  // Keyset pagination on (sort value, id), newest/largest first; customers without orders last.
  const col = SORT_COLUMN[q.sort];
  const isTime = q.sort === 'last_order';
  const floor = isTime
    ? db.dialect === 'postgres'
      ? sql`'1970-01-01T00:00:00.000Z'::timestamptz`
      : sql`'1970-01-01T00:00:00.000Z'`
    : sql`0`;
  const sortExpr = col === 'c.id' ? sql.ref('c.id') : sql`COALESCE(${sql.ref(col)}, ${floor})`;
  if (q.cursor) {
    const cur = decodeCursor(q.cursor);
    const v = cur.value ?? (isTime ? '1970-01-01T00:00:00.000Z' : 0);
    const cast = isTime ? timestampCast(db.dialect) : sql``;
    query =
      col === 'c.id'
        ? query.where('c.id', '<', cur.id)
        : query.where(sql<boolean>`(${sortExpr} < ${v}${cast} OR (${sortExpr} = ${v}${cast} AND c.id < ${cur.id}))`);
  }
  const rows = await query
    .orderBy(sortExpr, 'desc')
    .orderBy('c.id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const sortValue = (r: CustomerRow) =>
    q.sort === 'last_order'
      ? r.last_order_at
      : q.sort === 'spent'
        ? (r.total_spent_fen ?? 0)
        : q.sort === 'orders'
          ? (r.paid_orders ?? 0)
          : r.id;
  return { rows, sortValue };
}

export async function customerIdentities(db: Db, workspaceId: string, customerId: string) {
  return db.kysely
    .selectFrom('customer_identities as i')
    .leftJoin('stores as st', (j) =>
      j.onRef('st.workspace_id', '=', 'i.workspace_id').onRef('st.id', '=', 'i.store_id'),
    )
    .select(['i.id', 'i.kind', 'i.scope', 'i.value', 'i.store_id', 'st.name as store_name', 'i.created_at'])
    .where('i.workspace_id', '=', workspaceId)
    .where('i.customer_id', '=', customerId)
    .orderBy('i.created_at')
    .execute();
}
