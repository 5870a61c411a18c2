import { type Reason, renderReason } from '../../core/reasons.js';
import { maskTextOf } from '../../core/pii-mask.js';
import { canSeePii } from '../auth/roles.js';
import { realNames } from './shown-names.js';
import type { AppContext } from '../context.js';
import { readJson } from '../../db/json.js';
import { customerCoupons } from '../coupons/service.js';
import { customerReviews } from '../feedback/service.js';
import { customerSurveyResponses } from '../feedback/surveys.js';
import { tierHistory } from '../membership/service.js';
import { pointsOf } from '../points/service.js';
import { messageTimeline } from '../messaging/service.js';
import { automationTimeline } from '../automations/service.js';
import { customerGroups, customerTagRemovals, customerTags, listNotes } from '../tags/service.js';
import { customerTasks } from '../tasks/service.js';

/**
 * One customer's history, newest first, gathered from every module that has something to say.
 * Later modules (messages, points, coupons, tasks, feedback) add a source to TIMELINE_SOURCES.
 */
export interface TimelineEvent {
  at: string;
  kind: string;
  /** In Chinese; the console says it in the reader's language from `kind` and `params` when it knows the kind. */
  title: string;
  detail: string | null;
  ref: { type: string; id: string } | null;
  /**
   * The order the event belongs to, for the console to group an order's events and open the order: a source sets
   * the id, customerTimeline adds the platform's order number and the product titles.
   */
  order?: TimelineOrder | null;
  /** The amounts, points and names in the title (amounts in fen). */
  params?: Record<string, string | number> | null;
  /** Why (a tier change), as a code the console renders in the reader's language. */
  why?: Reason | null;
  /** Real names of others the event names (a merged customer's), masked with the customer's own; not sent. */
  names?: (string | null)[];
}

export interface TimelineOrder {
  id: string;
  number: string;
  products: string | null;
}

export type TimelineSource = (
  ctx: AppContext,
  workspaceId: string,
  customerId: string,
  limit: number,
) => Promise<TimelineEvent[]>;

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

const orderEvents: TimelineSource = async (ctx, ws, id, limit) => {
  const rows = await ctx.db.kysely
    .selectFrom('orders')
    .select([
      'id',
      'status',
      'total_fen',
      'paid_fen',
      'refunded_fen',
      'created_at',
      'paid_at',
      'shipped_at',
      'signed_at',
      'closed_at',
    ])
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', id)
    .orderBy('created_at', 'desc')
    .limit(limit)
    .execute();
  return rows.flatMap((o) => {
    const ref = { type: 'order', id: o.id };
    const order = { id: o.id, number: '', products: null };
    const at = (kind: string, when: string, title: string, fen?: number): TimelineEvent => ({
      at: when,
      kind,
      title,
      detail: null,
      ref,
      order,
      params: fen === undefined ? null : { fen },
    });
    const ev = [at('order.created', o.created_at, `下单 ${yuan(o.total_fen)}`, o.total_fen)];
    if (o.paid_at) ev.push(at('order.paid', o.paid_at, `付款 ${yuan(o.paid_fen)}`, o.paid_fen));
    if (o.shipped_at) ev.push(at('order.shipped', o.shipped_at, '发货'));
    if (o.signed_at) ev.push(at('order.signed', o.signed_at, '签收'));
    if (o.status === 'refunded' || o.refunded_fen > 0)
      ev.push(
        at(
          'order.refunded',
          o.closed_at ?? o.signed_at ?? o.paid_at ?? o.created_at,
          `退款 ${yuan(o.refunded_fen)}`,
          o.refunded_fen,
        ),
      );
    else if (o.status === 'closed') ev.push(at('order.closed', o.closed_at ?? o.created_at, '交易关闭'));
    return ev;
  });
};

/** An event about an order: the order's number and products are filled in by customerTimeline. */
const onOrder = (orderId: string | null | undefined): TimelineOrder | null =>
  orderId ? { id: orderId, number: '', products: null } : null;

const noteEvents: TimelineSource = async (ctx, ws, id, limit) =>
  (await listNotes(ctx, ws, id)).slice(0, limit).map((n) => ({
    at: n.created_at,
    kind: 'note',
    title: `备注${n.author ? `（${n.author}）` : ''}`,
    detail: n.body,
    ref: { type: 'note', id: n.id },
    params: { author: n.author ?? '' },
  }));

/** A tag put on (kind `tag.added`) or taken off (`tag.removed`) at `at`. */
const tagEvent = (kind: 'added' | 'removed', at: string, tagId: string, name: string): TimelineEvent => ({
  at,
  kind: `tag.${kind}`,
  title: `${kind === 'added' ? '打标签' : '去标签'}「${name}」`,
  detail: null,
  ref: { type: 'tag', id: tagId },
  params: { name },
});

const tagEvents: TimelineSource = async (ctx, ws, id) =>
  (await customerTags(ctx, ws, id)).map((t) => tagEvent('added', t.created_at, t.id, t.name));

/** A tag taken off: when it was put on (its 打标签, gone from customer_tags with it) and when it was taken off. */
const tagRemovalEvents: TimelineSource = async (ctx, ws, id, limit) =>
  (await customerTagRemovals(ctx, ws, id, limit)).flatMap((r) => [
    tagEvent('added', r.added_at, r.tag_id, r.tag_name),
    tagEvent('removed', r.removed_at, r.tag_id, r.tag_name),
  ]);

const groupEvents: TimelineSource = async (ctx, ws, id) =>
  (await customerGroups(ctx, ws, id)).map((g) => ({
    at: g.created_at,
    kind: 'group.joined',
    title: `加入分组「${g.name}」`,
    detail: null,
    ref: { type: 'group', id: g.id },
    params: { name: g.name },
  }));

const mergeEvents: TimelineSource = async (ctx, ws, id, limit) => {
  const rows = await ctx.db.kysely
    .selectFrom('customer_merges')
    .select(['id', 'source_snapshot', 'merged_at', 'undone_at'])
    .where('workspace_id', '=', ws)
    .where('target_id', '=', id)
    .orderBy('merged_at', 'desc')
    .limit(limit)
    .execute();
  return rows.flatMap((m) => {
    const snapshot = readJson<{ display_name: string; real_name?: string | null }>(m.source_snapshot);
    const name = snapshot.display_name;
    const names = [snapshot.real_name ?? null];
    const ev: TimelineEvent[] = [
      {
        at: m.merged_at,
        kind: 'customer.merged',
        title: `合并客户「${name}」`,
        detail: null,
        ref: { type: 'merge', id: m.id },
        params: { name },
        names,
      },
    ];
    if (m.undone_at)
      ev.push({
        at: m.undone_at,
        kind: 'customer.unmerged',
        title: `撤销合并「${name}」`,
        detail: null,
        ref: { type: 'merge', id: m.id },
        params: { name },
        names,
      });
    return ev;
  });
};

const RATING = { good: '好评', neutral: '中评', bad: '差评' } as Record<string, string>;
const reviewEvents: TimelineSource = async (ctx, ws, id, limit) =>
  (await customerReviews(ctx, ws, id)).slice(0, limit).map((r) => ({
    at: r.reviewedAt,
    kind: `review.${r.rating}`,
    title: `${RATING[r.rating] ?? r.rating}${r.hasPhoto ? '（有图）' : ''}`,
    detail: r.body,
    ref: { type: 'review', id: r.id },
    order: onOrder(r.orderId),
    params: { photo: r.hasPhoto ? 1 : 0 },
  }));

const POINTS_KIND: Record<string, string> = {
  earn: '获得积分',
  redeem: '兑换积分',
  expire: '积分过期',
  adjust: '积分调整',
  reverse: '积分冲正',
};
/** Sources whose reason a person wrote (an adjustment's note, a grant's batch); the others say it with the source. */
const WRITTEN_REASON = new Set(['adjustment', 'grant', 'api']);
const pointsEvents: TimelineSource = async (ctx, ws, id, limit) =>
  (await pointsOf(ctx, ws, id)).entries.slice(0, limit).map((e) => ({
    at: e.createdAt,
    kind: `points.${e.kind}`,
    title: `${POINTS_KIND[e.kind] ?? e.kind} ${e.points > 0 ? '+' : ''}${e.points}`,
    // Reasons the server writes name internal ids ("photo review 01J…", "referred 01J…"): the source says it.
    detail: e.kind === 'adjust' || WRITTEN_REASON.has(e.source) ? e.reason : null,
    ref: { type: 'points', id: e.id },
    order: onOrder(e.orderId),
    params: { points: e.points, source: e.source },
  }));

const couponEvents: TimelineSource = async (ctx, ws, id, limit) =>
  (await customerCoupons(ctx, ws, id)).slice(0, limit).flatMap((c) => {
    const ev: TimelineEvent[] = [
      {
        at: c.issuedAt,
        kind: 'coupon.issued',
        title: `领券「${c.name}」`,
        detail: c.code,
        ref: { type: 'coupon', id: c.id },
        params: { name: c.name },
      },
    ];
    if (c.usedAt)
      ev.push({
        at: c.usedAt,
        kind: 'coupon.used',
        title: `用券「${c.name}」${c.discountFen ? ` 省 ${yuan(c.discountFen)}` : ''}`,
        detail: c.code,
        ref: { type: 'coupon', id: c.id },
        order: onOrder(c.orderId),
        params: { name: c.name, fen: c.discountFen ?? 0 },
      });
    return ev;
  });

const tierEvents: TimelineSource = async (ctx, ws, id, limit) =>
  (await tierHistory(ctx, ws, id)).slice(0, limit).map((h) => ({
    at: h.at,
    kind: 'tier.changed',
    title: `等级 ${h.fromName ?? '—'} → ${h.toName}`,
    // The timeline's titles are Chinese; reasons written before they had codes keep their text.
    detail: (h.why && renderReason(h.why, 'zh-CN')) ?? h.reason,
    ref: null,
    params: { from: h.fromName ?? '—', to: h.toName },
    why: h.why,
  }));

const taskEvents: TimelineSource = async (ctx, ws, id, limit) =>
  (await customerTasks(ctx, ws, id, limit)).flatMap((t) => {
    const ref = { type: 'task', id: t.id };
    const ev: TimelineEvent[] = [
      {
        at: t.createdAt,
        kind: 'task.created',
        title: `服务任务「${t.title}」（${t.typeLabel}）`,
        detail: t.notes,
        ref,
        params: { name: t.title, type: t.type },
      },
    ];
    if (t.status === 'done' && t.closedAt)
      ev.push({
        at: t.closedAt,
        kind: 'task.done',
        title: `完成服务任务「${t.title}」${t.outcomeTag ? `，打标签「${t.outcomeTag}」` : ''}`,
        detail: t.outcome,
        ref,
        params: { name: t.title, tag: t.outcomeTag ?? '' },
      });
    if (t.status === 'cancelled' && t.closedAt)
      ev.push({
        at: t.closedAt,
        kind: 'task.cancelled',
        title: `取消服务任务「${t.title}」`,
        detail: null,
        ref,
        params: { name: t.title },
      });
    return ev;
  });

const surveyEvents: TimelineSource = async (ctx, ws, id, limit) =>
  (await customerSurveyResponses(ctx, ws, id, limit)).map((r) => ({
    at: r.submittedAt,
    kind: 'survey.answered',
    title: `填写问卷「${r.survey}」${r.mean === null ? '' : ` 满意度 ${Math.round(r.mean * 10) / 10}/5`}`,
    detail:
      r.answers
        .filter((a) => a.kind === 'text' && a.value)
        .map((a) => a.value)
        .join('\n') || null,
    ref: { type: 'survey_response', id: r.id },
    params: { name: r.survey, score: r.mean === null ? '' : Math.round(r.mean * 10) / 10 },
  }));

export const TIMELINE_SOURCES: TimelineSource[] = [
  orderEvents,
  noteEvents,
  tagEvents,
  tagRemovalEvents,
  groupEvents,
  mergeEvents,
  reviewEvents,
  pointsEvents,
  couponEvents,
  tierEvents,
  messageTimeline,
  taskEvents,
  surveyEvents,
  automationTimeline,
];

/**
 * The customer's events, newest first. For a role without `pii:read` (when given) the free text of each event —
 * its title, detail and named parameters: a note, a buyer's reply, a message rendered with #姓名#, a merged
 * customer's name — is masked as the customer's own fields are (谢*, 138****1234), the customer's real name and
 * any other the event names included.
 */
export async function customerTimeline(
  ctx: AppContext,
  workspaceId: string,
  customerId: string,
  limit = 100,
  role?: string,
): Promise<Omit<Required<TimelineEvent>, 'names'>[]> {
  const all = (await Promise.all(TIMELINE_SOURCES.map((s) => s(ctx, workspaceId, customerId, limit)))).flat();
  const own =
    role === undefined || canSeePii(role)
      ? undefined
      : ((await realNames(ctx, workspaceId, [customerId])).get(customerId) ?? null);
  const mask = (v: string, names: (string | null)[]) => names.reduce<string>((t, n) => maskTextOf(t, n), v);
  const page = all
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.kind.localeCompare(b.kind)))
    .slice(0, limit)
    .map(({ names, ...e }) => {
      const out = { ...e, order: e.order ?? null, params: e.params ?? null, why: e.why ?? null };
      if (own === undefined) return out;
      const known = [own, ...(names ?? [])];
      return {
        ...out,
        title: mask(out.title, known),
        detail: out.detail === null ? null : mask(out.detail, known),
        params: out.params
          ? Object.fromEntries(
              Object.entries(out.params).map(([k, v]) => [k, typeof v === 'string' ? mask(v, known) : v]),
            )
          : null,
      };
    });
  const orders = await orderLabels(ctx, workspaceId, [...new Set(page.flatMap((e) => (e.order ? [e.order.id] : [])))]);
  return page.map((e) => (e.order ? { ...e, order: orders.get(e.order.id) ?? null } : e));
}

/** The platform's order number and the product titles (its lines', else the order's title) of these orders. */
async function orderLabels(ctx: AppContext, ws: string, ids: string[]): Promise<Map<string, TimelineOrder>> {
  const out = new Map<string, TimelineOrder>();
  if (ids.length === 0) return out;
  const k = ctx.db.kysely;
  const orders = await k
    .selectFrom('orders')
    .select(['id', 'external_id', 'title'])
    .where('workspace_id', '=', ws)
    .where('id', 'in', ids)
    .execute();
  const lines = await k
    .selectFrom('order_items')
    .select(['order_id', 'title'])
    .where('workspace_id', '=', ws)
    .where('order_id', 'in', ids)
    .orderBy('order_id')
    .orderBy('line_key')
    .execute();
  const titles = new Map<string, string[]>();
  for (const l of lines) {
    if (!l.title) continue;
    const list = titles.get(l.order_id) ?? [];
    if (!list.includes(l.title)) list.push(l.title);
    titles.set(l.order_id, list);
  }
  for (const o of orders)
    out.set(o.id, { id: o.id, number: o.external_id, products: titles.get(o.id)?.join('、') || o.title || null });
  return out;
}
