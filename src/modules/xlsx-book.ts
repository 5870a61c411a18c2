import type { Writable } from 'node:stream';
import type ExcelJSType from 'exceljs';
import { DIRECTION_MARKS, neutralizeFormula } from '../core/csv.js';

export interface XlsxColumn {
  header: string;
  width: number;
  numFmt?: string;
}
export type XlsxCell = string | number | null;

export interface XlsxBook {
  /** A new sheet: its name made one Excel accepts (no \/?*[]:, ≤ 31 characters, unique in the workbook). */
  sheet(title: string, columns: XlsxColumn[]): void;
  /** Rows of the current sheet, written as they come (text that looks like a formula stays text). */
  rows(rows: readonly (readonly XlsxCell[])[]): void;
  /** Completes the file (the stream is ended by exceljs). */
  end(): Promise<void>;
}

/**
 * A sheet name Excel accepts: no control characters, none of \ / ? * [ ] : (a space each), no apostrophe at either
 * end, not blank, not the reserved "History", at most 31 characters cut between whole characters (an emoji cut in
 * half became U+FFFD), and unique in the workbook regardless of case (`used` holds the lower-cased names).
 */
export function sheetName(title: string, used: ReadonlySet<string>): string {
  const unquote = (x: string) =>
    x
      .trim()
      .replace(/^'+|'+$/g, '')
      .trim();
  const clean = unquote(
    title
      .replace(DIRECTION_MARKS, '')
      .replace(/[\u0000-\u001f\u007f-\u009f\\/?*[\]:]/g, ' ')
      .replace(/\s+/g, ' '),
  );
  // 28 UTF-16 units (Excel counts those, to 31), leaving room for a _2 … _99; never half a character.
  let cut = '';
  for (const ch of clean) {
    if (cut.length + ch.length > 28) break;
    cut += ch;
  }
  const base = unquote(cut) || 'sheet';
  let name = base.toLowerCase() === 'history' ? `${base}_` : base;
  for (let i = 2; used.has(name.toLowerCase()); i++) name = `${base}_${i}`;
  return name;
}

/**
 * An Excel workbook streamed into `out` as sheets and rows are added (exceljs' streaming writer: constant memory).
 * Built where it runs — on the Excel thread for a large file (xlsx.ts), here for a few tables.
 */
export async function xlsxBook(out: Writable): Promise<XlsxBook> {
  const { default: ExcelJS } = (await import('exceljs')) as { default: typeof ExcelJSType }; // a large module graph
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
  const used = new Set<string>();
  let sheet: ExcelJSType.Worksheet | null = null;
  return {
    sheet(title, columns) {
      const name = sheetName(title, used);
      used.add(name.toLowerCase());
      sheet?.commit();
      const s = wb.addWorksheet(name);
      s.columns = columns.map((c) => ({ header: c.header, width: c.width }));
      columns.forEach((c, i) => {
        if (c.numFmt) s.getColumn(i + 1).numFmt = c.numFmt;
      });
      sheet = s;
    },
    rows(rows) {
      if (!sheet) throw new Error('rows before a sheet');
      for (const r of rows) sheet.addRow(r.map(neutralizeFormula)).commit();
    },
    async end() {
      sheet?.commit();
      await wb.commit();
    },
  };
}
