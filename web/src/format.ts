/**
 * How values look on screen: money as ¥1,234.50 or £1,234.50 (stored as integer fen/pence), instants in the shop's
 * time zone, shares as percentages.
 */
import { localDate, parseLocalDateTime, zoneOffsetMinutes } from '../../src/core/time.js';

let displayZone = 'Asia/Shanghai';

export function setDisplayZone(tz: string): void {
  displayZone = tz;
}

/**
 * Wall-clock times the seller types or picks are the shop's (its time zone), not the browser's: a coupon valid
 * 1–12 December picked in a browser in Los Angeles was saved as 1–13 December in Shanghai. `wall` is
 * YYYY-MM-DD[ HH:mm[:ss[.SSS]]] (a T between is fine); the answer is the instant, ISO UTC.
 */
export function shopWallToIso(wall: string): string {
  return parseLocalDateTime(wall.replace('T', ' '), displayZone) ?? wall;
}

/** An instant as the shop's wall clock, YYYY-MM-DDTHH:mm (what a datetime-local input holds). */
export function isoToShopWall(iso: string): string {
  const ms = Date.parse(iso);
  return new Date(ms + zoneOffsetMinutes(displayZone, ms) * 60_000).toISOString().slice(0, 16);
}

/** The shop's calendar day of an instant, YYYY-MM-DD. */
export const shopDay = (iso: string): string => localDate(iso, displayZone);

/**
 * Today in the shop's time zone (the day the server counts in), not the browser's: a browser in UTC before 08:00
 * Beijing time is still on yesterday.
 */
export const shopToday = (now = Date.now()): string => shopDay(new Date(now).toISOString());

const yuanFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const intFormat = new Intl.NumberFormat('en-US');

const symbols = new Map<string, string>();
/** The sign a currency is written with: ¥ for CNY, £, $, € …, else the code itself (CHF 1.00). */
function symbolOf(currency: string): string {
  let s = symbols.get(currency);
  if (s === undefined) {
    try {
      const parts = new Intl.NumberFormat('en-US', { style: 'currency', currency }).formatToParts(0);
      s = parts.find((p) => p.type === 'currency')?.value ?? currency;
    } catch {
      s = currency;
    }
    if (/^[A-Z]{3}$/.test(s)) s = `${s} `;
    symbols.set(currency, s);
  }
  return s;
}

/** Amounts are kept in hundredths of their store's currency (fen, pence, cents): ¥1,234.50, £1,234.50. */
export function money(fen: number | null | undefined, currency = 'CNY'): string {
  if (fen === null || fen === undefined) return '—';
  const s = yuanFormat.format(Math.abs(fen) / 100);
  return `${fen < 0 ? '-' : ''}${currency === 'CNY' ? '¥' : symbolOf(currency)}${s}`;
}

/** Whole units for chart axes and big KPI figures: ¥12,345. */
export function moneyShort(fen: number, currency = 'CNY'): string {
  return `${currency === 'CNY' ? '¥' : symbolOf(currency)}${intFormat.format(Math.round(fen / 100))}`;
}

/**
 * A chart axis's money, short enough that neighbouring labels never run into each other: ¥120万 in Chinese, ¥1.2M in
 * English (whole numbers below ten thousand as they are).
 */
export function moneyCompact(fen: number, lang: string): string {
  const yuan = Math.round(fen / 100);
  if (Math.abs(yuan) < 10_000) return `¥${intFormat.format(yuan)}`;
  const locale = lang.startsWith('zh') ? 'zh-CN' : 'en-US';
  return `¥${new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(yuan)}`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : intFormat.format(n);
}

const ratioFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** Return on spend, the same on every page: 7,496.7×. */
export function ratio(x: number | null | undefined): string {
  return x === null || x === undefined ? '—' : `${ratioFormat.format(x)}×`;
}

/** A difference of two rates in percentage points, signed, the same on every page: +1.2pp (unit: 「 个百分点」 in zh). */
export function points(x: number | null | undefined, unit = 'pp'): string {
  return x === null || x === undefined ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}${unit}`;
}

/** An estimate whose 95 % interval holds 0 on both sides: the effect may be nothing, or harm. */
export const spansZero = (e: { low: number; high: number }): boolean => e.low < 0 && e.high > 0;

export function percent(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`;
}

const partsCache = new Map<string, Intl.DateTimeFormat>();
function formatter(withTime: boolean): Intl.DateTimeFormat {
  const key = `${displayZone}|${withTime}`;
  let f = partsCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: displayZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' as const } : {}),
    });
    partsCache.set(key, f);
  }
  return f;
}

function parts(iso: string, withTime: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of formatter(withTime).formatToParts(new Date(iso))) out[p.type] = p.value;
  return out;
}

/** 2026-11-23 14:05 in the shop's zone. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const p = parts(iso, true);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** 2026-11-23 in the shop's zone. */
export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  const p = parts(iso, false);
  return `${p.year}-${p.month}-${p.day}`;
}

/**
 * The last day something ending at `iso` can still be used, in the shop's zone: points that expire at
 * 2028-01-01 00:00 (次年年底清零) are good through 2027-12-31, the month the points page counts them in.
 */
export function lastDay(iso: string | null | undefined): string {
  if (!iso) return '—';
  return date(new Date(Date.parse(iso) - 1).toISOString());
}

/** Yuan typed by a person → fen (¥12.5 → 1250). */
export function toFen(yuan: number | null | undefined): number | undefined {
  return yuan === null || yuan === undefined ? undefined : Math.round(yuan * 100);
}
