/**
 * The thread a large Excel export is written in (started by xlsx.ts). exceljs builds a sheet's XML row by row in
 * JavaScript — about 0.3 s a page of 2,000 customers — which on the server's thread held every other request for
 * the whole export. Rows arrive as JSON text, the file leaves as chunks of bytes; each batch of rows is acknowledged
 * once written, so the server sends the next only when the client has taken the last.
 */
import { parentPort } from 'node:worker_threads';
import { Writable } from 'node:stream';
import { type XlsxCell, type XlsxColumn, xlsxBook } from './xlsx-book.js';
import { yieldToRequests } from '../jobs/threads.js';

export type ToXlsx =
  | { type: 'sheet'; title: string; columns: XlsxColumn[] }
  /** A batch of rows (XlsxCell[][]) as JSON text: one string crosses threads faster than thousands of cells. */
  | { type: 'rows'; rows: string }
  | { type: 'end' };
export type FromXlsx =
  | { type: 'chunk'; data: Uint8Array }
  /** The last message's rows are written. */
  | { type: 'ack' }
  | { type: 'end' }
  | { type: 'error'; message: string };

async function main(port: NonNullable<typeof parentPort>) {
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      const data = new Uint8Array(chunk); // a copy of its own: a Buffer may share a pooled ArrayBuffer
      port.postMessage({ type: 'chunk', data } satisfies FromXlsx, [data.buffer]);
      done();
    },
  });
  const book = xlsxBook(out);
  const handle = async (m: ToXlsx) => {
    if (m.type === 'sheet') (await book).sheet(m.title, m.columns);
    else if (m.type === 'rows') {
      (await book).rows(JSON.parse(m.rows) as XlsxCell[][]);
      port.postMessage({ type: 'ack' } satisfies FromXlsx);
    } else {
      await (await book).end();
      port.postMessage({ type: 'end' } satisfies FromXlsx);
    }
  };
  // One message after another: a batch's rows are written before the next message is read.
  let queue = Promise.resolve();
  port.on('message', (m: ToXlsx) => {
    queue = queue
      .then(() => handle(m))
      .catch((e: unknown) => {
        port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies FromXlsx);
      });
  });
}

yieldToRequests();
if (parentPort) void main(parentPort);
