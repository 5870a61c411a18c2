import { z } from 'zod';
import { BUILTINS, builtinByKey, builtinSettings, type BuiltinSettings } from '../../core/automations/builtins.js';
import { type Definition, definitionSchema, storedDefinition } from '../../core/automations/definition.js';
import { exitReason, HISTORY_MINUTES, tooLateWhy } from '../../core/automations/engine.js';
import { DomainError, Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { type Reason, reason, renderReason, storedReason } from '../../core/reasons.js';
import { localDate } from '../../core/time.js';
import { HOLIDAYS, upcomingHolidays } from '../../core/automations/holidays.js';
import { parseInput } from '../../core/validation.js';
import { readJson, writeJson } from '../../db/json.js';
import type { AutomationsTable } from '../../db/types.js';
import type { Selectable } from 'kysely';
import { JOB } from '../../jobs/kinds.js';
import { upsertSchedule } from '../../jobs/schedules.js';
import { type AppContext, chunks, nowIso } from '../context.js';
import { yieldToEventLoop } from '../event-loop.js';
import type { TimelineEvent } from '../customers/timeline.js';
import { loadTemplate } from '../coupons/service.js';
import { channelRow } from '../messaging/channels.js';
import { getSegment } from '../segments/service.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { dateCandidates } from './dates.js';
import { dryRunDefinition } from './dry-run.js';
import { offLoop } from '../heavy/run.js';
import { loadFacts } from './facts.js';
import { advanceRun, type AdvanceHooks, startRun, startRuns } from './runner.js';
import { checkCron, enabledAutomations, ensureTriggerSchedules, SCHEDULE_PAGE } from './triggers.js';

export { SOURCE } from './runner.js';

type Row = Selectable<AutomationsTable>;

function present(r: Row) {
  const b = r.builtin ? builtinByKey(r.builtin) : undefined;
  return {
    id: r.id,
    builtin: r.builtin,
    name: r.name,
    description: b?.description ?? null,
    fields: b?.fields ?? [],
    enabled: r.enabled === 1,
    version: r.version,
    settings: readJson<BuiltinSettings>(r.settings) ?? null,
    definition: readJson<Definition>(r.definition)!,
    updatedAt: r.updated_at,
  };
}
export type AutomationView = ReturnType<typeof present>;

async function rowOf(ctx: AppContext, ws: string, id: string): Promise<Row> {
  const r = await ctx.db.kysely
    .selectFrom('automations')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!r) throw new NotFound(`automation ${id} not found`, reason('automation.notFound', { id }));
  return r;
}

/** The workspace's automations and every built-in not switched on yet (as an off template). */
export async function listAutomations(ctx: AppContext, ws: string) {
  const rows = await ctx.db.kysely
    .selectFrom('automations')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('created_at')
    .execute();
  const have = new Set(rows.map((r) => r.builtin));
  const templates = BUILTINS.filter((b) => !have.has(b.key)).map((b) => ({
    id: null,
    builtin: b.key,
    name: b.name,
    description: b.description,
    fields: b.fields,
    enabled: false,
    version: 0,
    settings: b.defaults,
    definition: definitionSchema.parse(b.build(b.defaults)),
    updatedAt: null,
  }));
  const order = new Map(BUILTINS.map((b, i) => [b.key, i]));
  const list = [...rows.map(present), ...templates];
  return list.sort((a, b) => (order.get(a.builtin ?? '') ?? 999) - (order.get(b.builtin ?? '') ?? 999));
}

export const saveInput = z
  .object({
    builtin: z.string().max(40).optional().describe('a built-in to switch on / edit by its settings'),
    settings: builtinSettings.optional(),
    definition: z.unknown().optional().describe('a custom automation: trigger, conditions, exitWhen, steps'),
    enabled: z.boolean().optional(),
  })
  .refine((x) => (x.builtin === undefined) !== (x.definition === undefined), {
    message: 'send a built-in with its settings, or a custom definition',
    params: reason('input.oneOf', { choices: 'builtin, definition' }),
  });
export type SaveInput = z.input<typeof saveInput>;

function resolve(input: z.infer<typeof saveInput>): { definition: Definition; settings: BuiltinSettings | null } {
  if (input.builtin) {
    const b = builtinByKey(input.builtin);
    if (!b)
      throw new Invalid(
        `no built-in automation "${input.builtin}" (${BUILTINS.map((x) => x.key).join(', ')})`,
        reason('automation.noBuiltin', { builtin: input.builtin, builtins: BUILTINS.map((x) => x.key).join(', ') }),
      );
    const settings = { ...b.defaults, ...input.settings };
    return { definition: parseInput(definitionSchema, b.build(settings), `The settings of ${b.name}`), settings };
  }
  return { definition: parseInput(definitionSchema, input.definition, 'The automation'), settings: null };
}

/**
 * The ids a definition names are this workspace's: its segment, each message step's channel (of the step's medium)
 * and each coupon step's template (not archived). Another shop's or a made-up id was saved and failed, or sent
 * nothing, at every run.
 */
async function checkReferences(ctx: AppContext, ws: string, d: Definition): Promise<void> {
  const t = d.trigger;
  if ((t.type === 'segment_entry' || t.type === 'schedule') && t.segmentId) await getSegment(ctx, ws, t.segmentId);
  for (const s of d.steps) {
    if (s.type === 'coupon') await loadTemplate(ctx, ws, s.templateId);
    if (s.type !== 'message' || !s.channelId) continue;
    const c = await channelRow(ctx, ws, s.channelId);
    if (c.medium !== s.medium)
      throw new Invalid(
        `step "${s.id}": channel "${c.name}" sends ${c.medium}, not ${s.medium}`,
        reason('automation.channelMedium', { step: s.id, channel: c.name, channelMedium: c.medium, medium: s.medium }),
      );
  }
}

/** The daily date triggers run from a schedule, made when the first automation is saved. */
async function ensureDaily(ctx: AppContext, ws: string) {
  const timezone = await workspaceTimezone(ctx.db.kysely, ws);
  await upsertSchedule(
    ctx,
    ws,
    { name: 'automations-daily', cron: '5 0 * * *', timezone, jobKind: JOB.automationDaily, payload: {} },
    false,
  );
}

/**
 * Creates an automation or a new version of one (a built-in is found by its key). A run under way
 * keeps the version it started with.
 */
export async function saveAutomation(ctx: AppContext, ws: string, input: SaveInput, id?: string) {
  const v = parseInput(saveInput, input, 'The automation');
  const { definition, settings } = resolve(v);
  checkCron(definition, await workspaceTimezone(ctx.db.kysely, ws), ctx.now());
  await checkReferences(ctx, ws, definition);
  const now = nowIso(ctx);
  const k = ctx.db.kysely;
  const existing = id
    ? await rowOf(ctx, ws, id)
    : v.builtin
      ? await k
          .selectFrom('automations')
          .selectAll()
          .where('workspace_id', '=', ws)
          .where('builtin', '=', v.builtin)
          .executeTakeFirst()
      : undefined;
  const savedId = await k.transaction().execute(async (trx) => {
    if (!existing) {
      const newIdValue = newId();
      await trx
        .insertInto('automations')
        .values({
          workspace_id: ws,
          id: newIdValue,
          builtin: v.builtin ?? null,
          name: definition.name,
          enabled: v.enabled ? 1 : 0,
          version: 1,
          definition: writeJson(definition),
          settings: settings ? writeJson(settings) : null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await trx
        .insertInto('automation_versions')
        .values({
          workspace_id: ws,
          automation_id: newIdValue,
          version: 1,
          definition: writeJson(definition),
          created_at: now,
        })
        .execute();
      return newIdValue;
    }
    const same = JSON.stringify(readJson(existing.definition)) === JSON.stringify(definition);
    const version = same ? existing.version : existing.version + 1;
    await trx
      .updateTable('automations')
      .set({
        name: definition.name,
        version,
        definition: writeJson(definition),
        settings: settings
          ? writeJson(settings)
          : existing.settings === null
            ? null
            : writeJson(readJson(existing.settings)),
        ...(v.enabled !== undefined ? { enabled: v.enabled ? 1 : 0 } : {}),
        updated_at: now,
      })
      .where('workspace_id', '=', ws)
      .where('id', '=', existing.id)
      .execute();
    if (!same)
      await trx
        .insertInto('automation_versions')
        .values({
          workspace_id: ws,
          automation_id: existing.id,
          version,
          definition: writeJson(definition),
          created_at: now,
        })
        .execute();
    return existing.id;
  });
  await ensureDaily(ctx, ws);
  await ensureTriggerSchedules(ctx, ws, savedId, definition);
  return present(await rowOf(ctx, ws, savedId));
}

/**
 * Switches an automation on or off. Switching on checks it as a save would: its schedule (one saved before the
 * five-field rule, or paused for breaking it, is refused until edited) and what it names (a segment, channel or
 * coupon template deleted since).
 */
export async function setEnabled(ctx: AppContext, ws: string, id: string, enabled: boolean) {
  const row = await rowOf(ctx, ws, id);
  if (enabled) {
    const definition = parseInput(definitionSchema, readJson(row.definition), 'The automation');
    checkCron(definition, await workspaceTimezone(ctx.db.kysely, ws), ctx.now());
    await checkReferences(ctx, ws, definition);
    await ensureTriggerSchedules(ctx, ws, id, definition);
  }
  await ctx.db.kysely
    .updateTable('automations')
    .set({ enabled: enabled ? 1 : 0, updated_at: nowIso(ctx) })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
  return present(await rowOf(ctx, ws, id));
}

export async function listVersions(ctx: AppContext, ws: string, id: string) {
  await rowOf(ctx, ws, id);
  const rows = await ctx.db.kysely
    .selectFrom('automation_versions')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('automation_id', '=', id)
    .orderBy('version', 'desc')
    .execute();
  return rows.map((r) => ({
    version: r.version,
    definition: readJson<Definition>(r.definition)!,
    createdAt: r.created_at,
  }));
}

const RUN_STATUS: Record<string, string> = {
  waiting: '进行中',
  done: '已完成',
  exited: '已退出',
  skipped: '未执行',
  failed: '失败',
};

/** The newest runs of an automation with their steps. */
/**
 * The recent runs of an automation, newest first; `runId` (a service task's link to the run that created it) comes
 * first even when it is older than the recent ones.
 */
export async function listRuns(ctx: AppContext, ws: string, id: string, limit = 50, runId?: string) {
  await rowOf(ctx, ws, id);
  const k = ctx.db.kysely;
  const query = () =>
    k
      .selectFrom('automation_runs as r')
      .leftJoin('customers as c', (j) =>
        j.onRef('c.workspace_id', '=', 'r.workspace_id').onRef('c.id', '=', 'r.customer_id'),
      )
      .leftJoin('orders as o', (j) => j.onRef('o.workspace_id', '=', 'r.workspace_id').onRef('o.id', '=', 'r.order_id'))
      .select([
        'r.id',
        'r.customer_id',
        'c.display_name',
        'r.order_id',
        'o.external_id',
        'r.version',
        'r.status',
        'r.reason',
        'r.reason_key',
        'r.reason_params',
        'r.trigger_at',
        'r.next_at',
        'r.created_at',
        'r.finished_at',
      ])
      .where('r.workspace_id', '=', ws)
      .where('r.automation_id', '=', id);
  const recent = await query().orderBy('r.created_at', 'desc').orderBy('r.id', 'desc').limit(limit).execute();
  const linked = runId ? await query().where('r.id', '=', runId).executeTakeFirst() : undefined;
  const runs = linked ? [linked, ...recent.filter((r) => r.id !== linked.id)] : recent;
  const steps = new Map<
    string,
    { stepId: string; status: string; reason: string | null; why: Reason | null; at: string }[]
  >();
  for (const part of chunks(
    runs.map((r) => r.id),
    500,
  )) {
    for (const s of await k
      .selectFrom('automation_steps')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('run_id', 'in', part)
      .orderBy('at')
      .execute()) {
      const list = steps.get(s.run_id) ?? [];
      list.push({
        stepId: s.step_id,
        status: s.status,
        reason: s.reason,
        why: storedReason(s.reason_key, s.reason_params),
        at: s.at,
      });
      steps.set(s.run_id, list);
    }
  }
  return runs.map((r) => ({
    id: r.id,
    customerId: r.customer_id,
    customerName: r.display_name,
    orderId: r.order_id,
    orderExternalId: r.external_id,
    version: r.version,
    status: r.status,
    statusLabel: RUN_STATUS[r.status] ?? r.status,
    reason: r.reason,
    why: storedReason(r.reason_key, r.reason_params),
    triggerAt: r.trigger_at,
    nextAt: r.next_at,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    steps: steps.get(r.id) ?? [],
  }));
}

/** Every automation of the workspace as one JSON document (built-ins by their settings). */
export async function exportAutomations(ctx: AppContext, ws: string) {
  const rows = await ctx.db.kysely.selectFrom('automations').selectAll().where('workspace_id', '=', ws).execute();
  return {
    format: 'huike.automations' as const,
    version: 1 as const,
    automations: rows.map((r) => ({
      name: r.name,
      enabled: r.enabled === 1,
      ...(r.builtin
        ? { builtin: r.builtin, settings: readJson<BuiltinSettings>(r.settings) ?? {} }
        : { definition: readJson<Definition>(r.definition)! }),
    })),
  };
}

export const importInput = z.object({
  format: z.literal('huike.automations'),
  version: z.literal(1),
  automations: z
    .array(
      z.object({
        name: z.string().max(100).optional(),
        enabled: z.boolean().optional(),
        builtin: z.string().max(40).optional(),
        settings: builtinSettings.optional(),
        definition: z.unknown().optional(),
      }),
    )
    .max(100),
});

/**
 * Imports a document exported here (or written by hand): built-ins update their settings, custom
 * ones are added. Everything is checked before anything is saved; imported automations start off.
 */
export async function importAutomations(ctx: AppContext, ws: string, input: unknown) {
  const doc = parseInput(importInput, input, 'The automations file');
  for (const [i, a] of doc.automations.entries()) {
    try {
      const { definition } = resolve(
        parseInput(
          saveInput,
          { builtin: a.builtin, settings: a.settings, definition: a.definition },
          `automations[${i}]`,
        ),
      );
      await checkReferences(ctx, ws, definition);
    } catch (e) {
      const inner = e instanceof DomainError ? e.reason : null;
      const whyEn = (inner && renderReason(inner, 'en')) ?? (e instanceof Error ? e.message : String(e));
      throw new Invalid(
        `automations[${i}]: ${e instanceof Error ? e.message : String(e)}`,
        reason('automation.itemInvalid', {
          n: i + 1,
          index: i,
          why: (inner && renderReason(inner, 'zh-CN')) ?? '内容有误',
          whyEn,
        }),
      );
    }
  }
  const saved = [];
  for (const a of doc.automations)
    saved.push(
      await saveAutomation(ctx, ws, {
        builtin: a.builtin,
        settings: a.settings,
        definition: a.definition,
        enabled: false,
      }),
    );
  return { imported: saved.length };
}

/**
 * New order events to the automations listening for them: a run per (automation, order, event),
 * skipped as too late when the event happened too long before it was seen; then each run's first
 * steps are taken.
 */
export async function handleOrderEvents(ctx: AppContext, ws: string, eventIds: string[], hooks?: AdvanceHooks) {
  const autos = (await enabledAutomations(ctx, ws)).filter((a) => a.definition.trigger.type === 'order_event');
  if (autos.length === 0) return 0;
  const k = ctx.db.kysely;
  const events = [];
  for (const part of chunks(eventIds, 500))
    events.push(
      ...(await k
        .selectFrom('order_events')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('id', 'in', part)
        .execute()),
    );
  const started: string[] = [];
  const now = ctx.now();
  for (const e of events) {
    if (!e.customer_id) continue;
    if (now.getTime() - Date.parse(e.happened_at) > HISTORY_MINUTES * 60_000) continue;
    for (const a of autos) {
      const t = a.definition.trigger;
      if (t.type !== 'order_event' || t.event !== e.kind) continue;
      const id = await startRun(ctx, k, ws, a, {
        customerId: e.customer_id,
        orderId: e.order_id,
        triggerKey: `order:${e.order_id}:${e.kind}`,
        triggerAt: e.happened_at,
        skip: tooLateWhy(t, e.happened_at, now),
      });
      if (id) started.push(id);
    }
  }
  for (const id of started) await advanceRun(ctx, ws, id, hooks);
  return started.length;
}

/** The date triggers of today (local): birthdays, festivals, expiries, dormant stages, refills. */
export async function runDaily(ctx: AppContext, ws: string) {
  const zone = await workspaceTimezone(ctx.db.kysely, ws);
  const day = localDate(nowIso(ctx), zone);
  let started = 0;
  for (const a of await enabledAutomations(ctx, ws)) {
    const t = a.definition.trigger;
    if (t.type !== 'date') continue;
    // A page of runs started in one statement, then taken through their first steps: 沉睡唤醒 at 1M customers finds
    // ~700,000 in its bands every day, nearly all started on an earlier day (an INSERT each: 2.7 s per 95,000 → 0.9 s).
    for (const page of chunks(await dateCandidates(ctx, ws, t, day, zone), SCHEDULE_PAGE)) {
      const runs = await ctx.db.kysely.transaction().execute((trx) => startRuns(ctx, trx, ws, a, page));
      for (const id of runs) await advanceRun(ctx, ws, id);
      started += runs.length;
      await yieldToEventLoop();
    }
  }
  return started;
}

/**
 * At delivery a queued automation message is checked again: it is cancelled when its run has been
 * left, or when the run would leave now (the order was paid while the reminder waited for 08:00).
 */
export async function automationGate(ctx: AppContext, ws: string, runId: string): Promise<'go' | 'cancel'> {
  const run = await ctx.db.kysely
    .selectFrom('automation_runs')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', runId)
    .executeTakeFirst();
  if (!run) return 'go';
  if (run.status === 'exited') return 'cancel';
  const v = await ctx.db.kysely
    .selectFrom('automation_versions')
    .select('definition')
    .where('workspace_id', '=', ws)
    .where('automation_id', '=', run.automation_id)
    .where('version', '=', run.version)
    .executeTakeFirst();
  if (!v) return 'go';
  const def = storedDefinition(readJson(v.definition));
  return exitReason(def, await loadFacts(ctx, ws, run)) ? 'cancel' : 'go';
}

/** Runs and their skipped steps on the customer's timeline, with the reason. */
export async function automationTimeline(ctx: AppContext, ws: string, customerId: string, limit: number) {
  const k = ctx.db.kysely;
  const runs = await k
    .selectFrom('automation_runs as r')
    .innerJoin('automations as a', (j) =>
      j.onRef('a.workspace_id', '=', 'r.workspace_id').onRef('a.id', '=', 'r.automation_id'),
    )
    .select([
      'r.id',
      'a.name',
      'r.status',
      'r.reason',
      'r.reason_key',
      'r.reason_params',
      'r.created_at',
      'r.finished_at',
    ])
    .where('r.workspace_id', '=', ws)
    .where('r.customer_id', '=', customerId)
    .orderBy('r.created_at', 'desc')
    .limit(limit)
    .execute();
  const events: TimelineEvent[] = [];
  for (const r of runs) {
    const ref = { type: 'automation_run', id: r.id };
    if (r.status === 'skipped') {
      events.push({
        at: r.created_at,
        kind: 'automation.skipped',
        title: `自动化「${r.name}」未执行`,
        detail: r.reason,
        why: storedReason(r.reason_key, r.reason_params),
        ref,
        params: { name: r.name },
      });
      continue;
    }
    events.push({
      at: r.created_at,
      kind: 'automation.started',
      title: `自动化「${r.name}」开始`,
      detail: null,
      ref,
      params: { name: r.name },
    });
    if (r.finished_at)
      events.push({
        at: r.finished_at,
        kind: `automation.${r.status}`,
        title: `自动化「${r.name}」${RUN_STATUS[r.status] ?? r.status}`,
        detail: r.reason,
        why: storedReason(r.reason_key, r.reason_params),
        ref,
        params: { name: r.name },
      });
  }
  const skipped = runs.length
    ? await k
        .selectFrom('automation_steps')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where(
          'run_id',
          'in',
          runs.map((r) => r.id),
        )
        .where('status', '=', 'skipped')
        .execute()
    : [];
  const names = new Map(runs.map((r) => [r.id, r.name]));
  for (const s of skipped)
    events.push({
      at: s.at,
      kind: 'automation.step_skipped',
      title: `自动化「${names.get(s.run_id)}」跳过步骤 ${s.step_id}`,
      detail: s.reason,
      why: storedReason(s.reason_key, s.reason_params),
      ref: { type: 'automation_run', id: s.run_id },
      params: { name: names.get(s.run_id) ?? '', step: s.step_id },
    });
  return events;
}

export const dryRunInput = z.object({
  id: z.string().max(100).optional().describe('a saved automation (its current version)'),
  builtin: z.string().max(40).optional(),
  settings: builtinSettings.optional(),
  definition: z.unknown().optional(),
});

/** "Had this been on for the last 30 days, N customers would have received M messages costing ¥X." */
export async function dryRun(ctx: AppContext, ws: string, input: unknown) {
  const v = parseInput(dryRunInput, input, 'The dry run');
  let def: Definition;
  if (v.id) def = storedDefinition(readJson((await rowOf(ctx, ws, v.id)).definition));
  else
    def = resolve(
      parseInput(saveInput, { builtin: v.builtin, settings: v.settings, definition: v.definition }, 'The automation'),
    ).definition;
  // A replay of 30 days over the shop's history (1.5 s for 沉睡唤醒 on the 20,000-customer demo): a heavy read, off the
  // event loop, or every other request waits for it.
  return offLoop(ctx, 'automations.dryRun', dryRunDefinition, ws, def);
}

let jsonSchema: Record<string, unknown> | undefined;
/** The definition's JSON Schema (input side: defaults may be left out), so an editor follows new triggers and steps. */
export function definitionJsonSchema(): Record<string, unknown> {
  jsonSchema ??= z.toJSONSchema(definitionSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return jsonSchema;
}

/**
 * The next occurrences of each festival from today in the shop's time zone (the console shows them under 节日关怀):
 * a festival already past this year starts with next year's date.
 */
export async function holidayCalendar(ctx: AppContext, workspaceId: string, years: number, anniversary?: string) {
  const today = localDate(nowIso(ctx), await workspaceTimezone(ctx.db.kysely, workspaceId));
  return upcomingHolidays(today, years, HOLIDAYS, anniversary ?? null);
}
