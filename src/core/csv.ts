/** Writing CSV that Excel opens correctly: quoted where needed, CRLF lines, UTF-8 BOM up front. */
export const CSV_BOM = '\uFEFF';

/** A plain number written as text ("-12.50", "+8613800000000") is data to Excel, not a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Formula injection: a buyer nick or note such as `=HYPERLINK(…)` or `@SUM(…)` runs as a formula
 * when a seller opens the export in Excel or WPS. Text starting with = + - @ (or a tab or carriage
 * return, which some spreadsheets skip before looking) gets a leading apostrophe, so it shows as
 * the text it is. Every export — CSV and XLSX — goes through here.
 */
export function neutralizeFormula<T>(v: T): T | string {
  if (typeof v !== 'string' || v.length === 0) return v;
  if (!/^[=+\-@\t\r]/.test(v) || PLAIN_NUMBER.test(v)) return v;
  return `'${v}`;
}

/** Quotes a value for CSV as it is (for files that imitate a marketplace export, not for exports). */
export function csvQuote(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One cell of an export: formulas neutralised, quoted where needed. */
export function csvCell(v: string | number | null): string {
  return csvQuote(neutralizeFormula(v));
}

export function csvLine(values: readonly (string | number | null)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/**
 * Direction marks and overrides (U+200E/F, U+202A–E, U+2066–9): in a name a file or sheet is given they turn it around
 * (…gpj.xlsx read as …xlsx.jpg), so exports drop them.
 */
export const DIRECTION_MARKS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
