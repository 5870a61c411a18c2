/** Cleaning of export cells and headers as marketplaces write them. */

/**
 * `="5118…"` and `'13800138000` (Excel text guards), trailing tabs, stray quotes and spaces → the
 * plain value. The apostrophe guard is only taken off number-like values (ids, phones, dates), so a
 * nick that really starts with an apostrophe keeps it.
 */
export function cleanCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  s = s.replace(/^[\s\uFEFF]+|[\s]+$/g, '');
  const guarded = /^="(.*)"$/s.exec(s) ?? /^=(.*)$/s.exec(s);
  if (guarded) s = guarded[1]!.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1).trim();
  return stripApostropheGuard(s);
}

/** `'13800138000` → `13800138000`: Excel's leading-apostrophe text guard on a number-like value. */
export function stripApostropheGuard(s: string): string {
  return /^['‘’`][\d\s+\-:./()（）]+$/.test(s) && /\d/.test(s) ? s.slice(1).trim() : s;
}

export function cleanHeader(value: unknown): string {
  return cleanCell(value).replace(/\s+/g, ' ');
}

/** An order id that Excel turned into a number: `5.11861E+18`. */
export function looksLikeExcelNumber(value: string): boolean {
  return /^\d+(\.\d+)?E\+?\d+$/i.test(value);
}

export function parseBoolean(value: string): boolean | null {
  const v = value.trim().toLowerCase();
  if (v === '') return null;
  if (['yes', 'true', '1', 'y', '是', '已订阅', 'subscribed'].includes(v)) return true;
  if (['no', 'false', '0', 'n', '否', '未订阅', 'unsubscribed', 'not_subscribed'].includes(v)) return false;
  return null;
}

export function parseQuantity(value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`not a whole quantity: "${value}"`);
  return Number(value);
}

/** A whole quantity that may be negative (the lines of a credit note: -1). */
export function parseSignedQuantity(value: string): number {
  const v = value.replace(/\s/g, '');
  if (!/^[+-]?\d+$/.test(v)) throw new Error(`not a whole quantity: "${value}"`);
  return Number(v);
}
