import { share } from '../../core/analytics.js';
import { shiftDate } from '../../core/analytics-views.js';
import { parseLocalDateTime } from '../../core/time.js';
import { campaignAttribution } from '../campaigns/report.js';
import type { AppContext } from '../context.js';
import { couponReport } from '../coupons/service.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { rangeOf, type Scope } from './views.js';

/** At most this many campaigns are compared (the most recent launched in the range). */
export const MAX_CAMPAIGNS = 20;

/**
 * Campaigns launched in the range, each against its hold-out control (what the campaigns module
 * reports: conversion lift, incremental revenue, ROI on the message cost), beside every coupon
 * template's uses and the revenue of the orders that used them (ROI = that revenue / the discount
 * given; coupons have no control group, so this is not a lift).
 */
export async function effectsHere(ctx: AppContext, ws: string, scope: Scope) {
  const range = await rangeOf(ctx, ws, scope);
  const tz = await workspaceTimezone(ctx.db.kysely, ws);
  const since = parseLocalDateTime(range.from, tz)!;
  const until = parseLocalDateTime(shiftDate(range.to, 1), tz)!;
  const launched = await ctx.db.kysely
    .selectFrom('campaigns')
    .select(['id', 'name', 'launched_at', 'holdout_pct'])
    .where('workspace_id', '=', ws)
    .where('launched_at', '>=', since)
    .where('launched_at', '<', until)
    .orderBy('launched_at', 'desc')
    .limit(MAX_CAMPAIGNS)
    .execute();
  const campaigns = [];
  for (const c of launched) {
    const a = await campaignAttribution(ctx, ws, c.id);
    const o = a.overall;
    campaigns.push({
      id: c.id,
      name: c.name,
      launchedAt: String(c.launched_at),
      treated: o?.treated.customers ?? 0,
      control: o?.control.customers ?? 0,
      treatedConversion: o?.treated.conversion ?? null,
      controlConversion: o?.control.conversion ?? null,
      conversionLift: o?.conversionLift.value ?? null,
      incrementalRevenueFen: o ? Math.round(o.incrementalRevenueFen.value) : null,
      costFen: a.costFen,
      roi: a.roi,
    });
  }
  const coupons = (await couponReport(ctx, ws)).map((t) => ({
    id: t.id,
    name: t.name,
    issued: t.issued,
    used: t.used,
    useRate: share(t.used, t.issued),
    revenueFen: t.revenueFen,
    discountFen: t.discountFen,
    roi: t.discountFen > 0 ? t.revenueFen / t.discountFen : null,
  }));
  return { ...range, campaigns, coupons };
}
