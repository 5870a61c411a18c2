/** Cleaning of export cells and headers as marketplaces write them. */

/** `="5118…"` (Excel text guard), trailing tabs, stray quotes and spaces → the plain value. */
export function cleanCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  s = s.replace(/^[\s\uFEFF]+|[\s]+$/g, '');
  const guarded = /^="(.*)"$/s.exec(s) ?? /^=(.*)$/s.exec(s);
  if (guarded) s = guarded[1]!.trim();
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) s = s.slice(1, -1).trim();
  return s;
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
