import { sql, type Kysely } from 'kysely';
import { fillFactLevels, levelFactsSelect } from '../../modules/customers/order-facts.js';
import type { Dialect } from '../connect.js';

/**
 * The order facts gain the combined dimension 'activity+category' (core/order-facts.ts): per customer,
 * activity and category level, the purchases in that activity with a line in that category. "Bought
 * 女装/大衣 during 双11 2025" is then one set read from the facts' key, where it walked the orders of every
 * customer both facts apart left (1M customers: 87k candidates, a table row per order). The facts are
 * written by the same paths as the others (the customer's stats refresh, the full recompute), so this
 * only fills them for the orders already there, per workspace, by the rebuild's own statement: a rule
 * compiled to them must not find them missing. What counts as a purchase is the workspace's setting
 * (`purchases.zeroPaidCounts`), as in modules/customers/stats.ts orderCountsAsPurchase. Down deletes them.
 */
export function orderFactsActivityCategory(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const workspaces = await sql<{ id: string; value: string | null }>`SELECT w.id, s.value FROM workspaces w
        LEFT JOIN workspace_settings s ON s.workspace_id = w.id AND s.key = 'purchases'`.execute(db);
      for (const w of workspaces.rows) {
        const setting = (typeof w.value === 'string' ? JSON.parse(w.value) : (w.value ?? {})) as {
          zeroPaidCounts?: boolean;
        };
        const somethingPaid = setting.zeroPaidCounts === true ? sql`` : sql` AND o.paid_fen > 0`;
        const purchase = sql<boolean>`(o.paid_at IS NOT NULL AND o.status <> 'refunded'${somethingPaid}
          AND NOT (o.refunded_fen > 0 AND o.refunded_fen >= o.paid_fen))`;
        await fillFactLevels(db, w.id);
        await sql`INSERT INTO customer_order_facts
          (workspace_id, dim, value, customer_id, orders, spend_fen, first_at, last_at)
          SELECT ${w.id}, p.* FROM (${levelFactsSelect(dialect, w.id, purchase, null, true)}) p WHERE true
          ON CONFLICT (workspace_id, dim, value, customer_id) DO NOTHING`.execute(db);
        await sql`DROP TABLE fact_levels`.execute(db);
      }
      // PostgreSQL: the (dim, value) statistics (0064) learn the new dimension's values now, not at the next
      // automatic analyze.
      if (dialect === 'postgres') await sql`ANALYZE customer_order_facts`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`DELETE FROM customer_order_facts WHERE dim = 'activity+category'`.execute(db);
    },
  };
}
