import { share } from './analytics.js';
import { type Reason, reason } from './reasons.js';

/**
 * The arithmetic of the 数据分析 views without I/O: date ranges (local calendar days, inclusive),
 * activity presets, the bands and buckets, the cohort matrix, the hour/weekday/month series.
 */

const DAY = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A local date (YYYY-MM-DD) moved by whole days. */
export function shiftDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** The same calendar date a number of years away (29 February becomes 28 February). */
export function shiftYears(date: string, years: number): string {
  const y = Number(date.slice(0, 4)) + years;
  const md = date.slice(5);
  return md === '02-29' && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? `${y}-02-28` : `${y}${date.slice(4)}`;
}

/** Days from `from` to `to`, both included. */
export function rangeDays(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY) + 1;
}

export interface DateRange {
  from: string;
  to: string;
}

/**
 * Checks one local date: a real day of the years a shop's orders can have (0000-00-00 broke the date arithmetic,
 * 9999-12-31 ran past year 9999, or had the hours view count its hours for a minute). The fault, or null.
 */
export function checkDate(d: string): (Reason & { message: string }) | null {
  if (!DATE.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`)) || shiftDate(d, 0) !== d)
    return { ...reason('analytics.notDate', { date: d }), message: `${d} is not a date like 2026-11-11` };
  if (d < FIRST_DAY || d > LAST_DAY)
    return {
      ...reason('analytics.notDate', { date: d }),
      message: `${d} is not a day from ${FIRST_DAY} to ${LAST_DAY}`,
    };
  return null;
}
const FIRST_DAY = '2000-01-01';
const LAST_DAY = '2099-12-31';

/** Checks a range of local dates: real dates, from ≤ to, at most ten years. The fault as a code and in English. */
export function checkRange(r: DateRange): (Reason & { message: string }) | null {
  for (const d of [r.from, r.to]) {
    const bad = checkDate(d);
    if (bad) return bad;
  }
  if (r.from > r.to)
    return {
      ...reason('analytics.fromAfterTo', { from: r.from, to: r.to }),
      message: `the range starts (${r.from}) after it ends (${r.to})`,
    };
  if (rangeDays(r.from, r.to) > 3660)
    return { ...reason('analytics.rangeTooLong'), message: 'the range is longer than ten years' };
  return null;
}

/** 环比: the range of the same length just before. */
export function previousRange(r: DateRange): DateRange {
  const n = rangeDays(r.from, r.to);
  return { from: shiftDate(r.from, -n), to: shiftDate(r.from, -1) };
}

/** 同比: the same dates a year earlier. */
export function yearAgoRange(r: DateRange): DateRange {
  return { from: shiftYears(r.from, -1), to: shiftYears(r.to, -1) };
}

/** The marketplace shopping festivals a seller compares (dates of the main sales period). */
export const ACTIVITY_PRESETS = [
  { key: 'double11', name: '双11', from: '11-01', to: '11-11' },
  { key: '618', name: '618', from: '06-01', to: '06-18' },
  { key: 'double12', name: '双12', from: '12-01', to: '12-12' },
  { key: 'womensDay', name: '38节', from: '03-01', to: '03-08' },
  { key: 'newYearGoods', name: '年货节', from: '01-05', to: '01-20' },
] as const;

export type ActivityKey = (typeof ACTIVITY_PRESETS)[number]['key'];

export function activityRange(key: ActivityKey, year: number): DateRange {
  const p = ACTIVITY_PRESETS.find((x) => x.key === key)!;
  return { from: `${year}-${p.from}`, to: `${year}-${p.to}` };
}

/** Purchase-frequency bands: orders a buyer placed in the range. */
export const FREQUENCY_BANDS = [
  { key: '1', min: 1, max: 1 },
  { key: '2', min: 2, max: 2 },
  { key: '3-5', min: 3, max: 5 },
  { key: '6+', min: 6, max: Number.POSITIVE_INFINITY },
] as const;

/** AOV bands (a buyer's average order value in the range), in fen: [min, max). */
export const AOV_BANDS = [
  { key: '0-100', min: 0, max: 10_000 },
  { key: '100-200', min: 10_000, max: 20_000 },
  { key: '200-500', min: 20_000, max: 50_000 },
  { key: '500-1000', min: 50_000, max: 100_000 },
  { key: '1000+', min: 100_000, max: Number.POSITIVE_INFINITY },
] as const;

export function bandOf<B extends { key: string; min: number; max: number }>(
  bands: readonly B[],
  v: number,
  inclusiveMax: boolean,
): string {
  return bands.find((b) => v >= b.min && (inclusiveMax ? v <= b.max : v < b.max))?.key ?? bands[0]!.key;
}

/** Churn buckets: days from a buyer's last purchase to the end of the range. */
export const CHURN_BUCKETS = [
  { key: '0-90', maxDays: 90 },
  { key: '91-180', maxDays: 180 },
  { key: '181-365', maxDays: 365 },
  { key: '365+', maxDays: Number.POSITIVE_INFINITY },
] as const;

/** Age bands at the end of the range: [minAge, maxAge]. */
export const AGE_BANDS = [
  { key: '<18', min: 0, max: 17 },
  { key: '18-24', min: 18, max: 24 },
  { key: '25-29', min: 25, max: 29 },
  { key: '30-34', min: 30, max: 34 },
  { key: '35-39', min: 35, max: 39 },
  { key: '40-49', min: 40, max: 49 },
  { key: '50+', min: 50, max: 200 },
] as const;

/** Whole years between a birthday and a date (both YYYY-MM-DD). */
export function ageOn(birthday: string, date: string): number {
  const years = Number(date.slice(0, 4)) - Number(birthday.slice(0, 4));
  return date.slice(5) >= birthday.slice(5) ? years : years - 1;
}

export function ageBand(birthday: string | null, date: string): string {
  if (!birthday || !DATE.test(birthday)) return 'unknown';
  const age = ageOn(birthday, date);
  return AGE_BANDS.find((b) => age >= b.min && age <= b.max)?.key ?? 'unknown';
}

// 城市等级 as sellers use them (第一财经·新一线城市研究所 2024 list), for the buyers' cities.
const TIER1 = ['北京', '上海', '广州', '深圳'];
const NEW_TIER1 = [
  '成都',
  '杭州',
  '重庆',
  '武汉',
  '苏州',
  '西安',
  '南京',
  '长沙',
  '天津',
  '郑州',
  '东莞',
  '青岛',
  '昆明',
  '宁波',
  '合肥',
];
const TIER2 = [
  '佛山', '沈阳', '无锡', '济南', '厦门', '福州', '温州', '哈尔滨', '石家庄', '大连', '南宁', '泉州', '金华',
  '贵阳', '常州', '长春', '南昌', '南通', '嘉兴', '徐州', '惠州', '太原', '台州', '绍兴', '保定', '中山',
  '潍坊', '临沂', '珠海', '烟台',
]; // biome-ignore format: a list of names reads better packed

export const CITY_TIERS = ['tier1', 'newTier1', 'tier2', 'tier3+', 'unknown'] as const;
export type CityTier = (typeof CITY_TIERS)[number];

/** "杭州市" / "杭州" → newTier1; a city not on the lists is tier3+ (三线及以下); none is unknown. */
export function cityTier(city: string | null): CityTier {
  const c = city?.trim().replace(/市$/, '');
  if (!c) return 'unknown';
  if (TIER1.includes(c)) return 'tier1';
  if (NEW_TIER1.includes(c)) return 'newTier1';
  if (TIER2.includes(c)) return 'tier2';
  return 'tier3+';
}

/**
 * A monthly 复购率 against the seller's industry band (e.g. apparel 20–30 %): 0 inside the band,
 * below it negative (how far under the low end), above it positive (how far over the high end).
 */
export function gapToBand(rate: number, low: number | null, high: number | null): number | null {
  if (low === null || high === null) return null;
  if (rate < low) return rate - low;
  if (rate > high) return rate - high;
  return 0;
}

/** Months from one YYYY-MM to another. */
export function monthsBetween(a: string, b: string): number {
  return (Number(b.slice(0, 4)) - Number(a.slice(0, 4))) * 12 + Number(b.slice(5, 7)) - Number(a.slice(5, 7));
}

export interface CohortRow {
  cohort: string;
  buyers: number;
  /** Share of the cohort buying in month k after its first (k = 0 is the first month: 1). */
  retention: number[];
  /** Buyers in month k. */
  active: number[];
}

/** The retention heat-map from (first-order month, active month, buyers) cells. */
export function cohortMatrix(cells: readonly { cohort: string; month: string; buyers: number }[]): CohortRow[] {
  const byCohort = new Map<string, Map<number, number>>();
  for (const c of cells) {
    const k = monthsBetween(c.cohort, c.month);
    if (k < 0) continue;
    const m = byCohort.get(c.cohort) ?? new Map<number, number>();
    m.set(k, (m.get(k) ?? 0) + c.buyers);
    byCohort.set(c.cohort, m);
  }
  return [...byCohort.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([cohort, m]) => {
      const size = m.get(0) ?? 0;
      const last = Math.max(0, ...m.keys());
      const active = Array.from({ length: last + 1 }, (_, k) => m.get(k) ?? 0);
      return { cohort, buyers: size, active, retention: active.map((n) => share(n, size)) };
    });
}

/** 0 = Monday … 6 = Sunday, for a local date. */
export function weekdayOf(date: string): number {
  return (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
}

export interface HourCell {
  day: string;
  hour: number;
  orders: number;
  revenueFen: number;
}

/** Sales by hour of day (24) and by weekday (7, Monday first) from (day, hour) cells. */
export function timingSeries(cells: readonly HourCell[]) {
  const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, orders: 0, revenueFen: 0 }));
  const weekdays = Array.from({ length: 7 }, (_, weekday) => ({ weekday, orders: 0, revenueFen: 0 }));
  for (const c of cells) {
    const h = hours[c.hour]!;
    h.orders += c.orders;
    h.revenueFen += c.revenueFen;
    const w = weekdays[weekdayOf(c.day)]!;
    w.orders += c.orders;
    w.revenueFen += c.revenueFen;
  }
  return { hours, weekdays };
}

/** Relative change, null without a base (a change from nothing is not a percentage). */
export function change(now: number, before: number): number | null {
  return before > 0 ? now / before - 1 : null;
}

/** The months (YYYY-MM) a range touches, oldest first. */
export function monthsOf(r: DateRange): string[] {
  const out: string[] = [];
  let m = r.from.slice(0, 7);
  const last = r.to.slice(0, 7);
  while (m <= last) {
    out.push(m);
    const y = Number(m.slice(0, 4));
    const mo = Number(m.slice(5, 7));
    m = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
  }
  return out;
}

/** The last day (YYYY-MM-DD) of a month (YYYY-MM). */
export function monthEnd(m: string): string {
  const y = Number(m.slice(0, 4));
  const mo = Number(m.slice(5, 7));
  return new Date(Date.UTC(y, mo, 0)).toISOString().slice(0, 10);
}

/** A month of a range, clipped to it: `whole` when the range covers the whole month. */
export interface MonthWindow extends DateRange {
  month: string;
  whole: boolean;
}

/** The months a range touches, oldest first, each with the days of it the range covers. */
export function monthWindows(r: DateRange): MonthWindow[] {
  return monthsOf(r).map((month) => {
    const first = `${month}-01`;
    const last = monthEnd(month);
    const from = r.from > first ? r.from : first;
    const to = r.to < last ? r.to : last;
    return { month, from, to, whole: from === first && to === last };
  });
}

/** A month window as the exports name it: 2026-11, or 2026-11（1–11日） for part of it. */
export const monthWindowLabel = (w: MonthWindow): string =>
  w.whole ? w.month : `${w.month}（${Number(w.from.slice(8))}–${Number(w.to.slice(8))}日）`;

/**
 * What a month window is compared with in another month (环比: the month before; 同比: a year before): a whole
 * month with that whole month, part of one with the same days of the month (1–15 November with 1–15 October);
 * null when that month has none of those days (30–31 March against February).
 */
export function sameDaysIn(w: MonthWindow, month: string): DateRange | null {
  if (w.whole) return { from: `${month}-01`, to: monthEnd(month) };
  const last = monthEnd(month);
  const from = `${month}${w.from.slice(7)}`;
  if (from > last) return null;
  const to = `${month}${w.to.slice(7)}`;
  return { from, to: to < last ? to : last };
}

/**
 * Whether a comparison range can be compared: the shop's data starts on or before its first day. A range the data
 * starts within (or after) holds only part of what the shop sold then — a change against it is not a change.
 */
export const comparable = (range: DateRange | null, firstDay: string | null): boolean =>
  range !== null && firstDay !== null && firstDay <= range.from;

/** The month before a YYYY-MM. */
export function previousMonth(m: string): string {
  const y = Number(m.slice(0, 4));
  const mo = Number(m.slice(5, 7));
  return mo === 1 ? `${y - 1}-12` : `${y}-${String(mo - 1).padStart(2, '0')}`;
}

/** The same month a year before. */
export const monthYearAgo = (m: string) => `${Number(m.slice(0, 4)) - 1}${m.slice(4)}`;
