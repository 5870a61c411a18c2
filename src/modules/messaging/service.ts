import { reason } from '../../core/reasons.js';
import { type Selectable, sql } from 'kysely';
import { notIndexed } from '../../db/in-list.js';
import { CSV_BOM, csvLine } from '../../core/csv.js';
import { Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { decide, type Medium, type MessageKind, SKIP_REASONS } from '../../core/messaging/decide.js';
import { complianceProblems, marketingSms, measureSms } from '../../core/messaging/sms.js';
import { renderTemplate, variablesIn } from '../../core/messaging/templates.js';
import { maskPhone, normalizeCnMobile } from '../../core/pii.js';
import { maskEmail, maskText, maskTextOf } from '../../core/pii-mask.js';
import type { MessagesTable } from '../../db/types.js';
import { canSeePii } from '../auth/roles.js';
import type { AppContext } from '../context.js';
import { offLoop } from '../heavy/run.js';
import type { Table } from '../tables.js';
import { realNames } from '../customers/shown-names.js';
import type { TimelineEvent } from '../customers/timeline.js';
import { channelRow, getMessagingSettings, providerFor } from './channels.js';
import { ISSUED_COUPON_VARIABLES, issuedCouponValues, loadRecipients } from './facts.js';
import { couponTemplateOf, newCouponCode } from '../coupons/service.js';
import { ProviderError } from './providers.js';
import type { Content, MessageView } from './schema.js';

export {
  createChannel,
  defaultChannel,
  deleteChannel,
  getMessagingSettings,
  listChannels,
  setMessagingSettings,
  updateChannel,
} from './channels.js';
export { followLink, handleReply, isOptOutReply, unsubscribe } from './replies.js';
export { deliverMessage, recordBatch } from './send.js';

const reasonLabel = (r: string | null) => (r ? ((SKIP_REASONS as Record<string, string>)[r] ?? r) : null);

/**
 * A message as this role sees it. Without `pii:read` the contact is masked, and so is the text: rendered with
 * #姓名# it holds the customer's real name (`realName`, read by the caller), which other screens show as 谢*.
 */
export function presentMessage(m: Selectable<MessagesTable>, role: string, realName?: string | null): MessageView {
  const pii = canSeePii(role);
  const text = (v: string | null) => (v === null || pii ? v : maskTextOf(v, realName));
  const contact =
    !m.contact || pii
      ? m.contact
      : m.medium === 'sms'
        ? maskPhone(m.contact)
        : m.medium === 'email'
          ? maskEmail(m.contact)
          : maskText(m.contact);
  return {
    id: m.id,
    sourceType: m.source_type,
    sourceId: m.source_id,
    customerId: m.customer_id,
    channelId: m.channel_id,
    kind: m.kind,
    medium: m.medium,
    variant: m.variant,
    status: m.status,
    reason: m.reason,
    reasonLabel: reasonLabel(m.reason),
    // For email the detail column holds the rendered HTML: not a reason.
    detail: m.medium === 'email' && m.status !== 'skipped' ? null : text(m.detail),
    contact,
    subject: text(m.subject),
    body: text(m.body),
    parts: m.parts,
    costFen: m.cost_fen,
    sendAt: m.send_at,
    sentAt: m.sent_at,
    attempts: m.attempts,
    error: m.error,
    delivery: m.delivery === 'delivered' || m.delivery === 'failed' ? m.delivery : null,
    deliveredAt: m.delivered_at,
    deliveryError: m.delivery_error,
    clicks: m.clicks,
    createdAt: m.created_at,
  };
}

export interface MessageFilter {
  channelId?: string;
  customerId?: string;
  sourceType?: string;
  sourceId?: string;
  status?: string;
  limit: number;
  /** The id of the last message of the previous page (newest first). */
  before?: string;
}

/**
 * Messages newest first: the outbox view, a campaign's recipients, one customer's. A page filtered by channel,
 * source or status walks the messages newest first until it has its rows — all of a workspace's when few match
 * (an older campaign's, a rarely used channel's: 0.4–2.9 s at 1.2M messages) — so it runs on the short read lane
 * under the time limit (heavy/run.ts); the plain list and one customer's read their indexes here.
 */
export async function listMessages(ctx: AppContext, ws: string, f: MessageFilter, role: string) {
  const walks = f.channelId !== undefined || f.sourceType !== undefined || f.sourceId !== undefined || !!f.status;
  if (walks && f.customerId === undefined) return offLoop(ctx, 'messages.page', messagesPageHere, ws, f, role);
  return messagesPageHere(ctx, ws, f, role);
}

export async function messagesPageHere(ctx: AppContext, ws: string, f: MessageFilter, role: string) {
  let q = ctx.db.kysely.selectFrom('messages').selectAll().where('workspace_id', '=', ws);
  if (f.channelId) q = q.where('channel_id', '=', f.channelId);
  if (f.customerId) q = q.where('customer_id', '=', f.customerId);
  if (f.sourceType) q = q.where('source_type', '=', f.sourceType);
  if (f.sourceId) q = q.where('source_id', '=', f.sourceId);
  if (f.status) q = q.where('status', '=', f.status);
  // One customer's messages by the customer index: SQLite without statistics took the key's order (newest first)
  // and walked the whole workspace's messages for them.
  const id = f.customerId ? notIndexed(ctx.db.dialect, 'id') : sql.ref('id');
  if (f.before) q = q.where(id, '<', f.before);
  const rows = await q
    .orderBy(id, 'desc')
    .limit(f.limit + 1)
    .execute();
  const page = rows.slice(0, f.limit);
  const names = canSeePii(role)
    ? new Map<string, string | null>()
    : await realNames(
        ctx,
        ws,
        page.map((m) => m.customer_id),
      );
  const items = page.map((m) => presentMessage(m, role, names.get(m.customer_id)));
  return { items, nextBefore: rows.length > f.limit ? (items[items.length - 1]?.id ?? null) : null };
}

const MEDIUM = { sms: '短信', email: '邮件', wechat: '微信', platform: '平台工具' } as Record<string, string>;
const STATUS = {
  queued: '待发送',
  sent: '已发送',
  failed: '发送失败',
  skipped: '未发送',
  cancelled: '已取消',
} as Record<string, string>;

/** Every message and every hold on the customer's timeline, and replies that opted them out. */
export async function messageTimeline(ctx: AppContext, ws: string, customerId: string, limit: number) {
  const k = ctx.db.kysely;
  const msgs = await k
    .selectFrom('messages')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', customerId)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  const events: TimelineEvent[] = msgs.map((m) => ({
    at: m.sent_at ?? m.created_at,
    kind: `message.${m.status}`,
    title: `${MEDIUM[m.medium] ?? m.medium}${m.kind === 'marketing' ? '营销' : '关怀'}消息 ${STATUS[m.status] ?? m.status}${
      m.reason ? `：${reasonLabel(m.reason)}` : ''
    }`,
    detail: m.status === 'skipped' ? m.detail : m.body,
    ref: { type: 'message', id: m.id },
    params: { medium: m.medium, purpose: m.kind, reason: m.reason ?? '' },
  }));
  const replies = await k
    .selectFrom('inbound_replies')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', customerId)
    .orderBy('received_at', 'desc')
    .limit(limit)
    .execute();
  for (const r of replies)
    events.push({
      at: r.received_at,
      kind: r.action === 'opt_out' ? 'message.opt_out' : 'message.reply',
      title: r.action === 'opt_out' ? `回复「${r.body.slice(0, 30)}」退订` : `回复消息`,
      detail: r.body,
      ref: { type: 'reply', id: r.id },
      params: { body: r.body.slice(0, 30) },
    });
  return events;
}

/**
 * The platform hand-off file: one row per recipient and store (buyer nick, latest order id) for
 * upload to the marketplace's own messaging tool, where buyers' phones are masked to sellers.
 */
/**
 * The platform hand-off list (one row per customer and store: the latest order's buyer nick and order
 * id), for upload to the marketplace's own tool; written as CSV or XLSX.
 */
export async function handoffTable(ctx: AppContext, ws: string, sourceType: string, sourceId: string): Promise<Table> {
  const k = ctx.db.kysely;
  // The campaign's messages first (their source key), then each recipient's orders by the customer index: CROSS JOIN
  // keeps that order on SQLite, which without statistics started from every order of the shop.
  const rows = await k
    .selectFrom('messages as m')
    .crossJoin('orders as o')
    .whereRef('o.workspace_id', '=', 'm.workspace_id')
    .whereRef('o.customer_id', '=', 'm.customer_id')
    .innerJoin('stores as s', (j) => j.onRef('s.workspace_id', '=', 'o.workspace_id').onRef('s.id', '=', 'o.store_id'))
    .select([
      'm.customer_id',
      'm.body',
      'm.contact',
      's.name as store',
      's.platform',
      'o.buyer_nick',
      'o.external_id',
      'o.created_at',
    ])
    .where('m.workspace_id', '=', ws)
    .where('m.source_type', '=', sourceType)
    .where('m.source_id', '=', sourceId)
    .where('m.medium', '=', 'platform')
    .where('m.status', '=', 'sent')
    .orderBy('s.name')
    .orderBy('m.customer_id')
    .orderBy('o.created_at', 'desc')
    .execute();
  const seen = new Set<string>();
  const out: Table = {
    title: '平台名单',
    columns: ['店铺', '平台', '买家昵称', '订单号', '客户ID', '消息内容'].map((name) => ({ name, kind: 'text' })),
    rows: [],
  };
  for (const r of rows) {
    const key = `${r.store}|${r.customer_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.rows.push([r.store, r.platform, r.buyer_nick ?? r.contact ?? '', r.external_id, r.customer_id, r.body ?? '']);
  }
  return out;
}

export async function handoffCsv(ctx: AppContext, ws: string, sourceType: string, sourceId: string): Promise<string> {
  const t = await handoffTable(ctx, ws, sourceType, sourceId);
  return CSV_BOM + [csvLine(t.columns.map((c) => c.name)), ...t.rows.map((r) => csvLine(r))].join('');
}

/** Sends one message to a member of staff now (from the channel settings), nothing recorded. */
export async function testSend(
  ctx: AppContext,
  ws: string,
  channelId: string,
  input: { to: string; text: string; subject?: string },
): Promise<{ ok: true; ref: string | null }> {
  const channel = await channelRow(ctx, ws, channelId);
  if (channel.kind === 'platform')
    throw new Invalid(
      'the platform hand-off writes a file: there is nothing to test-send',
      reason('channel.handoffNoTest'),
    );
  const provider = providerFor(ctx, channel);
  const to = input.to
    .split(/[,，;；\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);
  const one = (addr: string) => ({
    id: `test-${newId()}`,
    workspaceId: ws,
    customerId: 'test',
    medium: channel.medium,
    kind: 'care',
    to: channel.medium === 'sms' ? (normalizeCnMobile(addr) ?? addr) : addr,
    subject: input.subject ?? '回客测试消息',
    text: input.text,
    html: null,
    unsubscribeUrl: null,
  });
  if (to.length === 0) throw new Invalid('name who receives the test message', reason('channel.testRecipient'));
  const send = to.length > 1 && provider.sendMany ? provider.sendMany(to.map(one)) : provider.send(one(to.join(',')));
  try {
    return { ok: true, ref: (await send).ref };
  } catch (e) {
    if (!(e instanceof ProviderError)) throw e;
    const far = unreachable(e.message);
    if (far)
      throw new Invalid(
        `the test message was not sent: ${far.host} cannot be reached (${far.cause.en})`,
        reason('channel.testUnreachable', { host: far.host, causeZh: far.cause.zh, causeEn: far.cause.en }),
      );
    // A provider's refusal says why in its own words; an SDK's dump of the request after it is cut.
    const error = e.message.length > 200 ? `${e.message.slice(0, 200)}…` : e.message;
    throw new Invalid(`the test message was not accepted: ${error}`, reason('channel.testFailed', { error }));
  }
}

const CAUSES = {
  ENOTFOUND: { zh: '找不到这个地址，请检查地址拼写和本机网络', en: 'the name does not resolve' },
  EAI_AGAIN: { zh: '暂时解析不了这个地址，请检查本机网络', en: 'the name does not resolve now' },
  ECONNREFUSED: { zh: '对方拒绝连接，请检查地址和端口', en: 'the connection was refused' },
  ETIMEDOUT: { zh: '连接超时，请检查地址、端口和防火墙', en: 'the connection timed out' },
} as const;

/** A test send that reached no one (no such host, refused, timed out): the host and why, for the seller. */
function unreachable(message: string): { host: string; cause: (typeof CAUSES)[keyof typeof CAUSES] } | null {
  const m = /(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT)\s+([^\s()]+?)(?=POST|GET|\s|\)|$)/.exec(message);
  if (!m) return null;
  return { host: m[2]!, cause: CAUSES[m[1] as keyof typeof CAUSES] };
}

/** What one customer would receive: the filled-in text, SMS parts and cost, and the decision today. */
export async function previewMessage(
  ctx: AppContext,
  ws: string,
  input: { channelId: string; kind: MessageKind; content: Content; customerId: string; couponTemplateId?: string },
  role?: string,
) {
  const channel = await channelRow(ctx, ws, input.channelId);
  // The coupon a campaign issues with the message: #优惠券# is the code it gets (a sample here), #优惠券金额# its amount,
  // as planCampaign fills them — not the customer's own coupon.
  const coupon = input.couponTemplateId ? await couponTemplateOf(ctx, ws, input.couponTemplateId) : null;
  if (input.couponTemplateId && !coupon)
    throw new NotFound(
      `coupon template ${input.couponTemplateId} not found`,
      reason('coupon.notFound', { id: input.couponTemplateId }),
    );
  const medium = channel.medium as Medium;
  const settings = await getMessagingSettings(ctx, ws);
  // With a coupon issued, its variables are the message's: the customer's own coupon is not loaded (as planCampaign).
  const variables = new Set(
    [input.content.text, input.content.subject ?? '', input.content.html ?? '']
      .flatMap(variablesIn)
      .filter((v) => !coupon || !ISSUED_COUPON_VARIABLES.has(v)),
  );
  const r = (await loadRecipients(ctx, ws, [input.customerId], { variables })).get(input.customerId);
  if (!r)
    throw new NotFound(`customer ${input.customerId} not found`, reason('customer.notFound', { id: input.customerId }));
  const values = {
    ...r.values,
    链接: `${settings.publicUrl}/r/…`,
    ...(coupon ? issuedCouponValues(coupon, newCouponCode()) : {}),
  };
  const text = renderTemplate(input.content.text, values);
  const subject = input.content.subject ? renderTemplate(input.content.subject, values) : null;
  // A value this customer lacks stays #名# among the others filled in (the whole raw template hid what was known).
  let body = text.ok ? text.text : text.partial;
  const compliance = complianceProblems({ signature: settings.smsSignature, optOutText: settings.smsOptOutText });
  if (input.kind === 'marketing' && medium === 'sms' && compliance.length === 0)
    body = marketingSms(body, { signature: settings.smsSignature, optOutText: settings.smsOptOutText });
  const sms = medium === 'sms' ? measureSms(body, settings.smsPriceFen) : null;
  const d = decide({
    kind: input.kind,
    medium,
    customer: r.facts,
    history: { marketingAt: r.marketingAt },
    now: ctx.now(),
    rules: settings,
  });
  // A role without pii:read sees the customer's real name (#姓名#) and contact data masked, as everywhere else.
  const shown = (v: string) => (role === undefined || canSeePii(role) ? v : maskTextOf(v, r.values.姓名 as string));
  return {
    text: shown(body),
    subject: subject ? shown(subject.ok ? subject.text : subject.partial) : null,
    missing: [...(text.ok ? [] : text.missing), ...(subject && !subject.ok ? subject.missing : [])],
    chars: sms?.chars ?? Array.from(body).length,
    parts: sms?.parts ?? 0,
    costFen: sms?.costFen ?? 0,
    problems: input.kind === 'marketing' && medium === 'sms' ? compliance : [],
    decision:
      d.action === 'skip'
        ? { action: d.action, reason: d.reason, reasonLabel: SKIP_REASONS[d.reason], at: null }
        : {
            action: d.action,
            reason: null,
            reasonLabel: null,
            at: (d.action === 'send' ? d.at : d.until).toISOString(),
          },
  };
}
