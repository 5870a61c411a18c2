/**
 * Checks for values that look right but are not: a date that does not exist (2026-02-30 is not
 * "2 March"), a number no one means (1e308 days). Used where client input meets arithmetic.
 */

const YMD = /^(\d{4})-(\d{2})-(\d{2})/;

/** True when the date part (YYYY-MM-DD) of an ISO date or date-time names a real calendar day. */
export function isCalendarDate(s: string): boolean {
  const m = YMD.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= days;
}

/** True for an ISO date or date-time that is a real moment (real day, hours < 24, minutes < 60 …). */
export function isRealDateTime(s: string): boolean {
  if (!isCalendarDate(s)) return false;
  const t = /T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(s);
  if (t && (Number(t[1]) > 23 || Number(t[2]) > 59 || Number(t[3] ?? 0) > 59)) return false;
  return !Number.isNaN(Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s));
}

/** A count of days anyone can mean: up to 100 years. Larger values overflow date arithmetic. */
export const MAX_DAYS = 36_600;
