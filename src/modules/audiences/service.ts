import { reason } from '../../core/reasons.js';
import { z } from 'zod';
import { Conflict, DomainError, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { localDate } from '../../core/time.js';
import { parseInput } from '../../core/validation.js';
import { readJson, writeJson } from '../../db/json.js';
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Database } from '../../db/types.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import { issueToSegment } from '../coupons/service.js';
import { nowIso, type AppContext } from '../context.js';
import { grantToSegment } from '../points/rewards.js';
import { countRule, erasedInRule, getSegment, tagRule } from '../segments/service.js';
import { workspaceTimezone } from '../workspaces/service.js';

/**
 * Bulk actions on the customers of a segment (an RFM cell, a class, a lifecycle stage, a saved segment):
 * tag them all, issue them a coupon, grant them points. An audience up to INLINE_LIMIT is served in the
 * request; a bigger one runs as a job on the worker (its own thread or process), and the console follows
 * the action's row. Idempotent twice over: the same coupon or points batch to the same segment is one
 * action (a retry finds it), and each customer gets a batch's coupon or points once whatever runs it.
 */
export const INLINE_LIMIT = 200;

export const tagAction = z.object({ tag: z.string().trim().min(1).max(40) }).strict();
export const couponAction = z
  .object({
    templateId: z.string().min(1),
    batch: z.string().trim().min(1).max(60).optional().describe("default: the segment's name and the shop's date"),
  })
  .strict();
export const pointsAction = z
  .object({
    points: z.number().int().min(1).max(1_000_000),
    reason: z.string().trim().min(1).max(200),
    batch: z.string().trim().min(1).max(60).optional().describe("default: the segment's name and the shop's date"),
  })
  .strict();

export type ActionInput =
  | ({ kind: 'tag' } & z.infer<typeof tagAction>)
  | ({ kind: 'coupon' } & z.infer<typeof couponAction>)
  | ({ kind: 'points' } & z.infer<typeof pointsAction>);

export const actionOutput = z.object({
  id: z.string(),
  kind: z.enum(['tag', 'coupon', 'points']),
  segmentId: z.string(),
  segmentName: z.string(),
  params: z.record(z.string(), z.unknown()),
  status: z.enum(['queued', 'running', 'done', 'failed']),
  audience: z.number().describe('customers in the segment when the action was asked for'),
  done: z.number().nullable().describe('customers tagged, coupons issued or points granted by this action'),
  skipped: z.number().nullable().describe('had it already (same batch), or over the per-customer coupon limit'),
  erased: z
    .number()
    .nullable()
    .describe('in the segment but erased (PIPL): passed by, nothing about them changes any more'),
  stoppedAtStock: z.boolean(),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type ActionView = z.infer<typeof actionOutput>;

interface Outcome {
  done: number;
  skipped: number;
  /** Absent from an action done before erased customers were counted apart. */
  erased?: number;
  stoppedAtStock: boolean;
}

type ActionRow = Selectable<Database['bulk_actions']>;

function view(r: ActionRow): ActionView {
  const result = r.result === null ? null : readJson<Outcome>(r.result);
  return {
    id: r.id,
    kind: r.kind as ActionView['kind'],
    segmentId: r.segment_id,
    segmentName: r.segment_name,
    params: readJson<Record<string, unknown>>(r.params),
    status: r.status as ActionView['status'],
    audience: Number(r.audience),
    done: result?.done ?? null,
    skipped: result?.skipped ?? null,
    erased: result === null ? null : (result.erased ?? 0),
    stoppedAtStock: result?.stoppedAtStock ?? false,
    error: r.error,
    createdAt: new Date(r.created_at).toISOString(),
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at).toISOString(),
  };
}

async function loadAction(ctx: AppContext, ws: string, id: string) {
  const r = await ctx.db.kysely
    .selectFrom('bulk_actions')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!r) throw new NotFound(`bulk action ${id} not found`, reason('bulk.notFound', { id }));
  return r;
}

/** A batch name in the shop's words and date: "重要价值客户 2026-11-11" (the workspace's time zone). */
export async function defaultBatch(ctx: AppContext, ws: string, segmentName: string): Promise<string> {
  const day = localDate(nowIso(ctx), await workspaceTimezone(ctx.db.kysely, ws));
  return `${segmentName.slice(0, 48)} ${day}`;
}

async function checkTemplate(ctx: AppContext, ws: string, templateId: string) {
  const t = await ctx.db.kysely
    .selectFrom('coupon_templates')
    .select(['name', 'archived_at', 'paused_at', 'total_stock', 'issued'])
    .where('workspace_id', '=', ws)
    .where('id', '=', templateId)
    .executeTakeFirst();
  if (!t || t.archived_at)
    throw new NotFound(
      `coupon template ${templateId} not found (or archived)`,
      reason('coupon.notFound', { id: templateId }),
    );
  if (t.paused_at)
    throw new Conflict(
      `coupon "${t.name}" is paused: resume it before issuing`,
      reason('coupon.paused', { coupon: t.name }),
    );
  if (t.total_stock !== null && t.issued >= t.total_stock)
    throw new Conflict(
      `coupon "${t.name}" is out of stock (${t.total_stock} issued)`,
      reason('coupon.outOfStock', { coupon: t.name, stock: Number(t.total_stock) }),
    );
}

/**
 * Starts an action on a segment's customers. Answers the action and whether it was there already (the same
 * coupon or points batch to the same segment, or the same Idempotency-Key for a tag).
 */
export async function startAction(
  ctx: AppContext,
  ws: string,
  segmentId: string,
  input: ActionInput,
  opts: { by: string | null; requestKey?: string },
): Promise<{ action: ActionView; replayed: boolean }> {
  const seg = await getSegment(ctx, ws, segmentId);
  const params: Record<string, unknown> =
    input.kind === 'tag'
      ? { tag: parseInput(tagAction, { tag: input.tag }, 'The action').tag }
      : input.kind === 'coupon'
        ? { templateId: input.templateId, batch: input.batch ?? (await defaultBatch(ctx, ws, seg.name)) }
        : {
            points: input.points,
            reason: input.reason,
            batch: input.batch ?? (await defaultBatch(ctx, ws, seg.name)),
          };
  const actionKey =
    input.kind === 'tag'
      ? `tag:${seg.id}:${params.tag}:${opts.requestKey ?? newId()}`
      : `${input.kind}:${seg.id}:${params.batch}`;
  const k = ctx.db.kysely;
  const seen = await k
    .selectFrom('bulk_actions')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('action_key', '=', actionKey)
    .executeTakeFirst();
  if (seen) return { action: view(seen), replayed: true };
  if (input.kind === 'coupon') await checkTemplate(ctx, ws, input.templateId);
  const audience = await countRule(ctx, ws, seg.rule);
  const now = nowIso(ctx);
  const row: Insertable<Database['bulk_actions']> & { id: string; audience: number } = {
    workspace_id: ws,
    id: newId(),
    action_key: actionKey,
    kind: input.kind,
    segment_id: seg.id,
    segment_name: seg.name,
    params: writeJson(params),
    status: 'queued',
    audience,
    result: null,
    error: null,
    created_by: opts.by,
    created_at: now,
    finished_at: null,
  };
  const inline = audience <= (ctx.bulkInlineLimit ?? INLINE_LIMIT);
  const inserted = await k.transaction().execute(async (trx) => {
    const r = await trx
      .insertInto('bulk_actions')
      .values(row)
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return false;
    if (!inline)
      await enqueue(
        trx,
        { workspaceId: ws, kind: JOB.bulkAction, payload: { actionId: row.id }, dedupeKey: row.id, maxAttempts: 3 },
        now,
      );
    return true;
  });
  if (!inserted) {
    // A concurrent request with the same batch won the insert: answer its action.
    const other = await k
      .selectFrom('bulk_actions')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('action_key', '=', actionKey)
      .executeTakeFirstOrThrow();
    return { action: view(other), replayed: true };
  }
  if (inline) await runAction(ctx, ws, row.id);
  return { action: view(await loadAction(ctx, ws, row.id)), replayed: false };
}

/**
 * Runs an action (the request for a small audience, the worker for a big one). A second run — a retried
 * job — changes nothing for the customers served already: their coupon or points carry the batch's key.
 */
export async function runAction(ctx: AppContext, ws: string, id: string): Promise<void> {
  const row = await loadAction(ctx, ws, id);
  if (row.status === 'done') return;
  const k = ctx.db.kysely;
  const set = (values: Updateable<Database['bulk_actions']>) =>
    k.updateTable('bulk_actions').set(values).where('workspace_id', '=', ws).where('id', '=', id).execute();
  await set({ status: 'running', error: null });
  try {
    const seg = await getSegment(ctx, ws, row.segment_id);
    const p = readJson<Record<string, unknown>>(row.params);
    let outcome: Outcome;
    if (row.kind === 'tag') {
      const tagged = await tagRule(ctx, ws, seg.rule, String(p.tag), row.created_by);
      const erased = await erasedInRule(ctx, ws, seg.rule);
      outcome = { done: tagged, skipped: Math.max(0, row.audience - tagged - erased), erased, stoppedAtStock: false };
    } else if (row.kind === 'coupon') {
      const r = await issueToSegment(ctx, ws, String(p.templateId), seg.rule, `${p.templateId}:${p.batch}`);
      outcome = { done: r.issued, skipped: r.skipped, erased: r.erased, stoppedAtStock: r.stoppedAtStock };
    } else {
      const r = await grantToSegment(ctx, ws, seg.rule, Number(p.points), String(p.batch), String(p.reason));
      outcome = { done: r.granted, skipped: r.already, erased: r.erased, stoppedAtStock: false };
    }
    await set({ status: 'done', result: writeJson(outcome), finished_at: nowIso(ctx) });
  } catch (e) {
    await set({ status: 'failed', error: e instanceof Error ? e.message : String(e), finished_at: nowIso(ctx) });
    // A domain error (segment deleted, template archived) will not pass on a retry; anything else may.
    if (!(e instanceof DomainError)) throw e;
  }
}

/** The latest actions on a segment, newest first (the console follows a queued one here). */
export async function segmentActions(ctx: AppContext, ws: string, segmentId: string): Promise<ActionView[]> {
  const seg = await getSegment(ctx, ws, segmentId);
  const rows = await ctx.db.kysely
    .selectFrom('bulk_actions')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('segment_id', '=', seg.id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(20)
    .execute();
  return rows.map(view);
}
