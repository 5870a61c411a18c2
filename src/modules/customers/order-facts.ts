import { sql, type Expression, type Kysely, type SqlBool, type Transaction } from 'kysely';
import { categoryLevels, customerOrderFacts, type FactOrder } from '../../core/order-facts.js';
import type { PurchaseRule } from '../../core/stats.js';
import { bulkInsert } from '../../db/bulk.js';
import type { Dialect } from '../../db/connect.js';
import type { Database } from '../../db/types.js';

type Executor = Kysely<Database> | Transaction<Database>;

/**
 * Incremental path: replaces the order facts of the given customers (whose orders the caller has
 * just read for their stats) in the caller's transaction.
 */
export async function writeCustomerOrderFacts(
  db: Executor,
  dialect: Dialect,
  workspaceId: string,
  ordersByCustomer: ReadonlyMap<string, readonly FactOrder[]>,
  rule: PurchaseRule,
): Promise<void> {
  const ids = [...ordersByCustomer.keys()];
  if (ids.length === 0) return;
  await db
    .deleteFrom('customer_order_facts')
    .where('workspace_id', '=', workspaceId)
    .where('customer_id', 'in', ids)
    .execute();
  const rows = [...ordersByCustomer].flatMap(([customerId, orders]) =>
    customerOrderFacts(orders, rule).map((f) => ({
      workspace_id: workspaceId,
      dim: f.dim,
      value: f.value,
      customer_id: customerId,
      orders: f.orders,
      spend_fen: f.spendFen,
      first_at: f.firstAt,
      last_at: f.lastAt,
    })),
  );
  await bulkInsert(db, dialect, 'customer_order_facts', rows);
}

/**
 * Full path (inside the recompute's transaction): every customer's order facts in a few SQL
 * statements, the definitions of core/order-facts.ts. Category levels come from the distinct
 * categories, expanded by categoryLevels and joined as a VALUES list, a group of levels per statement.
 */
export async function rebuildOrderFacts(
  trx: Executor,
  workspaceId: string,
  purchase: Expression<SqlBool>,
): Promise<void> {
  await trx.deleteFrom('customer_order_facts').where('workspace_id', '=', workspaceId).execute();
  for (const [dim, column] of [
    ['activity', 'activity'],
    ['source', 'source'],
    ['store', 'store_id'],
  ] as const) {
    const col = sql.ref(`o.${column}`);
    await sql`
      INSERT INTO customer_order_facts (workspace_id, customer_id, dim, value, orders, spend_fen, first_at, last_at)
      SELECT o.workspace_id, o.customer_id, ${dim}, ${col}, COUNT(*), SUM(o.paid_fen - o.refunded_fen),
        MIN(o.paid_at), MAX(o.paid_at)
      FROM orders o
      WHERE o.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL AND ${col} IS NOT NULL AND ${col} <> ''
        AND ${purchase}
      GROUP BY o.workspace_id, o.customer_id, ${col}`.execute(trx);
  }
  const categories = await trx
    .selectFrom('order_items')
    .select('category')
    .distinct()
    .where('workspace_id', '=', workspaceId)
    .where('category', 'is not', null)
    .where('category', '<>', '')
    .execute();
  const byLevel = new Map<string, string[]>();
  for (const { category } of categories)
    for (const level of categoryLevels(category!)) {
      let list = byLevel.get(level);
      if (!list) byLevel.set(level, (list = []));
      list.push(category!);
    }
  // A level's categories stay in one statement, so no (customer, level) is written twice.
  const groups: [string, string][][] = [[]];
  for (const [level, cats] of byLevel) {
    const last = groups[groups.length - 1]!;
    if (last.length > 0 && last.length + cats.length > 5000) groups.push([]);
    groups[groups.length - 1]!.push(...cats.map((c) => [c, level] as [string, string]));
  }
  for (const pairs of groups) {
    if (pairs.length === 0) continue;
    {
      const values = sql.join(pairs.map(([c, l]) => sql`(${c}, ${l})`));
      await sql`
        WITH lv (category, level) AS (VALUES ${values})
        INSERT INTO customer_order_facts (workspace_id, customer_id, dim, value, orders, spend_fen, first_at, last_at)
        SELECT ${workspaceId}, d.customer_id, 'category', d.level, COUNT(*), SUM(d.net), MIN(d.paid_at), MAX(d.paid_at)
        FROM (
          SELECT DISTINCT o.id, o.customer_id, lv.level, o.paid_fen - o.refunded_fen AS net, o.paid_at
          FROM order_items i
          JOIN lv ON lv.category = i.category
          JOIN orders o ON o.workspace_id = i.workspace_id AND o.id = i.order_id
          WHERE i.workspace_id = ${workspaceId} AND o.customer_id IS NOT NULL AND ${purchase}
        ) d
        GROUP BY d.customer_id, d.level`.execute(trx);
    }
  }
}
