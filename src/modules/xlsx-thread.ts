/**
 * The thread an Excel export is written in (started by xlsx.ts). exceljs builds a sheet's XML row by row in
 * JavaScript — about 0.3 s a page of 2,000 customers — which on the server's thread stalled every other request for
 * the whole export. Rows arrive as JSON text, the file leaves as chunks of bytes; each batch of rows is acknowledged
 * once written, so the server sends the next only when the client has taken the last.
 */
import { parentPort } from 'node:worker_threads';
import { Writable } from 'node:stream';
import type ExcelJSType from 'exceljs';
import { neutralizeFormula } from '../core/csv.js';

export interface XlsxColumn {
  header: string;
  width: number;
  numFmt?: string;
}
export type ToXlsx =
  | { type: 'sheet'; name: string; columns: XlsxColumn[] }
  /** A batch of rows (Cell[][]) as JSON text: one string crosses threads faster than thousands of cells. */
  | { type: 'rows'; rows: string }
  | { type: 'end' };
export type FromXlsx =
  | { type: 'chunk'; data: Uint8Array }
  /** The last message's rows are written. */
  | { type: 'ack' }
  | { type: 'end' }
  | { type: 'error'; message: string };

async function main(port: NonNullable<typeof parentPort>) {
  const { default: ExcelJS } = (await import('exceljs')) as { default: typeof ExcelJSType };
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      const data = new Uint8Array(chunk); // a copy of its own: a Buffer may share a pooled ArrayBuffer
      port.postMessage({ type: 'chunk', data } satisfies FromXlsx, [data.buffer]);
      done();
    },
  });
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
  let sheet: ExcelJSType.Worksheet | null = null;
  // Messages are handled one after another: a batch's rows are written before the next message is read.
  let queue = Promise.resolve();
  const handle = async (m: ToXlsx) => {
    if (m.type === 'sheet') {
      sheet?.commit();
      sheet = wb.addWorksheet(m.name);
      const s = sheet;
      s.columns = m.columns.map((c) => ({ header: c.header, width: c.width }));
      m.columns.forEach((c, i) => {
        if (c.numFmt) s.getColumn(i + 1).numFmt = c.numFmt;
      });
    } else if (m.type === 'rows') {
      if (!sheet) throw new Error('rows before a sheet');
      for (const r of JSON.parse(m.rows) as unknown[][]) sheet.addRow(r.map(neutralizeFormula)).commit();
      port.postMessage({ type: 'ack' } satisfies FromXlsx);
    } else {
      sheet?.commit();
      await wb.commit();
      port.postMessage({ type: 'end' } satisfies FromXlsx);
    }
  };
  port.on('message', (m: ToXlsx) => {
    queue = queue
      .then(() => handle(m))
      .catch((e: unknown) => {
        port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies FromXlsx);
      });
  });
}

if (parentPort) void main(parentPort);
