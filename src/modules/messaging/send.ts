import { reason, renderReason } from '../../core/reasons.js';
import { randomBytes } from 'node:crypto';
import type { Insertable, Transaction } from 'kysely';
import { Invalid } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decide, type Medium, type MessageKind, SKIP_REASONS, type SkipReason } from '../../core/messaging/decide.js';
import { MAX_THROTTLED, throttledUntil } from '../../core/messaging/provider-codes.js';
import { complianceIssues, marketingSms, smsParts } from '../../core/messaging/sms.js';
import { renderTemplate, type TemplateValues, variablesIn } from '../../core/messaging/templates.js';
import type { Database } from '../../db/types.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import { nowIso, type AppContext } from '../context.js';
import { channelRow, getMessagingSettings, holdChannel, providerFor } from './channels.js';
import { loadRecipients } from './facts.js';
import { addInvitationsIn, newSurveyCode, surveyExists, type NewInvitation } from '../feedback/surveys.js';
import { voidUnsentCoupons } from '../coupons/service.js';
import { ProviderError } from './providers.js';
import { wakeDelivery } from './wake.js';
import type { Content, MessagingSettings } from './schema.js';

/** A link code carries its workspace, so the public redirect is a primary-key read within one tenant. */
export function newLinkCode(ws: string): string {
  return `${ws}.${randomBytes(6).toString('base64url')}`;
}

export interface BatchRequest {
  sourceType: string;
  sourceId: string;
  step: string;
  kind: MessageKind;
  channelId: string;
  customerIds: readonly string[];
  variants: readonly { key: string | null; content: Content }[];
  /** Index into variants for a customer. */
  variantOf(customerId: string): number;
  /** Where #链接# leads (through the click-counting redirect). */
  linkUrl: string | null;
  /** The survey #问卷链接# invites to: each recipient gets their own answer-once link. */
  surveyId?: string | null;
  budgetFen: number | null;
  /** Carried from batch to batch of one source: contacts served and budget committed. */
  state: { seen: Set<string>; spentFen: number };
  dry: boolean;
  /** Values the source knows better than the customer's latest order (an automation's own order, the festival). */
  values?(customerId: string): TemplateValues;
}

export interface BatchTally {
  considered: number;
  sendNow: number;
  deferred: number;
  skipped: Partial<Record<SkipReason, number>>;
  parts: number;
  costFen: number;
}

export function emptyTally(): BatchTally {
  return { considered: 0, sendNow: 0, deferred: 0, skipped: {}, parts: 0, costFen: 0 };
}

export function addTally(into: BatchTally, t: BatchTally): BatchTally {
  into.considered += t.considered;
  into.sendNow += t.sendNow;
  into.deferred += t.deferred;
  into.parts += t.parts;
  into.costFen += t.costFen;
  for (const [k, n] of Object.entries(t.skipped))
    into.skipped[k as SkipReason] = (into.skipped[k as SkipReason] ?? 0) + n;
  return into;
}

/** A marketing SMS cannot go out without the shop signature and the reply-R wording. */
export function checkCompliance(kind: MessageKind, medium: Medium, s: MessagingSettings): void {
  if (kind !== 'marketing' || medium !== 'sms') return;
  const issues = complianceIssues({ signature: s.smsSignature, optOutText: s.smsOptOutText });
  if (issues.length > 0) {
    const p = issues.map((i) => renderReason(i, 'en') ?? i.key);
    throw new Invalid(`marketing SMS: ${p.join('; ')} (PUT /api/v1/messaging/settings)`, issues[0]!, {
      problems: p,
      issues,
    });
  }
}

type NewMessage = Insertable<Database['messages']>;

/**
 * Runs every customer of a batch through the send decision and, unless it is a dry run, records
 * each decision as a message (queued, deferred or skipped with its reason) and queues a delivery
 * job for each one to send, all in one transaction. The unique (source, customer, step) key
 * makes a repeated batch add nothing.
 */
export async function recordBatch(ctx: AppContext, ws: string, req: BatchRequest): Promise<BatchTally> {
  const channel = await channelRow(ctx, ws, req.channelId);
  const medium = channel.medium as Medium;
  const settings = await getMessagingSettings(ctx, ws);
  checkCompliance(req.kind, medium, settings);
  const variables = new Set(
    req.variants.flatMap((v) => [v.content.text, v.content.subject ?? '', v.content.html ?? ''].flatMap(variablesIn)),
  );
  const recipients = await loadRecipients(ctx, ws, req.customerIds, {
    variables,
    exclude: { sourceType: req.sourceType, sourceId: req.sourceId },
  });
  const now = ctx.now();
  const at = nowIso(ctx);
  const rules = {
    windows: settings.windows,
    capDays: settings.capDays,
    capCount: settings.capCount,
    acceptUnknownConsent: settings.acceptUnknownConsent,
    unknownConsentDays: settings.unknownConsentDays,
  };
  const surveyId = variables.has('问卷链接') ? (req.surveyId ?? null) : null;
  if (surveyId && !(await surveyExists(ctx, ws, surveyId)))
    throw new Invalid(`survey ${surveyId} not found (surveyId)`, reason('survey.notFound', { id: surveyId }));
  const invitations: (NewInvitation & { messageId: string })[] = [];
  const tally = emptyTally();
  const rows: NewMessage[] = [];
  const links: { code: string; messageId: string; customerId: string; kind: string; url: string | null }[] = [];
  for (const customerId of req.customerIds) {
    tally.considered += 1;
    const id = newId();
    const vi = req.variantOf(customerId);
    const variant = req.variants[vi]!;
    const r = recipients.get(customerId);
    const clickCode = variables.has('链接') && req.linkUrl ? newLinkCode(ws) : null;
    const surveyCode = surveyId ? newSurveyCode(ws) : null;
    const values = r
      ? {
          ...r.values,
          ...req.values?.(customerId),
          链接: clickCode ? `${settings.publicUrl}/r/${clickCode}` : null,
          问卷链接: surveyCode ? `${settings.publicUrl}/s/${surveyCode}` : null,
        }
      : {};
    const text = renderTemplate(variant.content.text, values);
    const subject = variant.content.subject ? renderTemplate(variant.content.subject, values) : null;
    const html = variant.content.html ? renderTemplate(variant.content.html, values) : null;
    const missing = [text, subject, html].flatMap((x) => (x && !x.ok ? x.missing : []));
    let body = text.ok ? text.text : variant.content.text;
    if (req.kind === 'marketing' && medium === 'sms')
      body = marketingSms(body, { signature: settings.smsSignature, optOutText: settings.smsOptOutText });
    const parts = medium === 'sms' ? smsParts(body) : 0;
    const costFen = parts * settings.smsPriceFen;
    let decision = r
      ? decide({
          kind: req.kind,
          medium,
          customer: r.facts,
          history: { marketingAt: r.marketingAt },
          now,
          rules,
          seen: req.state.seen,
          budget: { limitFen: req.budgetFen, spentFen: req.state.spentFen, costFen },
        })
      : ({ action: 'skip', reason: 'no_contact', detail: '客户不存在' } as const);
    if (decision.action !== 'skip' && missing.length > 0)
      decision = {
        action: 'skip',
        reason: 'missing_value',
        detail: [...new Set(missing)].map((m) => `#${m}#`).join(' '),
      };
    const base = {
      workspace_id: ws,
      id,
      source_type: req.sourceType,
      source_id: req.sourceId,
      step: req.step,
      customer_id: customerId,
      channel_id: channel.id,
      kind: req.kind,
      medium,
      variant: variant.key,
      subject: subject?.ok ? subject.text : (variant.content.subject ?? null),
      body,
      contact: null,
      contact_key: null,
      parts: 0,
      cost_fen: 0,
      send_at: null,
      detail: null,
      created_at: at,
      updated_at: at,
    };
    if (decision.action === 'skip') {
      tally.skipped[decision.reason] = (tally.skipped[decision.reason] ?? 0) + 1;
      rows.push({ ...base, status: 'skipped', reason: decision.reason, detail: decision.detail ?? null });
      continue;
    }
    req.state.seen.add(decision.contactKey);
    req.state.spentFen += costFen;
    tally.parts += parts;
    tally.costFen += costFen;
    const sendAt = decision.action === 'send' ? decision.at : decision.until;
    if (decision.action === 'send') tally.sendNow += 1;
    else tally.deferred += 1;
    rows.push({
      ...base,
      status: 'queued',
      contact: decision.contact,
      contact_key: decision.contactKey,
      parts,
      cost_fen: costFen,
      send_at: sendAt.toISOString(),
      detail: html?.ok ? html.text : null,
    });
    if (clickCode) links.push({ code: clickCode, messageId: id, customerId, kind: 'click', url: req.linkUrl });
    if (surveyId && surveyCode)
      invitations.push({
        code: surveyCode,
        surveyId,
        customerId,
        orderId: null,
        ref: `${req.sourceType}:${req.sourceId}:${req.step}`,
        messageId: id,
      });
    if (medium === 'email')
      links.push({ code: newLinkCode(ws), messageId: id, customerId, kind: 'unsubscribe', url: null });
  }
  if (req.dry) return tally;
  await ctx.db.kysely.transaction().execute(async (trx) => {
    if (rows.length) await holdChannel(trx, ctx.db.dialect, ws, channel.id);
    const inserted = new Set<string>();
    for (let i = 0; i < rows.length; i += 200) {
      const got = await trx
        .insertInto('messages')
        .values(rows.slice(i, i + 200))
        .onConflict((oc) => oc.columns(['workspace_id', 'source_type', 'source_id', 'customer_id', 'step']).doNothing())
        .returning('id')
        .execute();
      for (const g of got) inserted.add(g.id);
    }
    const newLinks = links.filter((l) => inserted.has(l.messageId));
    for (let i = 0; i < newLinks.length; i += 200)
      await trx
        .insertInto('message_links')
        .values(
          newLinks.slice(i, i + 200).map((l) => ({
            workspace_id: ws,
            code: l.code,
            message_id: l.messageId,
            customer_id: l.customerId,
            kind: l.kind,
            url: l.url,
            created_at: at,
          })),
        )
        .execute();
    const queued = new Set(rows.filter((m) => m.status === 'queued').map((m) => m.id));
    await addInvitationsIn(
      trx,
      ws,
      // Only a message that goes out invites; a skipped one leaves no link behind.
      invitations.filter((i) => inserted.has(i.messageId) && queued.has(i.messageId)),
      at,
    );
    // One batched delivery run per moment (deliver.ts), not a job per message.
    const first = rows
      .filter((m) => m.status === 'queued' && inserted.has(m.id))
      .reduce<string | null>((min, m) => (min === null || m.send_at! < min ? m.send_at! : min), null);
    if (first) await wakeDelivery(trx, ws, first, at);
  });
  return tally;
}

export async function queueDelivery(
  trx: Transaction<Database>,
  ws: string,
  messageId: string,
  runAt: string,
  key: string,
) {
  await enqueue(trx, {
    workspaceId: ws,
    kind: JOB.messageSend,
    payload: { messageId },
    runAt,
    dedupeKey: key,
    maxAttempts: 5,
  });
}

export const REASON_LABELS: Record<string, string> = SKIP_REASONS;

/** Decides, at delivery time, whether a queued message may still go: campaigns pause and cancel. */
export type DeliveryGate = (msg: { source_type: string; source_id: string }) => Promise<'go' | 'hold' | 'cancel'>;

/**
 * Delivers one queued message (the message.send job). Rechecks the rules that can change while a
 * message waits (opt-out, blacklist, consent, the clock); a transient provider error throws so the
 * job retries with backoff, and the last attempt or a permanent error marks the message failed.
 */
export async function deliverMessage(
  ctx: AppContext,
  ws: string,
  messageId: string,
  opts: {
    finalAttempt: boolean;
    completeIn(trx: Transaction<Database>): Promise<void>;
    gate?: DeliveryGate;
    /** false: a deferred message only gets its new send time (a campaign's delivery job picks it up). */
    requeue?: boolean;
  },
): Promise<'sent' | 'failed' | 'skipped' | 'deferred' | 'held' | 'cancelled' | 'noop'> {
  const k = ctx.db.kysely;
  const msg = await k
    .selectFrom('messages')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', messageId)
    .executeTakeFirst();
  if (!msg || msg.status !== 'queued') return 'noop';
  const gate = opts.gate ? await opts.gate(msg) : 'go';
  if (gate === 'hold') return 'held';
  const set = (trx: typeof k | Transaction<Database>, v: Record<string, unknown>) =>
    trx
      .updateTable('messages')
      .set({ ...v, updated_at: nowIso(ctx) })
      .where('workspace_id', '=', ws)
      .where('id', '=', messageId)
      .where('status', '=', 'queued')
      .execute();
  // A message that will not go out leaves its coupon unissued: the customer never gets the code.
  const unsent = (v: Record<string, unknown>) =>
    k.transaction().execute(async (trx) => {
      const [r] = await set(trx, v);
      if (msg.coupon_id && Number(r?.numUpdatedRows ?? 0) === 1) await voidUnsentCoupons(trx, ws, [msg.coupon_id]);
    });
  if (gate === 'cancel') {
    await unsent({ status: 'cancelled' });
    return 'cancelled';
  }
  const settings = await getMessagingSettings(ctx, ws);
  const r = (
    await loadRecipients(ctx, ws, [msg.customer_id], {
      variables: new Set(),
      exclude: { sourceType: msg.source_type, sourceId: msg.source_id },
    })
  ).get(msg.customer_id);
  const again = r
    ? decide({
        kind: msg.kind as MessageKind,
        medium: msg.medium as Medium,
        customer: r.facts,
        history: { marketingAt: r.marketingAt },
        now: ctx.now(),
        rules: settings,
      })
    : ({ action: 'skip', reason: 'no_contact', detail: '客户不存在' } as const);
  if (again.action === 'skip') {
    await unsent({
      status: 'skipped',
      reason: again.reason,
      detail: `发送前复核：${again.detail ?? SKIP_REASONS[again.reason]}`,
    });
    return 'skipped';
  }
  if (again.action === 'defer') {
    // A retry that fell outside the windows waits for the next one.
    const until = again.until.toISOString();
    await k.transaction().execute(async (trx) => {
      await set(trx, { send_at: until });
      if (opts.requeue !== false) await queueDelivery(trx, ws, messageId, until, `${messageId}:${until}`);
    });
    return 'deferred';
  }
  const channel = await channelRow(ctx, ws, msg.channel_id);
  const unsubscribe = await k
    .selectFrom('message_links')
    .select('code')
    .where('workspace_id', '=', ws)
    .where('message_id', '=', messageId)
    .where('kind', '=', 'unsubscribe')
    .executeTakeFirst();
  const outgoing = {
    id: msg.id,
    workspaceId: ws,
    customerId: msg.customer_id,
    medium: msg.medium,
    kind: msg.kind,
    to: msg.contact ?? again.contact,
    subject: msg.subject,
    text: msg.body ?? '',
    html: msg.medium === 'email' ? msg.detail : null,
    unsubscribeUrl: unsubscribe ? `${settings.publicUrl}/u/${unsubscribe.code}` : null,
  };
  const attempts = msg.attempts + 1;
  // Written before the call: from here this attempt may reach the provider, and the next attempt knows it.
  await set(k, { attempts });
  try {
    const provider = providerFor(ctx, channel);
    // An earlier attempt got no answer or its worker died: ask the provider before sending again.
    const earlier = msg.attempts > 0 && provider.lookup ? await provider.lookup(outgoing) : null;
    const res = earlier ?? (await provider.send(outgoing));
    await k.transaction().execute(async (trx) => {
      await set(trx, { status: 'sent', sent_at: nowIso(ctx), provider_ref: res.ref, error: null });
      await opts.completeIn(trx);
    });
    return 'sent';
  } catch (e) {
    const message = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
    // Flow control: not refused, not now. The message waits (the job's own retries are not used up).
    if (e instanceof ProviderError && e.throttle && msg.throttled < MAX_THROTTLED) {
      const until = throttledUntil(e.throttle, msg.throttled, ctx.now()).toISOString();
      await k.transaction().execute(async (trx) => {
        await set(trx, { send_at: until, throttled: msg.throttled + 1, error: message });
        if (opts.requeue !== false)
          await queueDelivery(trx, ws, messageId, until, `${messageId}:throttled:${msg.throttled + 1}`);
      });
      return 'deferred';
    }
    // A refused address will not be accepted on retry; anything else gets the job's retries.
    if ((e instanceof ProviderError && (e.permanent || e.throttle)) || opts.finalAttempt) {
      const why = e instanceof ProviderError && e.throttle ? `${message}（${MAX_THROTTLED} 次流控后放弃）` : message;
      await set(k, { status: 'failed', error: why.slice(0, 2000) });
      return 'failed';
    }
    await set(k, { error: message });
    throw e;
  }
}
