import { z } from 'zod';
import { reason, renderReason, type Reason } from './reasons.js';
import { DAY_MS, localDate } from './time.js';

/**
 * Points earned outside orders (积分规则): a photo review within N days of delivery, a daily sign-in,
 * a referral, and the birthday multiplier on order points. Pure decisions; the points service
 * credits what they return, each under its own idempotency key.
 */
export const earnRulesSchema = z
  .object({
    photoReview: z
      .object({
        points: z.number().int().min(0).max(100_000).default(20),
        withinDays: z.number().int().min(1).max(90).default(5),
      })
      .strict()
      .default({ points: 20, withinDays: 5 }),
    signIn: z
      .object({ points: z.number().int().min(0).max(100_000).default(5) })
      .strict()
      .default({ points: 5 }),
    referral: z
      .object({ points: z.number().int().min(0).max(100_000).default(100) })
      .strict()
      .default({ points: 100 }),
    /** Order points paid in the member's birthday month × their tier's birthdayPointsMultiplier. */
    birthdayMultiplier: z.boolean().default(true),
  })
  .strict();
export type EarnRules = z.infer<typeof earnRulesSchema>;
export const DEFAULT_EARN_RULES: EarnRules = earnRulesSchema.parse({});

/** A refusal says why in English (`refused`, for logs and API clients) and as a code (`why`, for the console). */
export type Decision = { points: number; key: string; reason: string } | { points: 0; refused: string; why: Reason };

function refuse(why: Reason): { points: 0; refused: string; why: Reason } {
  return { points: 0, refused: renderReason(why, 'en') ?? why.key, why };
}

export interface ReviewFacts {
  reviewId: string;
  rating: 'good' | 'neutral' | 'bad';
  hasPhoto: boolean;
  /** When the order was delivered (signed for); null when not known to be delivered. */
  deliveredAt: string | null;
  reviewedAt: string;
}

export function photoReviewPoints(rules: EarnRules, r: ReviewFacts): Decision {
  if (!r.hasPhoto) return refuse(reason('points.reviewNoPhoto'));
  if (r.rating === 'bad') return refuse(reason('points.badReview'));
  if (!r.deliveredAt) return refuse(reason('points.notDelivered'));
  const days = (Date.parse(r.reviewedAt) - Date.parse(r.deliveredAt)) / DAY_MS;
  if (days < 0 || days > rules.photoReview.withinDays)
    return refuse(reason('points.reviewTooLate', { days: Math.floor(days), within: rules.photoReview.withinDays }));
  if (rules.photoReview.points === 0) return refuse(reason('points.reviewRuleOff'));
  return { points: rules.photoReview.points, key: `review:${r.reviewId}`, reason: 'photo review' };
}

/** Once per local day of the shop. */
export function signInPoints(rules: EarnRules, customerId: string, at: string, timeZone: string): Decision {
  if (rules.signIn.points === 0) return refuse(reason('points.signInRuleOff'));
  const day = localDate(at, timeZone);
  return { points: rules.signIn.points, key: `signin:${customerId}:${day}`, reason: `sign-in ${day}` };
}

/** A referred customer brings their referrer points once, whoever records it. */
export function referralPoints(rules: EarnRules, referrerId: string, referredId: string): Decision {
  if (referrerId === referredId) return refuse(reason('points.selfReferral'));
  if (rules.referral.points === 0) return refuse(reason('points.referralRuleOff'));
  return { points: rules.referral.points, key: `referral:${referredId}`, reason: `referred ${referredId}` };
}

/** The multiplier of an order's points: the tier's birthday multiplier in the birthday month. */
export function birthdayMultiplier(
  rules: EarnRules,
  birthday: string | null,
  paidAt: string,
  timeZone: string,
  tierMultiplier: number,
): number {
  if (!rules.birthdayMultiplier || !birthday || tierMultiplier <= 1) return 1;
  return birthday.slice(5, 7) === localDate(paidAt, timeZone).slice(5, 7) ? tierMultiplier : 1;
}
