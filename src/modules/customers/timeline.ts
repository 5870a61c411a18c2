import { renderReason } from '../../core/reasons.js';
import type { AppContext } from '../context.js';
import { readJson } from '../../db/json.js';
import { customerCoupons } from '../coupons/service.js';
import { customerReviews } from '../feedback/service.js';
import { customerSurveyResponses } from '../feedback/surveys.js';
import { tierHistory } from '../membership/service.js';
import { pointsOf } from '../points/service.js';
import { messageTimeline } from '../messaging/service.js';
import { automationTimeline } from '../automations/service.js';
import { customerGroups, customerTags, listNotes } from '../tags/service.js';
import { customerTasks } from '../tasks/service.js';

/**
 * One customer's history, newest first, gathered from every module that has something to say.
 * Later modules (messages, points, coupons, tasks, feedback) add a source to TIMELINE_SOURCES.
 */
export interface TimelineEvent {
  at: string;
  kind: string;
  title: string;
  detail: string | null;
  ref: { type: string; id: string } | null;
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
      'external_id',
      'status',
      'title',
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
    const what = `${o.title ?? ''} (${o.external_id})`.trim();
    const ev: TimelineEvent[] = [
      { at: o.created_at, kind: 'order.created', title: `下单 ${yuan(o.total_fen)}`, detail: what, ref },
    ];
    if (o.paid_at) ev.push({ at: o.paid_at, kind: 'order.paid', title: `付款 ${yuan(o.paid_fen)}`, detail: what, ref });
    if (o.shipped_at) ev.push({ at: o.shipped_at, kind: 'order.shipped', title: '发货', detail: what, ref });
    if (o.signed_at) ev.push({ at: o.signed_at, kind: 'order.signed', title: '签收', detail: what, ref });
    if (o.status === 'refunded' || o.refunded_fen > 0)
      ev.push({
        at: o.closed_at ?? o.signed_at ?? o.paid_at ?? o.created_at,
        kind: 'order.refunded',
        title: `退款 ${yuan(o.refunded_fen)}`,
        detail: what,
        ref,
      });
    else if (o.status === 'closed')
      ev.push({ at: o.closed_at ?? o.created_at, kind: 'order.closed', title: '交易关闭', detail: what, ref });
    return ev;
  });
};

const noteEvents: TimelineSource = async (ctx, ws, id, limit) =>
  (await listNotes(ctx, ws, id)).slice(0, limit).map((n) => ({
    at: n.created_at,
    kind: 'note',
    title: `备注${n.author ? `（${n.author}）` : ''}`,
    detail: n.body,
    ref: { type: 'note', id: n.id },
  }));

const tagEvents: TimelineSource = async (ctx, ws, id) =>
  (await customerTags(ctx, ws, id)).map((t) => ({
    at: t.created_at,
    kind: 'tag.added',
    title: `打标签「${t.name}」`,
    detail: null,
    ref: { type: 'tag', id: t.id },
  }));

const groupEvents: TimelineSource = async (ctx, ws, id) =>
  (await customerGroups(ctx, ws, id)).map((g) => ({
    at: g.created_at,
    kind: 'group.joined',
    title: `加入分组「${g.name}」`,
    detail: null,
    ref: { type: 'group', id: g.id },
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
    const name = readJson<{ display_name: string }>(m.source_snapshot).display_name;
    const ev: TimelineEvent[] = [
      {
        at: m.merged_at,
        kind: 'customer.merged',
        title: `合并客户「${name}」`,
        detail: null,
        ref: { type: 'merge', id: m.id },
      },
    ];
    if (m.undone_at)
      ev.push({
        at: m.undone_at,
        kind: 'customer.unmerged',
        title: `撤销合并「${name}」`,
        detail: null,
        ref: { type: 'merge', id: m.id },
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
  }));

const POINTS_KIND: Record<string, string> = {
  earn: '获得积分',
  redeem: '兑换积分',
  expire: '积分过期',
  adjust: '积分调整',
  reverse: '积分冲正',
};
const pointsEvents: TimelineSource = async (ctx, ws, id, limit) =>
  (await pointsOf(ctx, ws, id)).entries.slice(0, limit).map((e) => ({
    at: e.createdAt,
    kind: `points.${e.kind}`,
    title: `${POINTS_KIND[e.kind] ?? e.kind} ${e.points > 0 ? '+' : ''}${e.points}`,
    detail: e.reason,
    ref: { type: 'points', id: e.id },
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
      },
    ];
    if (c.usedAt)
      ev.push({
        at: c.usedAt,
        kind: 'coupon.used',
        title: `用券「${c.name}」${c.discountFen ? ` 省 ${yuan(c.discountFen)}` : ''}`,
        detail: c.code,
        ref: { type: 'coupon', id: c.id },
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
      },
    ];
    if (t.status === 'done' && t.closedAt)
      ev.push({
        at: t.closedAt,
        kind: 'task.done',
        title: `完成服务任务「${t.title}」${t.outcomeTag ? `，打标签「${t.outcomeTag}」` : ''}`,
        detail: t.outcome,
        ref,
      });
    if (t.status === 'cancelled' && t.closedAt)
      ev.push({ at: t.closedAt, kind: 'task.cancelled', title: `取消服务任务「${t.title}」`, detail: null, ref });
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
  }));

export const TIMELINE_SOURCES: TimelineSource[] = [
  orderEvents,
  noteEvents,
  tagEvents,
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

export async function customerTimeline(
  ctx: AppContext,
  workspaceId: string,
  customerId: string,
  limit = 100,
): Promise<TimelineEvent[]> {
  const all = (await Promise.all(TIMELINE_SOURCES.map((s) => s(ctx, workspaceId, customerId, limit)))).flat();
  return all.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.kind.localeCompare(b.kind))).slice(0, limit);
}
