import { share } from '../../core/analytics.js';
import { shiftDate } from '../../core/analytics-views.js';
import { parseLocalDateTime } from '../../core/time.js';
import { attributionHere } from '../campaigns/report.js';
import { presentCampaign } from '../campaigns/service.js';
import type { AppContext } from '../context.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { sql } from 'kysely';
import { couponEffect, type Stratum } from '../../core/coupon-effect.js';
import { timestampCast } from '../../db/dates.js';
import { lastPurchaseCounts, rangeCounts } from './pairs.js';
import { inStores, rangeOf, resolve, type Scope } from './views.js';

/** At most this many campaigns are compared (the most recent launched in the range). */
export const MAX_CAMPAIGNS = 20;

/**
 * Campaigns launched in the range, each against its hold-out control (what the campaigns module
 * reports: conversion lift, incremental revenue, ROI on the message cost), beside each coupon template
 * issued in the range against a matched comparison (core/coupon-effect.ts): its holders' conversion and
 * sales in the range against those of the customers not given it who had, or had not, bought before the
 * range like them; ROI = incremental sales / the discount given. Of all stores (the main currency's): neither a
 * campaign nor a coupon belongs to one store.
 */
export async function effectsHere(ctx: AppContext, ws: string, scope: Scope) {
  const range = await rangeOf(ctx, ws, scope);
  const tz = await workspaceTimezone(ctx.db.kysely, ws);
  const since = parseLocalDateTime(range.from, tz)!;
  const until = parseLocalDateTime(shiftDate(range.to, 1), tz)!;
  const launched = await ctx.db.kysely
    .selectFrom('campaigns')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('launched_at', '>=', since)
    .where('launched_at', '<', until)
    .orderBy('launched_at', 'desc')
    .limit(MAX_CAMPAIGNS)
    .execute();
  const campaigns = [];
  for (const c of launched) {
    // As stored (this runs on a read thread: a report's settling of a finished campaign is a write).
    const view = presentCampaign(c);
    const a = await attributionHere(ctx, ws, { ...view, launchedAt: view.launchedAt! }, view.attributionDays, null);
    const o = a.overall;
    campaigns.push({
      id: c.id,
      name: c.name,
      launchedAt: String(c.launched_at),
      // Without a hold-out there is no attribution, but its recipients were treated all the same (it said 0).
      treated: a.treated,
      control: a.control,
      treatedConversion: o?.treated.conversion ?? null,
      controlConversion: o?.control.conversion ?? null,
      conversionLift: o?.conversionLift.value ?? null,
      incrementalRevenueFen: o ? Math.round(o.incrementalRevenueFen.value) : null,
      // The 95 % intervals the report and the comparison show: a lift whose interval spans 0 is not yet an effect.
      conversionLiftRange: o ? { low: o.conversionLift.low, high: o.conversionLift.high } : null,
      incrementalRevenueRangeFen: o
        ? { low: Math.round(o.incrementalRevenueFen.low), high: Math.round(o.incrementalRevenueFen.high) }
        : null,
      costFen: a.costFen,
      roi: a.roi,
    });
  }
  // Campaigns and coupons are the workspace's, not a store's (a campaign's effect and a coupon's uses counted all
  // stores while its holders' buying followed storeId: one row of two scopes). All stores, said in the answer.
  const coupons = await couponEffects(ctx, ws, { ...scope, storeId: undefined }, since, until);
  return { ...range, allStores: true as const, campaigns, coupons };
}

const n = (v: unknown) => Number(v ?? 0);

/** Each coupon template issued in the range: uses, the sales of the orders that used it, and its effect. */
async function couponEffects(ctx: AppContext, ws: string, scope: Scope, since: string, until: string) {
  const k = ctx.db.kysely;
  const r = await resolve(ctx, ws, scope);
  const ts = timestampCast(ctx.db.dialect);
  const issued = await sql<Record<string, unknown> & { id: string; name: string }>`
    SELECT t.id, t.name, COUNT(c.id) AS issued, SUM(CASE WHEN c.status = 'used' THEN 1 ELSE 0 END) AS used,
      COALESCE(SUM(CASE WHEN c.status = 'used' THEN o.paid_fen - o.refunded_fen END), 0) AS revenue,
      COALESCE(SUM(CASE WHEN c.status = 'used' THEN c.discount_fen END), 0) AS discount
    FROM coupon_templates t
    JOIN coupons c ON c.workspace_id = t.workspace_id AND c.template_id = t.id
    LEFT JOIN orders o ON o.workspace_id = c.workspace_id AND o.id = c.order_id
    WHERE t.workspace_id = ${ws} AND c.issued_at >= ${since}${ts} AND c.issued_at < ${until}${ts} AND c.status <> 'void'
    GROUP BY t.id, t.name
    ORDER BY t.name`.execute(k);
  if (!issued.rows.length) return [];
  // The holders by stratum (bought in these stores before the range, or not) and their buying in the range: those
  // with buyer rows in these stores from the rows, joined to the coupons table by its customer index (a join of
  // the holders' list to the rows' aggregate was a nested scan on SQLite: 10 s for a year of the 20,000-customer
  // demo); holders without any row are new and bought nothing, counted from each template's holders.
  const holders = await sql<{ template_id: string; ret: unknown; holders: unknown; buyers: unknown; rev: unknown }>`
    WITH h AS (
      SELECT DISTINCT customer_id FROM coupons
      WHERE workspace_id = ${ws} AND issued_at >= ${since}${ts} AND issued_at < ${until}${ts} AND status <> 'void'
    ), b AS (
      SELECT customer_id, MIN(${sql.ref(r.firstDay)}) AS f,
        SUM(CASE WHEN day >= ${r.from} AND day <= ${r.to} THEN 1 ELSE 0 END) AS days,
        SUM(CASE WHEN day >= ${r.from} AND day <= ${r.to} THEN revenue_fen ELSE 0 END) AS rev
      FROM analytics_buyer_days
      WHERE workspace_id = ${ws} AND ${inStores('store_id', r.storeIds)}
        AND customer_id IN (SELECT customer_id FROM h)
      GROUP BY customer_id
    ), hb AS (
      SELECT c.template_id, b.customer_id, MAX(b.f) AS f, MAX(b.days) AS days, MAX(b.rev) AS rev
      FROM b JOIN coupons c ON c.workspace_id = ${ws} AND c.customer_id = b.customer_id
        AND c.issued_at >= ${since}${ts} AND c.issued_at < ${until}${ts} AND c.status <> 'void'
      GROUP BY c.template_id, b.customer_id
    )
    SELECT template_id, CASE WHEN f < ${r.from} THEN 1 ELSE 0 END AS ret, COUNT(*) AS holders,
      SUM(CASE WHEN days > 0 THEN 1 ELSE 0 END) AS buyers, SUM(rev) AS rev
    FROM hb
    GROUP BY 1, 2`.execute(k);
  const allHolders = await sql<{ template_id: string; n: unknown }>`
    SELECT template_id, COUNT(DISTINCT customer_id) AS n FROM coupons
    WHERE workspace_id = ${ws} AND issued_at >= ${since}${ts} AND issued_at < ${until}${ts} AND status <> 'void'
    GROUP BY template_id`.execute(k);
  // Everyone, by the same strata, from the day pairs.
  const c = await rangeCounts(k, ws, r.pairScope, r.from, r.to);
  const before = await lastPurchaseCounts(k, ws, r.pairScope, shiftDate(r.from, -1), []);
  const everyone = await k
    .selectFrom('customers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .executeTakeFirstOrThrow();
  const population = {
    ret: { n: before.boughtBy, buyers: c.buyers - c.newBuyers, rev: c.revenueFen - c.newRevenueFen },
    new: { n: n(everyone.n) - before.boughtBy, buyers: c.newBuyers, rev: c.newRevenueFen },
  };
  return issued.rows.map((t) => {
    const strata: Stratum[] = (['ret', 'new'] as const).map((key) => {
      const h = holders.rows.find((x) => x.template_id === t.id && n(x.ret) === (key === 'ret' ? 1 : 0));
      const p = population[key];
      const ret = holders.rows.find((x) => x.template_id === t.id && n(x.ret) === 1);
      const all = n(allHolders.rows.find((x) => x.template_id === t.id)?.n);
      return {
        // The new also hold those with no row at all: every holder not returning.
        holders: key === 'ret' ? n(h?.holders) : all - n(ret?.holders),
        holderBuyers: n(h?.buyers),
        holderRevenueFen: n(h?.rev),
        population: p.n,
        populationBuyers: p.buyers,
        populationRevenueFen: p.rev,
      };
    });
    const e = couponEffect(strata);
    const discountFen = n(t.discount);
    return {
      id: t.id,
      name: t.name,
      issued: n(t.issued),
      used: n(t.used),
      useRate: share(n(t.used), n(t.issued)),
      revenueFen: n(t.revenue),
      discountFen,
      ...e,
      roi: e.incrementalRevenueFen !== null && discountFen > 0 ? e.incrementalRevenueFen / discountFen : null,
    };
  });
}
