import { reason } from '../../core/reasons.js';
import { sql } from 'kysely';
import { Invalid } from '../../core/errors.js';
import { CONTROL } from '../../core/messaging/assign.js';
import {
  type Attribution,
  attribute,
  type GroupOutcome,
  outcomeOf,
  sumOutcomes,
} from '../../core/messaging/attribution.js';
import { DAY_MS } from '../../core/time.js';
import { timestampCast } from '../../db/dates.js';
import type { AppContext } from '../context.js';
import { offLoop } from '../heavy/run.js';
import { handoffCsv, handoffTable } from '../messaging/service.js';
import type { Table } from '../tables.js';
import type { CampaignView } from './schema.js';
import { assertLaunched, assertNotDraft, campaignRow, getCampaign, SOURCE } from './service.js';

/**
 * Targeted, held by each rule, queued, sent, failed, clicked and opted out, in total and per variant. The
 * campaign is read (and settled) here; its messages and recipients are counted where a long read cannot stall
 * the server (heavy/run.ts: a read thread on SQLite) — a campaign of a million messages takes seconds.
 */
export async function campaignReport(ctx: AppContext, ws: string, id: string) {
  const c = await getCampaign(ctx, ws, id);
  return (await offLoop(ctx, 'campaigns.report', campaignFiguresHere, ws, c)).report;
}

/**
 * The report's figures from one grouped read of the campaign's messages, with what the comparison needs beside
 * them (delivered and cost per variant), so that no caller reads the messages twice.
 */
export async function campaignFiguresHere(ctx: AppContext, ws: string, c: CampaignView) {
  const k = ctx.db.kysely;
  const id = c.id;
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
  /** Sent messages delivered and their cost, per variant ('' for a message without one). */
  const deliveredBy: Record<string, number> = {};
  const costBy: Record<string, number> = {};
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
      const key = r.variant ?? '';
      tot.sent += n;
      delivered += Number(r.delivered ?? 0);
      tot.costFen += Number(r.cost ?? 0);
      deliveredBy[key] = (deliveredBy[key] ?? 0) + Number(r.delivered ?? 0);
      costBy[key] = (costBy[key] ?? 0) + Number(r.cost ?? 0);
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
    report: {
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
    },
    deliveredBy,
    costBy,
  };
}

/**
 * Orders of recipients within N days of launch against the hold-out control. Everyone drawn into
 * a variant counts as treated, also those a rule held back (intention to treat): the control was
 * drawn from the same audience before any rule applied, so this is the fair comparison.
 */
export async function campaignAttribution(ctx: AppContext, ws: string, id: string, daysInput?: number) {
  const c = await getCampaign(ctx, ws, id);
  assertLaunched(c);
  return offLoop(ctx, 'campaigns.attribution', attributionHere, ws, c, daysInput ?? c.attributionDays, null);
}

/**
 * The attribution of a launched campaign. Each group's outcome (customers, converters, orders and revenue with
 * their sums of squares) is summed by the database from each recipient's orders in the window — one row per
 * group, not one per recipient. `knownCostFen`: the sent messages' cost when the caller has counted it already.
 */
export async function attributionHere(
  ctx: AppContext,
  ws: string,
  c: CampaignView & { launchedAt: string },
  days: number,
  knownCostFen: number | null,
) {
  const from = c.launchedAt;
  const to = new Date(Date.parse(from) + days * DAY_MS).toISOString();
  const cast = timestampCast(ctx.db.dialect);
  const k = ctx.db.kysely;
  const perRecipient = k
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
      'r.grp',
      sql<number>`count(o.id)`.as('orders'),
      sql<number>`coalesce(sum(o.paid_fen - o.refunded_fen), 0)`.as('revenue'),
    ])
    .where('r.workspace_id', '=', ws)
    .where('r.campaign_id', '=', c.id)
    .groupBy(['r.customer_id', 'r.grp']);
  // Squares as floating point: a customer's revenue in fen squared passes a 64-bit integer's range (SQLite
  // stops on the overflow) at ¥30 million.
  const rows = await k
    .selectFrom(perRecipient.as('t'))
    .select([
      't.grp',
      sql<number>`count(*)`.as('customers'),
      sql<number>`sum(case when t.orders > 0 then 1 else 0 end)`.as('converters'),
      sql<number>`sum(t.orders)`.as('orders'),
      sql<number>`sum(cast(t.orders as double precision) * t.orders)`.as('ordersSq'),
      sql<number>`sum(t.revenue)`.as('revenueFen'),
      sql<number>`sum(cast(t.revenue as double precision) * t.revenue)`.as('revenueSq'),
    ])
    .groupBy('t.grp')
    .execute();
  const byGroup = new Map<string, GroupOutcome>(
    rows.map((x) => [
      x.grp,
      {
        customers: Number(x.customers),
        converters: Number(x.converters),
        orders: Number(x.orders),
        ordersSq: Number(x.ordersSq),
        revenueFen: Number(x.revenueFen),
        revenueSq: Number(x.revenueSq),
      },
    ]),
  );
  const none = outcomeOf([]);
  const control = byGroup.get(CONTROL) ?? none;
  const treatedAll = sumOutcomes([...byGroup.entries()].filter(([g]) => g !== CONTROL).map(([, o]) => o));
  const costFen =
    knownCostFen ??
    Number(
      (
        await k
          .selectFrom('messages')
          .select(sql<number>`coalesce(sum(cost_fen), 0)`.as('c'))
          .where('workspace_id', '=', ws)
          .where('source_type', '=', SOURCE)
          .where('source_id', '=', c.id)
          .where('status', '=', 'sent')
          .executeTakeFirstOrThrow()
      ).c,
    );
  const overall = attribute(treatedAll, control);
  const variants = c.variants.map((v) => ({
    key: v.key,
    attribution: attribute(byGroup.get(v.key) ?? none, control),
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
 * with its 95 % interval, cost and ROI. The campaigns are read (and settled) here, their figures counted off the
 * event loop: per campaign one read of its messages, one of its recipients and one of their orders.
 */
export async function compareCampaigns(ctx: AppContext, ws: string, ids: readonly string[]) {
  const unique = [...new Set(ids)];
  if (unique.length < 2 || unique.length > 4)
    throw new Invalid('choose 2 to 4 campaigns to compare', reason('campaign.compareCount', { min: 2, max: 4 }));
  const campaigns: (CampaignView & { launchedAt: string })[] = [];
  for (const id of unique) {
    const c = await getCampaign(ctx, ws, id);
    if (c.status === 'draft')
      throw new Invalid(
        `campaign "${c.name}" has not been launched: it has nothing to compare`,
        reason('campaign.compareNotLaunched', { campaign: c.name }),
      );
    assertLaunched(c);
    campaigns.push(c);
  }
  return offLoop(ctx, 'campaigns.compare', compareHere, ws, campaigns);
}

export async function compareHere(ctx: AppContext, ws: string, campaigns: (CampaignView & { launchedAt: string })[]) {
  const items = [];
  for (const c of campaigns) {
    const { report, deliveredBy, costBy } = await campaignFiguresHere(ctx, ws, c);
    const attribution = await attributionHere(ctx, ws, c, c.attributionDays, report.costFen);
    const row = (
      key: string | null,
      r: { targeted: number; sent: number; clicked: number },
      a: Attribution | null,
      costFen: number,
    ) => ({
      key,
      targeted: r.targeted,
      sent: r.sent,
      delivered: key === null ? report.delivered : (deliveredBy[key] ?? 0),
      clicked: r.clicked,
      treatedConversion: a?.treated.conversion ?? null,
      controlConversion: a?.control.conversion ?? null,
      incrementalRevenueFen: a?.incrementalRevenueFen ?? null,
      costFen,
      roi: a && costFen > 0 ? a.incrementalRevenueFen.value / costFen : null,
    });
    items.push({
      id: c.id,
      name: c.name,
      status: report.status,
      launchedAt: c.launchedAt,
      couponTemplateId: c.couponTemplateId,
      attributionDays: attribution.days,
      overall: row(null, report, attribution.overall, attribution.costFen),
      variants: report.variants.map((v) =>
        row(v.key, v, attribution.variants.find((x) => x.key === v.key)?.attribution ?? null, costBy[v.key] ?? 0),
      ),
    });
  }
  return { items };
}
