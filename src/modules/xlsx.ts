import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { startThread } from '../jobs/threads.js';
import type { XlsxBook, XlsxCell, XlsxColumn } from './xlsx-book.js';
import type { FromXlsx, ToXlsx } from './xlsx-thread.js';

/** How long a download may take nothing before its export is stopped. */
export const EXPORT_STALL_MS = 120_000;

/**
 * Excel threads at once: each holds ~50 MB while its download is open (8 whole-shop workbooks at once: +430 MB), so
 * an export past the limit waits for one to finish. Server-wide, HUIKE_EXCEL_THREADS (default 4).
 */
export class ExcelSlots {
  private readonly queue: (() => void)[] = [];
  constructor(private free: number) {}

  /** A slot, released by the function it resolves to; a wait given up (`signal`) leaves the queue. */
  take(signal: AbortSignal): Promise<() => void> {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.free += 1;
    };
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const turn = () => {
        signal.removeEventListener('abort', giveUp);
        resolve(release);
      };
      const giveUp = () => {
        const i = this.queue.indexOf(turn);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal.reason);
      };
      if (signal.aborted) return giveUp();
      signal.addEventListener('abort', giveUp, { once: true });
      this.queue.push(turn);
    });
  }
}

export const EXCEL_SLOTS = new ExcelSlots(Math.max(1, Number(process.env.HUIKE_EXCEL_THREADS) || 4));

/**
 * An Excel workbook written to `out` by a thread of its own (xlsx-thread.ts), so building it never holds the
 * server's event loop: sheets and batches of rows go in, the file's bytes come out into `out` as they are made.
 * `rows` waits until `out` has room, then resolves once the batch is written (the client's pace, constant memory);
 * `end` once the file is complete. A failure — the thread's, `out` closed early (the client left), or a download
 * that takes nothing for `stallMs` — rejects what is pending and stops the thread. The thread starts when a slot is
 * free (`ExcelSlots`); what is sent before waits with it.
 */
export class XlsxWriter implements XlsxBook {
  private readonly thread: Promise<Worker>;
  private waiting: { resolve: () => void; reject: (e: Error) => void; until: 'ack' | 'end' } | null = null;
  private failed: Error | null = null;
  private readonly stopped = new AbortController();
  private readonly stallMs: number;

  /** `stallMs`: how long a download may take nothing before the export is stopped (its thread and memory freed). */
  constructor(
    private readonly out: Writable,
    opts: { stallMs?: number; slots?: ExcelSlots } = {},
  ) {
    this.stallMs = opts.stallMs ?? EXPORT_STALL_MS;
    this.thread = (opts.slots ?? EXCEL_SLOTS).take(this.stopped.signal).then((release) => {
      if (this.failed) {
        release();
        throw this.failed;
      }
      const thread = startThread(import.meta.url, 'xlsx-thread');
      thread.once('exit', release);
      thread.on('message', (m: FromXlsx) => {
        if (m.type === 'chunk') {
          if (!this.failed) out.write(m.data);
        } else if (m.type === 'error') this.fail(new Error(`the Excel file could not be written: ${m.message}`));
        else if (this.waiting?.until === m.type) {
          const w = this.waiting;
          this.waiting = null;
          w.resolve();
        }
      });
      thread.on('error', (e) => this.fail(e));
      thread.on('exit', () => this.fail(new Error('the Excel thread stopped')));
      return thread;
    });
    this.thread.catch(() => {}); // a wait given up is answered by fail(), not here
    out.once('close', () => {
      if (!out.writableFinished) this.fail(new Error('the download was closed before the file was complete'));
    });
  }

  private fail(e: Error) {
    if (this.failed) return;
    this.failed = e;
    this.stopped.abort(e);
    this.thread.then((t) => t.terminate()).catch(() => {});
    this.waiting?.reject(e);
    this.waiting = null;
  }

  private async send(m: ToXlsx, until: 'ack' | 'end'): Promise<void> {
    if (this.failed) throw this.failed;
    const thread = await this.thread;
    if (this.failed) throw this.failed;
    return new Promise<void>((resolve, reject) => {
      this.waiting = { resolve, reject, until };
      thread.postMessage(m);
    });
  }

  /** A new sheet (its name made one Excel accepts: xlsx-book.ts); sent in order with the rows that follow. */
  sheet(title: string, columns: XlsxColumn[]): void {
    this.thread
      .then((t) => this.failed || t.postMessage({ type: 'sheet', title, columns } satisfies ToXlsx))
      .catch(() => {});
  }

  /** A batch of rows for the current sheet, as JSON text (a read thread's answer passes through unparsed). */
  async rows(rows: string | readonly (readonly XlsxCell[])[]): Promise<void> {
    if (typeof rows === 'string') return this.batch(rows);
    for (let i = 0; i < rows.length; i += 2000) await this.batch(JSON.stringify(rows.slice(i, i + 2000)));
  }

  /**
   * One batch, sent once `out` has room: the zip compresses asynchronously, so a batch's last bytes may arrive after
   * its acknowledgement, and at most about one batch's bytes wait in `out` beyond its mark.
   */
  private async batch(json: string): Promise<void> {
    await this.room();
    await this.send({ type: 'rows', rows: json }, 'ack');
  }

  /**
   * Waits until `out` has room. A client that stops reading but keeps its connection held a thread and ~50 MB for as
   * long as it liked (16 such connections: +830 MB): past `stallMs` without progress the export is stopped.
   */
  private async room(): Promise<void> {
    if (!this.out.writableNeedDrain) return;
    const signal = AbortSignal.any([this.stopped.signal, AbortSignal.timeout(this.stallMs)]);
    try {
      await once(this.out, 'drain', { signal });
    } catch (e) {
      this.fail(
        new Error(`the download took nothing for ${Math.round(this.stallMs / 1000)} s: the export was stopped`),
      );
      throw this.failed ?? e;
    }
  }

  /** Completes the file and ends `out`. */
  async end(): Promise<void> {
    await this.room();
    await this.send({ type: 'end' }, 'end');
    this.out.end();
    this.failed = new Error('the Excel file is complete'); // the thread's exit is no failure now
    await (await this.thread).terminate();
  }

  /** Stops the thread and destroys `out` with the error (a failed export ends the download as an error). */
  abort(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.fail(err);
    this.out.destroy(err);
  }
}
