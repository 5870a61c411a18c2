/** Money is integer fen (1 yuan = 100 fen) everywhere inside Huike; yuan strings exist only at the edges. */

const AMOUNT = /^([+-])?(\d+)(?:\.(\d{1,2})\d*)?$/;

/**
 * Parses a yuan amount as marketplaces export it ("128.00", "¥1,234.5", "-3", " 88 ") into fen.
 * Returns null for an empty cell; throws for anything that is not an amount.
 */
export function parseYuanToFen(input: string | number | null | undefined): number | null {
  if (input === null || input === undefined) return null;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new Error(`not an amount: ${input}`);
    return Math.round(input * 100);
  }
  const cleaned = input.replace(/[\s,，¥￥元]/g, '').replace(/^(CNY|RMB)/i, '');
  if (cleaned === '') return null;
  const m = AMOUNT.exec(cleaned);
  if (!m) throw new Error(`not an amount: "${input}"`);
  const [, sign, whole, frac = ''] = m;
  // Third and later decimals are cut by rounding half up on the third digit.
  const third = /^[+-]?\d+\.\d{2}(\d)/.exec(cleaned)?.[1];
  let fen = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  if (third !== undefined && Number(third) >= 5) fen += 1;
  if (!Number.isSafeInteger(fen)) throw new Error(`amount too large: "${input}"`);
  return sign === '-' ? -fen : fen;
}

/** Yuan as a message's text writes them: 20, 19.90 (no symbol, no thousands separator). */
export const yuan = (fen: number) => (fen / 100).toFixed(fen % 100 === 0 ? 0 : 2);

/** Formats fen for people: 123450 → "¥1,234.50". */
export function formatFen(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  const yuan = Math.floor(abs / 100).toLocaleString('en-US');
  return `${sign}¥${yuan}.${String(abs % 100).padStart(2, '0')}`;
}

/** The currency of a store unless it says otherwise. Amounts are kept in hundredths of it (fen, pence, cents). */
export const DEFAULT_CURRENCY = 'CNY';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

/** An ISO 4217 code this runtime knows (CNY, GBP, USD, EUR, HKD …). */
export function isCurrencyCode(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code);
}

/** Formats hundredths of a currency for people: (123450, 'GBP') → "£1,234.50"; CNY as ¥. */
export function formatAmount(fen: number, currency: string = DEFAULT_CURRENCY): string {
  if (currency === DEFAULT_CURRENCY) return formatFen(fen);
  return new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  }).format(fen / 100);
}

/**
 * The limits of an order's amounts and quantities (`POST /api/v1/orders`, the Shopify webhook, a campaign's budget):
 * an amount at most ¥1,000,000,000 (1e11 fen: a customer's sum of a few larger ones passes 2^53 and loses digits),
 * a line at most 1,000,000 pieces.
 */
export const MAX_ORDER_FEN = 1e11;
export const MAX_LINE_QUANTITY = 1_000_000;
