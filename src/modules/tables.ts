import type { Writable } from 'node:stream';
import { CSV_BOM, csvLine } from '../core/csv.js';
import { XlsxWriter } from './xlsx.js';
import { type XlsxBook, xlsxBook } from './xlsx-book.js';

/**
 * Tables an export writes: CSV (one block per table, its title on the first line) or XLSX (one sheet
 * per table, numbers formatted by kind). Cells go through the formula neutraliser (core/csv.ts): a
 * product called "=HYPERLINK(…)" stays text.
 */
export type Kind = 'text' | 'int' | 'money' | 'pct' | 'num';
export type Cell = string | number | null;
export interface Table {
  title: string;
  columns: { name: string; kind: Kind }[];
  rows: Cell[][];
}

function csvValue(v: Cell, kind: Kind): Cell {
  if (v === null || typeof v === 'string') return v;
  if (kind === 'money') return v.toFixed(2);
  if (kind === 'pct') return `${(v * 100).toFixed(2)}%`;
  if (kind === 'num') return Number.isInteger(v) ? v : Number(v.toFixed(4));
  return v;
}

export function tablesCsv(tables: Table[]): string {
  let out = CSV_BOM;
  for (const [i, t] of tables.entries()) {
    if (i > 0) out += '\r\n';
    out += csvLine([t.title]);
    out += csvLine(t.columns.map((c) => c.name));
    for (const r of t.rows) out += csvLine(r.map((v, j) => csvValue(v, t.columns[j]?.kind ?? 'text')));
  }
  return out;
}

const NUM_FMT: Record<Kind, string | undefined> = {
  text: undefined,
  int: '#,##0',
  money: '#,##0.00',
  pct: '0.00%',
  num: '#,##0.####',
};

/**
 * Up to this many rows in all, a workbook is written here (a few ms; a 数据分析 view's tables): starting the Excel
 * thread costs ~0.2 s, and more rows than this would hold the event loop longer than that.
 */
const INLINE_ROWS = 300;

/** The tables as an Excel workbook written to `out` (xlsx.ts: on a thread of its own), ending or destroying it. */
export async function tablesXlsx(tables: Table[], out: Writable): Promise<void> {
  const rows = tables.reduce((n, t) => n + t.rows.length, 0);
  let book: XlsxBook | XlsxWriter | null = null;
  try {
    book = rows <= INLINE_ROWS ? await xlsxBook(out) : new XlsxWriter(out);
    for (const t of tables) {
      book.sheet(
        t.title,
        t.columns.map((c, i) => ({
          header: c.name,
          width: i === 0 ? 20 : Math.max(10, c.name.length * 2 + 4),
          numFmt: NUM_FMT[c.kind],
        })),
      );
      await book.rows(t.rows);
    }
    await book.end();
  } catch (e) {
    if (book instanceof XlsxWriter) book.abort(e);
    else out.destroy(e instanceof Error ? e : new Error(String(e)));
  }
}
