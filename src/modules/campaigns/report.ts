import { reason } from '../../core/reasons.js';
import { sql } from 'kysely';
import { Invalid } from '../../core/errors.js';
import { CONTROL } from '../../core/messaging/assign.js';
import { attribute, type GroupOutcome, outcomeOf } from '../../core/messaging/attribution.js';
import { DAY_MS } from '../../core/time.js';
import { timestampCast } from '../../db/dates.js';
import { readJson } from '../../db/json.js';
import type { AppContext } from '../context.js';
import { handoffCsv, handoffTable } from '../messaging/service.js';
import type { Table } from '../tables.js';
import { assertNotDraft, campaignRow, getCampaign, SOURCE } from './service.js';

/** Targeted, held by each rule, queued, sent, failed, clicked and opted out, in total and per variant. */
export async function campaignReport(ctx: AppContext, ws: string, id: string) {
  const c = await getCampaign(ctx, ws, id);
  const k = ctx.db.kysely;
  const groups = await k
    .selectFrom('campaign_recipients')
    .select(['grp', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .where('campaign_id', '=', id)
    .groupBy('grp')
    .execute();
  const rows = await k
    .selectFrom('messages')
    .select([
      'variant',
      'status',
      'reason',
      sql<number>`count(*)`.as('n'),
      sql<number>`sum(case when clicks > 0 then 1 else 0 end)`.as('clicked'),
      // Delivered counted here, in the one read of the campaign's messages (the exactly-once key's source
      // prefix since migration 0067), rather than in a second read of its sent ones.
      sql<number>`sum(case when delivery = 'delivered' then 1 else 0 end)`.as('delivered'),
      sql<number>`sum(cost_fen)`.as('cost'),
      sql<number>`sum(case when send_at >
        ${ctx.now().toISOString()}${timestampCast(ctx.db.dialect)} then 1 else 0 end)`.as('later'),
      sql<string | Date | null>`min(case when send_at >
        ${ctx.now().toISOString()}${timestampCast(ctx.db.dialect)} then send_at end)`.as('next'),
    ])
    .where('workspace_id', '=', ws)
    .where('source_type', '=', SOURCE)
    .where('source_id', '=', id)
    .groupBy(['variant', 'status', 'reason'])
    .execute();
  const heldBack: Record<string, number> = {};
  const tot = { queued: 0, deferred: 0, sent: 0, failed: 0, cancelled: 0, clicked: 0, costFen: 0 };
  let delivered = 0;
  /** The earliest a deferred message goes out (the next send window), null when none waits. */
  let nextSendAt: string | null = null;
  const perVariant = new Map<
    string,
    { key: string; targeted: number; sent: number; failed: number; clicked: number }
  >();
  for (const g of groups)
    if (g.grp !== CONTROL) perVariant.set(g.grp, { key: g.grp, targeted: Number(g.n), sent: 0, failed: 0, clicked: 0 });
  for (const r of rows) {
    const n = Number(r.n);
    const v = perVariant.get(r.variant ?? '');
    if (r.status === 'skipped') heldBack[r.reason ?? 'unknown'] = (heldBack[r.reason ?? 'unknown'] ?? 0) + n;
    if (r.status === 'queued') {
      tot.queued += n;
      tot.deferred += Number(r.later ?? 0);
      const at = r.next === null ? null : new Date(r.next).toISOString();
      if (at !== null && (nextSendAt === null || at < nextSendAt)) nextSendAt = at;
    }
    if (r.status === 'sent') {
      tot.sent += n;
      delivered += Number(r.delivered ?? 0);
      tot.costFen += Number(r.cost ?? 0);
      if (v) v.sent += n;
    }
    if (r.status === 'failed') {
      tot.failed += n;
      if (v) v.failed += n;
    }
    if (r.status === 'cancelled') tot.cancelled += n;
    tot.clicked += Number(r.clicked ?? 0);
    if (v) v.clicked += Number(r.clicked ?? 0);
  }
  const optedOut = c.launchedAt
    ? await k
        .selectFrom('inbound_replies as i')
        .innerJoin('campaign_recipients as r', (j) =>
          j.onRef('r.workspace_id', '=', 'i.workspace_id').onRef('r.customer_id', '=', 'i.customer_id'),
        )
        .select(sql<number>`count(distinct i.customer_id)`.as('n'))
        .where('i.workspace_id', '=', ws)
        .where('r.campaign_id', '=', id)
        .where('r.grp', '!=', CONTROL)
        .where('i.action', '=', 'opt_out')
        .where(sql<boolean>`i.received_at >= ${c.launchedAt}${timestampCast(ctx.db.dialect)}`)
        .executeTakeFirstOrThrow()
    : { n: 0 };
  const audience = groups.reduce((s, g) => s + Number(g.n), 0);
  const control = Number(groups.find((g) => g.grp === CONTROL)?.n ?? 0);
  return {
    status: c.status,
    audience,
    control,
    targeted: audience - control,
    heldBack,
    ...tot,
    nextSendAt,
    delivered,
    optedOut: Number(optedOut.n),
    variants: c.variants.map(
      (v) => perVariant.get(v.key) ?? { key: v.key, targeted: 0, sent: 0, failed: 0, clicked: 0 },
    ),
  };
}

/**
 * Orders of recipients within N days of launch against the hold-out control. Everyone drawn into
 * a variant counts as treated, also those a rule held back (intention to treat): the control was
 * drawn from the same audience before any rule applied, so this is the fair comparison.
 */
export async function campaignAttribution(ctx: AppContext, ws: string, id: string, daysInput?: number) {
  const r = await campaignRow(ctx, ws, id);
  assertNotDraft(r);
  const days = daysInput ?? r.attribution_days;
  const from = r.launched_at!;
  const to = new Date(Date.parse(from) + days * DAY_MS).toISOString();
  const cast = timestampCast(ctx.db.dialect);
  const k = ctx.db.kysely;
  const rows = await k
    .selectFrom('campaign_recipients as r')
    .leftJoin('orders as o', (j) =>
      j
        .onRef('o.workspace_id', '=', 'r.workspace_id')
        .onRef('o.customer_id', '=', 'r.customer_id')
        .on(sql<boolean>`o.paid_at >= ${from}${cast}`)
        .on(sql<boolean>`o.paid_at < ${to}${cast}`)
        .on(sql<boolean>`o.paid_fen > o.refunded_fen`),
    )
    .select([
      'r.customer_id',
      'r.grp',
      sql<number>`count(o.id)`.as('orders'),
      sql<number>`coalesce(sum(o.paid_fen - o.refunded_fen), 0)`.as('revenue'),
    ])
    .where('r.workspace_id', '=', ws)
    .where('r.campaign_id', '=', id)
    .groupBy(['r.customer_id', 'r.grp'])
    .execute();
  const byGroup = new Map<string, { orders: number; revenueFen: number }[]>();
  for (const x of rows) {
    const list = byGroup.get(x.grp) ?? [];
    list.push({ orders: Number(x.orders), revenueFen: Number(x.revenue) });
    byGroup.set(x.grp, list);
  }
  const control = outcomeOf(byGroup.get(CONTROL) ?? []);
  const treatedAll = outcomeOf([...byGroup.entries()].filter(([g]) => g !== CONTROL).flatMap(([, l]) => l));
  const cost = await k
    .selectFrom('messages')
    .select(sql<number>`coalesce(sum(cost_fen), 0)`.as('c'))
    .where('workspace_id', '=', ws)
    .where('source_type', '=', SOURCE)
    .where('source_id', '=', id)
    .where('status', '=', 'sent')
    .executeTakeFirstOrThrow();
  const costFen = Number(cost.c);
  const overall = attribute(treatedAll, control);
  const variants = readJson<{ variants: { key: string }[] }>(r.content).variants.map((v) => ({
    key: v.key,
    attribution: attribute(outcomeOf(byGroup.get(v.key) ?? []) as GroupOutcome, control),
  }));
  return {
    days,
    from,
    to,
    costFen,
    roi: overall && costFen > 0 ? overall.incrementalRevenueFen.value / costFen : null,
    overall,
    treated: treatedAll.customers,
    control: control.customers,
    variants,
  };
}

export async function campaignHandoff(ctx: AppContext, ws: string, id: string): Promise<string> {
  assertNotDraft(await campaignRow(ctx, ws, id));
  return handoffCsv(ctx, ws, SOURCE, id);
}

/** The same list as one sheet, named after the campaign. */
export async function campaignHandoffTable(ctx: AppContext, ws: string, id: string): Promise<Table> {
  const r = await campaignRow(ctx, ws, id);
  assertNotDraft(r);
  return { ...(await handoffTable(ctx, ws, SOURCE, id)), title: r.name };
}

/**
 * Campaigns side by side (a coupon campaign against a 满减 one): per campaign and per variant,
 * targeted, sent, delivered, clicked, conversion of treated against control, incremental revenue
 * with its 95 % interval, cost and ROI.
 */
export async function compareCampaigns(ctx: AppContext, ws: string, ids: readonly string[]) {
  const unique = [...new Set(ids)];
  if (unique.length < 2 || unique.length > 4)
    throw new Invalid('choose 2 to 4 campaigns to compare', reason('campaign.compareCount', { min: 2, max: 4 }));
  const items = [];
  for (const id of unique) {
    const c = await getCampaign(ctx, ws, id);
    if (c.status === 'draft')
      throw new Invalid(
        `campaign "${c.name}" has not been launched: it has nothing to compare`,
        reason('campaign.compareNotLaunched', { campaign: c.name }),
      );
    const report = await campaignReport(ctx, ws, id);
    const attribution = await campaignAttribution(ctx, ws, id);
    const delivered = await deliveredCounts(ctx, ws, id);
    const row = (
      key: string | null,
      r: { targeted: number; sent: number; clicked: number },
      a: Awaited<ReturnType<typeof campaignAttribution>>['overall'],
      costFen: number,
    ) => ({
      key,
      targeted: r.targeted,
      sent: r.sent,
      delivered: delivered.get(key) ?? 0,
      clicked: r.clicked,
      treatedConversion: a?.treated.conversion ?? null,
      controlConversion: a?.control.conversion ?? null,
      incrementalRevenueFen: a?.incrementalRevenueFen ?? null,
      costFen,
      roi: a && costFen > 0 ? a.incrementalRevenueFen.value / costFen : null,
    });
    const costOf = await variantCosts(ctx, ws, id);
    items.push({
      id: c.id,
      name: c.name,
      status: c.status,
      launchedAt: c.launchedAt,
      couponTemplateId: c.couponTemplateId,
      attributionDays: attribution.days,
      overall: row(null, report, attribution.overall, attribution.costFen),
      variants: report.variants.map((v) =>
        row(v.key, v, attribution.variants.find((x) => x.key === v.key)?.attribution ?? null, costOf.get(v.key) ?? 0),
      ),
    });
  }
  return { items };
}

/** Sent messages a provider's receipt confirmed delivered, per variant and in total (key null). */
async function deliveredCounts(ctx: AppContext, ws: string, id: string): Promise<Map<string | null, number>> {
  const rows = await ctx.db.kysely
    .selectFrom('messages')
    .select(['variant', sql<number>`count(*)`.as('n')])
    .where('workspace_id', '=', ws)
    .where('source_type', '=', SOURCE)
    .where('source_id', '=', id)
    .where('status', '=', 'sent')
    .where('delivery', '=', 'delivered')
    .groupBy('variant')
    .execute();
  const out = new Map<string | null, number>();
  let total = 0;
  for (const r of rows) {
    out.set(r.variant, Number(r.n));
    total += Number(r.n);
  }
  out.set(null, total);
  return out;
}

async function variantCosts(ctx: AppContext, ws: string, id: string): Promise<Map<string, number>> {
  const rows = await ctx.db.kysely
    .selectFrom('messages')
    .select(['variant', sql<number>`coalesce(sum(cost_fen), 0)`.as('c')])
    .where('workspace_id', '=', ws)
    .where('source_type', '=', SOURCE)
    .where('source_id', '=', id)
    .where('status', '=', 'sent')
    .groupBy('variant')
    .execute();
  return new Map(rows.map((r) => [r.variant ?? '', Number(r.c)]));
}
