import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { DAY_MS } from '../../core/time.js';
import { reason } from '../../core/reasons.js';
import { newId } from '../../core/ids.js';
import { assignGroups, CONTROL } from '../../core/messaging/assign.js';
import { parseInput } from '../../core/validation.js';
import { readJson, writeJson } from '../../db/json.js';
import type { CampaignsTable } from '../../db/types.js';
import { JOB } from '../../jobs/kinds.js';
import { enqueue } from '../../jobs/queue.js';
import { nowIso, type AppContext } from '../context.js';
import { channelRow, defaultChannel, getMessagingSettings, holdChannel, providerFor } from '../messaging/channels.js';
import { normalizeCnMobile, normalizeEmail } from '../../core/pii.js';
import { marketingSms } from '../../core/messaging/sms.js';
import { renderTemplate } from '../../core/messaging/templates.js';
import { couponAmountText } from '../../core/coupons.js';
import type { Content } from '../messaging/schema.js';
import { checkCompliance } from '../messaging/send.js';
import { getSegment, prepareSnapshot, segmentCustomerIds } from '../segments/service.js';
import { isQueued } from '../messaging/queue.js';
import { couponTemplateOf, listTemplates, voidUnsentCoupons } from '../coupons/service.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { allowedIntervals, DEFAULT_RULES, type Medium, type MessageKind } from '../../core/messaging/decide.js';
import { nextOpening } from '../../core/messaging/windows.js';
import { isLocalUrl } from '../../core/messaging/public-url.js';
import { audienceListMembers, getAudienceList, LIST_PREFIX } from './audiences.js';
import { couponBlocked, decideAudience, enqueueDelivery, planCampaign, SOURCE } from './plan.js';
import { type CampaignInput, campaignInput, type CampaignView } from './schema.js';

type Row = Selectable<CampaignsTable>;
interface StoredContent {
  variants: { key: string; weight: number; content: Content }[];
  linkUrl: string | null;
}
export { SOURCE };

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
    couponTemplateId: r.coupon_template_id,
    schedule: r.schedule as CampaignView['schedule'],
    startAt: r.start_at ? new Date(r.start_at).toISOString() : null,
    throttlePerMinute: r.throttle_per_minute,
    createdBy: r.created_by,
    launchedAt: r.launched_at,
    plannedAt: r.planned_at,
    finishedAt: r.finished_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The audience a campaign names: an uploaded list (list:…) or a saved / system segment (an RFM cell too). */
export async function audienceName(ctx: AppContext, ws: string, segmentId: string): Promise<string> {
  if (segmentId.startsWith(LIST_PREFIX))
    return (await getAudienceList(ctx, ws, segmentId.slice(LIST_PREFIX.length))).name;
  return (await getSegment(ctx, ws, segmentId)).name;
}

async function audienceIds(ctx: AppContext, ws: string, segmentId: string): Promise<string[]> {
  if (segmentId.startsWith(LIST_PREFIX)) return audienceListMembers(ctx, ws, segmentId.slice(LIST_PREFIX.length));
  return segmentCustomerIds(ctx, ws, segmentId);
}

async function validated(ctx: AppContext, ws: string, input: unknown): Promise<CampaignInput & { channelId: string }> {
  const v = parseInput(campaignInput, input, 'The campaign');
  // A start in 2000 or 9999 was taken: from a day ago (a draft launched late starts at once) to a year ahead.
  const at = v.startAt ? Date.parse(v.startAt) : null;
  const now = ctx.now().getTime();
  if (at !== null && (at < now - DAY_MS || at > now + 366 * DAY_MS))
    throw new Invalid(
      `startAt ${v.startAt} is not between a day ago and a year from now`,
      reason('campaign.startAtRange', { startAt: v.startAt! }),
    );
  await audienceName(ctx, ws, v.segmentId);
  if (v.couponTemplateId) {
    const t = (await listTemplates(ctx, ws)).find((x) => x.id === v.couponTemplateId);
    if (!t)
      throw new NotFound(
        `coupon template ${v.couponTemplateId} not found (or archived)`,
        reason('coupon.notFound', { id: v.couponTemplateId }),
      );
    if (t.compensation)
      throw new Invalid(
        `"${t.name}" is a compensation coupon: it is given by hand, not by campaign`,
        reason('campaign.compensationCoupon', { coupon: t.name }),
      );
  }
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
    coupon_template_id: v.couponTemplateId,
    schedule: v.schedule,
    start_at: v.schedule === 'at' ? new Date(v.startAt!).toISOString() : null,
    throttle_per_minute: v.throttlePerMinute,
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
  if (!r) throw new NotFound(`campaign ${id} not found`, reason('campaign.notFound', { id }));
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
    .where(isQueued)
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
  if (r.status !== 'draft')
    throw new Conflict(
      `campaign is ${r.status}: only a draft can be edited`,
      reason('campaign.notDraftEdit', { status: r.status }),
    );
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
      coupon_template_id: v.couponTemplateId,
      schedule: v.schedule,
      start_at: v.schedule === 'at' ? new Date(v.startAt!).toISOString() : null,
      throttle_per_minute: v.throttlePerMinute,
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

/** Who would receive it now and how many each rule holds back, SMS parts and cost: nothing is written. */
export async function dryRun(ctx: AppContext, ws: string, id: string) {
  const r = await campaignRow(ctx, ws, id);
  // What cannot be sent (a marketing SMS without the shop's signature) is said before the audience is read: at a
  // million customers the dry run answered that after 12–15 s.
  const channel = await channelRow(ctx, ws, r.channel_id);
  const settings = await getMessagingSettings(ctx, ws);
  checkCompliance(r.kind as MessageKind, channel.medium as Medium, settings);
  const audience = await audienceIds(ctx, ws, r.segment_id);
  const groups = groupsOf(r, audience);
  const variants: Record<string, number> = {};
  for (const g of groups.values()) if (g !== CONTROL) variants[g] = (variants[g] ?? 0) + 1;
  const treated = audience.filter((c) => groups.get(c) !== CONTROL).map((c) => ({ id: c, grp: groups.get(c)! }));
  const t = await decideAudience(ctx, ws, r, treated);
  // A campaign's link, and an e-mail's unsubscribe link, point at the shop's public address: one only this machine
  // can open (the default http://127.0.0.1:3000) reaches customers as a link that opens nothing.
  const { publicUrl } = settings;
  const links = readJson<StoredContent>(r.content).linkUrl !== null || channel.medium === 'email';
  return {
    opensAt: t.deferred > 0 ? (await nextWindow(ctx, ws, r)).toISOString() : null,
    localLinks: links && isLocalUrl(publicUrl) ? publicUrl : null,
    audience: audience.length,
    control: audience.length - treated.length,
    treated: treated.length,
    variants,
    // Every variant listed, one whose customers are all held back with 0.
    variantsReceiving: Object.fromEntries(Object.keys(variants).map((k) => [k, t.receiving[k] ?? 0])),
    wouldReceive: t.sendNow + t.deferred,
    deferred: t.deferred,
    heldBack: t.skipped,
    parts: t.parts,
    costFen: t.costFen,
  };
}

/**
 * The first moment of the next send window in the workspace's zone for this campaign's kind and
 * channel (now when a window is open).
 */
async function nextWindow(ctx: AppContext, ws: string, r: Row): Promise<Date> {
  const channel = await channelRow(ctx, ws, r.channel_id);
  const settings = await getMessagingSettings(ctx, ws);
  const zone = await workspaceTimezone(ctx.db.kysely, ws);
  const intervals = allowedIntervals(r.kind as MessageKind, channel.medium as Medium, {
    ...DEFAULT_RULES,
    ...settings,
  });
  return nextOpening(ctx.now(), zone, intervals) ?? ctx.now();
}

/** A paused or archived coupon template would issue nothing: the launch is refused, saying which and why. */
async function checkCoupon(ctx: AppContext, ws: string, r: Row): Promise<void> {
  // A draft saved before care campaigns were refused a coupon: as care its offer would pass the consent and the cap.
  if (r.kind === 'care' && r.coupon_template_id)
    throw new Conflict(
      'a coupon is marketing: a care campaign cannot carry one (make it kind "marketing")',
      reason('campaign.careCoupon'),
      { couponTemplateId: r.coupon_template_id },
    );
  const b = await couponBlocked(ctx, ws, r.coupon_template_id);
  if (!b) return;
  const coupon = b.name;
  const paused = b.blocked === 'coupon_paused';
  throw new Conflict(
    paused
      ? `coupon "${coupon}" is paused: resume issuing it, or choose another coupon`
      : `coupon "${coupon}" is archived: choose another coupon`,
    reason(paused ? 'campaign.couponPaused' : 'campaign.couponArchived', { coupon }),
    { couponTemplateId: r.coupon_template_id },
  );
}

/**
 * Launch: checks what it can refuse (status, compliance, coupon, the audience still there), moves
 * the campaign to running — or scheduled until its start: the chosen time or the next send window —
 * and queues its jobs, in one short transaction. The audience is frozen and drawn in the worker
 * (drawCampaign, seconds at a million customers, never on the server's event loop), still at
 * launch: for a scheduled campaign a draw job runs now and the plan job at the start; a campaign
 * that starts now has its plan job draw first.
 */
export async function launchCampaign(ctx: AppContext, ws: string, id: string) {
  const r = await campaignRow(ctx, ws, id);
  if (r.status !== 'draft')
    throw new Conflict(
      `campaign is ${r.status}: only a draft can be launched`,
      reason('campaign.notDraftLaunch', { status: r.status }),
    );
  // Refuse what cannot be sent (a marketing SMS without its signature) before freezing anything.
  const channel = await channelRow(ctx, ws, r.channel_id);
  checkCompliance(r.kind as MessageKind, channel.medium as Medium, await getMessagingSettings(ctx, ws));
  // An email goes out with its subject: without one it was sent with none (a draft may be saved without).
  if (channel.medium === 'email') {
    const bare = readJson<StoredContent>(r.content).variants.find((x) => !x.content.subject?.trim());
    if (bare)
      throw new Invalid(
        `an email needs a subject: variant ${bare.key} has none`,
        reason('campaign.emailSubject', { variant: bare.key }),
      );
  }
  await checkCoupon(ctx, ws, r);
  // The audience's own checks (list or segment there, its rule compiling), without the snapshot's writes.
  if (r.segment_id.startsWith(LIST_PREFIX)) await getAudienceList(ctx, ws, r.segment_id.slice(LIST_PREFIX.length));
  else await prepareSnapshot(ctx, ws, r.segment_id, null);
  const now = nowIso(ctx);
  let startAt = now;
  if (r.schedule === 'at' && r.start_at) startAt = new Date(r.start_at).toISOString();
  if (r.schedule === 'window') startAt = (await nextWindow(ctx, ws, r)).toISOString();
  const later = startAt > now;
  await ctx.db.kysely.transaction().execute(async (trx) => {
    const moved = await trx
      .updateTable('campaigns')
      .set({
        status: later ? 'scheduled' : 'running',
        launched_at: later ? null : now,
        start_at: startAt,
        updated_at: now,
      })
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .where('status', '=', 'draft')
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1)
      throw new Conflict('the campaign was launched meanwhile', reason('campaign.launchedMeanwhile'));
    if (later)
      await enqueue(trx, { workspaceId: ws, kind: JOB.campaignDraw, payload: { campaignId: id }, dedupeKey: id }, now);
    await enqueue(
      trx,
      { workspaceId: ws, kind: JOB.campaignPlan, payload: { campaignId: id }, dedupeKey: id, runAt: startAt },
      now,
    );
  });
  return getCampaign(ctx, ws, id);
}

export { planCampaign };

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
  if (!from.includes(r.status))
    throw new Conflict(
      `campaign is ${r.status}: it cannot become ${to}`,
      reason('campaign.transition', { status: r.status, to }),
    );
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

/** Resume: re-queues the plan if it was cut short, and starts a new delivery chain for what waits. */
export async function resumeCampaign(ctx: AppContext, ws: string, id: string) {
  const r = await setStatus(ctx, ws, id, ['paused'], 'running');
  const now = nowIso(ctx);
  await ctx.db.kysely.transaction().execute(async (trx) => {
    if (!r.planned_at)
      await enqueue(
        trx,
        { workspaceId: ws, kind: JOB.campaignPlan, payload: { campaignId: id }, dedupeKey: `${id}:${now}` },
        now,
      );
    await enqueueDelivery(trx, ws, id, now, { chain: `resume-${now}`, seq: 0 });
  });
  return getCampaign(ctx, ws, id);
}

export async function cancelCampaign(ctx: AppContext, ws: string, id: string) {
  await setStatus(ctx, ws, id, ['draft', 'scheduled', 'running', 'paused'], 'cancelled');
  await ctx.db.kysely.transaction().execute(async (trx) => {
    await trx
      .updateTable('messages')
      .set({ status: 'cancelled', updated_at: nowIso(ctx) })
      .where('workspace_id', '=', ws)
      .where('source_type', '=', SOURCE)
      .where('source_id', '=', id)
      .where(isQueued)
      .execute();
    // The coupons those messages carried never reached anyone (delivery cancels any message planned after this too).
    const carried = await trx
      .selectFrom('messages')
      .select('coupon_id')
      .where('workspace_id', '=', ws)
      .where('source_type', '=', SOURCE)
      .where('source_id', '=', id)
      .where('status', '=', 'cancelled')
      .where('coupon_id', 'is not', null)
      .execute();
    await voidUnsentCoupons(
      trx,
      ws,
      carried.map((m) => m.coupon_id!),
    );
  });
  return getCampaign(ctx, ws, id);
}

export function assertNotDraft(r: Row) {
  assertLaunched({ status: r.status, launchedAt: r.launched_at });
}

/** A campaign that has started sending (not a draft, nor one scheduled for later) has figures to report. */
export function assertLaunched<C extends { status: string; launchedAt: string | null }>(
  c: C,
): asserts c is C & { launchedAt: string } {
  if (c.status === 'draft')
    throw new Invalid('the campaign has not been launched yet: run a dry run instead', reason('campaign.notLaunched'));
  if (!c.launchedAt)
    throw new Invalid('the campaign is scheduled and has not started yet', reason('campaign.notStarted'));
}

/**
 * A test send to staff: each variant's text, filled with sample values (the coupon a sample code),
 * to the chosen users' own addresses (a login that is a mobile number or an email) and to the
 * entered phone / email, now. Recorded as messages of source "test" (shown in the outbox, marked
 * 测试), never counted in the campaign's report, cap or attribution.
 */
export async function testSendCampaign(
  ctx: AppContext,
  ws: string,
  id: string,
  input: { userIds?: string[]; phone?: string | null; email?: string | null; variant?: string | null },
) {
  const r = await campaignRow(ctx, ws, id);
  const c = readJson<StoredContent>(r.content);
  const channel = await channelRow(ctx, ws, r.channel_id);
  const medium = channel.medium as Medium;
  if (medium === 'platform')
    throw new Invalid(
      'the platform hand-off writes a file: there is nothing to test-send',
      reason('channel.handoffNoTest'),
    );
  const settings = await getMessagingSettings(ctx, ws);
  const targets: { label: string; to: string }[] = [];
  const users = input.userIds?.length
    ? await ctx.db.kysely
        .selectFrom('users')
        .select(['id', 'login', 'name'])
        .where('workspace_id', '=', ws)
        .where('id', 'in', input.userIds)
        .execute()
    : [];
  for (const uid of input.userIds ?? []) {
    const u = users.find((x) => x.id === uid);
    if (!u) throw new NotFound(`user ${uid} not found`, reason('user.notFound', { id: uid }));
    const to = medium === 'email' ? normalizeEmail(u.login) : normalizeCnMobile(u.login);
    if (!to)
      throw new Invalid(
        `${u.name} has no ${medium === 'email' ? 'email' : 'mobile number'} as login: ` +
          `enter the ${medium === 'email' ? 'email' : 'phone'} instead`,
        reason(medium === 'email' ? 'campaign.testNoEmail' : 'campaign.testNoPhone', { user: u.name }),
      );
    targets.push({ label: u.name, to });
  }
  if (input.phone) {
    const p = normalizeCnMobile(input.phone);
    if (!p)
      throw new Invalid(
        `"${input.phone}" is not a mainland mobile number`,
        reason('campaign.testPhone', { phone: String(input.phone) }),
      );
    targets.push({ label: p, to: p });
  }
  if (input.email) {
    const e = normalizeEmail(input.email);
    if (!e)
      throw new Invalid(
        `"${input.email}" is not an email address`,
        reason('campaign.testEmail', { email: String(input.email) }),
      );
    targets.push({ label: e, to: e });
  }
  if (targets.length === 0)
    throw new Invalid(
      'choose members of staff or enter a phone number or email to test-send to',
      reason('campaign.testNoRecipient'),
    );
  const variants = input.variant ? c.variants.filter((v) => v.key === input.variant) : c.variants;
  if (variants.length === 0)
    throw new NotFound(
      `variant ${input.variant} not found`,
      reason('campaign.variantNotFound', { variant: String(input.variant) }),
    );
  // The campaign's coupon as it would be issued (its real amount; a sample code).
  const coupon = await couponTemplateOf(ctx, ws, r.coupon_template_id);
  const sample = {
    客户昵称: '测试客户',
    姓名: '测试',
    店铺名: settings.smsSignature ?? '店铺',
    订单号: '1234567890',
    商品名: '测试商品',
    优惠券: 'TEST000000',
    优惠券金额: (coupon && couponAmountText(coupon.rules)) ?? '10',
    积分: 100,
    会员等级: '金卡',
    链接: c.linkUrl,
  };
  const provider = providerFor(ctx, channel);
  const now = nowIso(ctx);
  const results = [];
  for (const t of targets)
    for (const v of variants) {
      const text = renderTemplate(v.content.text, sample);
      let body = `【测试】${text.ok ? text.text : v.content.text}`;
      if (r.kind === 'marketing' && medium === 'sms')
        body = marketingSms(body, { signature: settings.smsSignature, optOutText: settings.smsOptOutText });
      const msgId = newId();
      let status = 'sent';
      let error: string | null = null;
      let ref: string | null = null;
      try {
        ref = (
          await provider.send({
            id: msgId,
            workspaceId: ws,
            customerId: 'test',
            medium,
            kind: r.kind,
            to: t.to,
            subject: v.content.subject ? `【测试】${v.content.subject}` : '【测试】',
            text: body,
            html: null,
            unsubscribeUrl: null,
          })
        ).ref;
      } catch (e) {
        status = 'failed';
        error = e instanceof Error ? e.message : String(e);
      }
      const row = {
        workspace_id: ws,
        id: msgId,
        source_type: 'test',
        source_id: id,
        step: msgId,
        customer_id: `test:${t.to}`,
        channel_id: channel.id,
        kind: r.kind,
        medium,
        variant: v.key,
        status,
        reason: null,
        detail: `测试发送给 ${t.label}`,
        contact: t.to,
        contact_key: null,
        subject: v.content.subject ?? null,
        body,
        send_at: now,
        sent_at: status === 'sent' ? now : null,
        error,
        provider_ref: ref,
        coupon_id: null,
        created_at: now,
        updated_at: now,
      };
      await ctx.db.kysely.transaction().execute(async (trx) => {
        await holdChannel(trx, ctx.db.dialect, ws, channel.id);
        await trx.insertInto('messages').values(row).execute();
      });
      results.push({ to: t.to, variant: v.key, status, error, messageId: msgId });
    }
  return { items: results };
}
