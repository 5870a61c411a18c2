import { shownText } from '../../core/validation.js';
import { reason as reasonCode } from '../../core/reasons.js';
import type { Selectable } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../db/types.js';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { parseInput } from '../../core/validation.js';
import { nowIso, type AppContext } from '../context.js';
import { issueCouponIn } from '../coupons/service.js';
import { credit, debitIn, refundDebitIn } from './service.js';
import { getSegment, liveRuleMembers } from '../segments/service.js';

/**
 * The redemption catalogue (积分商城): gifts and cash vouchers bought with points, with stock.
 * Redeeming takes the stock, the points and (for a voucher) issues the coupon in one transaction;
 * an unused reward can be voided and its points come back.
 */
export const rewardInput = z
  .object({
    name: shownText(40),
    kind: z.enum(['gift', 'cash_voucher']),
    pointsCost: z.number().int().min(1),
    stock: z.number().int().min(0).nullable().default(null),
    couponTemplateId: z.string().min(1).nullable().default(null),
  })
  .refine((r) => r.kind !== 'cash_voucher' || r.couponTemplateId, {
    message: 'a cash voucher names the coupon template it becomes (couponTemplateId)',
  });

export async function createReward(ctx: AppContext, ws: string, input: unknown) {
  const v = parseInput(rewardInput, input, 'The reward');
  const k = ctx.db.kysely;
  if (
    v.couponTemplateId &&
    !(await k
      .selectFrom('coupon_templates')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('id', '=', v.couponTemplateId)
      .executeTakeFirst())
  ) {
    throw new NotFound(
      `coupon template ${v.couponTemplateId} not found`,
      reasonCode('coupon.notFound', { id: v.couponTemplateId }),
    );
  }
  if (
    await k
      .selectFrom('rewards')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('name', '=', v.name)
      .executeTakeFirst()
  )
    throw new Conflict(`a reward named "${v.name}" already exists`, reasonCode('reward.nameTaken', { name: v.name }));
  const row = {
    workspace_id: ws,
    id: newId(),
    name: v.name,
    kind: v.kind,
    points_cost: v.pointsCost,
    stock: v.stock,
    coupon_template_id: v.couponTemplateId,
    active: 1,
    archived_at: null,
    created_at: nowIso(ctx),
  };
  await k.insertInto('rewards').values(row).execute();
  return rewardView(row);
}

function rewardView(r: Selectable<Database['rewards']>) {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    pointsCost: r.points_cost,
    stock: r.stock,
    couponTemplateId: r.coupon_template_id,
    archivedAt: r.archived_at,
  };
}

function redemptionView(r: Selectable<Database['reward_redemptions']>, replayed: boolean) {
  return {
    id: r.id,
    rewardId: r.reward_id,
    customerId: r.customer_id,
    pointsEntryId: r.points_entry_id,
    couponId: r.coupon_id,
    status: r.status,
    createdAt: r.created_at,
    voidedAt: r.voided_at,
    replayed,
  };
}

/** The catalogue; with `archived`, the archived rewards too (their redemptions stay). */
export async function listRewards(ctx: AppContext, ws: string, opts: { archived?: boolean } = {}) {
  let q = ctx.db.kysely.selectFrom('rewards').selectAll().where('workspace_id', '=', ws).where('active', '=', 1);
  if (!opts.archived) q = q.where('archived_at', 'is', null);
  const rows = await q.orderBy('points_cost').execute();
  return rows.map(rewardView);
}

async function loadReward(ctx: AppContext, ws: string, id: string) {
  const r = await ctx.db.kysely
    .selectFrom('rewards')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('active', '=', 1)
    .where('archived_at', 'is', null)
    .executeTakeFirst();
  if (!r) throw new NotFound(`reward ${id} not found (or archived)`, reasonCode('reward.notFound', { id }));
  return r;
}

/**
 * Changes a reward's name, cost, stock or coupon. Redemptions made keep what they were (points spent, coupon
 * issued); its kind stays (make another reward for the other kind).
 */
export async function updateReward(ctx: AppContext, ws: string, id: string, input: unknown) {
  const v = parseInput(rewardInput, input, 'The reward');
  const r = await loadReward(ctx, ws, id);
  if (v.kind !== r.kind)
    throw new Invalid('a reward keeps its kind: add another reward for the other kind', reasonCode('reward.kindFixed'));
  const k = ctx.db.kysely;
  if (
    v.couponTemplateId &&
    v.couponTemplateId !== r.coupon_template_id &&
    !(await k
      .selectFrom('coupon_templates')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('id', '=', v.couponTemplateId)
      .where('archived_at', 'is', null)
      .executeTakeFirst())
  )
    throw new NotFound(
      `coupon template ${v.couponTemplateId} not found (or archived)`,
      reasonCode('coupon.notFound', { id: v.couponTemplateId }),
    );
  const dup = await k
    .selectFrom('rewards')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('name', '=', v.name)
    .executeTakeFirst();
  if (dup && dup.id !== id)
    throw new Conflict(`a reward named "${v.name}" already exists`, reasonCode('reward.nameTaken', { name: v.name }));
  await k
    .updateTable('rewards')
    .set({ name: v.name, points_cost: v.pointsCost, stock: v.stock, coupon_template_id: v.couponTemplateId })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
  return rewardView(await loadReward(ctx, ws, id));
}

/** Archives a reward: it leaves the catalogue and cannot be redeemed; its redemptions (and voiding them) stay. */
export async function archiveReward(ctx: AppContext, ws: string, id: string): Promise<void> {
  await loadReward(ctx, ws, id);
  await ctx.db.kysely
    .updateTable('rewards')
    .set({ archived_at: nowIso(ctx) })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
}

export async function redeemReward(
  ctx: AppContext,
  ws: string,
  rewardId: string,
  customerId: string,
  key: string,
  by: string | null,
) {
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const seen = await trx
      .selectFrom('reward_redemptions')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    if (seen) return redemptionView(seen, true);
    const took = await trx
      .updateTable('rewards')
      .set((eb) => ({ stock: eb('stock', '-', 1) }))
      .where('workspace_id', '=', ws)
      .where('id', '=', rewardId)
      .where('active', '=', 1)
      .where('archived_at', 'is', null)
      .where('stock', '>', 0)
      .executeTakeFirst();
    const r = await trx
      .selectFrom('rewards')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('id', '=', rewardId)
      .executeTakeFirst();
    if (!r || r.active !== 1)
      throw new NotFound(`reward ${rewardId} not found`, reasonCode('reward.notFound', { id: rewardId }));
    if (r.archived_at !== null)
      throw new Conflict(
        `"${r.name}" is archived: it can no longer be redeemed`,
        reasonCode('reward.archived', { name: r.name }),
      );
    if (r.stock !== null && Number(took.numUpdatedRows) !== 1)
      throw new Conflict(`"${r.name}" is out of stock`, reasonCode('reward.outOfStock', { name: r.name }));
    const spent = await debitIn(ctx, trx, ws, {
      customerId,
      points: r.points_cost,
      kind: 'redeem',
      source: 'reward',
      reason: r.name,
      key: `reward:${key}`,
      by,
    });
    let couponId: string | null = null;
    if (r.kind === 'cash_voucher') {
      const c = await issueCouponIn(ctx, trx, ws, {
        templateId: r.coupon_template_id!,
        customerId,
        key: `reward:${key}`,
        source: 'points',
      });
      couponId = c.id;
    }
    const row = {
      workspace_id: ws,
      id: newId(),
      reward_id: r.id,
      customer_id: customerId,
      points_entry_id: spent.id,
      coupon_id: couponId,
      status: 'redeemed',
      idempotency_key: key,
      created_at: nowIso(ctx),
      voided_at: null,
    };
    await trx.insertInto('reward_redemptions').values(row).execute();
    return redemptionView(row, false);
  });
}

/** Voids an unused reward: its coupon is voided, its stock and points come back. */
export async function voidRedemption(ctx: AppContext, ws: string, redemptionId: string) {
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const red = await trx
      .selectFrom('reward_redemptions')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('id', '=', redemptionId)
      .executeTakeFirst();
    if (!red)
      throw new NotFound(
        `redemption ${redemptionId} not found`,
        reasonCode('redemption.notFound', { id: redemptionId }),
      );
    if (red.status !== 'redeemed')
      throw new Conflict('this reward was already voided', reasonCode('redemption.voided'));
    if (red.coupon_id) {
      const voided = await trx
        .updateTable('coupons')
        .set({ status: 'void' })
        .where('workspace_id', '=', ws)
        .where('id', '=', red.coupon_id)
        .where('status', '=', 'issued')
        .executeTakeFirst();
      if (Number(voided.numUpdatedRows) !== 1)
        throw new Invalid(
          'the voucher of this reward was already used or has expired: it cannot be voided',
          reasonCode('redemption.voucherUsed'),
        );
    }
    await trx
      .updateTable('rewards')
      .set((eb) => ({ stock: eb('stock', '+', 1) }))
      .where('workspace_id', '=', ws)
      .where('id', '=', red.reward_id)
      .where('stock', 'is not', null)
      .execute();
    const back = await refundDebitIn(ctx, trx, ws, red.points_entry_id, 'reward voided');
    const now = nowIso(ctx);
    await trx
      .updateTable('reward_redemptions')
      .set({ status: 'voided', voided_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', redemptionId)
      .execute();
    return { id: redemptionId, pointsReturned: back.points, voidedAt: now };
  });
}

/**
 * Grants points to everyone in a segment but the erased (50 points to all on the shop anniversary). Idempotent
 * per customer for the same batch: running it again grants nobody twice.
 */
export async function grantToSegment(
  ctx: AppContext,
  ws: string,
  rule: unknown,
  points: number,
  batch: string,
  reason: string,
) {
  if (!Number.isInteger(points) || points <= 0)
    throw new Invalid('points must be a whole number above 0', reasonCode('points.positive'));
  let granted = 0;
  let already = 0;
  let erased = 0;
  for await (const page of liveRuleMembers(ctx, ws, rule)) {
    erased += page.erased;
    for (const id of page.ids) {
      const e = await credit(ctx, ws, {
        customerId: id,
        points,
        kind: 'earn',
        source: 'grant',
        reason,
        key: `grant:${batch}:${id}`,
      });
      if (e.replayed) already += 1;
      else granted += 1;
    }
  }
  return { granted, already, erased };
}

/** What POST /points/grant asks for: points to every customer of a segment, once per customer and batch. */
export interface SegmentGrant {
  segmentId: string;
  points: number;
  batch: string;
  reason: string;
}

/** The grant by the segment's rule as it is when it runs: the request's job (jobs/wait.ts). */
export async function grantSegment(ctx: AppContext, ws: string, input: SegmentGrant) {
  const { rule } = await getSegment(ctx, ws, input.segmentId);
  return grantToSegment(ctx, ws, rule, input.points, input.batch, input.reason);
}
