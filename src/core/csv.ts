/** Writing CSV that Excel opens correctly: quoted where needed, CRLF lines, UTF-8 BOM up front. */
export const CSV_BOM = '\uFEFF';

export function csvCell(v: string | number | null): string {
  const s = v === null ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly (string | number | null)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
