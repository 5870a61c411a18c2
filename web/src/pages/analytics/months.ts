import type { TFunction } from 'i18next';

/**
 * A calendar month (YYYY-MM) as the range [from, to] (YYYY-MM-DD) covers it: whole, or only some of its days — the
 * first month of a range starting mid-month, the last of one ending before the month does (today's month). Pure:
 * test/web/months.test.ts.
 */
export function monthPart(month: string, from: string, to: string): { whole: boolean; fromDay: number; toDay: number } {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const fromDay = from.slice(0, 7) === month ? Number(from.slice(8, 10)) : 1;
  const toDay = to.slice(0, 7) === month ? Number(to.slice(8, 10)) : last;
  return { whole: fromDay === 1 && toDay === last, fromDay, toDay };
}

/** The month as a label: 2026-12, or 2026-12（1–2 日） when the range holds only some of its days. */
export function monthLabel(t: TFunction, month: string, from: string, to: string): string {
  const p = monthPart(month, from, to);
  return p.whole ? month : t('memberAnalytics.monthPart', { month, from: p.fromDay, to: p.toDay });
}
