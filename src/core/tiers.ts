import { shownText } from './validation.js';
import { z } from 'zod';

/**
 * Member tiers (会员等级). A tier is reached when ANY of its thresholds is met: spend in the last
 * 12 months, cumulative spend, or growth value (成长值). Qualification looks at what was paid or
 * earned, never at a spendable balance. A tier set by staff is a floor. Tiers go up as soon as an
 * order qualifies; once a year (the member's 12-month cycle) they are re-evaluated, going down by
 * at most `maxDowngrade` levels.
 */
export const benefitsSchema = z
  .object({
    /** 9.5 折 = 95 (percent of price paid). */
    discountPercent: z.number().int().min(1).max(100).default(100),
    /** 满减: spend at least `minFen`, save `offFen`. */
    fullReduction: z.array(z.object({ minFen: z.number().int().min(1), offFen: z.number().int().min(1) })).default([]),
    returnWindowDays: z.number().int().min(0).max(365).default(7),
    freePickup: z.boolean().default(false),
    priorityShipping: z.boolean().default(false),
    dedicatedAgent: z.boolean().default(false),
    birthdayPointsMultiplier: z.number().min(1).max(10).default(1),
    memberOnlySales: z.boolean().default(false),
  })
  .strict();

export const tierSchema = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/, 'a tier key is lowercase letters, digits, - or _'),
    name: shownText(20),
    /** Any one of these qualifies; a tier with none is the entry tier. */
    spend12mFen: z.number().int().min(0).nullable().default(null),
    totalSpentFen: z.number().int().min(0).nullable().default(null),
    growth: z.number().int().min(0).nullable().default(null),
    benefits: benefitsSchema.default(benefitsSchema.parse({})),
  })
  .strict();

export const tierSettingsSchema = z
  .object({
    tiers: z.array(tierSchema).min(1).max(10),
    /** Growth value per yuan paid (net of refunds). */
    growthPerYuan: z.number().min(0).max(100).default(1),
    /** Growth per yuan multiplied for chosen categories ("女装" also covers "女装/大衣"); the first match counts. */
    growthMultipliers: z
      .array(z.object({ category: z.string().trim().min(1).max(100), multiplier: z.number().min(0).max(20) }).strict())
      .max(50)
      .default([]),
    /** Growth value a photo review adds. */
    photoReviewGrowth: z.number().int().min(0).max(100_000).default(50),
    maxDowngrade: z.number().int().min(0).max(9).default(1),
  })
  .strict()
  .superRefine((s, ctx) => {
    const keys = new Set<string>();
    s.tiers.forEach((t, i) => {
      if (keys.has(t.key))
        ctx.addIssue({ code: 'custom', path: ['tiers', i, 'key'], message: `duplicate tier key "${t.key}"` });
      keys.add(t.key);
      if (i === 0 && (t.spend12mFen !== null || t.totalSpentFen !== null || t.growth !== null)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', 0],
          message: 'the first tier is the entry tier: it has no thresholds',
        });
      }
      if (i > 0 && t.spend12mFen === null && t.totalSpentFen === null && t.growth === null) {
        ctx.addIssue({ code: 'custom', path: ['tiers', i], message: `tier "${t.name}" needs at least one threshold` });
      }
      const prev = s.tiers[i - 1];
      for (const f of ['spend12mFen', 'totalSpentFen', 'growth'] as const) {
        if (i > 1 && prev && t[f] !== null && prev[f] !== null && t[f]! <= prev[f]!) {
          ctx.addIssue({
            code: 'custom',
            path: ['tiers', i, f],
            message: `${f} of "${t.name}" must be above that of "${prev.name}"`,
          });
        }
      }
    });
  });

export type TierDef = z.infer<typeof tierSchema>;
export type TierSettings = z.infer<typeof tierSettingsSchema>;

const yuan = (y: number) => y * 100;
const b = (over: Partial<z.input<typeof benefitsSchema>>) => benefitsSchema.parse(over);

/** The tiers sellers use by default: 普通会员, 银卡, 金卡, 钻石. */
export const DEFAULT_TIERS: TierSettings = tierSettingsSchema.parse({
  tiers: [
    { key: 'regular', name: '普通会员', benefits: b({}) },
    {
      key: 'silver',
      name: '银卡',
      spend12mFen: yuan(500),
      totalSpentFen: yuan(800),
      benefits: b({ discountPercent: 98, returnWindowDays: 7, birthdayPointsMultiplier: 1.5 }),
    },
    {
      key: 'gold',
      name: '金卡',
      spend12mFen: yuan(1500),
      totalSpentFen: yuan(2500),
      benefits: b({
        discountPercent: 95,
        fullReduction: [{ minFen: yuan(300), offFen: yuan(20) }],
        returnWindowDays: 15,
        freePickup: true,
        birthdayPointsMultiplier: 2,
      }),
    },
    {
      key: 'diamond',
      name: '钻石',
      spend12mFen: yuan(3000),
      totalSpentFen: yuan(5000),
      benefits: b({
        discountPercent: 90,
        fullReduction: [{ minFen: yuan(300), offFen: yuan(50) }],
        returnWindowDays: 30,
        freePickup: true,
        priorityShipping: true,
        dedicatedAgent: true,
        birthdayPointsMultiplier: 2,
        memberOnlySales: true,
      }),
    },
  ],
});

export interface TierMetrics {
  spent12mFen: number;
  totalSpentFen: number;
  growth: number;
}

export function growthFor(totalSpentFen: number, perYuan: number): number {
  return Math.max(0, Math.floor((totalSpentFen / 100) * perYuan));
}

/** The multiplier of a category under the rules: the first rule naming it or one of its parents. */
export function multiplierFor(category: string | null, rules: TierSettings['growthMultipliers']): number {
  if (!category) return 1;
  const hit = rules.find((r) => category === r.category || category.startsWith(`${r.category}/`));
  return hit ? hit.multiplier : 1;
}

/**
 * Growth value (成长值): per yuan paid net of refunds, with the spend in multiplied categories
 * counted at their multiplier, plus bonus entries (photo reviews, adjustments). Never negative.
 */
export function growthValue(
  settings: Pick<TierSettings, 'growthPerYuan' | 'growthMultipliers'>,
  m: { totalSpentFen: number; categorySpend?: readonly { category: string | null; fen: number }[]; bonus?: number },
): number {
  const extraFen = (m.categorySpend ?? []).reduce(
    (a, c) => a + c.fen * (multiplierFor(c.category, settings.growthMultipliers) - 1),
    0,
  );
  return Math.max(0, growthFor(m.totalSpentFen + extraFen, settings.growthPerYuan) + (m.bonus ?? 0));
}

/** The highest tier (index) whose any threshold the metrics meet. */
export function qualifiedRank(settings: TierSettings, m: TierMetrics): number {
  let rank = 0;
  settings.tiers.forEach((t, i) => {
    if (
      (t.spend12mFen !== null && m.spent12mFen >= t.spend12mFen) ||
      (t.totalSpentFen !== null && m.totalSpentFen >= t.totalSpentFen) ||
      (t.growth !== null && m.growth >= t.growth)
    )
      rank = i;
  });
  return rank;
}

/** As soon as an order qualifies: up, never down (and never below a staff floor). */
export function afterOrder(current: number, qualified: number, floor: number): number {
  return Math.max(current, qualified, floor);
}

/** The yearly re-evaluation: to what they qualify for now, down by at most maxDowngrade levels. */
export function afterYear(current: number, qualified: number, floor: number, maxDowngrade: number): number {
  return Math.max(qualified, floor, current - maxDowngrade);
}
