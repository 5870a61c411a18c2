import { type Reason, reason } from './reasons.js';
import { z } from 'zod';
import { Invalid } from './errors.js';
import { DAY_MS } from './time.js';
import { yuan } from './money.js';

/**
 * Coupon templates (优惠券) as sellers set them up, and what a coupon is worth on an order.
 * Amounts in fen; a percent of 88 means 8.8 折.
 */
// At most ¥1,000,000: an amount of 2^53 fen was taken.
const fen = z.number().int().min(0).max(100_000_000);
const goods = z.string().min(1).max(100);
export const couponRules = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('spend_off'), minFen: fen, offFen: fen.min(1) }).strict(), // 满减 满100减20
  z
    .object({
      kind: z.literal('discount'),
      percent: z.number().int().min(1).max(99),
      capFen: fen.nullable().default(null),
      minFen: fen.default(0),
    })
    .strict(), // 折扣 8.8折, with cap
  z.object({ kind: z.literal('free_shipping'), minFen: fen.default(0) }).strict(), // 包邮
  z.object({ kind: z.literal('cash'), offFen: fen.min(1) }).strict(), // 现金券 (also compensation)
  z.object({ kind: z.literal('new_member'), minFen: fen, offFen: fen.min(1) }).strict(), // 新人券
  z.object({ kind: z.literal('birthday'), minFen: fen, offFen: fen.min(1) }).strict(), // 生日券
  z
    .object({
      kind: z.literal('member'),
      tierKeys: z.array(z.string().min(1).max(40)).min(1).max(20),
      minFen: fen,
      offFen: fen.min(1),
    })
    .strict(), // 会员券
  z.object({ kind: z.literal('free_order'), capFen: fen.min(1) }).strict(), // 免单
  z.object({ kind: z.literal('trial'), sku: goods }).strict(), // 试用
  z.object({ kind: z.literal('bogo'), sku: goods.nullable().default(null) }).strict(), // 买一送一
  z.object({ kind: z.literal('add_on'), minFen: fen, item: goods, priceFen: fen }).strict(), // 换购
  z
    .object({
      kind: z.literal('tiered'),
      steps: z
        .array(z.object({ minFen: fen, offFen: fen.min(1) }))
        .min(2)
        .max(10),
    })
    .strict(), // 阶梯券 满200减20 / 满500减80
]);
export type CouponRules = z.infer<typeof couponRules>;

export const validitySchema = z.union([
  z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }).strict(),
  z.object({ days: z.number().int().min(1).max(3650) }).strict(),
]);
export type Validity = z.infer<typeof validitySchema>;

/**
 * What a template's rules and validity must also hold when they are set (not when read back): a spend threshold
 * takes off at most itself (满100减120 was taken), each step of a tiered coupon too, and fixed dates fall in
 * 2000–2099 (0000 and 9999 were taken).
 */
export function templateIssues(rules: CouponRules, validity: Validity): { path: (string | number)[]; why: Reason }[] {
  const out: { path: (string | number)[]; why: Reason }[] = [];
  const over = (min: number, off: number) => min > 0 && off > min;
  if ('minFen' in rules && 'offFen' in rules && over(rules.minFen, rules.offFen))
    out.push({
      path: ['rules', 'offFen'],
      why: reason('coupon.offOverMin', { min: rules.minFen / 100, off: rules.offFen / 100 }),
    });
  if (rules.kind === 'tiered')
    rules.steps.forEach((st, i) => {
      if (over(st.minFen, st.offFen))
        out.push({
          path: ['rules', 'steps', i, 'offFen'],
          why: reason('coupon.offOverMin', { min: st.minFen / 100, off: st.offFen / 100 }),
        });
      // Each step asks more and gives more than the one before (满500减20 after 满200减80 is never the better one).
      const prev = rules.steps[i - 1];
      if (prev && (st.minFen <= prev.minFen || st.offFen <= prev.offFen))
        out.push({ path: ['rules', 'steps', i], why: reason('coupon.stepsOrder', { step: i + 1 }) });
    });
  // A cap of 0 makes a discount worth nothing: no cap is null.
  if (rules.kind === 'discount' && rules.capFen === 0)
    out.push({ path: ['rules', 'capFen'], why: reason('coupon.capZero') });
  if ('from' in validity) {
    for (const k of ['from', 'to'] as const) {
      const year = new Date(validity[k]).getUTCFullYear();
      if (!(year >= 2000 && year <= 2099))
        out.push({ path: ['validity', k], why: reason('coupon.validityYear', { date: validity[k] }) });
    }
    if (Date.parse(validity.to) <= Date.parse(validity.from))
      out.push({ path: ['validity', 'to'], why: reason('coupon.validityOrder') });
  }
  return out;
}

/** The window a coupon issued at `issuedAt` can be used in: [from, to). */
export function validityWindow(v: Validity, issuedAt: string): { from: string; to: string } {
  if ('days' in v) return { from: issuedAt, to: new Date(Date.parse(issuedAt) + v.days * DAY_MS).toISOString() };
  const from = new Date(v.from).toISOString();
  const to = new Date(v.to).toISOString();
  if (to <= from) throw new Invalid('a coupon validity ends after it starts', reason('coupon.validityOrder'));
  return { from, to };
}

/**
 * What #优惠券金额# says for a coupon of these rules: the money it takes off (满减, 现金, 免单 cap …);
 * null when it has no fixed amount (a discount without cap, goods), so the text is not sent half-filled.
 */
export function couponFaceValueFen(r: CouponRules): number | null {
  if ('offFen' in r) return r.offFen;
  if (r.kind === 'discount') return r.capFen;
  if (r.kind === 'free_order') return r.capFen;
  if (r.kind === 'tiered') return Math.max(...r.steps.map((s) => s.offFen));
  return null;
}

/**
 * #优惠券金额# in a message: the yuan a coupon takes off ("20"), or "最高80" where that is only its most — a tiered
 * coupon's top step, a discount's or 免单's cap (a bare "80" read as 80 off any order); a coupon issued with its own
 * value (compensation) says that value. Null when it has no amount (a discount without cap, goods).
 */
export function couponAmountText(r: CouponRules, valueFen?: number | null): string | null {
  if (valueFen != null) return yuan(valueFen);
  const face = couponFaceValueFen(r);
  if (face === null) return null;
  const upTo = r.kind === 'tiered' || r.kind === 'discount' || r.kind === 'free_order';
  return `${upTo ? '最高' : ''}${yuan(face)}`;
}

/** The discount a coupon gives on an order of `amountFen` (0 when the order does not qualify). */
export function couponValue(r: CouponRules, amountFen: number, shippingFen = 0): number {
  switch (r.kind) {
    case 'spend_off':
    case 'new_member':
    case 'birthday':
    case 'member':
      return amountFen >= r.minFen ? Math.min(r.offFen, amountFen) : 0;
    case 'discount': {
      if (amountFen < r.minFen) return 0;
      const off = Math.round((amountFen * (100 - r.percent)) / 100);
      return r.capFen === null ? off : Math.min(off, r.capFen);
    }
    case 'free_shipping':
      return amountFen >= r.minFen ? shippingFen : 0;
    case 'cash':
      return Math.min(r.offFen, amountFen);
    case 'free_order':
      return Math.min(r.capFen, amountFen);
    case 'tiered': {
      const step = [...r.steps].sort((a, b) => b.minFen - a.minFen).find((s) => amountFen >= s.minFen);
      return step ? Math.min(step.offFen, amountFen) : 0;
    }
    default:
      // trial, bogo, add_on give goods, not money off: they qualify but have no fen value here.
      return 0;
  }
}

/** Whether an order placed at `at` for `amountFen` can use the coupon. */
export function qualifies(
  r: CouponRules,
  window: { from: string; to: string },
  at: string,
  amountFen: number,
): boolean {
  if (at < window.from || at >= window.to) return false;
  const min = 'minFen' in r ? r.minFen : r.kind === 'tiered' ? Math.min(...r.steps.map((s) => s.minFen)) : 0;
  return amountFen >= min;
}

/**
 * Compensation for a return or complaint is capped at a share of the item's value (default 50 %).
 */
export function checkCompensation(valueFen: number, itemValueFen: number, capPercent = 50): void {
  const cap = Math.floor((itemValueFen * capPercent) / 100);
  if (valueFen > cap) {
    throw new Invalid(
      `compensation of ¥${(valueFen / 100).toFixed(2)} is above ${capPercent}% of the item's ` +
        `value (¥${(itemValueFen / 100).toFixed(2)}): at most ¥${(cap / 100).toFixed(2)}`,
      reason('coupon.compensationCap', {
        value: (valueFen / 100).toFixed(2),
        cap: capPercent,
        item: (itemValueFen / 100).toFixed(2),
        max: (cap / 100).toFixed(2),
      }),
      { capFen: cap },
    );
  }
}

const CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/** A coupon code people can read out: 10 characters without 0/O/1/I. */
export function couponCode(random: () => number): string {
  let s = '';
  for (let i = 0; i < 10; i++) s += CODE_ALPHABET[Math.floor(random() * CODE_ALPHABET.length)];
  return s;
}
