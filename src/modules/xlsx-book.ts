import type { Writable } from 'node:stream';
import type ExcelJSType from 'exceljs';
import { neutralizeFormula } from '../core/csv.js';

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
      let name = title.replace(/[\\/?*[\]:]/g, ' ').slice(0, 28) || 'sheet';
      while (used.has(name)) name = `${name}_`;
      used.add(name);
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
