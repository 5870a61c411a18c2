import { statSync } from 'node:fs';
import { type Insertable, type Kysely, sql, type Transaction } from 'kysely';
import { validityWindow } from '../../core/coupons.js';
import { type CouponPlan, couponTemplateOf, newCouponCode } from '../coupons/service.js';
import { newId } from '../../core/ids.js';
import { CONTROL } from '../../core/messaging/assign.js';
import {
  decide,
  type Medium,
  type MessageKind,
  type SendRules,
  SKIP_REASONS,
  type SkipReason,
} from '../../core/messaging/decide.js';
import { marketingSms, smsParts } from '../../core/messaging/sms.js';
import { renderTemplate, type TemplateValues, variablesIn } from '../../core/messaging/templates.js';
import { bulkInsert, insertValues } from '../../db/bulk.js';
import { type Dialect, sqlitePath } from '../../db/connect.js';
import { inIds } from '../../db/in-list.js';
import { readJson } from '../../db/json.js';
import type { CampaignsTable, Database } from '../../db/types.js';
import { JOB } from '../../jobs/kinds.js';
import { enqueue } from '../../jobs/queue.js';
import type { Selectable } from 'kysely';
import { nowIso, type AppContext } from '../context.js';
import { channelRow, getMessagingSettings, holdChannel } from '../messaging/channels.js';
import {
  enrichRecipients,
  ISSUED_COUPON_VARIABLES,
  issuedCouponValues,
  RECIPIENT_COLUMNS,
  recipientBase,
  type RecipientRow,
} from '../messaging/facts.js';
import { checkCompliance, newLinkCode } from '../messaging/send.js';
import type { Content, MessagingSettings } from '../messaging/schema.js';
import type { Recipient } from '../messaging/facts.js';
import { drawCampaign } from './draw.js';
import { startPlanReader } from './plan-reader.js';

/**
 * The plan: every treated recipient of a launched campaign through the send rules into messages,
 * decided in sets. Recipients are read in chunks in customer-id order (facts for the whole chunk
 * in a few queries), decided in JS with the pure engine, and each chunk is written in one
 * transaction with bulk inserts: its messages (queued with their send time, or skipped with the
 * reason), the coupons they carry and their tracked links. No job per message: delivery is one
 * job per campaign that sends what is due (deliver.ts). A repeated run (a worker killed mid-plan)
 * walks the same order, takes the decisions already committed as they are — rebuilding the
 * contacts served, the budget spent and the throttle slots from them — and decides the rest; the
 * unique (source, customer, step) key of messages and the coupon's idempotency key make a chunk
 * written twice add nothing.
 */
export const SOURCE = 'campaign';
export const STEP = 'send';
export const DELIVERY_BATCH = 200;

type Row = Selectable<CampaignsTable>;
export interface StoredContent {
  variants: { key: string; weight: number; content: Content }[];
  linkUrl: string | null;
}
type NewMessage = Insertable<Database['messages']>;
/** The columns decideChunk gives every message, queued or skipped (no column left to its DEFAULT). */
export const MESSAGE_COLUMNS = [
  'workspace_id',
  'id',
  'source_type',
  'source_id',
  'step',
  'customer_id',
  'channel_id',
  'kind',
  'medium',
  'variant',
  'status',
  'reason',
  'detail',
  'contact',
  'contact_key',
  'subject',
  'body',
  'parts',
  'cost_fen',
  'send_at',
  'coupon_id',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof NewMessage)[];
/** A message as the plan writes it: exactly MESSAGE_COLUMNS (a key more or less does not compile). */
type PlannedMessage = { [K in (typeof MESSAGE_COLUMNS)[number]]: NewMessage[K] };

export interface PlanOptions {
  /** Recipients per chunk (one transaction each). */
  chunk?: number;
  /** Stop after this many chunks (tests of a plan cut short). */
  maxChunks?: number;
  /**
   * Tests of a killed worker: called inside each chunk's writing transaction after its inserts, before its
   * commit, with the chunk's number (1, 2, …); a test's worker process hangs there to be killed mid-write.
   */
  whileWriting?: (chunk: number) => Promise<void>;
  /**
   * SQLite: read and decide on a thread of its own while this one writes (see plan-thread.ts). Default: when
   * the audience spans more than two chunks (starting the thread costs more than it saves on fewer).
   */
  thread?: boolean;
  /** Filled with where the time went on the two threads (the bench prints it). */
  stats?: PlanStats;
  /** PostgreSQL: commit each chunk without waiting for its WAL to reach the disk (default true; see planHere). */
  asyncCommit?: boolean;
  /** SQLite, two threads: checkpoint the WAL between chunks past this size (default PLAN_CHECKPOINT_BYTES; 0 never). */
  checkpointBytes?: number;
}

/** Milliseconds: waiting for the reading thread, writing; on the reading thread, reading and deciding. */
export interface PlanStats {
  waitMs: number;
  writeMs: number;
  readMs: number;
  decideMs: number;
  /** Each chunk's writing time on the job's thread, in order (to see whether it grows with the table). */
  chunkWriteMs?: number[];
  /** Parts of readMs: the chunk's recipients with their customer, stats, store and tier (one statement), and the
   * rest of their facts (the contact-history read and the mapping of the rows to facts and template values). */
  baseMs?: number;
  factsMs?: number;
  /** Part of decideMs on SQLite's reading thread: laying the decided rows out flat for the writing thread. */
  flattenMs?: number;
  /** PostgreSQL (one thread): waiting for the previous chunk's write to commit after this one was read and decided. */
  writtenWaitMs?: number;
  /** The WAL checkpoints the plan ran between chunks, and their time (part of writeMs). */
  checkpoints?: number;
  checkpointMs?: number;
}

export interface PlanEnv {
  ws: string;
  id: string;
  kind: MessageKind;
  medium: Medium;
  channelId: string;
  content: StoredContent;
  index: Map<string, number>;
  variables: Set<string>;
  settings: MessagingSettings;
  rules: SendRules;
  coupon: CouponPlan | null;
  budgetFen: number | null;
  throttle: number | null;
  startMs: number;
}

export interface PlanState {
  seen: Set<string>;
  spentFen: number;
  slots: number;
}

/**
 * Decides one chunk in JS with the pure engine: the rows to write (messages queued or skipped with
 * the reason, coupons, links). Carries the contacts served, the budget, the throttle slots and the
 * coupon stock from one recipient to the next. Writes nothing (a dry run uses it as it is).
 */
export function decideChunk(
  env: PlanEnv,
  input: {
    todo: readonly { id: string; grp: string }[];
    missing: readonly { customer_id: string; grp: string }[];
    facts: Map<string, Recipient>;
    held: Map<string, number>;
    stock: CouponStock;
    state: PlanState;
    now: Date;
  },
) {
  const { ws, id, kind, medium, content, index, variables, settings, rules, coupon, throttle, startMs } = env;
  const { todo, missing, facts, held, stock, state, now } = input;
  const channel = { id: env.channelId };
  const at = now.toISOString();
  const openings = new Map<string, Date | null>();
  const sms = kind === 'marketing' && medium === 'sms';
  const compliance = { signature: settings.smsSignature, optOutText: settings.smsOptOutText };
  // The send times repeat (one opening per zone, one slot per throttle minute): each formatted once.
  const isoTimes = new Map<number, string>();
  const isoOf = (ms: number) => {
    let t = isoTimes.get(ms);
    if (t === undefined) isoTimes.set(ms, (t = new Date(ms).toISOString()));
    return t;
  };
  const rows: PlannedMessage[] = [];
  const coupons: Insertable<Database['coupons']>[] = [];
  const links: Insertable<Database['message_links']>[] = [];
  const skip = (customerId: string, variant: string | null, reason: SkipReason, detail: string | null) =>
    rows.push({
      workspace_id: ws,
      id: newId(),
      source_type: SOURCE,
      source_id: id,
      step: STEP,
      customer_id: customerId,
      channel_id: channel.id,
      kind,
      medium,
      variant,
      status: 'skipped',
      reason,
      detail,
      contact: null,
      contact_key: null,
      subject: null,
      body: null,
      parts: 0,
      cost_fen: 0,
      send_at: null,
      coupon_id: null,
      created_at: at,
      updated_at: at,
    });
  for (const m of missing) skip(m.customer_id, m.grp, 'no_contact', '客户不存在');
  for (const b of todo) {
    const variant = content.variants[index.get(b.grp) ?? 0]!;
    const rec = facts.get(b.id);
    if (!rec) {
      skip(b.id, variant.key, 'no_contact', '客户不存在');
      continue;
    }
    const clickCode = variables.has('链接') && content.linkUrl ? newLinkCode(ws) : null;
    const code = coupon ? newCouponCode() : null;
    // The customer's values as loaded, copied only when this message adds its own (link, coupon).
    let values: TemplateValues = rec.values;
    if (clickCode || coupon) {
      values = {
        ...rec.values,
        链接: clickCode ? `${settings.publicUrl}/r/${clickCode}` : null,
        ...(coupon && code ? issuedCouponValues(coupon, code) : {}),
      };
    }
    const text = renderTemplate(variant.content.text, values);
    const subject = variant.content.subject ? renderTemplate(variant.content.subject, values) : null;
    const html = variant.content.html ? renderTemplate(variant.content.html, values) : null;
    let body = text.ok ? text.text : variant.content.text;
    if (sms) body = marketingSms(body, compliance);
    const parts = medium === 'sms' ? smsParts(body) : 0;
    const costFen = parts * settings.smsPriceFen;
    const decision = decide({
      kind,
      medium,
      customer: rec.facts,
      history: { marketingAt: rec.marketingAt },
      now,
      rules,
      seen: state.seen,
      budget: { limitFen: env.budgetFen, spentFen: state.spentFen, costFen },
      openings,
    });
    if (decision.action === 'skip') {
      skip(b.id, variant.key, decision.reason, decision.detail ?? null);
      continue;
    }
    if (!text.ok || subject?.ok === false || html?.ok === false) {
      const missingVars = [text, subject, html].flatMap((x) => (x && !x.ok ? x.missing : []));
      skip(b.id, variant.key, 'missing_value', [...new Set(missingVars)].map((v) => `#${v}#`).join(' '));
      continue;
    }
    let sendMs = (decision.action === 'send' ? decision.at : decision.until).getTime();
    // The throttle: slot n goes out no sooner than n ÷ rate minutes after the start.
    if (throttle) sendMs = Math.max(sendMs, startMs + Math.floor(state.slots / throttle) * 60_000);
    let couponId: string | null = null;
    if (coupon) {
      // A template paused or archived since the campaign was made issues nothing: held with that reason.
      if (stock.blocked) {
        skip(b.id, variant.key, stock.blocked, `「${coupon.name}」${SKIP_REASONS[stock.blocked]}`);
        continue;
      }
      if ((held.get(b.id) ?? 0) >= coupon.perCustomerLimit) {
        skip(b.id, variant.key, 'coupon_limit', `「${coupon.name}」每人限领 ${coupon.perCustomerLimit} 张`);
        continue;
      }
      if (stock.left !== null && stock.left <= 0) {
        skip(b.id, variant.key, 'coupon_out_of_stock', `「${coupon.name}」已发完`);
        continue;
      }
      if (stock.left !== null) stock.left -= 1;
      couponId = newId();
      // A coupon valid N days counts them from when its message goes out (the send window's opening, the
      // throttle's slot), not from the launch: deferred to 09:00 or spread over a day, it would lose those hours.
      const validity = validityWindow(coupon.validity, isoOf(sendMs));
      coupons.push({
        workspace_id: ws,
        id: couponId,
        template_id: coupon.id,
        customer_id: b.id,
        code: code!,
        status: 'issued',
        valid_from: validity.from,
        valid_to: validity.to,
        value_fen: null,
        source: 'campaign',
        idempotency_key: `campaign:${id}:${b.id}`,
        issued_at: at,
        used_at: null,
        order_id: null,
        discount_fen: null,
      });
    }
    state.seen.add(decision.contactKey);
    state.spentFen += costFen;
    state.slots += 1;
    const msgId = newId();
    rows.push({
      workspace_id: ws,
      id: msgId,
      source_type: SOURCE,
      source_id: id,
      step: STEP,
      customer_id: b.id,
      channel_id: channel.id,
      kind,
      medium,
      variant: variant.key,
      status: 'queued',
      reason: null,
      detail: html?.ok ? html.text : null,
      contact: decision.contact,
      contact_key: decision.contactKey,
      subject: subject?.ok ? subject.text : (variant.content.subject ?? null),
      body,
      parts,
      cost_fen: costFen,
      send_at: isoOf(sendMs),
      coupon_id: couponId,
      created_at: at,
      updated_at: at,
    });
    if (clickCode)
      links.push({
        workspace_id: ws,
        code: clickCode,
        message_id: msgId,
        customer_id: b.id,
        kind: 'click',
        url: content.linkUrl,
        created_at: at,
      });
    if (medium === 'email')
      links.push({
        workspace_id: ws,
        code: newLinkCode(ws),
        message_id: msgId,
        customer_id: b.id,
        kind: 'unsubscribe',
        url: null,
        created_at: at,
      });
  }
  return { rows, coupons, links };
}

/** How many coupons are left (null: no stock limit), and whether the template may issue at all. */
export interface CouponStock {
  left: number | null;
  blocked?: 'coupon_paused' | 'coupon_archived' | null;
}

async function readStock(db: Kysely<Database>, ws: string, templateId: string): Promise<CouponStock> {
  const t = await db
    .selectFrom('coupon_templates')
    .select(['issued', 'total_stock', 'archived_at', 'paused_at'])
    .where('workspace_id', '=', ws)
    .where('id', '=', templateId)
    .executeTakeFirst();
  if (!t || t.archived_at) return { left: 0, blocked: 'coupon_archived' };
  if (t.paused_at) return { left: 0, blocked: 'coupon_paused' };
  return { left: t.total_stock === null ? null : Math.max(0, t.total_stock - t.issued), blocked: null };
}

/** Why a campaign's coupon template cannot issue now (paused or archived) and its name; null: it can. */
export async function couponBlocked(ctx: AppContext, ws: string, templateId: string | null) {
  if (!templateId) return null;
  const blocked = (await readStock(ctx.db.kysely, ws, templateId)).blocked;
  if (!blocked) return null;
  const t = await ctx.db.kysely
    .selectFrom('coupon_templates')
    .select('name')
    .where('workspace_id', '=', ws)
    .where('id', '=', templateId)
    .executeTakeFirst();
  return { blocked, name: t?.name ?? templateId };
}

/** Takes the template's row lock and reads its stock and state under it. */
async function lockStock(trx: Transaction<Database>, ws: string, templateId: string): Promise<CouponStock> {
  await trx
    .updateTable('coupon_templates')
    .set((eb) => ({ issued: eb.ref('issued') }))
    .where('workspace_id', '=', ws)
    .where('id', '=', templateId)
    .execute();
  return readStock(trx, ws, templateId);
}

/** What deciding a campaign's messages needs, read once per run. */
export async function planEnv(ctx: AppContext, ws: string, r: Row): Promise<PlanEnv> {
  const id = r.id;
  const content = readJson<StoredContent>(r.content);
  const kind = r.kind as MessageKind;
  const channel = await channelRow(ctx, ws, r.channel_id);
  const medium = channel.medium as Medium;
  const settings = await getMessagingSettings(ctx, ws);
  checkCompliance(kind, medium, settings);
  const coupon = await couponTemplateOf(ctx, ws, r.coupon_template_id);
  const variables = new Set(
    content.variants.flatMap((v) =>
      [v.content.text, v.content.subject ?? '', v.content.html ?? ''].flatMap(variablesIn),
    ),
  );
  const rules: SendRules = {
    windows: settings.windows,
    capDays: settings.capDays,
    capCount: settings.capCount,
    acceptUnknownConsent: settings.acceptUnknownConsent,
    unknownConsentDays: settings.unknownConsentDays,
  };
  return {
    ws,
    id,
    kind,
    medium,
    channelId: channel.id,
    content,
    index: new Map(content.variants.map((v, i) => [v.key, i])),
    variables,
    settings,
    rules,
    coupon,
    budgetFen: r.budget_fen,
    throttle: r.throttle_per_minute,
    startMs: ctx.now().getTime(),
  };
}

/** The template variables to load per customer: with a coupon template the coupon comes with the message. */
function loadedVariables(env: PlanEnv): Set<string> {
  return new Set(env.coupon ? [...env.variables].filter((v) => !ISSUED_COUPON_VARIABLES.has(v)) : env.variables);
}

/** How many of a coupon template each customer already holds (other than from this campaign). */
async function couponsHeld(ctx: AppContext, env: PlanEnv, ids: readonly string[]): Promise<Map<string, number>> {
  const held = new Map<string, number>();
  if (!env.coupon || ids.length === 0) return held;
  for (const h of await ctx.db.kysely
    .selectFrom('coupons')
    .select(['customer_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', env.ws)
    .where('template_id', '=', env.coupon.id)
    .where(inIds(ctx.db.dialect, 'customer_id', ids))
    .where('idempotency_key', 'not like', `campaign:${env.id}:%`)
    .groupBy('customer_id')
    .execute())
    held.set(h.customer_id, Number(h.n));
  return held;
}

export interface DecisionTally {
  sendNow: number;
  deferred: number;
  skipped: Record<string, number>;
  /** Per variant: how many of its customers would receive it (the rest are held back). */
  receiving: Record<string, number>;
  parts: number;
  costFen: number;
}

/** The dry run: the audience through the same decisions as the plan, nothing written. */
export async function decideAudience(
  ctx: AppContext,
  ws: string,
  r: Row,
  treated: readonly { id: string; grp: string }[],
): Promise<DecisionTally> {
  const env = await planEnv(ctx, ws, r);
  const loadVars = loadedVariables(env);
  const state: PlanState = { seen: new Set(), spentFen: 0, slots: 0 };
  const tally: DecisionTally = { sendNow: 0, deferred: 0, skipped: {}, receiving: {}, parts: 0, costFen: 0 };
  const stock: CouponStock = env.coupon ? await readStock(ctx.db.kysely, ws, env.coupon.id) : { left: null };
  const now = ctx.now();
  for (let i = 0; i < treated.length; i += 2000) {
    const part = treated.slice(i, i + 2000);
    const ids = part.map((p) => p.id);
    const base = await recipientBase(ctx.db.kysely, ws).where('c.id', 'in', ids).execute();
    const facts = await enrichRecipients(ctx, ws, base, {
      variables: loadVars,
      exclude: { sourceType: SOURCE, sourceId: r.id },
      medium: env.medium,
      kind: env.kind,
    });
    const held = await couponsHeld(ctx, env, ids);
    const { rows } = decideChunk(env, { todo: part, missing: [], facts, held, stock, state, now });
    for (const m of rows) {
      if (m.status === 'skipped') tally.skipped[m.reason!] = (tally.skipped[m.reason!] ?? 0) + 1;
      else {
        if (m.send_at === now.toISOString()) tally.sendNow += 1;
        else tally.deferred += 1;
        if (m.variant) tally.receiving[m.variant] = (tally.receiving[m.variant] ?? 0) + 1;
        tally.parts += m.parts ?? 0;
        tally.costFen += m.cost_fen ?? 0;
      }
    }
  }
  return tally;
}

/**
 * The decisions already committed for the recipients in (after, upTo] (a plan run again after a
 * killed worker): one range read on the (source, customer, step) key, not a join per recipient.
 */
export type DecidedRow = { status: string; contact_key: string | null; cost_fen: number | null };

async function decidedIn(ctx: AppContext, ws: string, id: string, after: string, upTo: string) {
  const done = new Map<string, DecidedRow>();
  for (const m of await ctx.db.kysely
    .selectFrom('messages')
    .select(['customer_id', 'status', 'contact_key', 'cost_fen'])
    .where('workspace_id', '=', ws)
    .where('source_type', '=', SOURCE)
    .where('source_id', '=', id)
    .where('customer_id', '>', after)
    .where('customer_id', '<=', upTo)
    .where('step', '=', STEP)
    .execute())
    done.set(m.customer_id, m);
  return done;
}

/**
 * The last recipient (in the plan's customer-id order) a previous run of this plan committed a
 * decision for, or null: a fresh plan. Chunks commit in order, so past it nothing is decided.
 */
async function lastDecided(ctx: AppContext, ws: string, id: string): Promise<string | null> {
  const r = await ctx.db.kysely
    .selectFrom('messages')
    .select('customer_id')
    .where('workspace_id', '=', ws)
    .where('source_type', '=', SOURCE)
    .where('source_id', '=', id)
    .where('step', '=', STEP)
    .orderBy('customer_id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return r?.customer_id ?? null;
}

/** One chunk of the plan as read: its recipients' facts, what a killed run decided, what is left to decide. */
export interface ReadChunk {
  /** The chunk's last recipient when the chunk is full (more may follow), else null: the last chunk. */
  last: string | null;
  /** The recipients a previous (killed) run committed a decision for, with it. */
  done: Map<string, DecidedRow>;
  found: Set<string>;
  ids: string[];
  missing: { customer_id: string; grp: string }[];
  todo: { id: string; grp: string }[];
  facts: Map<string, Recipient>;
  held: Map<string, number>;
  /** Milliseconds: the chunk's statement (recipients with customer, stats, store, tier), then the rest of the facts. */
  baseMs: number;
  factsMs: number;
}

/**
 * Reads the chunk of treated recipients after `cursor` (customer-id order) with their facts: read-only, so it
 * runs on the plan's reading thread too (SQLite) while the previous chunk is written. Null: nothing left.
 */
export async function readChunk(
  ctx: AppContext,
  env: PlanEnv,
  cursor: string,
  chunk: number,
  decidedUpTo: string | null,
): Promise<ReadChunk | null> {
  const { ws, id, medium, kind } = env;
  const t0 = performance.now();
  // From the recipients, customers left-joined: one no longer there (merged away meanwhile) is
  // decided as no contact rather than forgotten.
  const rows = await ctx.db.kysely
    .selectFrom('campaign_recipients as cr')
    .leftJoin('customers as c', (j) =>
      j.onRef('c.workspace_id', '=', 'cr.workspace_id').onRef('c.id', '=', 'cr.customer_id'),
    )
    .leftJoin('customer_stats as s', (j) =>
      j.onRef('s.workspace_id', '=', 'cr.workspace_id').onRef('s.customer_id', '=', 'cr.customer_id'),
    )
    .leftJoin('stores as st', (j) =>
      j.onRef('st.workspace_id', '=', 'c.workspace_id').onRef('st.id', '=', 'c.first_store_id'),
    )
    .leftJoin('member_tiers as mt', (j) =>
      j.onRef('mt.workspace_id', '=', 'cr.workspace_id').onRef('mt.customer_id', '=', 'cr.customer_id'),
    )
    .select(['cr.customer_id as id', 'c.id as found', ...RECIPIENT_COLUMNS, 'cr.grp'])
    .where('cr.workspace_id', '=', ws)
    .where('cr.campaign_id', '=', id)
    .where('cr.grp', '!=', CONTROL)
    .where('cr.customer_id', '>', cursor)
    .orderBy('cr.customer_id')
    .limit(chunk)
    .execute();
  if (rows.length === 0) return null;
  const last = rows.length === chunk ? rows[rows.length - 1]!.id : null;
  // Past the last decision a killed run committed, nothing is decided yet: no read (on PostgreSQL
  // with the statistics of before the plan, it scanned every message the plan had written, per chunk).
  const done =
    decidedUpTo !== null && cursor < decidedUpTo
      ? await decidedIn(ctx, ws, id, cursor, rows[rows.length - 1]!.id)
      : new Map<string, DecidedRow>();
  const missing = rows
    .filter((x) => x.found === null && !done.has(x.id))
    .map((x) => ({ customer_id: x.id, grp: x.grp }));
  const todo = rows.filter((b) => b.found !== null && !done.has(b.id)) as (RecipientRow & (typeof rows)[number])[];
  const t1 = performance.now();
  const facts = await enrichRecipients(ctx, ws, todo, {
    variables: loadedVariables(env),
    exclude: { sourceType: SOURCE, sourceId: id },
    medium,
    kind,
  });
  const held = await couponsHeld(
    ctx,
    env,
    todo.map((t) => t.id),
  );
  const found = new Set<string>();
  for (const x of rows) if (x.found !== null) found.add(x.id);
  const baseMs = t1 - t0;
  return {
    last,
    done,
    found,
    ids: rows.map((x) => x.id),
    missing,
    todo,
    facts,
    held,
    baseMs,
    factsMs: performance.now() - t1,
  };
}

/** Counts a killed run's committed decisions in the state (contacts served, budget, throttle slots). */
export function countDone(state: PlanState, c: ReadChunk): void {
  for (const rid of c.ids) {
    const d = c.found.has(rid) ? c.done.get(rid) : undefined;
    if (d && d.status !== 'skipped' && d.contact_key) {
      state.seen.add(d.contact_key);
      state.spentFen += Number(d.cost_fen ?? 0);
      state.slots += 1;
    }
  }
}

export async function planCampaign(ctx: AppContext, ws: string, id: string, opts: PlanOptions = {}): Promise<void> {
  // A campaign that starts at launch is drawn here, first (nothing when its draw is done already).
  await drawCampaign(ctx, ws, id);
  const k = ctx.db.kysely;
  const loadRow = () =>
    k.selectFrom('campaigns').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
  let r: Row | undefined = await loadRow();
  if (!r) return;
  if (r.status === 'scheduled') {
    // The scheduled start has come: the campaign runs from now (attribution counts from here).
    const now = nowIso(ctx);
    await k
      .updateTable('campaigns')
      .set({ status: 'running', launched_at: now, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .where('status', '=', 'scheduled')
      .execute();
    r = await loadRow();
    if (!r) return;
  }
  if (r.status !== 'running' || r.planned_at) return;
  const env = await planEnv(ctx, ws, r);
  const chunk = opts.chunk ?? 5000;
  const decidedUpTo = await lastDecided(ctx, ws, id);
  const finished = (await onReadThread(ctx, env, chunk, opts))
    ? await planOnThread(ctx, env, loadRow, { chunk, decidedUpTo, ...walkOptions(opts) })
    : await planHere(ctx, env, loadRow, { chunk, decidedUpTo, ...walkOptions(opts) });
  if (!finished) return;
  const now = nowIso(ctx);
  await k.transaction().execute(async (trx) => {
    await trx
      .updateTable('campaigns')
      .set({ planned_at: now, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', id)
      .execute();
    // The chain's first step (already there unless nothing was queued: then it settles the campaign).
    await enqueueDelivery(trx, ws, id, now, { chain: 'plan', seq: 0 });
  });
}

/**
 * Whether the plan reads and decides on a thread of its own: SQLite on a file (a second connection sees
 * it), no coupon template (its stock is read under the template's lock, in the writing transaction), and
 * an audience of more than two chunks unless `opts.thread` says.
 */
async function onReadThread(ctx: AppContext, env: PlanEnv, chunk: number, opts: PlanOptions): Promise<boolean> {
  if (ctx.db.dialect !== 'sqlite' || env.coupon || sqlitePath(ctx.db.url) === ':memory:') return false;
  if (opts.thread !== undefined) return opts.thread;
  const big = await ctx.db.kysely
    .selectFrom((eb) =>
      eb
        .selectFrom('campaign_recipients')
        .select('customer_id')
        .where('workspace_id', '=', env.ws)
        .where('campaign_id', '=', env.id)
        .where('grp', '!=', CONTROL)
        .limit(2 * chunk + 1)
        .as('x'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(big.n) > 2 * chunk;
}

interface Walk extends Pick<PlanOptions, 'maxChunks' | 'stats' | 'whileWriting' | 'asyncCommit'> {
  chunk: number;
  decidedUpTo: string | null;
  checkpointBytes: number;
}
const walkOptions = ({ maxChunks, stats, whileWriting, checkpointBytes, asyncCommit }: PlanOptions) => ({
  asyncCommit,
  maxChunks,
  stats,
  whileWriting,
  checkpointBytes: checkpointBytes ?? PLAN_CHECKPOINT_BYTES,
});

/**
 * SQLite, two threads: the WAL size past which the plan checkpoints it between chunks (below the connection's
 * wal_autocheckpoint of 40,000 pages ≈ 160 MB, so that one does not run first, at a commit, beside the reader).
 */
export const PLAN_CHECKPOINT_BYTES = 96 * 2 ** 20;
const walSize = (file: string) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/**
 * SQLite, on two threads: the reading thread reads and decides chunk n + 1 while this one writes chunk n,
 * each chunk in one transaction as planHere does. False: stopped before the end (paused, cancelled, maxChunks).
 */
async function planOnThread(
  ctx: AppContext,
  env: PlanEnv,
  loadRow: () => Promise<Row | undefined>,
  walk: Walk,
): Promise<boolean> {
  const { ws, id } = env;
  const wal = `${sqlitePath(ctx.db.url)}-wal`;
  let checkpointAt = walk.checkpointBytes;
  const reader = startPlanReader({ url: ctx.db.url, env, chunk: walk.chunk, decidedUpTo: walk.decidedUpTo });
  let kickedDelivery = false;
  let chunks = 0;
  try {
    let next = reader.next(ctx.now());
    const stats = walk.stats;
    for (;;) {
      let t = performance.now();
      const c = await next;
      if (stats) {
        stats.waitMs += performance.now() - t;
        t = performance.now();
      }
      if (c === null) return true;
      if (stats) {
        stats.readMs += c.readMs;
        stats.decideMs += c.decideMs;
        stats.baseMs = (stats.baseMs ?? 0) + c.baseMs;
        stats.factsMs = (stats.factsMs ?? 0) + c.factsMs;
        stats.flattenMs = (stats.flattenMs ?? 0) + c.flattenMs;
      }
      const r = await loadRow();
      if (!r || r.status !== 'running') return false; // paused or cancelled: resume picks up from here
      const more = c.last !== null && !(walk.maxChunks && chunks + 1 >= walk.maxChunks);
      // The reading thread is idle here (it has handed this chunk over and not been asked for the next), so it
      // holds no snapshot: a checkpoint now copies the whole WAL into the database and truncates it. While the
      // thread reads, SQLite's automatic checkpoint cannot reset the WAL (a reader is on it); the WAL then grows
      // through the plan and every commit past wal_autocheckpoint checkpoints again (at 1M customers the WAL
      // reached 440 MB and a chunk's writing time doubled).
      const size = walk.checkpointBytes > 0 ? walSize(wal) : 0;
      if (walk.checkpointBytes > 0 && size > checkpointAt) {
        const t0 = performance.now();
        const { rows } = await sql<{ busy: number }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(ctx.db.kysely);
        // Another connection (the server's readers) still on the WAL: tried again once it has grown as much more.
        checkpointAt = rows[0]?.busy ? size + walk.checkpointBytes : walk.checkpointBytes;
        if (stats) {
          stats.checkpointMs = (stats.checkpointMs ?? 0) + (performance.now() - t0);
          stats.checkpoints = (stats.checkpoints ?? 0) + 1;
        }
      }
      if (more) next = reader.next(ctx.now());
      await ctx.db.kysely.transaction().execute(async (trx) => {
        if (c.values.length > 0) await holdChannel(trx, 'sqlite', ws, env.channelId); // once, not per row (0061)
        await insertValues(trx, 'messages', MESSAGE_COLUMNS, c.values, { onConflict: 'ignore' });
        await bulkInsert(trx, 'sqlite', 'message_links', c.links, { onConflict: 'ignore' });
        if (!kickedDelivery && c.queued) {
          await enqueueDelivery(trx, ws, id, c.at, { chain: 'plan', seq: 0 });
          kickedDelivery = true;
        }
        await walk.whileWriting?.(chunks + 1);
      });
      if (stats) {
        const ms = performance.now() - t;
        stats.writeMs += ms;
        stats.chunkWriteMs?.push(ms);
      }
      chunks += 1;
      if (!more) return c.last === null;
    }
  } finally {
    await reader.close();
  }
}

/** The plan on this thread (PostgreSQL, coupon campaigns, small audiences). False: stopped before the end. */
async function planHere(
  ctx: AppContext,
  env: PlanEnv,
  loadRow: () => Promise<Row | undefined>,
  walk: Walk,
): Promise<boolean> {
  const { ws, id } = env;
  const k = ctx.db.kysely;
  const { chunk, decidedUpTo } = walk;
  const state: PlanState = { seen: new Set(), spentFen: 0, slots: 0 };
  let cursor = '';
  let chunks = 0;
  let kickedDelivery = false;
  // The previous chunk's write: on PostgreSQL it runs while the next chunk is read (the database
  // and the decisions in JS overlap); the state is only touched once it has committed.
  let writing: Promise<void> | null = null;
  const written = async () => {
    const w = writing;
    writing = null;
    if (w !== null) await w;
  };
  for (;;) {
    const r = await loadRow();
    if (!r || r.status !== 'running') return written().then(() => false); // paused or cancelled
    const stats = walk.stats;
    let t = performance.now();
    const c = await readChunk(ctx, env, cursor, chunk, decidedUpTo);
    if (c === null) break;
    if (stats) {
      stats.readMs += performance.now() - t;
      stats.baseMs = (stats.baseMs ?? 0) + c.baseMs;
      stats.factsMs = (stats.factsMs ?? 0) + c.factsMs;
      t = performance.now();
    }
    const { last, missing, todo, facts, held } = c;
    // Without a coupon template nothing the decisions read comes from the write before (the state is carried
    // here, in order): the chunk is decided now, in JS, while the server still writes the previous one. With
    // one, its stock is read under the template's lock in the writing transaction, so it is decided there.
    const ahead = env.coupon === null;
    let now = ctx.now();
    let decided: ReturnType<typeof decideChunk> | null = null;
    if (ahead) {
      countDone(state, c);
      decided = decideChunk(env, { todo, missing, facts, held, stock: { left: null }, state, now });
      if (stats) {
        stats.decideMs += performance.now() - t;
        t = performance.now();
      }
    }
    await written();
    if (stats) stats.writtenWaitMs = (stats.writtenWaitMs ?? 0) + (performance.now() - t);
    if (!ahead) {
      countDone(state, c);
      now = ctx.now();
    }
    const at = now.toISOString();
    const n = chunks + 1;
    writing = k.transaction().execute(async (trx) => {
      // PostgreSQL: this commit does not wait for its WAL to reach the disk. A server crash may lose the last
      // chunks committed (each whole: messages, coupons and the stock count, links, the delivery job together),
      // never one after a chunk kept (the WAL is replayed in order), and any later commit waiting for the disk
      // — the plan's end, a delivery's claim of one of these messages before it is sent — flushes them first.
      // A lost chunk was never sent: the plan job, not yet done, runs again and decides it again from the last
      // decision kept, as after a killed worker.
      if (ctx.db.dialect === 'postgres' && walk.asyncCommit !== false)
        await sql`SET LOCAL synchronous_commit = off`.execute(trx);
      const { rows, coupons, links } =
        decided ??
        decideChunk(env, {
          todo,
          missing,
          facts,
          held,
          stock: env.coupon ? await lockStock(trx, ws, env.coupon.id) : { left: null },
          state,
          now,
        });
      const d = ctx.db.dialect;
      if (rows.length > 0) await holdChannel(trx, d, ws, env.channelId); // what the channel foreign key did per row
      await insertMessages(trx, d, rows);
      if (coupons.length > 0) {
        await bulkInsert(trx, d, 'coupons', coupons, { onConflict: 'ignore' });
        await trx
          .updateTable('coupon_templates')
          .set((eb) => ({ issued: eb('issued', '+', coupons.length) }))
          .where('workspace_id', '=', ws)
          .where('id', '=', env.coupon!.id)
          .execute();
      }
      await bulkInsert(trx, d, 'message_links', links, { onConflict: 'ignore' });
      if (!kickedDelivery && rows.some((m) => m.status === 'queued')) {
        await enqueueDelivery(trx, ws, id, at, { chain: 'plan', seq: 0 });
        kickedDelivery = true;
      }
      await walk.whileWriting?.(n);
    });
    // Marked handled here and awaited (so thrown) before anything else is written.
    writing.catch(() => undefined);
    chunks += 1;
    if (last === null) break;
    cursor = last;
    if (walk.maxChunks && chunks >= walk.maxChunks) return written().then(() => false);
  }
  await written();
  return true;
}

/**
 * Writes a chunk's messages. PostgreSQL: a plain INSERT first, in a savepoint, and with ON CONFLICT DO NOTHING
 * only when it meets a decision already there (a second run of the plan beside the first): the speculative
 * insertion ON CONFLICT makes for every row cost ≈ 20 % of the insert (measured at 180k rows) and is needed
 * only then. The unique (source, customer, step) key decides either way. SQLite: ON CONFLICT costs nothing more.
 */
async function insertMessages(trx: Transaction<Database>, d: Dialect, rows: PlannedMessage[]): Promise<void> {
  if (d !== 'postgres') {
    await bulkInsert(trx, d, 'messages', rows, { onConflict: 'ignore', columns: MESSAGE_COLUMNS });
    return;
  }
  await sql`SAVEPOINT plan_messages`.execute(trx);
  try {
    await bulkInsert(trx, d, 'messages', rows, { columns: MESSAGE_COLUMNS });
  } catch (e) {
    if ((e as { code?: string }).code !== '23505') throw e;
    await sql`ROLLBACK TO SAVEPOINT plan_messages`.execute(trx);
    await bulkInsert(trx, d, 'messages', rows, { onConflict: 'ignore', columns: MESSAGE_COLUMNS });
  }
  await sql`RELEASE SAVEPOINT plan_messages`.execute(trx);
}

/** Queues a step of the campaign's delivery chain; its dedupe key keeps one job per step. */
export async function enqueueDelivery(
  trx: Transaction<Database> | AppContext['db']['kysely'],
  ws: string,
  campaignId: string,
  runAt: string,
  step: { chain: string; seq: number },
) {
  await enqueue(trx, {
    workspaceId: ws,
    kind: JOB.campaignDeliver,
    payload: { campaignId, ...step },
    runAt,
    dedupeKey: `${campaignId}:${step.chain}:${step.seq}`,
    maxAttempts: 50,
  });
}

/** Counts how many planned messages the SQL would see, for the bench and the tests. */
export async function countMessages(ctx: AppContext, ws: string, id: string) {
  const r = await ctx.db.kysely
    .selectFrom('messages')
    .select([sql<number>`count(*)`.as('n')])
    .where('workspace_id', '=', ws)
    .where('source_type', '=', SOURCE)
    .where('source_id', '=', id)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
