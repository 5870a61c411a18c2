import { showsText } from '../validation.js';
import { reason, renderReason, type Reason } from '../reasons.js';

/**
 * SMS as Chinese carriers bill it: every character counts as one (Chinese, Latin, digit,
 * punctuation, the 【signature】 too); up to 70 characters is one message, a longer text is split
 * into parts of 67 (the rest carries the concatenation header).
 */
export const SINGLE_SMS_CHARS = 70;
export const PART_CHARS = 67;

export function smsChars(text: string): number {
  // Code points, without building an array per message (campaigns measure every recipient's text).
  let n = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n -= 1;
        i += 1;
      }
    }
  }
  return n;
}

export function smsParts(text: string): number {
  const n = smsChars(text);
  if (n === 0) return 0;
  return n <= SINGLE_SMS_CHARS ? 1 : Math.ceil(n / PART_CHARS);
}

export function smsCostFen(text: string, pricePerPartFen: number): number {
  return smsParts(text) * pricePerPartFen;
}

export interface SmsCompliance {
  /** The shop's signature, without brackets: 回客旗舰店 → 【回客旗舰店】. */
  signature: string;
  /** The opt-out wording; editable, but it must tell the reader to reply R. */
  optOutText: string;
}

export const DEFAULT_OPT_OUT_TEXT = '拒收请回复R';

/** What is wrong with a compliance setting (empty when it is usable). */
export function complianceProblems(c: SmsCompliance): string[] {
  return complianceIssues(c).map((i) => renderReason(i, 'en') ?? i.key);
}

/** The same problems as codes (what the console shows, in the reader's language). */
export function complianceIssues(c: SmsCompliance): (Reason & { path: string })[] {
  const p: (Reason & { path: string })[] = [];
  // A zero-width space shows nothing: 【\u200b】 passed as a signature.
  if (!showsText(c.signature)) p.push({ ...reason('sms.noSignature'), path: 'smsSignature' });
  else if (/\p{Cf}/u.test(c.signature)) p.push({ ...reason('sms.signatureInvisible'), path: 'smsSignature' });
  if (/[【】]/.test(c.signature)) p.push({ ...reason('sms.signatureBrackets'), path: 'smsSignature' });
  if (!/回复\s*R/i.test(c.optOutText)) p.push({ ...reason('sms.optOutWording'), path: 'smsOptOutText' });
  return p;
}

/**
 * A marketing SMS always carries 【signature】 first and the opt-out wording last: they are added
 * when the text lacks them, so no edit can remove them.
 */
export function marketingSms(text: string, c: SmsCompliance): string {
  const sig = `【${c.signature.trim()}】`;
  let t = text.trim();
  if (!t.startsWith(sig)) t = `${sig}${t}`;
  if (!t.includes(c.optOutText)) t = `${t} ${c.optOutText}`;
  return t;
}

export interface SmsMeasure {
  chars: number;
  parts: number;
  costFen: number;
}

export function measureSms(text: string, pricePerPartFen: number): SmsMeasure {
  return { chars: smsChars(text), parts: smsParts(text), costFen: smsCostFen(text, pricePerPartFen) };
}
