import { Lunar } from 'lunar-typescript';

/**
 * The festivals 节日关怀 greets on: lunar ones from 6tail's lunar calendar (lunar-typescript), the
 * solar ones by rule, and the shop's own anniversary (MM-DD). Dates are local calendar dates.
 */
export const LUNAR_HOLIDAYS = {
  春节: [1, 1],
  元宵: [1, 15],
  端午: [5, 5],
  七夕: [7, 7],
  中秋: [8, 15],
  重阳: [9, 9],
} as const;
export const SOLAR_HOLIDAYS = ['元旦', '妇女节', '母亲节', '父亲节', '双11'] as const;
export const HOLIDAYS = [...Object.keys(LUNAR_HOLIDAYS), ...SOLAR_HOLIDAYS, '店庆'] as const;
export type Holiday = (typeof HOLIDAYS)[number];

const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (y: number, m: number, d: number) => `${y}-${pad(m)}-${pad(d)}`;

/** The n-th given weekday (0 = Sunday) of a month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): string {
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  const day = 1 + ((weekday - first + 7) % 7) + (n - 1) * 7;
  return ymd(year, month, day);
}

/** The date of a festival in a (Gregorian) year, YYYY-MM-DD; null for 店庆 without a date. */
export function holidayDate(name: string, year: number, anniversary?: string | null): string | null {
  const lunar = Object.hasOwn(LUNAR_HOLIDAYS, name)
    ? (LUNAR_HOLIDAYS as Record<string, readonly [number, number]>)[name]
    : undefined;
  if (lunar) return Lunar.fromYmd(year, lunar[0], lunar[1]).getSolar().toYmd();
  switch (name) {
    case '元旦':
      return ymd(year, 1, 1);
    case '妇女节':
      return ymd(year, 3, 8);
    case '母亲节':
      return nthWeekday(year, 5, 0, 2);
    case '父亲节':
      return nthWeekday(year, 6, 0, 3);
    case '双11':
      return ymd(year, 11, 11);
    case '店庆': {
      if (!anniversary || !/^\d{2}-\d{2}$/.test(anniversary)) return null;
      // A shop opened on 29 February keeps its day on the 28th in the other years (never, before).
      const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
      return anniversary === '02-29' && !leap ? `${year}-02-28` : `${year}-${anniversary}`;
    }
    default:
      return null;
  }
}

/**
 * The festivals falling on a local date. A lunar festival's Gregorian year can differ from its lunar year only for
 * none of these.
 */
export function holidaysOn(date: string, names: readonly string[], anniversary?: string | null): string[] {
  const year = Number(date.slice(0, 4));
  return names.filter((n) => holidayDate(n, year, anniversary) === date);
}

/**
 * The next `years` occurrences of each festival from a local date on (that date included): a festival already
 * past this year starts with next year's date. In order of the next occurrence, so the soonest comes first.
 */
export function upcomingHolidays(today: string, years: number, names: readonly string[], anniversary?: string | null) {
  const fromYear = Number(today.slice(0, 4));
  const perName = names.map((n) => {
    const dates: { name: string; year: number; date: string }[] = [];
    for (let y = fromYear; dates.length < years && y <= fromYear + years; y++) {
      const d = holidayDate(n, y, anniversary);
      if (d && d >= today) dates.push({ name: n, year: y, date: d });
    }
    return dates;
  });
  const first = (dates: { date: string }[]) => dates[0]?.date ?? '';
  return perName
    .filter((dates) => dates.length > 0)
    .sort((a, b) => (first(a) < first(b) ? -1 : first(a) > first(b) ? 1 : 0))
    .flat();
}
