/**
 * Time: stored as UTC ISO-8601 text ("2025-11-11T00:00:00.000Z"); marketplace exports give local
 * wall-clock times in the store's time zone, converted here.
 */
export const DEFAULT_TIMEZONE = 'Asia/Shanghai';

// date 2024-01-02 / 2024/1/2 / 2024年1月2日, then an optional time 10:30[:15[.123]] or 10时30分15秒, then a zone
const LOCAL = new RegExp(
  String.raw`^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?` +
    String.raw`(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:\.(\d{1,3}))?)?秒?)?` +
    String.raw`\s*(Z|[+-]\d{2}:?\d{2})?$`,
);

const offsetCache = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = offsetCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    offsetCache.set(timeZone, f);
  }
  return f;
}

// Intl formatting is the slow part of reading an export, so offsets are cached: per zone and year
// when the zone keeps one offset all year (Asia/Shanghai and every zone without DST), otherwise
// per quarter hour (DST changes happen on quarter hours).
const QUARTER_MS = 15 * 60_000;
const offsets = new Map<string, number>();
const yearOffsets = new Map<string, number | null>();

function fixedOffsetOfYear(timeZone: string, utcMs: number): number | null {
  const year = new Date(utcMs).getUTCFullYear();
  const key = `${timeZone}|${year}`;
  let fixed = yearOffsets.get(key);
  if (fixed === undefined) {
    // Samples every half month: any offset change lasting over 15 days (all DST rules, even
    // Morocco's Ramadan suspension) shows up in them.
    const samples = Array.from({ length: 24 }, (_, i) =>
      computeOffset(timeZone, Date.UTC(year, i >> 1, i % 2 === 0 ? 1 : 16)),
    );
    samples.push(computeOffset(timeZone, Date.UTC(year, 11, 31, 23)));
    fixed = samples.every((o) => o === samples[0]) ? samples[0]! : null;
    yearOffsets.set(key, fixed);
  }
  return fixed;
}

/** Offset of `timeZone` from UTC at the instant `utcMs`, in minutes (Asia/Shanghai → 480). */
export function zoneOffsetMinutes(timeZone: string, utcMs: number): number {
  const fixed = fixedOffsetOfYear(timeZone, utcMs);
  if (fixed !== null) return fixed;
  const key = `${timeZone}|${Math.floor(utcMs / QUARTER_MS)}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    if (offsets.size > 50_000) offsets.clear();
    offset = computeOffset(timeZone, Math.floor(utcMs / QUARTER_MS) * QUARTER_MS);
    offsets.set(key, offset);
  }
  return offset;
}

function computeOffset(timeZone: string, utcMs: number): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(utcMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses "2025-11-11 00:01:23", "2025/11/11 0:01", "2025-11-11" or an ISO string with an offset.
 * Wall-clock values are read in `timeZone`. Returns UTC ISO text, null for an empty cell, and
 * throws for anything else.
 */
export function parseLocalDateTime(input: string | Date | null | undefined, timeZone: string): string | null {
  if (input === null || input === undefined) return null;
  if (input instanceof Date) {
    if (Number.isNaN(input.getTime())) throw new Error('not a date');
    return input.toISOString();
  }
  const s = input.trim();
  if (s === '' || s === '-' || s === 'null' || s === '0000-00-00 00:00:00') return null;
  const m = LOCAL.exec(s);
  if (!m) throw new Error(`not a date/time: "${input}"`);
  const [, y, mo, d, h = '0', mi = '0', sec = '0', ms = '0', zone] = m;
  const fields = [
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(sec),
    Number(ms.padEnd(3, '0')),
  ] as const;
  const wall = Date.UTC(...fields);
  const check = new Date(wall);
  if (
    check.getUTCMonth() !== fields[1] ||
    check.getUTCDate() !== fields[2] ||
    fields[3] > 23 ||
    fields[4] > 59 ||
    fields[5] > 59
  ) {
    throw new Error(`not a valid date/time: "${input}"`);
  }
  let offset: number;
  if (zone === 'Z') offset = 0;
  else if (zone) {
    const z = zone.replace(':', '');
    offset = (z.startsWith('-') ? -1 : 1) * (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5)));
  } else {
    // Two passes settle the offset across a DST change; one is exact for fixed zones like Asia/Shanghai.
    offset = zoneOffsetMinutes(timeZone, wall);
    offset = zoneOffsetMinutes(timeZone, wall - offset * 60_000);
  }
  return new Date(wall - offset * 60_000).toISOString();
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(iso: string, timeZone: string): string {
  const ms = Date.parse(iso);
  const local = new Date(ms + zoneOffsetMinutes(timeZone, ms) * 60_000);
  return local.toISOString().slice(0, 10);
}

export const DAY_MS = 86_400_000;

export function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso) + days * DAY_MS).toISOString();
}
