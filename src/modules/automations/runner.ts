import type { Transaction } from 'kysely';
import { type Definition, storedDefinition, type Step } from '../../core/automations/definition.js';
import { nextMove, passedOver, zh } from '../../core/automations/engine.js';
import { type CouponRules, couponFaceValueFen } from '../../core/coupons.js';
import { SKIP_REASONS } from '../../core/messaging/decide.js';
import type { TemplateValues } from '../../core/messaging/templates.js';
import { newId } from '../../core/ids.js';
import { type Reason, reason } from '../../core/reasons.js';
import { readJson, writeJson } from '../../db/json.js';
import type { Database } from '../../db/types.js';
import { JOB } from '../../jobs/kinds.js';
import { enqueue } from '../../jobs/queue.js';
import { type AppContext, nowIso } from '../context.js';
import { issueCoupon } from '../coupons/service.js';
import { listChannels, recordBatch } from '../messaging/service.js';
import { credit } from '../points/service.js';
import { tagCustomers } from '../tags/service.js';
import { createTask } from '../tasks/service.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { loadFacts, orderValues } from './facts.js';

/** Messages, coupons, points and tasks of automation runs carry this source type and the run's id. */
export const SOURCE = 'automation';

export interface RunContext {
  /** When the run reached its current step. */
  stepAt: string;
  /** Values the trigger brought (节日, 类目 …) for the messages. */
  values?: Record<string, string>;
}

export interface NewRun {
  customerId: string;
  orderId: string | null;
  triggerKey: string;
  triggerAt: string;
  values?: Record<string, string>;
  /** Recorded as skipped with this reason instead of running (an event seen too late). */
  skip?: Reason | null;
}

/** A reason as the runs and steps keep it: the Chinese text, and the code with its parameters. */
export function reasonColumns(why: Reason | null) {
  return {
    reason: why ? zh(why) : null,
    reason_key: why?.key ?? null,
    reason_params: why ? JSON.stringify(why.params) : null,
  };
}

/** Starts a run once per (automation, trigger key); returns its id, or null when it existed. */
export async function startRun(
  ctx: AppContext,
  db: Transaction<Database> | AppContext['db']['kysely'],
  ws: string,
  automation: { id: string; version: number },
  r: NewRun,
): Promise<string | null> {
  const now = nowIso(ctx);
  const id = newId();
  const context: RunContext = { stepAt: r.triggerAt, ...(r.values ? { values: r.values } : {}) };
  const res = await db
    .insertInto('automation_runs')
    .values({
      workspace_id: ws,
      id,
      automation_id: automation.id,
      version: automation.version,
      customer_id: r.customerId,
      order_id: r.orderId,
      trigger_key: r.triggerKey,
      trigger_at: r.triggerAt,
      status: r.skip ? 'skipped' : 'waiting',
      cursor: 0,
      next_at: r.skip ? null : now,
      ...reasonColumns(r.skip ?? null),
      context: writeJson(context),
      created_at: now,
      updated_at: now,
      finished_at: r.skip ? now : null,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'automation_id', 'trigger_key']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1 && !r.skip ? id : null;
}

/**
 * Starts runs for many customers of one automation in one INSERT (a page of a schedule's audience), once per
 * (automation, trigger key): returns the ids of the runs it started, not those that existed or were skipped.
 */
export async function startRuns(
  ctx: AppContext,
  db: Transaction<Database> | AppContext['db']['kysely'],
  ws: string,
  automation: { id: string; version: number },
  runs: readonly NewRun[],
): Promise<string[]> {
  if (runs.length === 0) return [];
  const now = nowIso(ctx);
  const rows = await db
    .insertInto('automation_runs')
    .values(
      runs.map((r) => ({
        workspace_id: ws,
        id: newId(),
        automation_id: automation.id,
        version: automation.version,
        customer_id: r.customerId,
        order_id: r.orderId,
        trigger_key: r.triggerKey,
        trigger_at: r.triggerAt,
        status: r.skip ? 'skipped' : 'waiting',
        cursor: 0,
        next_at: r.skip ? null : now,
        ...reasonColumns(r.skip ?? null),
        context: writeJson({ stepAt: r.triggerAt, ...(r.values ? { values: r.values } : {}) } satisfies RunContext),
        created_at: now,
        updated_at: now,
        finished_at: r.skip ? now : null,
      })),
    )
    .onConflict((oc) => oc.columns(['workspace_id', 'automation_id', 'trigger_key']).doNothing())
    .returning(['id', 'status'])
    .execute();
  return rows.filter((r) => r.status === 'waiting').map((r) => r.id);
}

/** A task's title and notes with #变量# filled from the trigger and the order (an unknown one is left as written). */
function fill(text: string, values: Record<string, string | null | undefined>): string {
  return text.replace(/#([^#\s]{1,20})#/g, (all, name: string) => values[name] ?? all);
}

/** The definition a run was started with (a later edit does not change a run under way). */
async function definitionOf(ctx: AppContext, ws: string, automationId: string, version: number): Promise<Definition> {
  const v = await ctx.db.kysely
    .selectFrom('automation_versions')
    .select('definition')
    .where('workspace_id', '=', ws)
    .where('automation_id', '=', automationId)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
  return storedDefinition(readJson(v.definition));
}

type Outcome = { status: 'done' | 'skipped'; why: Reason | null };

/** The channel a message step sends on: its own, else one of its medium (a real one before the outbox). */
export async function channelFor(ctx: AppContext, ws: string, step: Step & { type: 'message' }) {
  if (step.channelId) return step.channelId;
  const list = (await listChannels(ctx, ws)).filter((c) => c.medium === step.medium);
  return (list.find((c) => c.kind !== 'outbox') ?? list[0])?.id ?? null;
}

/**
 * Carries out one step; each effect has the key `automation:<run>:<step>`, so a repeat after a crash does nothing
 * new.
 */
async function perform(
  ctx: AppContext,
  ws: string,
  run: { id: string; customer_id: string; order_id: string | null; context: RunContext },
  step: Exclude<Step, { type: 'wait' } | { type: 'branch' }>,
): Promise<Outcome> {
  const key = `${SOURCE}:${run.id}:${step.id}`;
  const cid = run.customer_id;
  try {
    switch (step.type) {
      case 'message': {
        const channelId = await channelFor(ctx, ws, step);
        if (!channelId) return { status: 'skipped', why: reason('automation.noChannel', { medium: step.medium }) };
        const values: TemplateValues = { ...(await orderValues(ctx, ws, run.order_id)), ...run.context.values };
        const tally = await recordBatch(ctx, ws, {
          sourceType: SOURCE,
          sourceId: run.id,
          step: step.id,
          kind: step.kind,
          channelId,
          customerIds: [cid],
          variants: [{ key: null, content: { text: step.text, ...(step.subject ? { subject: step.subject } : {}) } }],
          variantOf: () => 0,
          linkUrl: null,
          budgetFen: null,
          state: { seen: new Set(), spentFen: 0 },
          dry: false,
          values: () => values,
        });
        const skipped = Object.keys(tally.skipped)[0] as keyof typeof SKIP_REASONS | undefined;
        if (skipped) {
          const why = { why: SKIP_REASONS[skipped] ?? skipped, whyEn: skipped.replace(/_/g, ' ') };
          return { status: 'skipped', why: reason('automation.messageNotSent', why) };
        }
        return { status: 'done', why: tally.deferred ? reason('automation.messageDeferred') : null };
      }
      case 'coupon': {
        let valueFen = step.valueFen;
        let itemValueFen: number | undefined;
        if (valueFen === undefined && step.capPercent !== undefined) {
          // A capped step without its own value: an ordinary template's face value is what must stay under the cap.
          const t = await ctx.db.kysely
            .selectFrom('coupon_templates')
            .select(['rules', 'compensation'])
            .where('workspace_id', '=', ws)
            .where('id', '=', step.templateId)
            .executeTakeFirst();
          const face = t ? couponFaceValueFen(readJson<CouponRules>(t.rules)) : null;
          if (t && t.compensation !== 1 && face !== null && run.order_id) {
            const o = await ctx.db.kysely
              .selectFrom('orders')
              .select(['goods_fen', 'total_fen'])
              .where('workspace_id', '=', ws)
              .where('id', '=', run.order_id)
              .executeTakeFirst();
            const item = o ? o.goods_fen || o.total_fen : 0;
            if (face > Math.floor((item * step.capPercent) / 100))
              return {
                status: 'skipped',
                why: reason('automation.couponOverCap', {
                  face: (face / 100).toFixed(2),
                  item: (item / 100).toFixed(2),
                  cap: step.capPercent,
                }),
              };
          }
        }
        if (valueFen !== undefined) {
          const o = run.order_id
            ? await ctx.db.kysely
                .selectFrom('orders')
                .select(['goods_fen', 'total_fen'])
                .where('workspace_id', '=', ws)
                .where('id', '=', run.order_id)
                .executeTakeFirst()
            : undefined;
          itemValueFen = o ? o.goods_fen || o.total_fen : valueFen;
          const cap = Math.floor((itemValueFen * (step.capPercent ?? 50)) / 100);
          valueFen = Math.min(valueFen, cap);
          if (valueFen < 1) return { status: 'skipped', why: reason('automation.couponZero') };
        }
        await issueCoupon(ctx, ws, {
          templateId: step.templateId,
          customerId: cid,
          key,
          source: valueFen !== undefined ? 'compensation' : 'automation',
          ...(valueFen !== undefined ? { valueFen, itemValueFen } : {}),
        });
        return { status: 'done', why: null };
      }
      case 'points':
        await credit(ctx, ws, {
          customerId: cid,
          points: step.points,
          kind: 'adjust',
          source: SOURCE,
          reason: step.reason,
          key,
        });
        return { status: 'done', why: null };
      case 'tag':
        await tagCustomers(ctx, ws, [cid], step.add);
        return { status: 'done', why: null };
      case 'task':
        await createTask(ctx.db.kysely, {
          workspaceId: ws,
          now: ctx.now(),
          type: step.taskType,
          customerId: cid,
          orderId: run.order_id,
          dueAt: new Date(ctx.now().getTime() + step.dueHours * 3_600_000).toISOString(),
          priority: step.priority,
          title: fill(step.title, { ...(await orderValues(ctx, ws, run.order_id)), ...run.context.values }),
          ...(step.notes
            ? { notes: fill(step.notes, { ...(await orderValues(ctx, ws, run.order_id)), ...run.context.values }) }
            : {}),
          source: 'automation',
          sourceRef: run.id,
          key,
        });
        return { status: 'done', why: null };
    }
  } catch (e) {
    // A coupon out of stock, a customer at the coupon limit: the step is skipped with why, the run goes on.
    const { code, reason: coded } = e as { code?: string; reason?: Reason };
    if (code === 'conflict' || code === 'invalid' || code === 'not_found')
      return {
        status: 'skipped',
        why: coded ?? reason('automation.stepRefused', { message: e instanceof Error ? e.message : String(e) }),
      };
    throw e;
  }
}

export interface AdvanceHooks {
  /** Tests: called after a step's effect and before the run moves past it (a crash lands here). */
  afterEffect?(stepId: string): void | Promise<void>;
}

/**
 * Takes a run as far as it can go now: conditions re-checked before every step, waits scheduled as
 * jobs, each step's effect once. Safe to call again at any point (a job retried after a crash).
 */
export async function advanceRun(
  ctx: AppContext,
  ws: string,
  runId: string,
  hooks: AdvanceHooks = {},
): Promise<string> {
  const k = ctx.db.kysely;
  const zone = await workspaceTimezone(k, ws);
  for (let guard = 0; guard < 100; guard++) {
    const run = await k
      .selectFrom('automation_runs')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('id', '=', runId)
      .executeTakeFirst();
    if (!run || run.status !== 'waiting') return run?.status ?? 'missing';
    const def = await definitionOf(ctx, ws, run.automation_id, run.version);
    const context = readJson<RunContext>(run.context) ?? { stepAt: run.trigger_at };
    const facts = await loadFacts(ctx, ws, run);
    const now = ctx.now();
    const at = now.toISOString();
    const move = nextMove(
      def,
      { cursor: run.cursor, triggerAt: run.trigger_at, stepAt: context.stepAt },
      facts,
      now,
      zone,
    );
    const finish = (status: string, why: Reason | null) =>
      k
        .updateTable('automation_runs')
        .set({ status, ...reasonColumns(why), next_at: null, finished_at: at, updated_at: at })
        .where('workspace_id', '=', ws)
        .where('id', '=', runId)
        .where('status', '=', 'waiting')
        .execute();
    if (move.type === 'exit') {
      await finish('exited', move.why);
      return 'exited';
    }
    if (move.type === 'done') {
      await finish('done', null);
      return 'done';
    }
    if (move.type === 'wait') {
      const until = move.until.toISOString();
      await k.transaction().execute(async (trx) => {
        await trx
          .updateTable('automation_runs')
          .set({ next_at: until, updated_at: at })
          .where('workspace_id', '=', ws)
          .where('id', '=', runId)
          .execute();
        await enqueue(
          trx,
          {
            workspaceId: ws,
            kind: JOB.automationStep,
            payload: { runId },
            runAt: until,
            dedupeKey: `${runId}:${run.cursor}:${until}`,
          },
          at,
        );
      });
      return 'waiting';
    }
    let outcome: Outcome;
    let to: number;
    let stepAt: string;
    // A branch that took its other path passes over the steps before the one it goes to: each is skipped, with why.
    let over: { step: Step; why: Reason }[] = [];
    if (move.type === 'pass') {
      outcome = { status: 'done', why: move.why };
      to = move.to;
      stepAt = move.at;
      if (move.why) over = passedOver(def, run.cursor, to, move.why);
    } else {
      outcome = await perform(ctx, ws, { ...run, context }, move.step);
      await hooks.afterEffect?.(move.step.id);
      to = run.cursor + 1;
      stepAt = at;
    }
    await k.transaction().execute(async (trx) => {
      await trx
        .insertInto('automation_steps')
        .values([
          {
            workspace_id: ws,
            run_id: runId,
            step_id: move.step.id,
            status: outcome.status,
            at,
            ...reasonColumns(outcome.why),
          },
          ...over.map((o) => ({
            workspace_id: ws,
            run_id: runId,
            step_id: o.step.id,
            status: 'skipped',
            at,
            ...reasonColumns(o.why),
          })),
        ])
        .onConflict((oc) => oc.doNothing())
        .execute();
      await trx
        .updateTable('automation_runs')
        .set({ cursor: to, context: writeJson({ ...context, stepAt }), updated_at: at })
        .where('workspace_id', '=', ws)
        .where('id', '=', runId)
        .where('cursor', '=', run.cursor)
        .execute();
    });
  }
  throw new Error(`automation run ${runId} did not settle in 100 steps`);
}
