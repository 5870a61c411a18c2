import {
  ACTIVITY_PRESETS,
  AGE_BANDS,
  activityRange,
  type DateRange,
  shiftDate,
  shiftYears,
} from './analytics-views.js';

/**
 * The ranges whose per-buyer answers (distribution bands, province map, products) the analytics rebuild keeps
 * ready (modules/analytics/snapshots.ts): the ones the console and sellers use. As of the build day `today`:
 * the last 7, 30, 90, 180 and 365 days up to today and up to yesterday; every calendar month, quarter and year
 * from the first purchase (at most ten years back) to today's, whole and (the current ones) up to today; the
 * activity presets (双11, 618 …) of those years. Any other range is answered from the buyer rows.
 */
export const ROLLING_DAYS = [7, 30, 90, 180, 365] as const;

const pad = (n: number) => String(n).padStart(2, '0');
const lastDayOfMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);

export function keptRanges(firstDay: string | null, today: string): DateRange[] {
  const out = new Map<string, DateRange>();
  const add = (from: string, to: string) => {
    if (from <= to) out.set(`${from}/${to}`, { from, to });
  };
  for (const n of ROLLING_DAYS) {
    add(shiftDate(today, -(n - 1)), today);
    add(shiftDate(today, -n), shiftDate(today, -1));
  }
  const lastYear = Number(today.slice(0, 4));
  const oldest = shiftYears(today, -10);
  const start = firstDay && firstDay > oldest ? firstDay : firstDay ? oldest : today;
  const capped = (to: string) => (to > today ? today : to);
  for (let y = Number(start.slice(0, 4)); y <= lastYear; y++) {
    const yearEnd = `${y}-12-31`;
    add(`${y}-01-01`, yearEnd);
    add(`${y}-01-01`, capped(yearEnd));
    for (let q = 0; q < 4; q++) {
      const from = `${y}-${pad(q * 3 + 1)}-01`;
      if (from > today) break;
      const to = lastDayOfMonth(y, q * 3 + 3);
      add(from, to);
      add(from, capped(to));
    }
    for (let m = 1; m <= 12; m++) {
      const from = `${y}-${pad(m)}-01`;
      if (from > today) break;
      if (from < `${start.slice(0, 7)}-01`) continue;
      const to = lastDayOfMonth(y, m);
      add(from, to);
      add(from, capped(to));
    }
    for (const p of ACTIVITY_PRESETS) {
      const r = activityRange(p.key, y);
      if (r.from <= today) add(r.from, r.to);
    }
  }
  return [...out.values()].sort((a, b) =>
    a.from === b.from ? a.to.localeCompare(b.to) : a.from.localeCompare(b.from),
  );
}

/** The age-band cuts of a range: cut<A> = the latest birthday of a buyer at least A years old on its last day. */
export const AGE_CUTS = AGE_BANDS.slice(0, -1).map((b) => b.max + 1);

export function ageCuts(to: string): Record<string, string> {
  return Object.fromEntries(AGE_CUTS.map((a) => [`cut${a}`, shiftYears(to, -a)]));
}
