import { reason as reasonCode } from '../../core/reasons.js';
import { sql, type Kysely, type Transaction } from 'kysely';
import { orderCountsAsPurchase, purchaseRule } from '../customers/stats.js';
import { workspaceTimezone } from '../workspaces/service.js';
import { readSetting, writeSetting } from '../settings.js';
import { z } from 'zod';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { countsAsPurchase } from '../../core/stats.js';
import {
  AWAITING_DELIVERY,
  orderPointsAvailableAt,
  allocate,
  expiryFor,
  fifoOrder,
  isSpendable,
  pointsForAmount,
  remaining,
  summarize,
  type Allocation,
  type Lot,
} from '../../core/points.js';
import { localDate } from '../../core/time.js';
import { birthdayMultiplier, DEFAULT_EARN_RULES, earnRulesSchema } from '../../core/earn-rules.js';
import { getTierSettings } from '../membership/service.js';
import type { OrderStatus } from '../../core/order-status.js';
import type { Database } from '../../db/types.js';
import { nowIso, type AppContext } from '../context.js';
import { offLoop } from '../heavy/run.js';

/**
 * The points ledger. Every change is one transaction that first takes the customer's account row
 * (an UPDATE: a row lock on PostgreSQL, the write lock on SQLite), so concurrent redemptions on
 * one balance run one after the other and stay exact. Every entry carries an idempotency key: the
 * same order never earns twice and a retried request never redeems twice.
 */
export const pointsSettings = z.object({
  perYuan: z.number().min(0).max(100).default(1),
  /** Earn rate per member tier (tier key → points per yuan); tiers not listed earn perYuan. */
  perYuanByTier: z.record(z.string(), z.number().min(0).max(100)).default({}),
  /** What one point is worth when spent, in fen (100 points = ¥1 by default); at most ¥100 (1e308 made the liability
   * report's value Infinity: 500). */
  pointValueFen: z.number().min(0).max(10_000).default(1),
  expiry: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('never') }),
      z.object({ kind: z.literal('days'), days: z.number().int().min(1) }),
      z.object({ kind: z.literal('end_of_next_year') }),
    ])
    .default({ kind: 'end_of_next_year' }),
  /** Days after delivery before order points become spendable, per platform (the return window). */
  returnWindowDays: z
    .record(z.string(), z.number().int().min(0))
    .default({ taobao: 7, tmall: 7, jd: 7, douyin: 7, shopify: 30, other: 7 }),
  /**
   * An order an export still shows as shipped is taken as delivered this many days after shipping
   * (the platforms confirm receipt automatically; Taobao after 10 days). Paid orders not yet
   * shipped wait for delivery.
   */
  assumeDeliveredDays: z.number().int().min(0).max(60).default(10),
  /** Points outside orders: photo review, sign-in, referral; birthday multiplier on order points. */
  earnRules: earnRulesSchema.default(DEFAULT_EARN_RULES),
});
export type PointsSettings = z.infer<typeof pointsSettings>;

export async function getPointsSettings(
  ctx: AppContext,
  ws: string,
  db: Kysely<Database> | Trx = ctx.db.kysely,
): Promise<PointsSettings> {
  // Inside a transaction, read through it: it sees the transaction's own writes.
  return readSetting(db, ws, 'points', pointsSettings);
}

export async function setPointsSettings(ctx: AppContext, ws: string, input: unknown): Promise<PointsSettings> {
  return writeSetting(ctx, ws, 'points', pointsSettings, input, 'The points settings');
}

type Trx = Transaction<Database>;

async function lockAccount(trx: Trx, ws: string, customerId: string, now: string): Promise<void> {
  const c = await trx
    .selectFrom('customers')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', customerId)
    .executeTakeFirst();
  if (!c) throw new NotFound(`customer ${customerId} not found`, reasonCode('customer.notFound', { id: customerId }));
  await trx
    .insertInto('points_accounts')
    .values({ workspace_id: ws, customer_id: customerId, updated_at: now })
    .onConflict((oc) => oc.doNothing())
    .execute();
  await trx
    .updateTable('points_accounts')
    .set({ updated_at: now })
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', customerId)
    .execute();
}

/** Credit lots (earn, positive adjust) with how much of each debits have consumed. */
function creditLots(db: Kysely<Database> | Trx, ws: string) {
  return db
    .selectFrom('points_entries as e')
    .leftJoin('points_allocations as a', (j) =>
      j.onRef('a.workspace_id', '=', 'e.workspace_id').onRef('a.lot_id', '=', 'e.id'),
    )
    .select([
      'e.id',
      'e.customer_id',
      'e.points',
      'e.available_at',
      'e.expires_at',
      sql<number>`COALESCE(SUM(a.points), 0)`.as('consumed'),
    ])
    .where('e.workspace_id', '=', ws)
    .where('e.points', '>', 0)
    .groupBy(['e.id', 'e.customer_id', 'e.points', 'e.available_at', 'e.expires_at']);
}

/**
 * One customer's credit lots, as creditLots. Read by the customer index with each lot's allocations summed by key: the
 * join grouped by lot had SQLite (no statistics) walk the lots of the whole workspace in key order for the GROUP BY,
 * on every debit, redemption and expiry of one member.
 */
async function lotsOf(trx: Trx, ws: string, customerId: string): Promise<Lot[]> {
  const rows = await trx
    .selectFrom('points_entries as e')
    .select([
      'e.id',
      'e.points',
      'e.available_at',
      'e.expires_at',
      sql<number>`(SELECT COALESCE(SUM(a.points), 0) FROM points_allocations a
        WHERE a.workspace_id = e.workspace_id AND a.lot_id = e.id)`.as('consumed'),
    ])
    .where('e.workspace_id', '=', ws)
    .where('e.customer_id', '=', customerId)
    .where('e.points', '>', 0)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    points: r.points,
    consumed: Number(r.consumed),
    availableAt: r.available_at!,
    expiresAt: r.expires_at,
  }));
}

export interface EntryView {
  id: string;
  kind: string;
  points: number;
  source: string;
  reason: string | null;
  orderId: string | null;
  availableAt: string | null;
  awaitingDelivery: boolean;
  expiresAt: string | null;
  createdAt: string;
  replayed: boolean;
}

async function existing(
  trx: Trx,
  ws: string,
  key: string,
  customerId: string,
  kind: string,
): Promise<EntryView | null> {
  const e = await trx
    .selectFrom('points_entries')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
  if (!e) return null;
  if (e.customer_id !== customerId || e.kind !== kind)
    throw new Conflict(
      `idempotency key "${key}" was already used for another operation`,
      reasonCode('points.keyReused', { key }),
    );
  return view(e, true);
}

function view(e: Database['points_entries'], replayed = false): EntryView {
  return {
    id: e.id,
    kind: e.kind,
    points: e.points,
    source: e.source,
    reason: e.reason,
    orderId: e.order_id,
    availableAt: e.available_at === AWAITING_DELIVERY ? null : e.available_at,
    awaitingDelivery: e.available_at === AWAITING_DELIVERY,
    expiresAt: e.expires_at,
    createdAt: e.created_at,
    replayed,
  };
}

export interface CreditInput {
  customerId: string;
  points: number;
  kind: 'earn' | 'adjust';
  source: string;
  reason?: string | null;
  orderId?: string | null;
  availableAt?: string;
  expiresAt?: string | null;
  key: string;
  by?: string | null;
  /** When the points were earned, if not now (a history replayed at the times it happened); expiry counts from it. */
  at?: string;
}

async function creditIn(ctx: AppContext, trx: Trx, ws: string, input: CreditInput): Promise<EntryView> {
  if (!Number.isInteger(input.points) || input.points <= 0)
    throw new Invalid('points must be a whole number above 0', reasonCode('points.positive'));
  const now = nowIso(ctx);
  await lockAccount(trx, ws, input.customerId, now);
  const seen = await existing(trx, ws, input.key, input.customerId, input.kind);
  if (seen) return seen;
  const settings = await getPointsSettings(ctx, ws, trx);
  const tz = await workspaceTimezone(trx, ws);
  const e = creditEntry(ws, input, now, settings, tz);
  await trx.insertInto('points_entries').values(e).execute();
  return view(e);
}

/** The ledger row of a credit, as one credit and a batch of them write it. */
function creditEntry(
  ws: string,
  input: CreditInput,
  now: string,
  settings: PointsSettings,
  tz: string,
): Database['points_entries'] {
  const at = input.at ?? now;
  return {
    workspace_id: ws,
    id: newId(),
    customer_id: input.customerId,
    kind: input.kind,
    points: input.points,
    source: input.source,
    reason: input.reason ?? null,
    order_id: input.orderId ?? null,
    available_at: input.availableAt ?? at,
    expires_at: input.expiresAt === undefined ? expiryFor(at, settings.expiry, tz) : input.expiresAt,
    idempotency_key: input.key,
    created_by: input.by ?? null,
    created_at: at,
  };
}

export async function credit(ctx: AppContext, ws: string, input: CreditInput): Promise<EntryView> {
  return ctx.db.kysely.transaction().execute((trx) => creditIn(ctx, trx, ws, input));
}

/**
 * Many order credits in one short transaction, with a handful of statements for all of them instead of
 * eight per credit (the sync after an import of 100k orders): the same accounts touched, the same
 * idempotency (a key already used is skipped), the same entries as `creditIn` one by one.
 */
async function creditMany(ctx: AppContext, ws: string, inputs: CreditInput[]): Promise<number> {
  if (!inputs.length) return 0;
  for (const i of inputs)
    if (!Number.isInteger(i.points) || i.points <= 0)
      throw new Invalid('points must be a whole number above 0', reasonCode('points.positive'));
  const now = nowIso(ctx);
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const customers = [...new Set(inputs.map((i) => i.customerId))].sort();
    const found = new Set(
      (
        await trx
          .selectFrom('customers')
          .select('id')
          .where('workspace_id', '=', ws)
          .where('id', 'in', customers)
          .execute()
      ).map((c) => c.id),
    );
    const missing = customers.find((c) => !found.has(c));
    if (missing) throw new NotFound(`customer ${missing} not found`, reasonCode('customer.notFound', { id: missing }));
    await trx
      .insertInto('points_accounts')
      .values(customers.map((c) => ({ workspace_id: ws, customer_id: c, updated_at: now })))
      .onConflict((oc) => oc.doNothing())
      .execute();
    await trx
      .updateTable('points_accounts')
      .set({ updated_at: now })
      .where('workspace_id', '=', ws)
      .where('customer_id', 'in', customers)
      .execute();
    const used = new Set(
      (
        await trx
          .selectFrom('points_entries')
          .select('idempotency_key')
          .where('workspace_id', '=', ws)
          .where(
            'idempotency_key',
            'in',
            inputs.map((i) => i.key),
          )
          .execute()
      ).map((e) => e.idempotency_key),
    );
    const settings = await getPointsSettings(ctx, ws, trx);
    const tz = await workspaceTimezone(trx, ws);
    const rows = inputs.filter((i) => !used.has(i.key)).map((input) => creditEntry(ws, input, now, settings, tz));
    // 13 columns a row: well under SQLite's and PostgreSQL's bound-parameter limits at 500 rows a statement.
    for (let i = 0; i < rows.length; i += 500)
      await trx
        .insertInto('points_entries')
        .values(rows.slice(i, i + 500))
        .execute();
    return rows.length;
  });
}

async function writeDebit(
  trx: Trx,
  ws: string,
  customerId: string,
  kind: string,
  points: number,
  allocations: Allocation[],
  meta: {
    source: string;
    reason?: string | null;
    orderId?: string | null;
    key: string;
    by?: string | null;
    now: string;
  },
) {
  const e: Database['points_entries'] = {
    workspace_id: ws,
    id: newId(),
    customer_id: customerId,
    kind,
    points: -points,
    source: meta.source,
    reason: meta.reason ?? null,
    order_id: meta.orderId ?? null,
    available_at: null,
    expires_at: null,
    idempotency_key: meta.key,
    created_by: meta.by ?? null,
    created_at: meta.now,
  };
  await trx.insertInto('points_entries').values(e).execute();
  if (allocations.length)
    await trx
      .insertInto('points_allocations')
      .values(allocations.map((a) => ({ workspace_id: ws, debit_id: e.id, lot_id: a.lotId, points: a.points })))
      .execute();
  return { ...view(e), allocations };
}

export interface DebitInput {
  customerId: string;
  points: number;
  kind: 'redeem' | 'adjust';
  source: string;
  reason?: string | null;
  key: string;
  by?: string | null;
}

/** A debit inside the caller's transaction (e.g. a reward redemption that also issues a coupon). */
export async function debitIn(ctx: AppContext, trx: Trx, ws: string, input: DebitInput) {
  const now = nowIso(ctx);
  await lockAccount(trx, ws, input.customerId, now);
  const seen = await existing(trx, ws, input.key, input.customerId, input.kind);
  if (seen) return { ...seen, allocations: [] as Allocation[] };
  const allocations = allocate(await lotsOf(trx, ws, input.customerId), input.points, now);
  return writeDebit(trx, ws, input.customerId, input.kind, input.points, allocations, { ...input, now });
}

/** Spends points (redeem) or takes them back (negative adjust), oldest expiry first. */
export async function debit(ctx: AppContext, ws: string, input: DebitInput) {
  return ctx.db.kysely.transaction().execute((trx) => debitIn(ctx, trx, ws, input));
}

/**
 * Gives back the points of a debit (a voided reward): a new lot, expiring when the earliest of
 * the lots it had consumed would have, so that voiding never extends the points' life.
 */
export async function refundDebitIn(ctx: AppContext, trx: Trx, ws: string, debitId: string, reason: string) {
  const d = await trx
    .selectFrom('points_entries')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', debitId)
    .executeTakeFirst();
  if (!d || d.points >= 0)
    throw new NotFound(`debit ${debitId} not found`, reasonCode('points.debitNotFound', { id: debitId }));
  const lots = await trx
    .selectFrom('points_allocations as a')
    .innerJoin('points_entries as e', (j) =>
      j.onRef('e.workspace_id', '=', 'a.workspace_id').onRef('e.id', '=', 'a.lot_id'),
    )
    .select(['e.expires_at'])
    .where('a.workspace_id', '=', ws)
    .where('a.debit_id', '=', debitId)
    .execute();
  const expiries = lots
    .map((l) => l.expires_at)
    .filter((x): x is string => x !== null)
    .sort();
  return creditIn(ctx, trx, ws, {
    customerId: d.customer_id,
    points: -d.points,
    kind: 'adjust',
    source: 'refund',
    reason,
    expiresAt: expiries[0] ?? null,
    key: `refund:${debitId}`,
  });
}

/**
 * Writes off every lot whose expiry has passed (the nightly job). Returns the points expired. `atExpiry` dates
 * each write-off at the moment its lot expired rather than now (a history replayed at the times it happened).
 */
export async function expireDue(ctx: AppContext, ws: string, opts: { atExpiry?: boolean } = {}): Promise<number> {
  const now = nowIso(ctx);
  const due = await creditLots(ctx.db.kysely, ws)
    .where('e.expires_at', '<=', now)
    .having(sql<boolean>`e.points > COALESCE(SUM(a.points), 0)`)
    .execute();
  let total = 0;
  for (const customerId of new Set(due.map((d) => d.customer_id))) {
    total += await ctx.db.kysely.transaction().execute(async (trx) => {
      await lockAccount(trx, ws, customerId, now);
      let n = 0;
      for (const lot of (await lotsOf(trx, ws, customerId)).filter(
        (l) => l.expiresAt !== null && l.expiresAt <= now && remaining(l) > 0,
      )) {
        const r = remaining(lot);
        await writeDebit(trx, ws, customerId, 'expire', r, [{ lotId: lot.id, points: r }], {
          source: 'expiry',
          reason: `expired ${lot.expiresAt}`,
          key: `expire:${lot.id}`,
          now: opts.atExpiry && lot.expiresAt ? lot.expiresAt : now,
        });
        n += r;
      }
      return n;
    });
  }
  return total;
}

/**
 * Takes back the points of a refunded order: what is left of its lot first, then (when some were
 * already spent) from the customer's other spendable points, never below zero; what cannot be
 * taken back is said in the entry's reason.
 */
export async function reverseOrder(
  ctx: AppContext,
  ws: string,
  orderId: string,
  at?: string,
): Promise<EntryView | null> {
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const earn = await trx
      .selectFrom('points_entries')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('idempotency_key', '=', `order:${orderId}`)
      .executeTakeFirst();
    if (!earn) return null;
    const now = nowIso(ctx);
    await lockAccount(trx, ws, earn.customer_id, now);
    const seen = await existing(trx, ws, `reverse:order:${orderId}`, earn.customer_id, 'reverse');
    if (seen) return seen;
    const lots = await lotsOf(trx, ws, earn.customer_id);
    const own = lots.find((l) => l.id === earn.id)!;
    const allocations: Allocation[] = [];
    let left = earn.points;
    if (remaining(own) > 0) {
      const take = Math.min(left, remaining(own));
      allocations.push({ lotId: own.id, points: take });
      left -= take;
    }
    for (const l of lots.filter((x) => x.id !== own.id && isSpendable(x, now)).sort(fifoOrder)) {
      if (left === 0) break;
      const take = Math.min(left, remaining(l));
      allocations.push({ lotId: l.id, points: take });
      left -= take;
    }
    const taken = earn.points - left;
    const reason =
      left > 0 ? `refund of order: ${left} points were already spent and could not be taken back` : 'refund of order';
    return writeDebit(trx, ws, earn.customer_id, 'reverse', taken, allocations, {
      source: 'refund',
      reason,
      orderId,
      key: `reverse:order:${orderId}`,
      now: at ?? now,
    });
  });
}

/**
 * Points due to expire written off, then new purchases earned and refunds reversed: the points sync (a job, or POST
 * /points/sync).
 */
export async function syncPoints(ctx: AppContext, ws: string) {
  const expired = await expireDue(ctx, ws);
  return { ...(await syncOrderPoints(ctx, ws)), expired };
}

/**
 * Order points: every purchase earns perYuan points per net yuan, pending until the platform's
 * return window after delivery has passed (core/points orderPointsAvailableAt); refunded orders
 * give them back. Points still pending move with what later exports say about delivery (an order
 * signed sooner or later than assumed); once spendable they stay so. Idempotent: run after every
 * import and nightly. `atOrderTime` dates each entry when it happened (earned at payment, taken back after
 * delivery) instead of now: the demo shop's history, loaded in one go, reads like one lived through.
 */
export async function syncOrderPoints(
  ctx: AppContext,
  ws: string,
  opts: { atOrderTime?: boolean } = {},
): Promise<{ earned: number; reversed: number }> {
  const settings = await getPointsSettings(ctx, ws);
  const tiers = await getTierSettings(ctx, ws);
  const tz = await workspaceTimezone(ctx.db.kysely, ws);
  const rule = await purchaseRule(ctx.db.kysely, ws);
  const purchase = orderCountsAsPurchase(rule);
  const now = nowIso(ctx);
  const k = ctx.db.kysely;
  // Only orders with something to do, a page at a time: not yet earned and counting as a purchase;
  // earned, no longer counting (refunded) and not yet reversed; or earned and still pending.
  const page = (after: string) =>
    k
      .selectFrom('orders as o')
      .innerJoin('stores as st', (j) =>
        j.onRef('st.workspace_id', '=', 'o.workspace_id').onRef('st.id', '=', 'o.store_id'),
      )
      .leftJoin('points_entries as e', (j) =>
        j.onRef('e.workspace_id', '=', 'o.workspace_id').on('e.idempotency_key', '=', sql<string>`'order:' || o.id`),
      )
      .leftJoin('points_entries as rv', (j) =>
        j
          .onRef('rv.workspace_id', '=', 'o.workspace_id')
          .on('rv.idempotency_key', '=', sql<string>`'reverse:order:' || o.id`),
      )
      .leftJoin('member_tiers as m', (j) =>
        j.onRef('m.workspace_id', '=', 'o.workspace_id').onRef('m.customer_id', '=', 'o.customer_id'),
      )
      .innerJoin('customers as c', (j) =>
        j.onRef('c.workspace_id', '=', 'o.workspace_id').onRef('c.id', '=', 'o.customer_id'),
      )
      .select([
        'o.id',
        'o.customer_id',
        'o.status',
        'o.paid_at',
        'o.signed_at',
        'o.shipped_at',
        'o.paid_fen',
        'o.refunded_fen',
        'st.platform',
        'e.id as earned_id',
        'e.available_at as earned_available_at',
        'm.tier_key',
        'c.birthday',
      ])
      .where('o.workspace_id', '=', ws)
      .where('o.customer_id', 'is not', null)
      // An erased customer's (PIPL) orders stay for the figures; her points no longer move.
      .where('c.erased_at', 'is', null)
      .where('o.paid_at', 'is not', null)
      .where('o.id', '>', after)
      .where((eb) =>
        eb.or([
          eb.and([eb('e.id', 'is', null), purchase]),
          eb.and([eb('e.id', 'is not', null), eb('rv.id', 'is', null), eb.not(purchase)]),
          eb.and([eb('e.id', 'is not', null), eb('rv.id', 'is', null), eb('e.available_at', '>', now)]),
        ]),
      )
      .orderBy('o.id')
      .limit(5000)
      .execute();
  let earned = 0;
  let reversed = 0;
  let after = '';
  for (;;) {
    const candidates = await page(after);
    const credits: CreditInput[] = [];
    for (const o of candidates) {
      const counts = countsAsPurchase(
        {
          status: o.status as OrderStatus,
          paidAt: o.paid_at,
          paidFen: o.paid_fen,
          refundedFen: o.refunded_fen,
        },
        rule,
      );
      const days = settings.returnWindowDays[o.platform] ?? settings.returnWindowDays.other ?? 7;
      const availableAt = orderPointsAvailableAt(
        { status: o.status, paidAt: o.paid_at!, shippedAt: o.shipped_at, signedAt: o.signed_at },
        days,
        settings.assumeDeliveredDays,
      );
      if (!o.earned_id && counts && ['signed', 'completed', 'shipped', 'paid'].includes(o.status)) {
        const rate = (o.tier_key ? settings.perYuanByTier[o.tier_key] : undefined) ?? settings.perYuan;
        const tierBenefit = tiers.tiers.find((t) => t.key === o.tier_key)?.benefits.birthdayPointsMultiplier ?? 1;
        const times = birthdayMultiplier(settings.earnRules, o.birthday, o.paid_at!, tz, tierBenefit);
        const pts = Math.floor(pointsForAmount(o.paid_fen - o.refunded_fen, rate) * times);
        if (pts === 0) continue;
        const reason = times > 1 ? `order ${o.id} (birthday month ×${times})` : `order ${o.id}`;
        credits.push({
          customerId: o.customer_id!,
          points: pts,
          kind: 'earn',
          source: 'order',
          orderId: o.id,
          availableAt,
          key: `order:${o.id}`,
          reason,
          ...(opts.atOrderTime ? { at: o.paid_at! } : {}),
        });
        earned += pts;
      } else if (o.earned_id && !counts) {
        // A refund follows delivery (or payment): a day after the last thing the order records, never later than now.
        const lastEvent = [o.paid_at!, o.shipped_at, o.signed_at].reduce<string>((m, x) => (x && x > m ? x : m), '');
        const at = opts.atOrderTime
          ? new Date(Math.min(Date.parse(lastEvent) + 86_400_000, Date.parse(now))).toISOString()
          : undefined;
        const r = await reverseOrder(ctx, ws, o.id, at);
        if (r && !r.replayed) reversed += -r.points;
      } else if (o.earned_id && o.earned_available_at && o.earned_available_at > now) {
        // Still pending: follow what the export now says about delivery.
        if (availableAt !== o.earned_available_at)
          await k
            .updateTable('points_entries')
            .set({ available_at: availableAt })
            .where('workspace_id', '=', ws)
            .where('id', '=', o.earned_id)
            .where('available_at', '>', now)
            .execute();
      }
    }
    // A page's earnings in short transactions of 500 (another writer waits for one, never for the whole sync).
    for (let i = 0; i < credits.length; i += 500) await creditMany(ctx, ws, credits.slice(i, i + 500));
    if (candidates.length < 5000) break;
    after = candidates[candidates.length - 1]!.id;
  }
  return { earned, reversed };
}

export async function pointsOf(ctx: AppContext, ws: string, customerId: string) {
  const k = ctx.db.kysely;
  const now = nowIso(ctx);
  return k.transaction().execute(async (trx) => {
    const lots = await lotsOf(trx, ws, customerId);
    const debits = await trx
      .selectFrom('points_entries')
      .select(['kind', 'points'])
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', customerId)
      .where('points', '<', 0)
      .execute();
    const entries = await trx
      .selectFrom('points_entries')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', customerId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(200)
      .execute();
    return { summary: summarize(lots, debits, now), entries: entries.map((e) => view(e)) };
  });
}

/**
 * Outstanding points and their value, by the month they expire (the points liability). The database sums what is
 * left of each lot by expiry instant and pending or spendable (a shop has few distinct expiry instants: the end of
 * a year, or a day per earning day); only those groups are bucketed here by month in the shop's zone. It read every
 * lot into the server before: ~1 s on the event loop for the 20,000-customer demo, and growing with the ledger.
 * A heavy read: off the event loop on SQLite (`liability`), under the time limit.
 */
export async function liabilityHere(ctx: AppContext, ws: string) {
  const settings = await getPointsSettings(ctx, ws);
  const tz = await workspaceTimezone(ctx.db.kysely, ws);
  const now = nowIso(ctx);
  const lots = creditLots(ctx.db.kysely, ws)
    .where((eb) => eb.or([eb('e.expires_at', 'is', null), eb('e.expires_at', '>', now)]))
    .as('l');
  const left = ctx.db.kysely
    .selectFrom(lots)
    .select([
      'l.expires_at',
      sql<number>`CASE WHEN l.available_at > ${now} THEN 1 ELSE 0 END`.as('pending'),
      sql<number>`l.points - l.consumed`.as('remaining'),
    ])
    .as('f');
  const groups = await ctx.db.kysely
    .selectFrom(left)
    .select(['f.expires_at', 'f.pending', sql<number | string>`SUM(f.remaining)`.as('remaining')])
    .where('f.remaining', '>', 0)
    .groupBy(['f.expires_at', 'f.pending'])
    .execute();
  const months = new Map<string, { pending: number; spendable: number }>();
  for (const g of groups) {
    const remaining = Number(g.remaining);
    // Bucketed by the last moment they can be spent: points expiring at 00:00 on 1 January count in December.
    const month = g.expires_at
      ? localDate(new Date(Date.parse(g.expires_at) - 1).toISOString(), tz).slice(0, 7)
      : 'never';
    const m = months.get(month) ?? { pending: 0, spendable: 0 };
    if (Number(g.pending) === 1) m.pending += remaining;
    else m.spendable += remaining;
    months.set(month, m);
  }
  const items = [...months]
    .sort(([a], [b]) => (a === 'never' ? 1 : b === 'never' ? -1 : a < b ? -1 : 1))
    .map(([expiresIn, m]) => ({
      expiresIn,
      pending: m.pending,
      spendable: m.spendable,
      valueFen: Math.round((m.pending + m.spendable) * settings.pointValueFen),
    }));
  const total = items.reduce((s, i) => s + i.pending + i.spendable, 0);
  return { items, totalPoints: total, totalValueFen: Math.round(total * settings.pointValueFen) };
}

export const liability = (ctx: AppContext, ws: string) => offLoop(ctx, 'points.liability', liabilityHere, ws);
