/**
 * Consent and opt-outs per channel. The customer row holds the current state (marketing consent and
 * one opt-out flag per medium); every change of it is also written down as an event, with where it
 * came from, so a seller can show when and how a buyer agreed or said no (PIPL).
 */
export const CONSENT_CHANNELS = ['marketing', 'sms', 'email', 'wechat'] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/** Where a change came from. */
export const CONSENT_SOURCES = [
  'import',
  'attributes',
  'console',
  'api',
  'reply',
  'unsubscribe',
  'merge',
  'erasure',
  'demo',
] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

/** The consent columns of a customer row (opt-outs are 0/1). */
export interface ConsentState {
  marketing_consent: string;
  opt_out_sms: number;
  opt_out_email: number;
  opt_out_wechat: number;
}

export const OPT_OUT_COLUMNS = {
  sms: 'opt_out_sms',
  email: 'opt_out_email',
  wechat: 'opt_out_wechat',
} as const satisfies Record<Exclude<ConsentChannel, 'marketing'>, keyof ConsentState>;

export interface ConsentChange {
  channel: ConsentChannel;
  /** null: the customer did not exist before. */
  oldValue: string | null;
  newValue: string;
}

const optOutValue = (v: number | boolean | undefined | null) => (v === 1 || v === true ? 'opted_out' : 'subscribed');

/**
 * What changed between two states of one customer. `before` null is a new customer: only what says
 * something (consent given or refused, a channel opted out) is a change. Fields missing from `after`
 * are left as they were.
 */
export function consentChanges(before: ConsentState | null, after: Partial<ConsentState>): ConsentChange[] {
  const out: ConsentChange[] = [];
  const m = after.marketing_consent;
  if (m !== undefined) {
    if (before === null ? m !== 'unknown' : before.marketing_consent !== m)
      out.push({ channel: 'marketing', oldValue: before?.marketing_consent ?? null, newValue: m });
  }
  for (const channel of ['sms', 'email', 'wechat'] as const) {
    const column = OPT_OUT_COLUMNS[channel];
    const v = after[column];
    if (v === undefined) continue;
    const next = optOutValue(v);
    if (before === null ? next === 'opted_out' : optOutValue(before[column]) !== next)
      out.push({ channel, oldValue: before ? optOutValue(before[column]) : null, newValue: next });
  }
  return out;
}
