import { isMasked, normalizeCnMobile, normalizeEmail } from '../pii.js';
import { DAY_MS } from '../time.js';
import {
  DAYTIME,
  DEFAULT_WINDOWS,
  intersect,
  intervalsOf,
  nextOpening,
  type Interval,
  type SendWindow,
} from './windows.js';

/**
 * The one send decision every message passes (campaigns now, automations later):
 * (kind, medium, customer facts, contact history, clock, rules) → send | defer until T | skip(reason).
 * Pure: the caller gathers the facts and stores the answer with its reason.
 */
export type MessageKind = 'marketing' | 'care';
/** What reaches the person: decides the contact point, the opt-out flag and the SMS rules. */
export type Medium = 'sms' | 'email' | 'wechat' | 'platform';
export type Consent = 'granted' | 'denied' | 'unknown';

export interface SendRules {
  windows: SendWindow[];
  /** At most capCount marketing messages per customer in capDays, across every campaign, automation and channel. */
  capDays: number;
  capCount: number;
  /** Accept `unknown` consent from customers who bought within unknownConsentDays (off by default). */
  acceptUnknownConsent: boolean;
  unknownConsentDays: number;
}

export const DEFAULT_RULES: SendRules = {
  windows: DEFAULT_WINDOWS,
  capDays: 30,
  capCount: 1,
  acceptUnknownConsent: false,
  unknownConsentDays: 180,
};

export interface CustomerFacts {
  id: string;
  consent: Consent;
  lastPaidAt: string | null;
  phone: string | null;
  email: string | null;
  wechat: string | null;
  /** Buyer nick (or order id) in the marketplace, for the platform hand-off. */
  platformHandle: string | null;
  optOut: { sms: boolean; email: boolean; wechat: boolean };
  blacklisted: boolean;
  badReviewer: boolean;
  picky: boolean;
  /** The store's time zone (the customer's first store, else the workspace's). */
  timeZone: string;
}

export interface ContactHistory {
  /** When marketing messages went (or are queued to go) to this customer, from any source. */
  marketingAt: readonly string[];
}

export const SKIP_REASONS = {
  blacklisted: '黑名单',
  opted_out: '已退订该渠道',
  consent_denied: '拒绝营销',
  no_consent: '未授权营销',
  bad_reviewer: '差评客户',
  picky: '挑剔客户',
  no_contact: '无可用联系方式',
  masked_contact: '联系方式已脱敏',
  duplicate_contact: '同一联系方式已发送',
  frequency_cap: '触达频次上限',
  budget: '超出预算',
  no_send_window: '无可发送时段',
  missing_value: '模板变量为空',
  coupon_out_of_stock: '优惠券库存不足',
  coupon_limit: '已达优惠券每人限领',
  coupon_paused: '优惠券已暂停发放',
  coupon_archived: '优惠券已归档',
} as const;
export type SkipReason = keyof typeof SKIP_REASONS;

export type Decision =
  | { action: 'send'; at: Date; contact: string; contactKey: string }
  | { action: 'defer'; until: Date; contact: string; contactKey: string }
  | { action: 'skip'; reason: SkipReason; detail?: string };

export interface DecisionInput {
  kind: MessageKind;
  medium: Medium;
  customer: CustomerFacts;
  history: ContactHistory;
  now: Date;
  rules: SendRules;
  /** Contact keys already given a message in this batch (dedupe of one person across customers). */
  seen?: ReadonlySet<string>;
  /** The campaign's budget: limit (null = none), what is committed so far, and this message's cost. */
  budget?: { limitFen: number | null; spentFen: number; costFen: number };
  /**
   * The next opening per time zone, kept by a caller deciding many messages of one kind and medium
   * at one instant (the answer depends on nothing else), so a batch computes it once per zone.
   */
  openings?: Map<string, Date | null>;
}

function contactOf(medium: Medium, c: CustomerFacts): { contact: string } | { reason: SkipReason; detail: string } {
  switch (medium) {
    case 'sms': {
      const phone = normalizeCnMobile(c.phone);
      if (phone) return { contact: phone };
      return isMasked(c.phone)
        ? { reason: 'masked_contact', detail: `手机号 ${c.phone} 已脱敏` }
        : { reason: 'no_contact', detail: '没有可用的手机号' };
    }
    case 'email': {
      const email = normalizeEmail(c.email);
      if (email) return { contact: email };
      return isMasked(c.email)
        ? { reason: 'masked_contact', detail: `邮箱 ${c.email} 已脱敏` }
        : { reason: 'no_contact', detail: '没有可用的邮箱' };
    }
    case 'wechat':
      return c.wechat?.trim() && !isMasked(c.wechat)
        ? { contact: c.wechat.trim() }
        : { reason: 'no_contact', detail: '没有微信号' };
    case 'platform':
      return c.platformHandle ? { contact: c.platformHandle } : { reason: 'no_contact', detail: '没有平台买家昵称' };
  }
}

function optedOut(medium: Medium, c: CustomerFacts): boolean {
  // The marketplace's own tool sends texts: an SMS opt-out covers the hand-off too.
  return medium === 'email' ? c.optOut.email : medium === 'wechat' ? c.optOut.wechat : c.optOut.sms;
}

/** The local intervals a message of this kind and medium may go out in. */
export function allowedIntervals(kind: MessageKind, medium: Medium, rules: SendRules): Interval[] {
  if (kind === 'care') return [DAYTIME];
  const windows = intervalsOf(rules.windows);
  if (medium === 'platform') return [[0, 1440]]; // a file for the seller to upload: no clock applies
  return medium === 'sms' ? intersect(windows, DAYTIME) : windows;
}

export function decide(input: DecisionInput): Decision {
  const { kind, medium, customer: c, now, rules } = input;
  if (c.blacklisted) return { action: 'skip', reason: 'blacklisted' };
  if (optedOut(medium, c)) return { action: 'skip', reason: 'opted_out', detail: medium };
  if (kind === 'marketing') {
    if (c.consent === 'denied') return { action: 'skip', reason: 'consent_denied' };
    if (c.consent !== 'granted') {
      const recent =
        c.lastPaidAt !== null && now.getTime() - Date.parse(c.lastPaidAt) <= rules.unknownConsentDays * DAY_MS;
      if (!(rules.acceptUnknownConsent && recent)) return { action: 'skip', reason: 'no_consent' };
    }
    if (c.badReviewer) return { action: 'skip', reason: 'bad_reviewer' };
    if (c.picky) return { action: 'skip', reason: 'picky' };
  }
  const found = contactOf(medium, c);
  if ('reason' in found) return { action: 'skip', reason: found.reason, detail: found.detail };
  const contactKey = `${medium === 'platform' ? 'platform' : medium}:${found.contact}`;
  if (input.seen?.has(contactKey)) return { action: 'skip', reason: 'duplicate_contact', detail: found.contact };
  if (kind === 'marketing') {
    const since = now.getTime() - rules.capDays * DAY_MS;
    // Counted without an array per decision (a campaign decides a million).
    let recent = 0;
    for (const t of input.history.marketingAt) if (Date.parse(t) > since) recent += 1;
    if (recent >= rules.capCount)
      return { action: 'skip', reason: 'frequency_cap', detail: `${rules.capDays} 天内已有 ${recent} 条营销消息` };
  }
  const b = input.budget;
  if (b && b.limitFen !== null && b.spentFen + b.costFen > b.limitFen)
    return { action: 'skip', reason: 'budget', detail: `预算 ${b.limitFen} 分，已用 ${b.spentFen} 分` };
  let at = input.openings?.get(c.timeZone);
  if (at === undefined) {
    at = nextOpening(now, c.timeZone, allowedIntervals(kind, medium, rules));
    input.openings?.set(c.timeZone, at);
  }
  if (!at) return { action: 'skip', reason: 'no_send_window' };
  return at.getTime() === now.getTime()
    ? { action: 'send', at, contact: found.contact, contactKey }
    : { action: 'defer', until: at, contact: found.contact, contactKey };
}

/**
 * Decides a batch in order, carrying what one decision commits to the next: the contact keys
 * already served (one person, one message) and the budget spent.
 */
export function decideBatch<T extends { customer: CustomerFacts; history: ContactHistory; costFen: number }>(
  items: readonly T[],
  common: { kind: MessageKind; medium: Medium; now: Date; rules: SendRules; budgetFen: number | null },
  state: { seen: Set<string>; spentFen: number } = { seen: new Set(), spentFen: 0 },
): { item: T; decision: Decision }[] {
  return items.map((item) => {
    const decision = decide({
      ...common,
      customer: item.customer,
      history: item.history,
      seen: state.seen,
      budget: { limitFen: common.budgetFen, spentFen: state.spentFen, costFen: item.costFen },
    });
    if (decision.action !== 'skip') {
      state.seen.add(decision.contactKey);
      state.spentFen += item.costFen;
    }
    return { item, decision };
  });
}
