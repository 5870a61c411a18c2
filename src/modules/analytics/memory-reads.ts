import type { CustomerRows } from '../../core/analytics-memory-splice.js';
import type { Executor } from '../../jobs/queue.js';
import { yieldToEventLoop } from '../event-loop.js';

/** The reads of the analytics held in memory (memory.ts): a few customers' rows, and every row chunk by chunk. */

/** These customers' buyer-day rows, product-day rows and customer row as they are now, 500 at a time. */
export async function readCustomers(k: Executor, ws: string, ids: string[]): Promise<Map<string, CustomerRows>> {
  const out = new Map<string, CustomerRows>();
  for (let i = 0; i < ids.length; i += 500) {
    const part = ids.slice(i, i + 500);
    for (const id of part) out.set(id, { person: undefined, buyerRows: [], productRows: [] });
    const people = await k
      .selectFrom('customers')
      .select(['id', 'gender', 'city', 'birthday'])
      .where('workspace_id', '=', ws)
      .where('id', 'in', part)
      .execute();
    for (const c of people) out.get(c.id)!.person = { gender: c.gender, city: c.city, birthday: c.birthday };
    const buyers = await k
      .selectFrom('analytics_buyer_days')
      .select(['customer_id', 'store_id', 'day', 'orders', 'revenue_fen'])
      .where('workspace_id', '=', ws)
      .where('customer_id', 'in', part)
      .execute();
    for (const r of buyers)
      out.get(r.customer_id)!.buyerRows.push({
        store: r.store_id,
        day: r.day,
        orders: Number(r.orders),
        revenue: Number(r.revenue_fen),
      });
    const products = await k
      .selectFrom('analytics_product_days')
      .select(['customer_id', 'store_id', 'day', 'product', 'orders', 'units', 'revenue_fen'])
      .where('workspace_id', '=', ws)
      .where('customer_id', 'in', part)
      .execute();
    for (const r of products)
      out.get(r.customer_id)!.productRows.push({
        store: r.store_id,
        day: r.day,
        product: r.product,
        orders: Number(r.orders),
        units: Number(r.units),
        revenue: Number(r.revenue_fen),
      });
  }
  return out;
}

/**
 * Reads a table's rows of the workspace customer range by customer range (about `rows` rows each, a customer's rows
 * never split), yielding to the event loop between ranges.
 */
export async function readByCustomer(
  k: Executor,
  ws: string,
  table: 'analytics_buyer_days' | 'analytics_product_days',
  rows: number,
  read: (lo: string, hi: string | null) => Promise<void>,
) {
  let lo = '';
  for (;;) {
    const end = await k
      .selectFrom(table)
      .select('customer_id')
      .where('workspace_id', '=', ws)
      .where('customer_id', '>', lo)
      .orderBy('customer_id')
      .limit(1)
      .offset(rows - 1)
      .executeTakeFirst();
    const hi = end?.customer_id ?? null;
    await read(lo, hi);
    if (hi === null) return;
    lo = hi;
    await yieldToEventLoop();
  }
}
