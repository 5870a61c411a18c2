import type { Transaction } from 'kysely';
import { Cron } from 'croner';
import { Invalid } from '../../core/errors.js';
import { reason } from '../../core/reasons.js';
import { type Definition, storedDefinition } from '../../core/automations/definition.js';
import { readJson } from '../../db/json.js';
import type { Database } from '../../db/types.js';
import { JOB } from '../../jobs/kinds.js';
import { enqueue } from '../../jobs/queue.js';
import { nextRun, upsertSchedule } from '../../jobs/schedules.js';
import { type AppContext, chunks, nowIso } from '../context.js';
import { segmentCustomerIds, segmentPager } from '../segments/service.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { advanceRun, startRun, startRuns } from './runner.js';
import { yieldToEventLoop } from '../event-loop.js';
import { audit } from '../audit/service.js';

/**
 * The triggers that are not order events or dates: a review (评价), a customer newly in a segment, and a
 * schedule (cron). Each starts runs like the others (once per trigger key) and takes their first steps.
 * They run in the job worker, which has its own thread and connection: evaluating a segment does not hold
 * up the server's event loop.
 */
export function enabledAutomations(ctx: AppContext, ws: string) {
  return enabledIn(ctx.db.kysely, ws);
}

async function enabledIn(db: AppContext['db']['kysely'] | Transaction<Database>, ws: string) {
  const rows = await db
    .selectFrom('automations')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('enabled', '=', 1)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    version: r.version,
    audienceCheckedAt: r.audience_checked_at,
    definition: storedDefinition(readJson(r.definition)),
  }));
}

/** Customers a schedule's firing takes per page: one INSERT of runs, then their first steps, then a pause. */
export const SCHEDULE_PAGE = 500;

/** Segment entries are looked for this often (in the workspace's zone); a segment is a query over everyone. */
export const SEGMENT_ENTRY_CRON = '*/15 * * * *';
const SEGMENT_SCHEDULE = 'automations-segments';
export const scheduleName = (automationId: string) => `automation:${automationId}`;

/** The trigger's schedules after a save: the cron of a schedule trigger, the segment evaluation. */
export async function ensureTriggerSchedules(ctx: AppContext, ws: string, id: string, def: Definition) {
  const timezone = await workspaceTimezone(ctx.db.kysely, ws);
  const t = def.trigger;
  if (t.type === 'schedule')
    await upsertSchedule(ctx, ws, {
      name: scheduleName(id),
      cron: t.cron,
      timezone,
      jobKind: JOB.automationSchedule,
      payload: { automationId: id },
    });
  else
    await ctx.db.kysely
      .deleteFrom('schedules')
      .where('workspace_id', '=', ws)
      .where('name', '=', scheduleName(id))
      .execute();
  if (t.type === 'segment_entry')
    await upsertSchedule(
      ctx,
      ws,
      { name: SEGMENT_SCHEDULE, cron: SEGMENT_ENTRY_CRON, timezone, jobKind: JOB.automationSegments, payload: {} },
      false,
    );
}

/**
 * A schedule trigger's cron, checked before anything is saved: one croner reads and that fires again, of five
 * fields (minute hour day month weekday — a sixth, seconds, ran a segment's run every second) or a nickname
 * (@daily …), with at least an hour between two runs.
 */
export function checkCron(def: Definition, timezone: string, now: Date) {
  if (def.trigger.type !== 'schedule') return;
  const cron = def.trigger.cron.trim();
  if (!cron.startsWith('@') && cron.split(/\s+/).length !== 5)
    throw new Invalid(
      `cron "${cron}" needs five fields: minute hour day month weekday`,
      reason('automation.cronFields', { cron }),
    );
  nextRun(cron, timezone, now);
  const runs = new Cron(cron, { timezone, paused: true }).nextRuns(25, now);
  for (let i = 1; i < runs.length; i++)
    if (runs[i]!.getTime() - runs[i - 1]!.getTime() < MIN_SCHEDULE_GAP_MS)
      throw new Invalid(
        `cron "${cron}" runs more often than once an hour`,
        reason('automation.cronTooOften', { cron }),
      );
}

const MIN_SCHEDULE_GAP_MS = 3_600_000;

/**
 * An automation saved before `checkCron`'s rules (a six-field cron fired a run at every tick of the worker) is
 * switched off at its next firing instead of run: its schedule removed and the pause in the audit log with the
 * reason, so the seller finds why; switching it on again asks for a cron that passes.
 */
async function pausedForCron(ctx: AppContext, ws: string, id: string, def: Definition): Promise<boolean> {
  try {
    checkCron(def, await workspaceTimezone(ctx.db.kysely, ws), ctx.now());
    return false;
  } catch (e) {
    if (!(e instanceof Invalid)) throw e;
    await ctx.db.kysely.transaction().execute(async (trx) => {
      await trx
        .updateTable('automations')
        .set({ enabled: 0, updated_at: nowIso(ctx) })
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .execute();
      await trx.deleteFrom('schedules').where('workspace_id', '=', ws).where('name', '=', scheduleName(id)).execute();
      await audit(trx, {
        workspaceId: ws,
        actor: null,
        action: 'automation.paused_schedule',
        target: `automation ${id}`,
        details: { name: def.name, reason: e.message },
        at: ctx.now(),
      });
    });
    return true;
  }
}

/** In the review's transaction: a review starts the automations listening for reviews (through a job). */
export async function queueReview(trx: Transaction<Database>, ws: string, reviewId: string, at: string) {
  const listening = (await enabledIn(trx, ws)).some((a) => a.definition.trigger.type === 'review');
  if (listening) await enqueue(trx, { workspaceId: ws, kind: JOB.automationReview, payload: { reviewId } }, at);
}

/** 评价: a review with a listened-for rating starts a run, its text in #评价内容# (for the task's notes). */
export async function handleReview(ctx: AppContext, ws: string, reviewId: string): Promise<number> {
  const k = ctx.db.kysely;
  const r = await k
    .selectFrom('reviews')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', reviewId)
    .executeTakeFirst();
  if (!r) return 0;
  const rating = ({ good: '好评', neutral: '中评', bad: '差评' } as Record<string, string>)[r.rating] ?? r.rating;
  let started = 0;
  for (const a of await enabledAutomations(ctx, ws)) {
    const t = a.definition.trigger;
    if (t.type !== 'review' || !t.ratings.includes(r.rating as 'good' | 'neutral' | 'bad')) continue;
    const id = await startRun(ctx, k, ws, a, {
      customerId: r.customer_id,
      orderId: r.order_id,
      triggerKey: `review:${r.id}`,
      triggerAt: r.reviewed_at,
      values: { 评价内容: r.body?.trim() || '（未写评价内容）', 评价: rating },
    });
    if (!id) continue;
    started += 1;
    await advanceRun(ctx, ws, id);
  }
  return started;
}

/**
 * Segment entry: each enabled segment-entry automation compares its segment now with who was in it at the
 * last evaluation; those newly in start a run (once per entry: leaving and coming back is a new entry). The
 * first evaluation only records who is in (switching one on does not message the whole segment).
 */
export async function evaluateSegmentEntries(ctx: AppContext, ws: string): Promise<number> {
  const k = ctx.db.kysely;
  let started = 0;
  for (const a of await enabledAutomations(ctx, ws)) {
    const t = a.definition.trigger;
    if (t.type !== 'segment_entry') continue;
    const now = nowIso(ctx);
    const members = await segmentCustomerIds(ctx, ws, t.segmentId).catch((e: unknown) => {
      // A deleted segment: nothing enters it.
      if ((e as { code?: string }).code === 'not_found') return [] as string[];
      throw e;
    });
    const before = new Set(
      (
        await k
          .selectFrom('automation_audience')
          .select('customer_id')
          .where('workspace_id', '=', ws)
          .where('automation_id', '=', a.id)
          .execute()
      ).map((r) => r.customer_id),
    );
    const now_in = new Set(members);
    const entered = members.filter((c) => !before.has(c));
    const left = [...before].filter((c) => !now_in.has(c));
    const baseline = a.audienceCheckedAt === null;
    const runs: string[] = [];
    await k.transaction().execute(async (trx) => {
      for (const part of chunks(left, 900))
        await trx
          .deleteFrom('automation_audience')
          .where('workspace_id', '=', ws)
          .where('automation_id', '=', a.id)
          .where('customer_id', 'in', part)
          .execute();
      for (const part of chunks(entered, 500))
        await trx
          .insertInto('automation_audience')
          .values(part.map((c) => ({ workspace_id: ws, automation_id: a.id, customer_id: c, entered_at: now })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      await trx
        .updateTable('automations')
        .set({ audience_checked_at: now })
        .where('workspace_id', '=', ws)
        .where('id', '=', a.id)
        .execute();
      if (baseline) return;
      for (const part of chunks(entered, SCHEDULE_PAGE))
        runs.push(
          ...(await startRuns(
            ctx,
            trx,
            ws,
            a,
            part.map((c) => ({
              customerId: c,
              orderId: null,
              triggerKey: `segment:${t.segmentId}:${c}:${now}`,
              triggerAt: now,
            })),
          )),
        );
    });
    for (const id of runs) await advanceRun(ctx, ws, id);
    started += runs.length;
  }
  return started;
}

/**
 * A schedule trigger fired: a run for everyone in its segment (everyone, without one), once per firing. The
 * audience is walked in id order a page at a time (a million customers are never held at once): each page's runs
 * are started in one short transaction, set-wise, and taken through their first steps before the next page.
 */
export async function runScheduled(
  ctx: AppContext,
  ws: string,
  automationId: string,
  firing: string,
  pageSize = SCHEDULE_PAGE,
) {
  const a = (await enabledAutomations(ctx, ws)).find((x) => x.id === automationId);
  if (!a || a.definition.trigger.type !== 'schedule') return 0;
  const t = a.definition.trigger;
  const k = ctx.db.kysely;
  if (await pausedForCron(ctx, ws, a.id, a.definition)) return 0;
  const page = t.segmentId
    ? await segmentPager(ctx, ws, t.segmentId)
    : async (after: string | null, limit: number) => {
        let q = k.selectFrom('customers').select('id').where('workspace_id', '=', ws).where('erased_at', 'is', null);
        if (after !== null) q = q.where('id', '>', after);
        return (await q.orderBy('id').limit(limit).execute()).map((c) => c.id);
      };
  const now = nowIso(ctx);
  let started = 0;
  let after: string | null = null;
  for (;;) {
    const customers = await page(after, pageSize);
    if (customers.length === 0) break;
    after = customers[customers.length - 1]!;
    const runs = await k.transaction().execute((trx) =>
      startRuns(
        ctx,
        trx,
        ws,
        a,
        customers.map((c) => ({ customerId: c, orderId: null, triggerKey: `schedule:${firing}:${c}`, triggerAt: now })),
      ),
    );
    for (const id of runs) await advanceRun(ctx, ws, id);
    started += runs.length;
    if (customers.length < pageSize) break;
    await yieldToEventLoop();
  }
  return started;
}
