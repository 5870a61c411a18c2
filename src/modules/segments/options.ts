import { sql } from 'kysely';
import { CITY_NAMES, PROVINCE_NAMES } from '../../core/address.js';
import type { FactDimension } from '../../core/order-facts.js';
import type { AppContext } from '../context.js';

/**
 * What a rule builder offers to pick from: every province and city by its full name, and the
 * shop's own categories (every level of their paths), activities and sources. The shop's values are
 * read from customer_order_facts by a loose index scan (one seek per distinct value), so a shop
 * with millions of order lines answers at once.
 */
export interface RuleOptions {
  provinces: string[];
  cities: string[];
  categories: string[];
  activities: string[];
  sources: string[];
}

const MAX_VALUES = 2000;

/** The values of one dimension among the shop's purchases (its order facts), sorted; at most MAX_VALUES. */
export async function distinctValues(ctx: AppContext, workspaceId: string, dim: FactDimension): Promise<string[]> {
  const r = await sql<{ v: string | null }>`
    WITH RECURSIVE d (v, n) AS (
      SELECT (SELECT MIN(value) FROM customer_order_facts
              WHERE workspace_id = ${workspaceId} AND dim = ${dim}), 1
      UNION ALL
      SELECT (SELECT MIN(f.value) FROM customer_order_facts f
              WHERE f.workspace_id = ${workspaceId} AND f.dim = ${dim} AND f.value > d.v), d.n + 1
      FROM d WHERE d.v IS NOT NULL AND d.n < ${MAX_VALUES}
    )
    SELECT v FROM d WHERE v IS NOT NULL`.execute(ctx.db.kysely);
  return r.rows.map((x) => x.v!).sort();
}

export async function ruleOptions(ctx: AppContext, workspaceId: string): Promise<RuleOptions> {
  return {
    provinces: [...PROVINCE_NAMES],
    cities: [...CITY_NAMES],
    categories: await distinctValues(ctx, workspaceId, 'category'),
    activities: await distinctValues(ctx, workspaceId, 'activity'),
    sources: await distinctValues(ctx, workspaceId, 'source'),
  };
}
