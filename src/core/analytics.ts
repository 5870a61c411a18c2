import { DAY_MS, localDate, parseLocalDateTime, zoneOffsetMinutes } from './time.js';

/**
 * Dashboard arithmetic without I/O: which local days a window covers, the shares the console
 * shows, and day series with the empty days filled in.
 */

export interface DayWindow {
  /** Local calendar days, oldest first (YYYY-MM-DD). */
  days: string[];
  /** UTC instant the first day starts at. */
  since: string;
  /** UTC instant the current local day starts at ("today"). */
  todayStart: string;
  /** Minutes the zone is ahead of UTC now (used to bucket timestamps by local day in SQL). */
  offsetMinutes: number;
}

/** The last `days` local days ending with today, in `timeZone`. */
export function dayWindow(nowIso: string, timeZone: string, days: number): DayWindow {
  if (!Number.isInteger(days) || days < 1) throw new Error('days must be a positive integer');
  const today = localDate(nowIso, timeZone);
  const todayMs = Date.parse(`${today}T00:00:00Z`);
  const list: string[] = [];
  for (let i = days - 1; i >= 0; i--) list.push(new Date(todayMs - i * DAY_MS).toISOString().slice(0, 10));
  return {
    days: list,
    since: parseLocalDateTime(list[0]!, timeZone)!,
    todayStart: parseLocalDateTime(today, timeZone)!,
    offsetMinutes: zoneOffsetMinutes(timeZone, Date.parse(nowIso)),
  };
}

/** part / whole, 0 when there is no whole (a share of nobody is shown as 0 %, not NaN). */
export function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/** One value per day of the window, 0 for days without rows. */
export function fillDays<K extends string>(
  days: readonly string[],
  rows: readonly ({ day: string } & Record<K, number>)[],
  keys: readonly K[],
): ({ day: string } & Record<K, number>)[] {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  return days.map((day) => {
    const r = byDay.get(day);
    const out = { day } as { day: string } & Record<K, number>;
    for (const k of keys) (out as Record<string, unknown>)[k] = r ? Number(r[k]) : 0;
    return out;
  });
}

/** "广东省" / "广西壮族自治区" / "北京市" → "广东" / "广西" / "北京": the names the China map uses. */
export function shortProvinceName(name: string): string {
  const n = name.trim();
  const special: Record<string, string> = {
    内蒙古自治区: '内蒙古',
    广西壮族自治区: '广西',
    西藏自治区: '西藏',
    宁夏回族自治区: '宁夏',
    新疆维吾尔自治区: '新疆',
    香港特别行政区: '香港',
    澳门特别行政区: '澳门',
  };
  if (special[n]) return special[n];
  return n.replace(/(省|市|特别行政区|自治区)$/, '');
}
