import { reason, renderReason } from '../../core/reasons.js';
import { randomInt } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../../db/types.js';
import { z } from 'zod';
import {
  checkCompensation,
  couponCode,
  couponRules,
  couponValue,
  qualifies,
  templateIssues,
  validitySchema,
  validityWindow,
  type CouponRules,
  type Validity,
} from '../../core/coupons.js';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { countsAsPurchase } from '../../core/stats.js';
import { purchaseRule } from '../customers/stats.js';
import type { OrderStatus } from '../../core/order-status.js';
import { parseInput, shownText } from '../../core/validation.js';
import { readJson, writeJson } from '../../db/json.js';
import { chunks, nowIso, type AppContext } from '../context.js';
import { getSegment, liveRuleMembers } from '../segments/service.js';
import { offLoop } from '../heavy/run.js';
import { getTierSettings } from '../membership/service.js';

export const templateInput = z
  .object({
    name: shownText(40),
    rules: couponRules,
    validity: validitySchema,
    perCustomerLimit: z.number().int().min(1).max(100).default(1),
    totalStock: z.number().int().min(1).max(100_000_000).nullable().default(null),
    /** A compensation coupon: its value is given when issued, capped against the item's value. */
    compensation: z.boolean().default(false),
  })
  .superRefine((t, c) => {
    for (const i of templateIssues(t.rules, t.validity))
      c.addIssue({ code: 'custom', path: i.path, message: renderReason(i.why, 'en') ?? '', params: i.why });
  });

export interface TemplateView {
  id: string;
  name: string;
  rules: CouponRules;
  validity: Validity;
  perCustomerLimit: number;
  totalStock: number | null;
  issued: number;
  compensation: boolean;
  paused: boolean;
  archivedAt: string | null;
}

function templateView(t: {
  id: string;
  name: string;
  rules: unknown;
  validity: unknown;
  per_customer_limit: number;
  total_stock: number | null;
  issued: number;
  compensation: number;
  paused_at: unknown;
  archived_at: string | null;
}): TemplateView {
  return {
    id: t.id,
    name: t.name,
    rules: readJson(t.rules),
    validity: readJson(t.validity),
    perCustomerLimit: t.per_customer_limit,
    totalStock: t.total_stock,
    issued: t.issued,
    compensation: t.compensation === 1,
    paused: t.paused_at !== null,
    archivedAt: t.archived_at,
  };
}

/** A template that is not archived; 404 `coupon.notFound` otherwise. */
export async function loadTemplate(ctx: AppContext, ws: string, id: string) {
  const t = await ctx.db.kysely
    .selectFrom('coupon_templates')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  if (!t) throw new NotFound(`coupon template ${id} not found (or archived)`, reason('coupon.notFound', { id }));
  return t;
}

/**
 * Changes a template. Coupons already issued keep their own validity window and code; because a coupon's
 * value is read from its template's rules when an order uses it, the rules of a template that has issued
 * coupons stay as they are (make a new template for other rules). The stock cannot go below what was issued.
 */
export async function updateTemplate(ctx: AppContext, ws: string, id: string, input: unknown): Promise<TemplateView> {
  const v = parseInput(templateInput, input, 'The coupon template');
  const t = await loadTemplate(ctx, ws, id);
  await checkAgainstShop(ctx, ws, v, false);
  if (v.compensation !== (t.compensation === 1))
    throw new Invalid(
      'a template cannot become (or stop being) a compensation coupon: create another template',
      reason('coupon.compensationFixed'),
    );
  if (t.issued > 0 && JSON.stringify(v.rules) !== JSON.stringify(readJson(t.rules)))
    throw new Conflict(
      `${t.issued} coupons of "${t.name}" are out: its rules stay as they are; create a new template for other rules`,
      reason('coupon.rulesFixed', { coupon: t.name, issued: t.issued }),
    );
  if (v.totalStock !== null && v.totalStock < t.issued)
    throw new Invalid(
      `totalStock: ${t.issued} coupons are issued already; the stock cannot be less`,
      reason('coupon.stockBelowIssued', { issued: t.issued }),
    );
  const k = ctx.db.kysely;
  const dup = await k
    .selectFrom('coupon_templates')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('name', '=', v.name)
    .executeTakeFirst();
  if (dup && dup.id !== id)
    throw new Conflict(`a coupon named "${v.name}" already exists`, reason('coupon.nameTaken', { name: v.name }));
  await k
    .updateTable('coupon_templates')
    .set({
      name: v.name,
      rules: writeJson(v.rules),
      validity: writeJson(v.validity),
      per_customer_limit: v.perCustomerLimit,
      total_stock: v.totalStock,
    })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
  return templateView(await loadTemplate(ctx, ws, id));
}

/** Pauses (no new coupons; those out stay usable) or resumes issuing a template. */
export async function pauseTemplate(ctx: AppContext, ws: string, id: string, paused: boolean): Promise<TemplateView> {
  await loadTemplate(ctx, ws, id);
  await ctx.db.kysely
    .updateTable('coupon_templates')
    .set({ paused_at: paused ? nowIso(ctx) : null })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
  return templateView(await loadTemplate(ctx, ws, id));
}

/**
 * Archives a template: it leaves the list and issues no more, while its coupons, their uses and its line
 * in the coupon report stay (history is never lost).
 */
export async function archiveTemplate(ctx: AppContext, ws: string, id: string): Promise<void> {
  await loadTemplate(ctx, ws, id);
  await ctx.db.kysely
    .updateTable('coupon_templates')
    .set({ archived_at: nowIso(ctx) })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
}

/**
 * What a template must hold against the shop: a member coupon names tiers the shop has, and a new one's fixed dates
 * have not ended (a coupon issued from it could never be used).
 */
async function checkAgainstShop(
  ctx: AppContext,
  ws: string,
  v: { rules: CouponRules; validity: Validity },
  fresh: boolean,
) {
  if (fresh && 'to' in v.validity && Date.parse(v.validity.to) <= ctx.now().getTime())
    throw new Invalid(`the validity ended at ${v.validity.to}`, reason('coupon.validityPast', { to: v.validity.to }), {
      path: 'validity.to',
    });
  if (v.rules.kind !== 'member') return;
  const keys = (await getTierSettings(ctx, ws)).tiers.map((t) => t.key);
  const unknown = v.rules.tierKeys.find((k) => !keys.includes(k));
  if (unknown !== undefined)
    throw new Invalid(
      `tier "${unknown}" is not one of the shop's tiers (${keys.join(', ')})`,
      reason('coupon.tierUnknown', { tier: unknown, tiers: keys.join('、') }),
      { path: 'rules.tierKeys' },
    );
}

export async function createTemplate(ctx: AppContext, ws: string, input: unknown): Promise<TemplateView> {
  const v = parseInput(templateInput, input, 'The coupon template');
  await checkAgainstShop(ctx, ws, v, true);
  const k = ctx.db.kysely;
  if (
    await k
      .selectFrom('coupon_templates')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('name', '=', v.name)
      .executeTakeFirst()
  )
    throw new Conflict(`a coupon named "${v.name}" already exists`, reason('coupon.nameTaken', { name: v.name }));
  const row = {
    workspace_id: ws,
    id: newId(),
    name: v.name,
    rules: writeJson(v.rules),
    validity: writeJson(v.validity),
    per_customer_limit: v.perCustomerLimit,
    total_stock: v.totalStock,
    issued: 0,
    compensation: v.compensation ? 1 : 0,
    archived_at: null,
    paused_at: null,
    created_at: nowIso(ctx),
  };
  await k.insertInto('coupon_templates').values(row).execute();
  return templateView(row);
}

/** The templates in use; with `archived`, the archived ones too (their history stays visible). */
export async function listTemplates(
  ctx: AppContext,
  ws: string,
  opts: { archived?: boolean } = {},
): Promise<TemplateView[]> {
  let q = ctx.db.kysely.selectFrom('coupon_templates').selectAll().where('workspace_id', '=', ws);
  if (!opts.archived) q = q.where('archived_at', 'is', null);
  const rows = await q.orderBy('created_at').execute();
  return rows.map(templateView);
}

export interface IssueInput {
  templateId: string;
  customerId: string;
  key: string;
  source: 'manual' | 'segment' | 'points' | 'automation' | 'compensation';
  /** Compensation coupons: the value given, and the value of the item it compensates. */
  valueFen?: number;
  itemValueFen?: number;
}

/**
 * Issues one coupon. The template row is updated first (stock counted under its lock), so two
 * issues never oversell; the idempotency key makes a retry return the same coupon.
 */
export async function issueCoupon(ctx: AppContext, ws: string, input: IssueInput) {
  return ctx.db.kysely.transaction().execute((trx) => issueCouponIn(ctx, trx, ws, input));
}

/** Issues inside the caller's transaction (a points reward that becomes a coupon). */
export async function issueCouponIn(ctx: AppContext, trx: Transaction<Database>, ws: string, input: IssueInput) {
  const now = nowIso(ctx);
  const seen = await trx
    .selectFrom('coupons')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('idempotency_key', '=', input.key)
    .executeTakeFirst();
  if (seen) return { ...seen, replayed: true };
  const took = await trx
    .updateTable('coupon_templates')
    .set((eb) => ({ issued: eb('issued', '+', 1) }))
    .where('workspace_id', '=', ws)
    .where('id', '=', input.templateId)
    .where('archived_at', 'is', null)
    .where('paused_at', 'is', null)
    .where((eb) => eb.or([eb('total_stock', 'is', null), eb('issued', '<', eb.ref('total_stock'))]))
    .executeTakeFirst();
  const t = await trx
    .selectFrom('coupon_templates')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', input.templateId)
    .executeTakeFirst();
  if (!t)
    throw new NotFound(
      `coupon template ${input.templateId} not found`,
      reason('coupon.notFound', { id: input.templateId }),
    );
  // Archived before paused: an archived template cannot be resumed (it said "out of stock (null issued)").
  if (t.archived_at !== null)
    throw new Conflict(
      `coupon "${t.name}" is archived: it issues no more`,
      reason('coupon.archived', { coupon: t.name }),
    );
  if (t.paused_at !== null)
    throw new Conflict(
      `coupon "${t.name}" is paused: resume it before issuing`,
      reason('coupon.paused', { coupon: t.name }),
    );
  if (Number(took.numUpdatedRows) !== 1)
    throw new Conflict(
      `coupon "${t.name}" is out of stock (${t.total_stock} issued)`,
      reason('coupon.outOfStock', { coupon: t.name, stock: Number(t.total_stock) }),
    );
  const c = await trx
    .selectFrom('customers')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', input.customerId)
    .executeTakeFirst();
  if (!c)
    throw new NotFound(`customer ${input.customerId} not found`, reason('customer.notFound', { id: input.customerId }));
  const held = await trx
    .selectFrom('coupons')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .where('template_id', '=', t.id)
    .where('customer_id', '=', input.customerId)
    .executeTakeFirstOrThrow();
  if (Number(held.n) >= t.per_customer_limit)
    throw new Conflict(
      `this customer already has ${t.per_customer_limit} of coupon "${t.name}" (the limit)`,
      reason('coupon.perCustomerLimit', { coupon: t.name, limit: t.per_customer_limit }),
    );
  let valueFen: number | null = null;
  if (t.compensation === 1) {
    if (input.valueFen === undefined || input.itemValueFen === undefined)
      throw new Invalid('a compensation coupon needs valueFen and itemValueFen', reason('coupon.compensationValues'));
    checkCompensation(input.valueFen, input.itemValueFen);
    valueFen = input.valueFen;
  }
  const window = validityWindow(readJson<Validity>(t.validity), now);
  const row = {
    workspace_id: ws,
    id: newId(),
    template_id: t.id,
    customer_id: input.customerId,
    code: newCouponCode(),
    status: 'issued',
    valid_from: window.from,
    valid_to: window.to,
    value_fen: valueFen,
    source: input.source,
    idempotency_key: input.key,
    issued_at: now,
    used_at: null,
    order_id: null,
    discount_fen: null,
  };
  await trx.insertInto('coupons').values(row).execute();
  return { ...row, replayed: false };
}

/** Issues a template to everyone in a segment but the erased; a second run issues only to those who got none. */
export async function issueToSegment(ctx: AppContext, ws: string, templateId: string, rule: unknown, batchKey: string) {
  let issued = 0;
  let skipped = 0;
  let erased = 0;
  for await (const page of liveRuleMembers(ctx, ws, rule)) {
    erased += page.erased;
    for (const id of page.ids) {
      try {
        const r = await issueCoupon(ctx, ws, {
          templateId,
          customerId: id,
          key: `segment:${batchKey}:${id}`,
          source: 'segment',
        });
        if (r.replayed) skipped += 1;
        else issued += 1;
      } catch (e) {
        if (e instanceof Conflict && /out of stock/.test(e.message))
          return { issued, skipped, erased, stoppedAtStock: true };
        if (e instanceof Conflict) skipped += 1;
        else throw e;
      }
    }
  }
  return { issued, skipped, erased, stoppedAtStock: false };
}

/** What POST /coupons/templates/{id}/issue-segment asks for: a coupon to every customer of a segment. */
export interface SegmentIssue {
  templateId: string;
  segmentId: string;
  batch: string;
}

/** The issue by the segment's rule as it is when it runs: the request's job (jobs/wait.ts). */
export async function issueSegment(ctx: AppContext, ws: string, input: SegmentIssue) {
  const { rule } = await getSegment(ctx, ws, input.segmentId);
  return issueToSegment(ctx, ws, input.templateId, rule, `${input.templateId}:${input.batch}`);
}

/** Coupons used by imported orders marked, expired ones closed: the coupon sync (a job, or POST /coupons/sync). */
export async function syncCoupons(ctx: AppContext, ws: string): Promise<{ used: number; expired: number }> {
  return { used: await matchCouponUses(ctx, ws), expired: await expireCoupons(ctx, ws) };
}

/**
 * Marks coupons used by imported orders: a paid order of the coupon's owner, inside its validity,
 * that meets its threshold uses the coupon worth most to it (one coupon per order).
 */
export async function matchCouponUses(ctx: AppContext, ws: string): Promise<number> {
  const k = ctx.db.kysely;
  const purchase = await purchaseRule(k, ws);
  const open = await k
    .selectFrom('coupons as c')
    .innerJoin('coupon_templates as t', (j) =>
      j.onRef('t.workspace_id', '=', 'c.workspace_id').onRef('t.id', '=', 'c.template_id'),
    )
    .select(['c.id', 'c.customer_id', 'c.code', 'c.issued_at', 'c.valid_from', 'c.valid_to', 'c.value_fen', 't.rules'])
    .where('c.workspace_id', '=', ws)
    .where('c.status', '=', 'issued')
    .execute();
  if (open.length === 0) return 0;
  const byCustomer = new Map<string, typeof open>();
  for (const c of open) byCustomer.set(c.customer_id, [...(byCustomer.get(c.customer_id) ?? []), c]);
  let used = 0;
  // Orders of the holders not yet linked to a coupon, many holders per query.
  const ordersOf = new Map<string, Awaited<ReturnType<typeof holderOrders>>>();
  const holderOrders = (ids: string[]) =>
    k
      .selectFrom('orders as o')
      .leftJoin('coupons as u', (j) =>
        j.onRef('u.workspace_id', '=', 'o.workspace_id').onRef('u.order_id', '=', 'o.id'),
      )
      .select([
        'o.id',
        'o.customer_id',
        'o.status',
        'o.paid_at',
        'o.paid_fen',
        'o.refunded_fen',
        'o.goods_fen',
        'o.shipping_fen',
        'o.discount_fen',
        'o.coupon_code',
      ])
      .where('o.workspace_id', '=', ws)
      .where('o.customer_id', 'in', ids)
      .where('o.paid_at', 'is not', null)
      .where('u.id', 'is', null)
      .orderBy('o.customer_id')
      .orderBy('o.paid_at')
      .execute();
  for (const part of chunks([...byCustomer.keys()], 900)) {
    for (const o of await holderOrders(part)) {
      const list = ordersOf.get(o.customer_id!);
      if (list) list.push(o);
      else ordersOf.set(o.customer_id!, [o]);
    }
  }
  for (const [customerId, coupons] of byCustomer) {
    const orders = ordersOf.get(customerId) ?? [];
    const left = [...coupons];
    for (const o of orders) {
      if (
        !o.paid_at ||
        !countsAsPurchase(
          {
            status: o.status as OrderStatus,
            paidAt: o.paid_at,
            paidFen: o.paid_fen,
            refundedFen: o.refunded_fen,
          },
          purchase,
        )
      )
        continue;
      let best: { c: (typeof open)[number]; value: number } | null = null;
      // An order that names the coupon's code used that coupon: the platform accepted it, and the
      // discount it gave is the export's discount amount when there is one.
      // Not one paid before the coupon was issued: it cannot have used it (a code typed into an older order).
      const named = o.coupon_code
        ? left.find(
            (c) =>
              c.code.toUpperCase() === o.coupon_code!.trim().toUpperCase() &&
              new Date(o.paid_at!).getTime() >= new Date(c.issued_at).getTime(),
          )
        : undefined;
      if (named)
        best = {
          c: named,
          value:
            named.value_fen ??
            (o.discount_fen > 0
              ? o.discount_fen
              : couponValue(readJson<CouponRules>(named.rules), o.goods_fen, o.shipping_fen)),
        };
      for (const c of named ? [] : left) {
        const rules = readJson<CouponRules>(c.rules);
        if (!qualifies(rules, { from: c.valid_from, to: c.valid_to }, o.paid_at, o.goods_fen)) continue;
        const value = c.value_fen ?? couponValue(rules, o.goods_fen, o.shipping_fen);
        if (!best || value > best.value) best = { c, value };
      }
      if (!best) continue;
      await k
        .updateTable('coupons')
        .set({ status: 'used', used_at: o.paid_at, order_id: o.id, discount_fen: best.value })
        .where('workspace_id', '=', ws)
        .where('id', '=', best.c.id)
        .where('status', '=', 'issued')
        .execute();
      left.splice(left.indexOf(best.c), 1);
      used += 1;
    }
  }
  return used;
}

/**
 * Voids the issued coupons whose message did not go out — a cancelled campaign's queued messages, a message skipped
 * when re-checked before sending: the customer never got the code. Each goes back to its template's stock. By id, a
 * chunk at a time (each found by the key: an `id IN (SELECT …)` had SQLite walk every issued coupon of the shop).
 */
export async function voidUnsentCoupons(db: Kysely<Database>, ws: string, ids: readonly string[]): Promise<number> {
  const perTemplate = new Map<string, number>();
  let voided = 0;
  for (const part of chunks(ids, 500)) {
    const rows = await db
      .updateTable('coupons')
      .set({ status: 'void' })
      .where('workspace_id', '=', ws)
      .where('id', 'in', part)
      // Not by the index that leads with the status (both databases chose it, and walked every issued coupon).
      .where(sql<string>`status || ''`, '=', 'issued')
      .returning('template_id')
      .execute();
    for (const v of rows) perTemplate.set(v.template_id, (perTemplate.get(v.template_id) ?? 0) + 1);
    voided += rows.length;
  }
  for (const [templateId, n] of perTemplate)
    await db
      .updateTable('coupon_templates')
      .set((eb) => ({ issued: eb('issued', '-', n) }))
      .where('workspace_id', '=', ws)
      .where('id', '=', templateId)
      .execute();
  return voided;
}

/** Closes coupons past their validity (the nightly job). */
export async function expireCoupons(ctx: AppContext, ws: string): Promise<number> {
  const r = await ctx.db.kysely
    .updateTable('coupons')
    .set({ status: 'expired' })
    .where('workspace_id', '=', ws)
    .where('status', '=', 'issued')
    .where('valid_to', '<=', nowIso(ctx))
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Coupons that expire within `days`, the `limit` soonest first, and how many there are: all of them (25,000 on a
 * 100,000-customer shop, 4 MB) were sent for the dashboard to count, reading the server's connection 70–150 ms.
 * Both read the (workspace, status, valid_to) index.
 */
export async function expiringCoupons(ctx: AppContext, ws: string, days: number, limit: number) {
  const now = ctx.now();
  const until = new Date(now.getTime() + days * 86_400_000).toISOString();
  const total = await ctx.db.kysely
    .selectFrom('coupons')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', ws)
    .where('status', '=', 'issued')
    .where('valid_to', '>', now.toISOString())
    .where('valid_to', '<=', until)
    .executeTakeFirstOrThrow();
  const items = await ctx.db.kysely
    .selectFrom('coupons as c')
    .innerJoin('coupon_templates as t', (j) =>
      j.onRef('t.workspace_id', '=', 'c.workspace_id').onRef('t.id', '=', 'c.template_id'),
    )
    .select(['c.id', 'c.customer_id', 'c.code', 'c.valid_to', 't.name'])
    .where('c.workspace_id', '=', ws)
    .where('c.status', '=', 'issued')
    .where('c.valid_to', '>', now.toISOString())
    .where('c.valid_to', '<=', until)
    .orderBy('c.valid_to')
    .orderBy('c.id')
    .limit(limit)
    .execute();
  return {
    items: items.map((c) => ({ id: c.id, customerId: c.customer_id, code: c.code, validTo: c.valid_to, name: c.name })),
    total: Number(total.n),
  };
}

/**
 * Issued / used / expired per template and the revenue of the orders that used them (a read thread's work on a large
 * shop).
 */
export const couponReport = (ctx: AppContext, ws: string) => offLoop(ctx, 'coupons.report', couponReportHere, ws);

/**
 * The report's one pass over the workspace's coupons, grouped by template, then joined to the templates: a join per
 * template read every coupon of the workspace once per template (no index leads with the template), 6 templates ×
 * 16,764 coupons on the demo shop, 42–198 ms.
 */
export async function couponReportHere(ctx: AppContext, ws: string) {
  const k = ctx.db.kysely;
  const byTemplate = k
    .selectFrom('coupons as c')
    .leftJoin('orders as o', (j) => j.onRef('o.workspace_id', '=', 'c.workspace_id').onRef('o.id', '=', 'c.order_id'))
    .select([
      'c.template_id',
      sql<number>`COUNT(*)`.as('issued'),
      sql<number>`SUM(CASE WHEN c.status = 'used' THEN 1 ELSE 0 END)`.as('used'),
      sql<number>`SUM(CASE WHEN c.status = 'expired' THEN 1 ELSE 0 END)`.as('expired'),
      sql<number>`COALESCE(SUM(o.paid_fen - o.refunded_fen), 0)`.as('revenue_fen'),
      sql<number>`COALESCE(SUM(c.discount_fen), 0)`.as('discount_fen'),
    ])
    .where('c.workspace_id', '=', ws)
    .where('c.status', '!=', 'void') // voided: never reached the customer (an unsent message's, a voided reward's)
    .groupBy('c.template_id')
    .as('a');
  const rows = await k
    .selectFrom('coupon_templates as t')
    .leftJoin(byTemplate, 'a.template_id', 't.id')
    .select(['t.id', 't.name', 'a.issued', 'a.used', 'a.expired', 'a.revenue_fen', 'a.discount_fen'])
    .where('t.workspace_id', '=', ws)
    .orderBy('t.name')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    issued: Number(r.issued ?? 0),
    used: Number(r.used ?? 0),
    expired: Number(r.expired ?? 0),
    revenueFen: Number(r.revenue_fen ?? 0),
    discountFen: Number(r.discount_fen ?? 0),
  }));
}

export async function customerCoupons(ctx: AppContext, ws: string, customerId: string) {
  return ctx.db.kysely
    .selectFrom('coupons as c')
    .innerJoin('coupon_templates as t', (j) =>
      j.onRef('t.workspace_id', '=', 'c.workspace_id').onRef('t.id', '=', 'c.template_id'),
    )
    .select([
      'c.id',
      'c.code',
      'c.status',
      'c.valid_from',
      'c.valid_to',
      'c.order_id',
      'c.discount_fen',
      'c.issued_at',
      'c.used_at',
      't.name',
    ])
    .where('c.workspace_id', '=', ws)
    .where('c.customer_id', '=', customerId)
    .orderBy('c.issued_at', 'desc')
    .execute()
    .then((rows) =>
      rows.map((c) => ({
        id: c.id,
        name: c.name,
        code: c.code,
        status: c.status,
        validFrom: c.valid_from,
        validTo: c.valid_to,
        orderId: c.order_id,
        discountFen: c.discount_fen,
        issuedAt: c.issued_at,
        usedAt: c.used_at,
      })),
    );
}

/** A coupon template as a message issues it (a campaign's, its test send's and the preview's #优惠券金额#). */
export interface CouponPlan {
  id: string;
  name: string;
  rules: CouponRules;
  validity: Validity;
  perCustomerLimit: number;
}

export async function couponTemplateOf(ctx: AppContext, ws: string, id: string | null): Promise<CouponPlan | null> {
  if (!id) return null;
  const t = await ctx.db.kysely
    .selectFrom('coupon_templates')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!t) return null;
  const rules = readJson<CouponRules>(t.rules);
  return {
    id: t.id,
    name: t.name,
    rules,
    validity: readJson<Validity>(t.validity),
    perCustomerLimit: t.per_customer_limit,
  };
}

/** A fresh coupon code (10 characters of core/coupons.ts's alphabet, from the system's random source). */
export function newCouponCode(): string {
  return couponCode(() => randomInt(0, 1 << 30) / (1 << 30));
}
