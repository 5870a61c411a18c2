import { sql } from 'kysely';
import { fillDays, share, shortProvinceName } from '../../core/analytics.js';
import { rangeDays, shiftDate } from '../../core/analytics-views.js';
import type { AppContext } from '../context.js';
import { dailyCountsSql, provinceCountsSql, provinceScopesSql } from './pairs.js';
import { isKeptRange, keptBands } from './snapshots.js';
import { buyersOf, head, type Resolved, resolve, type Scope } from './views.js';

/**
 * The province map and the daily buyers of a range, one store or all (the stores of the main currency), read
 * from the pre-aggregated buyer days like the other 数据分析 views, so they follow the range and store the
 * seller picked.
 */

const num = (v: unknown) => Number(v ?? 0);

/** Buyers of the range, their orders and spend in the range, by the province of their customer stats. */
export async function provincesInRangeHere(ctx: AppContext, ws: string, scope: Scope, opts: { kept?: boolean } = {}) {
  const r = await resolve(ctx, ws, scope);
  const k = ctx.db.kysely;
  // A range kept ready by the rebuild (the last 30 days, months, years …) reads its kept counts (snapshots.ts); any
  // other the province-split day pairs (pairs.ts), sums over the range's days per province; `kept: false` reads the
  // buyer rows (the tests compare).
  const rows =
    opts.kept !== false && (await isKeptRange(k, ws, r.from, r.to))
      ? {
          rows: (await keptBands(k, ws, r.pairScope, r.from, r.to))
            .filter((x) => x.dim === 'province')
            .map((x) => ({ province: x.key, buyers: x.n, orders: x.orders, spent: x.rev })),
        }
      : opts.kept !== false && r.provincePairs
        ? { rows: await provincesFromPairs(ctx, r) }
        : await sql<{ province: string | null; buyers: number; orders: number; spent: number }>`
          SELECT s.province AS province, COUNT(*) AS buyers, SUM(x.ord) AS orders, SUM(x.rev) AS spent
          FROM (${buyersOf(r, r)}) x
          LEFT JOIN customer_stats s ON s.workspace_id = ${ws} AND s.customer_id = x.customer_id
          GROUP BY s.province`.execute(k);
  const total = rows.rows.reduce((a, x) => a + num(x.spent), 0);
  return {
    ...head(r),
    items: rows.rows
      .map((x) => ({
        province: x.province || null,
        short: x.province ? shortProvinceName(x.province) : null,
        buyers: num(x.buyers),
        orders: num(x.orders),
        spentFen: num(x.spent),
        currency: r.currency,
        spentShare: share(num(x.spent), total),
      }))
      .sort(
        (a, b) => b.spentFen - a.spentFen || b.buyers - a.buyers || (a.province ?? '').localeCompare(b.province ?? ''),
      ),
  };
}

async function provincesFromPairs(ctx: AppContext, r: Resolved) {
  const k = ctx.db.kysely;
  const scopes = (await provinceScopesSql(r.ws, r.pairScope).execute(k)).rows.map((x) => x.scope);
  if (!scopes.length) return [];
  const rows = await provinceCountsSql(r.ws, scopes, r.from, r.to).execute(k);
  const cut = r.pairScope.length + 1;
  return rows.rows
    .filter((x) => num(x.buyers) > 0)
    .map((x) => ({
      province: x.scope.slice(cut),
      buyers: num(x.buyers),
      orders: num(x.orders),
      spent: num(x.revenue),
    }));
}

/**
 * Each local day of the range: buyers, of whom new (their first purchase in the stores in scope is that day),
 * orders and spend. A buyer of two stores on one day counts once.
 */
export async function dailyBuyersHere(ctx: AppContext, ws: string, scope: Scope) {
  const r = await resolve(ctx, ws, scope);
  // From the day pairs (pairs.ts): the range's days are read, not its buyer-day rows.
  const rows = await dailyCountsSql(ws, r.pairScope, r.from, r.to).execute(ctx.db.kysely);
  const days = Array.from({ length: rangeDays(r.from, r.to) }, (_, i) => shiftDate(r.from, i));
  return {
    ...head(r),
    days: fillDays(
      days,
      rows.rows.map((x) => ({
        day: String(x.day),
        buyers: num(x.buyers),
        newBuyers: num(x.new_buyers),
        orders: num(x.orders),
        revenueFen: num(x.revenue),
      })),
      ['buyers', 'newBuyers', 'orders', 'revenueFen'] as const,
    ),
  };
}
