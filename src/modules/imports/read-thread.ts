/**
 * The thread an import file is read in (started by readers.ts). Its heap is capped, so a file
 * that makes the parser allocate without end kills this thread, never the server. It sends rows
 * in batches and waits for the importer to ask for more, so a slow database never lets parsed rows
 * pile up in memory.
 */
import type { Reason } from '../../core/reasons.js';
import { parentPort, workerData } from 'node:worker_threads';
import { DomainError } from '../../core/errors.js';
import type { ReadLimits } from './limits.js';
import { csvRows, type FileKind, type FileRow, xlsxRows } from './read-file.js';
import { mapBatches, type MapOptions } from './map-rows.js';
import { orderHash } from '../../core/order-hash.js';
import { buyerPinyin } from '../../core/buyer-names.js';
import type { OrderRecord } from '../../core/formats/types.js';

export type ToReader = { type: 'more' };
export type FromReader =
  /** Rows as JSON text: one string crosses threads much faster than thousands of small ones. */
  | { type: 'rows'; rows: string; bytes: number }
  /** With `map`: one batch of mapped orders (a MappedBatch as JSON text). */
  | { type: 'batch'; batch: string; bytes: number }
  | { type: 'end'; bytes: number }
  | { type: 'error'; message: string; details?: unknown; reason?: Reason; invalid: boolean };

export interface ReaderData {
  path: string;
  kind: FileKind;
  limits: ReadLimits;
  /** Map the rows to orders here too and send batches (map-rows.ts) instead of rows. */
  map?: MapOptions;
}

/** Rows per message, and characters per message (whichever comes first). */
const BATCH_ROWS = 2000;
const BATCH_CHARS = 4 * 1024 * 1024;

/** Pinyin keys by the names they come from: a buyer's orders repeat the same names. */
const pinyinSeen = new Map<string, string | null>();
function pinyinOf(o: OrderRecord): string | null {
  const b = o.buyer;
  const key = [b.nick, b.name, o.receiverName, b.externalId, b.phone, b.email].join('\u0000');
  let keys = pinyinSeen.get(key);
  if (keys === undefined) {
    if (pinyinSeen.size >= 100_000) pinyinSeen.clear();
    keys = buyerPinyin(o);
    pinyinSeen.set(key, keys);
  }
  return keys;
}

async function main(port: NonNullable<typeof parentPort>, data: ReaderData) {
  let credits = 3;
  let wake: (() => void) | null = null;
  port.on('message', (m: ToReader) => {
    if (m.type === 'more') credits += 1;
    wake?.();
  });
  let bytes = 0;
  const onBytes = (n: number) => (bytes += n);
  const send = async (msg: FromReader) => {
    while (credits === 0) await new Promise<void>((r) => (wake = r));
    wake = null;
    credits -= 1;
    port.postMessage(msg);
  };
  try {
    const open = (counted: (n: number) => void) =>
      data.kind.type === 'xlsx'
        ? xlsxRows(data.path, data.limits, counted)
        : csvRows(data.path, data.kind, data.limits, counted);
    const rows = open(onBytes);
    if (data.map) {
      for await (const b of mapBatches(rows[Symbol.asyncIterator](), () => open(() => {}), data.map)) {
        // Hashed here rather than by the thread that writes: it is the busier of the two.
        // So are the pinyin keys a new customer gets (core/buyer-names.ts), once per buyer's names.
        for (const o of b.orders) {
          o.contentHash = orderHash(o);
          o.namePinyin = pinyinOf(o);
        }
        const out: FromReader = { type: 'batch', batch: JSON.stringify(b), bytes };
        bytes = 0;
        await send(out);
      }
      port.postMessage({ type: 'end', bytes: 0 } satisfies FromReader);
      port.close();
      return;
    }
    let batch: FileRow[] = [];
    let chars = 0;
    for await (const row of rows) {
      batch.push(row);
      for (const c of row.cells) chars += typeof c === 'string' ? c.length : 8;
      if (batch.length >= BATCH_ROWS || chars >= BATCH_CHARS) {
        const out: FromReader = { type: 'rows', rows: JSON.stringify(batch), bytes };
        batch = [];
        chars = 0;
        bytes = 0;
        await send(out);
      }
    }
    if (batch.length > 0 || bytes > 0) await send({ type: 'rows', rows: JSON.stringify(batch), bytes });
    port.postMessage({ type: 'end', bytes: 0 } satisfies FromReader);
  } catch (e) {
    port.postMessage({
      type: 'error',
      message: e instanceof Error ? e.message : String(e),
      details: e instanceof DomainError ? e.details : undefined,
      reason: e instanceof DomainError ? e.reason : undefined,
      invalid: e instanceof DomainError,
    } satisfies FromReader);
  }
  port.close();
}

if (parentPort) await main(parentPort, workerData as ReaderData);
