import { reason, type Reason } from '../../core/reasons.js';
import { z } from 'zod';
import { Invalid, NotFound } from '../../core/errors.js';
import { photoReviewPoints } from '../../core/earn-rules.js';
import { categorize, sentimentOfRating } from '../../core/feedback.js';
import { newId } from '../../core/ids.js';
import { parseInput } from '../../core/validation.js';
import { nowIso, type AppContext } from '../context.js';
import { addGrowth, evaluateUpgrades, getTierSettings } from '../membership/service.js';
import { earnByRule } from '../points/earn.js';
import { getPointsSettings } from '../points/service.js';
import { addFeedbackIn } from './records.js';
import { queueReview } from '../automations/triggers.js';

/**
 * Reviews (评价) buyers leave on orders. A bad review marks the customer as a bad reviewer (so
 * marketing leaves them alone); a photo review adds growth value and, within the rule's days of
 * delivery, points. Recording the same order's review again changes nothing and repeats no effect.
 */
export const reviewInput = z
  .object({
    /** Marketplace reviews are per order; the order also makes a retried request land on the same review. */
    orderId: z.string().min(1, 'name the reviewed order (orderId)').max(100),
    rating: z.enum(['good', 'neutral', 'bad']),
    hasPhoto: z.boolean().default(false),
    body: z.string().trim().max(2000).nullable().default(null),
    reviewedAt: z.iso.datetime({ offset: true }).optional().describe('when the buyer reviewed (default: now)'),
  })
  .strict();

export interface ReviewOutcome {
  id: string;
  replayed: boolean;
  points: number;
  pointsRefused: string | null;
  pointsRefusedWhy: Reason | null;
  growth: number;
  markedBadReviewer: boolean;
}

export async function recordReview(
  ctx: AppContext,
  ws: string,
  customerId: string,
  input: unknown,
): Promise<ReviewOutcome> {
  const v = parseInput(reviewInput, input, 'The review');
  const k = ctx.db.kysely;
  const customer = await k
    .selectFrom('customers')
    .select(['id', 'is_bad_reviewer'])
    .where('workspace_id', '=', ws)
    .where('id', '=', customerId)
    .executeTakeFirst();
  if (!customer)
    throw new NotFound(`customer ${customerId} not found`, reason('customer.notFound', { id: customerId }));
  const o = await k
    .selectFrom('orders')
    .select(['customer_id', 'signed_at'])
    .where('workspace_id', '=', ws)
    .where('id', '=', v.orderId)
    .executeTakeFirst();
  if (!o) throw new NotFound(`order ${v.orderId} not found`, reason('order.notFound', { id: v.orderId }));
  if (o.customer_id !== customerId)
    throw new Invalid(
      `order ${v.orderId} belongs to another customer`,
      reason('order.otherCustomer', { id: v.orderId }),
    );
  const deliveredAt = o.signed_at;
  const now = nowIso(ctx);
  const reviewedAt = v.reviewedAt ? new Date(v.reviewedAt).toISOString() : now;
  const prior = await k
    .selectFrom('reviews')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('order_id', '=', v.orderId)
    .executeTakeFirst();
  const review = prior ?? {
    workspace_id: ws,
    id: newId(),
    customer_id: customerId,
    order_id: v.orderId,
    rating: v.rating,
    has_photo: v.hasPhoto ? 1 : 0,
    body: v.body,
    reviewed_at: reviewedAt,
    created_at: now,
  };
  const markBad = review.rating === 'bad' && customer.is_bad_reviewer !== 1;
  await k.transaction().execute(async (trx) => {
    if (!prior) {
      await trx.insertInto('reviews').values(review).execute();
      // The 评价 automations hear of it through the jobs table, in the same transaction.
      await queueReview(trx, ws, review.id, now);
      // Every review is also a feedback record, sorted into a complaint category by its text.
      await addFeedbackIn(
        trx,
        ws,
        {
          customerId,
          orderId: v.orderId,
          source: 'review',
          sourceId: review.id,
          category: categorize(review.body),
          sentiment: sentimentOfRating(v.rating),
          body: review.body,
          createdBy: null,
          occurredAt: reviewedAt,
        },
        now,
      );
    }
    if (markBad)
      await trx
        .updateTable('customers')
        .set({ is_bad_reviewer: 1, updated_at: now })
        .where('workspace_id', '=', ws)
        .where('id', '=', customerId)
        .execute();
  });
  // Effects run under their own keys, so a retry after a crash completes them exactly once.
  let points = 0;
  let pointsRefused: string | null = null;
  let pointsRefusedWhy: Reason | null = null;
  let growth = 0;
  if (review.has_photo === 1 && review.rating !== 'bad') {
    const rules = (await getPointsSettings(ctx, ws)).earnRules;
    const d = photoReviewPoints(rules, {
      reviewId: review.id,
      rating: review.rating as 'good' | 'neutral',
      hasPhoto: true,
      deliveredAt,
      reviewedAt: review.reviewed_at,
    });
    if ('key' in d) points = (await earnByRule(ctx, ws, customerId, d, 'photo_review')).points;
    else {
      pointsRefused = d.refused;
      pointsRefusedWhy = d.why;
    }
    const bonus = (await getTierSettings(ctx, ws)).photoReviewGrowth;
    if (bonus > 0) {
      growth = await addGrowth(ctx, ws, {
        customerId,
        points: bonus,
        source: 'photo_review',
        reason: `photo review ${review.id}`,
        key: `review:${review.id}`,
      });
      await evaluateUpgrades(ctx, ws, [customerId]);
    }
  }
  return {
    id: review.id,
    replayed: prior !== undefined,
    points,
    pointsRefused,
    pointsRefusedWhy,
    growth,
    markedBadReviewer: markBad,
  };
}

export async function customerReviews(ctx: AppContext, ws: string, customerId: string) {
  const rows = await ctx.db.kysely
    .selectFrom('reviews')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', customerId)
    .orderBy('reviewed_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    orderId: r.order_id,
    rating: r.rating,
    hasPhoto: r.has_photo === 1,
    body: r.body,
    reviewedAt: r.reviewed_at,
  }));
}
