import { createHmac } from 'node:crypto';

/**
 * Erasing a customer's personal data on request (PIPL): what is kept (amounts, dates, statuses,
 * regions — the books), what goes, and the salted digests that let a re-import of an old export
 * recognise the erased buyer without keeping who they were.
 */

/** What erased free text reads as. */
export const ERASED_TEXT = '[已删除]';

/** The name an erased customer (and the buyer nick of their orders) goes by. */
export function erasedName(customerId: string): string {
  return `已删除客户-${customerId.slice(-6)}`;
}

/**
 * An identifier (buyer id, nick, phone, email) as kept after an erasure: HMAC-SHA256 under the
 * workspace's own random salt, so the digest cannot be looked up in a table of phone numbers
 * without the database, and means nothing in another workspace.
 */
export function identityDigest(salt: string, kind: string, scope: string, value: string): string {
  return createHmac('sha256', salt).update(`${kind}\u0000${scope}\u0000${value}`).digest('base64url');
}

const PHONE = /(?:\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}/g;
const EMAIL = /[^\s@,;:<>()"'，；：]+@[^\s@,;:<>()"'，；：]+\.[A-Za-z]{2,}/g;
/** A mainland ID card number (18 characters) or any long run of digits (accounts, cards, landlines). */
const LONG_DIGITS = /\d[\d\s-]{6,}\d[Xx]?/g;

/** Replaces every known value of the person and anything that looks like a phone, email or account number. */
export function scrubText(text: string, known: readonly string[]): string {
  let out = text;
  for (const v of [...known].filter((k) => k.trim().length >= 2).sort((a, b) => b.length - a.length))
    out = out.split(v).join('***');
  return out.replace(EMAIL, '***').replace(PHONE, '***').replace(LONG_DIGITS, '***');
}

/**
 * Headers of export columns that hold money, counts, dates or statuses: their values are the books
 * and stay. Every other unmapped column (买家支付宝账号, 修改后的收货地址, Billing Phone, Street, Zip …)
 * is personal until shown otherwise and is erased.
 */
const BOOKKEEPING_HEADER = new RegExp(
  [
    '金额|价格|单价|原价|数量|运费|邮费|优惠|折扣|积分|时间|日期|状态|币种',
    'Amount|Price|Total|Subtotal|Taxes|Tax\\b|Quantity|Qty|Discount|Shipping$|Date|Status|Currency',
    'Paid at|Created at|Cancelled at|Fulfilled at',
  ].join('|'),
  'i',
);

/** A value that could name someone: a phone, an email, or a long run of digits (accounts, ID cards). */
function looksPersonal(value: string): boolean {
  return new RegExp(PHONE.source).test(value) || new RegExp(EMAIL.source).test(value) || /[@\d]{7,}/.test(value);
}

/** An order's unmapped export columns after an erasure: bookkeeping values kept, everything else erased. */
export function scrubRaw(raw: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [header, value] of Object.entries(raw))
    out[header] = BOOKKEEPING_HEADER.test(header) && !looksPersonal(value) ? value : ERASED_TEXT;
  return out;
}

/** Customer columns that say who a person is, cleared on erasure (regions and figures stay). */
export const CUSTOMER_PII_COLUMNS = ['real_name', 'phone', 'email', 'wechat', 'qq', 'birthday', 'gender'] as const;

/** A customer row kept in a merge's snapshot, with the person taken out. */
export function scrubCustomerSnapshot<T extends Record<string, unknown>>(row: T, customerId: string): T {
  const out: Record<string, unknown> = { ...row };
  for (const c of CUSTOMER_PII_COLUMNS) if (c in out) out[c] = null;
  if ('display_name' in out) out.display_name = erasedName(customerId);
  return out as T;
}

/** Every string in a JSON value scrubbed (survey answers and the like). */
export function scrubJson(value: unknown, known: readonly string[]): unknown {
  if (typeof value === 'string') return scrubText(value, known);
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, known));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubJson(v, known)]));
  return value;
}
