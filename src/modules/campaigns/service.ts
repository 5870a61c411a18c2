import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { assignGroups, CONTROL } from '../../core/messaging/assign.js';
import { parseInput } from '../../core/validation.js';
import { readJson, writeJson } from '../../db/json.js';
import type { CampaignsTable } from '../../db/types.js';
import { JOB } from '../../jobs/kinds.js';
import { enqueue } from '../../jobs/queue.js';
import { chunks, nowIso, type AppContext } from '../context.js';
import { channelRow, defaultChannel } from '../messaging/channels.js';
import type { Content } from '../messaging/schema.js';
import { addTally, type BatchRequest, emptyTally, queueDelivery, recordBatch } from '../messaging/send.js';
import { getSegment, segmentCustomerIds, snapshotMembers, snapshotSegment } from '../segments/service.js';
import { type CampaignInput, campaignInput, type CampaignView } from './schema.js';

type Row = Selectable<CampaignsTable>;
interface StoredContent {
  variants: { key: string; weight: number; content: Content }[];
  linkUrl: string | null;
}
export const SOURCE = 'campaign';
const STEP = 'send';
const BATCH = 500;

export function presentCampaign(r: Row): CampaignView {
  const c = readJson<StoredContent>(r.content);
  return {
    id: r.id,
    name: r.name,
    status: r.status as CampaignView['status'],
    kind: r.kind as CampaignView['kind'],
    channelId: r.channel_id,
    segmentId: r.segment_id,
    snapshotId: r.snapshot_id,
    variants: c.variants,
    holdoutPct: r.holdout_pct,
    seed: r.seed,
    budgetFen: r.budget_fen,
    attributionDays: r.attribution_days,
    linkUrl: c.linkUrl,
    createdBy: r.created_by,
    launchedAt: r.launched_at,
    plannedAt: r.planned_at,
    finishedAt: r.finished_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

async function validated(ctx: AppContext, ws: string, input: unknown): Promise<CampaignInput & { channelId: string }> {
  const v = parseInput(campaignInput, input, 'The campaign');
  await getSegment(ctx, ws, v.segmentId);
  const channelId = v.channelId ?? (await defaultChannel(ctx, ws)).id;
  await channelRow(ctx, ws, channelId);
  return { ...v, channelId };
}

export async function createCampaign(ctx: AppContext, ws: string, input: unknown, by: string | null) {
  const v = await validated(ctx, ws, input);
  const now = nowIso(ctx);
  const row = {
    workspace_id: ws,
    id: newId(),
    name: v.name,
    status: 'draft',
    kind: v.kind,
    channel_id: v.channelId,
    segment_id: v.segmentId,
    snapshot_id: null,
    content: writeJson({ variants: v.variants, linkUrl: v.linkUrl } satisfies StoredContent),
    holdout_pct: v.holdoutPct,
    seed: v.seed ?? randomBytes(8).toString('hex'),
    budget_fen: v.budgetFen,
    attribution_days: v.attributionDays,
    created_by: by,
    launched_at: null,
    planned_at: null,
    finished_at: null,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.kysely.insertInto('campaigns').values(row).execute();
  return presentCampaign(row as Row);
}

export async function campaignRow(ctx: AppContext, ws: string, id: string): Promise<Row> {
  const r = await ctx.db.kysely
    .selectFrom('campaigns')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!r) throw new NotFound(`campaign ${id} not found`);
  return r;
}

/** A running campaign whose every recipient has been decided and whose queue is empty is done. */
async function settle(ctx: AppContext, ws: string, r: Row): Promise<Row> {
  if (r.status !== 'running' || !r.planned_at) return r;
  const queued = await ctx.db.kysely
    .selectFrom('messages')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('source_type', '=', SOURCE)
    .where('source_id', '=', r.id)
    .where('status', '=', 'queued')
    .limit(1)
    .executeTakeFirst();
  if (queued) return r;
  const now = nowIso(ctx);
  await ctx.db.kysely
    .updateTable('campaigns')
    .set({ status: 'done', finished_at: now, updated_at: now })
    .where('workspace_id', '=', ws)
    .where('id', '=', r.id)
    .where('status', '=', 'running')
    .execute();
  return { ...r, status: 'done', finished_at: now, updated_at: now };
}

export async function getCampaign(ctx: AppContext, ws: string, id: string) {
  return presentCampaign(await settle(ctx, ws, await campaignRow(ctx, ws, id)));
}

export async function listCampaigns(ctx: AppContext, ws: string) {
  const rows = await ctx.db.kysely
    .selectFrom('campaigns')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('id', 'desc')
    .execute();
  const out: CampaignView[] = [];
  for (const r of rows) out.push(presentCampaign(await settle(ctx, ws, r)));
  return out;
}

export async function updateCampaign(ctx: AppContext, ws: string, id: string, input: unknown) {
  const r = await campaignRow(ctx, ws, id);
  if (r.status !== 'draft') throw new Conflict(`campaign is ${r.status}: only a draft can be edited`);
  const v = await validated(ctx, ws, input);
  await ctx.db.kysely
    .updateTable('campaigns')
    .set({
      name: v.name,
      kind: v.kind,
      channel_id: v.channelId,
      segment_id: v.segmentId,
      content: writeJson({ variants: v.variants, linkUrl: v.linkUrl } satisfies StoredContent),
      holdout_pct: v.holdoutPct,
      seed: v.seed ?? r.seed,
      budget_fen: v.budgetFen,
      attribution_days: v.attributionDays,
      updated_at: nowIso(ctx),
    })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
  return getCampaign(ctx, ws, id);
}

function groupsOf(r: Row, ids: readonly string[]) {
  const c = readJson<StoredContent>(r.content);
  return assignGroups(ids, { seed: r.seed, holdoutPct: r.holdout_pct, variants: c.variants });
}

function batchFor(
  r: Row,
  customerIds: string[],
  groups: Map<string, string>,
  state: { seen: Set<string>; spentFen: number },
  dry: boolean,
): BatchRequest {
  const c = readJson<StoredContent>(r.content);
  const index = new Map(c.variants.map((v, i) => [v.key, i]));
  return {
    sourceType: SOURCE,
    sourceId: r.id,
    step: STEP,
    kind: r.kind as 'marketing' | 'care',
    channelId: r.channel_id,
    customerIds,
    variants: c.variants.map((v) => ({ key: v.key, content: v.content })),
    variantOf: (id: string) => index.get(groups.get(id) ?? '') ?? 0,
    linkUrl: c.linkUrl,
    budgetFen: r.budget_fen,
    dry,
    state,
  };
}

/** Who would receive it now and how many each rule holds back, SMS parts and cost: nothing is written. */
export async function dryRun(ctx: AppContext, ws: string, id: string) {
  const r = await campaignRow(ctx, ws, id);
  const audience = await segmentCustomerIds(ctx, ws, r.segment_id);
  const groups = groupsOf(r, audience);
  const treated = audience.filter((c) => groups.get(c) !== CONTROL);
  const variants: Record<string, number> = {};
  for (const g of groups.values()) if (g !== CONTROL) variants[g] = (variants[g] ?? 0) + 1;
  const state = { seen: new Set<string>(), spentFen: 0 };
  const tally = emptyTally();
  for (const part of chunks(treated, BATCH))
    addTally(tally, await recordBatch(ctx, ws, batchFor(r, part, groups, state, true)));
  return {
    audience: audience.length,
    control: audience.length - treated.length,
    treated: treated.length,
    variants,
    wouldReceive: tally.sendNow + tally.deferred,
    deferred: tally.deferred,
    heldBack: tally.skipped as Record<string, number>,
    parts: tally.parts,
    costFen: tally.costFen,
  };
}

/**
 * Launch: freezes the audience (a segment snapshot), draws control and variants with the stored
 * seed, and queues the plan job — recipients, status and job commit together.
 */
export async function launchCampaign(ctx: AppContext, ws: string, id: string) {
  const r = await campaignRow(ctx, ws, id);
  if (r.status !== 'draft') throw new Conflict(`campaign is ${r.status}: only a draft can be launched`);
  // Refuse what cannot be sent (a marketing SMS without its signature) before freezing anything.
  await recordBatch(ctx, ws, batchFor(r, [], new Map(), { seen: new Set(), spentFen: 0 }, true));
  const snap = await snapshotSegment(ctx, ws, r.segment_id, `campaign:${r.id}`);
  const members = await snapshotMembers(ctx, ws, snap.id);
  const groups = groupsOf(r, members);
  const now = nowIso(ctx);
  await ctx.db.kysely.transaction().execute(async (trx) => {
    const moved = await trx
      .updateTable('campaigns')
      .set({ status: 'running', snapshot_id: snap.id, launched_at: now, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .where('status', '=', 'draft')
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) throw new Conflict('the campaign was launched meanwhile');
    for (const part of chunks([...groups.entries()], 1000))
      await trx
        .insertInto('campaign_recipients')
        .values(part.map(([customerId, grp]) => ({ workspace_id: ws, campaign_id: id, customer_id: customerId, grp })))
        .execute();
    await enqueue(trx, { workspaceId: ws, kind: JOB.campaignPlan, payload: { campaignId: id }, dedupeKey: id }, now);
  });
  return getCampaign(ctx, ws, id);
}

/**
 * The plan job: every treated recipient through the send rules into messages, batch by batch,
 * each batch one transaction. A repeated run (a worker killed mid-plan) skips whoever already has
 * a message and carries on with the contacts and budget already committed.
 */
export async function planCampaign(ctx: AppContext, ws: string, id: string): Promise<void> {
  const k = ctx.db.kysely;
  let r = await campaignRow(ctx, ws, id);
  if (r.status !== 'running' || r.planned_at) return;
  const recipients = await k
    .selectFrom('campaign_recipients')
    .select(['customer_id', 'grp'])
    .where('workspace_id', '=', ws)
    .where('campaign_id', '=', id)
    .where('grp', '!=', CONTROL)
    .orderBy('customer_id')
    .execute();
  const groups = new Map(recipients.map((x) => [x.customer_id, x.grp]));
  const done = await k
    .selectFrom('messages')
    .select(['customer_id', 'status', 'contact_key', 'cost_fen'])
    .where('workspace_id', '=', ws)
    .where('source_type', '=', SOURCE)
    .where('source_id', '=', id)
    .where('step', '=', STEP)
    .execute();
  const state = { seen: new Set<string>(), spentFen: 0 };
  for (const m of done)
    if (m.status !== 'skipped' && m.contact_key) {
      state.seen.add(m.contact_key);
      state.spentFen += m.cost_fen;
    }
  const decided = new Set(done.map((m) => m.customer_id));
  const todo = recipients.map((x) => x.customer_id).filter((c) => !decided.has(c));
  for (const part of chunks(todo, BATCH)) {
    r = await campaignRow(ctx, ws, id);
    if (r.status !== 'running') return; // paused or cancelled: resume picks up from here
    await recordBatch(ctx, ws, batchFor(r, part, groups, state, false));
  }
  const now = nowIso(ctx);
  await k
    .updateTable('campaigns')
    .set({ planned_at: now, updated_at: now })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
}

/** What the delivery job asks before sending a campaign's message. */
export async function campaignGate(ctx: AppContext, ws: string, campaignId: string): Promise<'go' | 'hold' | 'cancel'> {
  const r = await ctx.db.kysely
    .selectFrom('campaigns')
    .select('status')
    .where('workspace_id', '=', ws)
    .where('id', '=', campaignId)
    .executeTakeFirst();
  if (!r || r.status === 'cancelled') return 'cancel';
  return r.status === 'paused' ? 'hold' : 'go';
}

async function setStatus(ctx: AppContext, ws: string, id: string, from: string[], to: string) {
  const r = await campaignRow(ctx, ws, id);
  if (!from.includes(r.status)) throw new Conflict(`campaign is ${r.status}: it cannot become ${to}`);
  const now = nowIso(ctx);
  await ctx.db.kysely
    .updateTable('campaigns')
    .set({ status: to, updated_at: now, ...(to === 'cancelled' ? { finished_at: now } : {}) })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('status', '=', r.status)
    .execute();
  return r;
}

export async function pauseCampaign(ctx: AppContext, ws: string, id: string) {
  await setStatus(ctx, ws, id, ['running'], 'paused');
  return getCampaign(ctx, ws, id);
}

/** Resume: re-queues the plan if it was cut short, and delivery for every message left waiting. */
export async function resumeCampaign(ctx: AppContext, ws: string, id: string) {
  const r = await setStatus(ctx, ws, id, ['paused'], 'running');
  const k = ctx.db.kysely;
  const now = nowIso(ctx);
  const waiting = await k
    .selectFrom('messages')
    .select(['id', 'send_at'])
    .where('workspace_id', '=', ws)
    .where('source_type', '=', SOURCE)
    .where('source_id', '=', id)
    .where('status', '=', 'queued')
    .execute();
  // A message whose delivery job has not run yet keeps it: one live job per message.
  const live = new Set(
    (
      await k
        .selectFrom('jobs')
        .select('payload')
        .where('workspace_id', '=', ws)
        .where('kind', '=', JOB.messageSend)
        .where('status', 'in', ['queued', 'running'])
        .execute()
    ).map((j) => readJson<{ messageId: string }>(j.payload).messageId),
  );
  await k.transaction().execute(async (trx) => {
    if (!r.planned_at)
      await enqueue(
        trx,
        { workspaceId: ws, kind: JOB.campaignPlan, payload: { campaignId: id }, dedupeKey: `${id}:${now}` },
        now,
      );
    for (const m of waiting)
      if (!live.has(m.id)) {
        const at = m.send_at && m.send_at > now ? m.send_at : now;
        await queueDelivery(trx, ws, m.id, at, `${m.id}:resume:${now}`);
      }
  });
  return getCampaign(ctx, ws, id);
}

export async function cancelCampaign(ctx: AppContext, ws: string, id: string) {
  await setStatus(ctx, ws, id, ['draft', 'running', 'paused'], 'cancelled');
  await ctx.db.kysely
    .updateTable('messages')
    .set({ status: 'cancelled', updated_at: nowIso(ctx) })
    .where('workspace_id', '=', ws)
    .where('source_type', '=', SOURCE)
    .where('source_id', '=', id)
    .where('status', '=', 'queued')
    .execute();
  return getCampaign(ctx, ws, id);
}

export function assertNotDraft(r: Row) {
  if (r.status === 'draft') throw new Invalid('the campaign has not been launched yet: run a dry run instead');
}
