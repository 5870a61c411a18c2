import type { Writable } from 'node:stream';
import { CSV_BOM, csvLine, neutralizeFormula } from '../core/csv.js';

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

export async function tablesXlsx(tables: Table[], out: Writable): Promise<void> {
  const { default: ExcelJS } = await import('exceljs'); // loaded on the first export: a large module graph
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
  const used = new Set<string>();
  for (const t of tables) {
    let name = t.title.replace(/[\\/?*[\]:]/g, ' ').slice(0, 28) || 'sheet';
    while (used.has(name)) name = `${name}_`;
    used.add(name);
    const sheet = wb.addWorksheet(name);
    sheet.columns = t.columns.map((c, i) => ({
      header: c.name,
      width: i === 0 ? 20 : Math.max(10, c.name.length * 2 + 4),
    }));
    t.columns.forEach((c, i) => {
      const f = NUM_FMT[c.kind];
      if (f) sheet.getColumn(i + 1).numFmt = f;
    });
    for (const r of t.rows) sheet.addRow(r.map(neutralizeFormula)).commit();
    sheet.commit();
  }
  await wb.commit();
}
