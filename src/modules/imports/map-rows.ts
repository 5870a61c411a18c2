import { reason } from '../../core/reasons.js';
import { Invalid } from '../../core/errors.js';
import {
  type AdapterOutput,
  ExportReader,
  specFor,
  type ImportFormat,
  type ItemsRecord,
  type OrderRecord,
  type RowError,
} from '../../core/formats/index.js';
import type { FileRow } from './read-file.js';

/**
 * The mapping of an export's rows to orders, cut into the batches the importer writes. It runs in
 * the import's read thread (read-thread.ts), so the parsing and mapping of the next batch go on
 * while the main thread writes the previous one to the database.
 */
export interface MapOptions {
  format: ImportFormat;
  mapping: unknown;
  /** The store's zone: the export's times are read in it. */
  timezone: string;
  /** Rows (after the header) already committed by an earlier attempt of the run: not read again. */
  skip: number;
  /** Orders (and line records) per batch. */
  batchOrders: number;
}

/** One batch to write, with what a resume needs to know about it. */
export interface MappedBatch {
  orders: OrderRecord[];
  items: ItemsRecord[];
  errors: { error: RowError; rows: number }[];
  /** Rows (counted from the first after the header) whose outputs have all been taken: the resume point. */
  rowsDone: number;
  /** Rows read so far (the skipped ones included). */
  rowsRead: number;
}

const READ_AHEAD_ROWS = 2000;
const READ_AHEAD_CHARS = 4 * 1024 * 1024;

/** The first line of the file an adapter output comes from. */
function lineOf(o: AdapterOutput): number {
  return o.kind === 'order' ? o.order.line : o.kind === 'items' ? o.items.line : o.error.line;
}

/**
 * Reads the header, runs the prescan of line-per-row files (`again` opens the file a second time),
 * then maps the rows and yields batches; the last batch (possibly empty) ends the file.
 */
export async function* mapBatches(
  rows: AsyncIterator<FileRow>,
  again: () => AsyncIterable<FileRow>,
  opts: MapOptions,
): AsyncGenerator<MappedBatch> {
  const reader = new ExportReader(specFor(opts.format, opts.mapping ?? undefined), opts.timezone);
  // The first rows are read before the header is judged: a file that cannot be read (a giant cell,
  // a broken zip) says so rather than that its columns are wrong, as when rows crossed in batches.
  const ahead: IteratorResult<FileRow>[] = [];
  for (let chars = 0; ahead.length < READ_AHEAD_ROWS && chars < READ_AHEAD_CHARS; ) {
    const r = await rows.next();
    ahead.push(r);
    if (r.done) break;
    for (const c of r.value.cells) chars += typeof c === 'string' ? c.length : 8;
  }
  const source = rows;
  rows = { next: async () => ahead.shift() ?? source.next() };
  const header = await rows.next();
  if (header.done) throw new Invalid('The file has no header row', reason('import.noHeader'));
  reader.start(header.value.cells);
  if (reader.wantsPrescan()) {
    // Line-per-row files: a first pass finds orders whose lines are not next to each other.
    let first = true;
    for await (const row of again()) {
      if (first) first = false;
      else reader.prescan(row.cells);
    }
    reader.endPrescan();
  }
  const { skip } = opts;
  let batch: MappedBatch = { orders: [], items: [], errors: [], rowsDone: skip, rowsRead: skip };
  const take = (outputs: AdapterOutput[]) => {
    for (const out of outputs) {
      if (out.kind === 'order') batch.orders.push(out.order);
      else if (out.kind === 'items') batch.items.push(out.items);
      else batch.errors.push({ error: out.error, rows: out.rows ?? 1 });
    }
  };
  let ordinal = 0;
  let rowsDone = skip;
  for (;;) {
    const next = await rows.next();
    if (next.done) break;
    const row = next.value;
    ordinal += 1;
    if (ordinal <= skip) continue;
    const outputs = reader.feed(row.line, row.cells);
    take(outputs);
    // Rows of one order are adjacent: an output means every row before this one is complete,
    // and this one too when the output starts on it (one row per order) — except the rows of an
    // order split over the file, held back until its last run: a resume must start before them.
    if (outputs.length > 0) {
      rowsDone = outputs.some((o) => lineOf(o) === row.line) ? ordinal : ordinal - 1;
      const held = reader.oldestHeldRow();
      if (held !== null) rowsDone = Math.min(rowsDone, skip + held - 1);
    }
    if (batch.orders.length + batch.items.length >= opts.batchOrders) {
      yield { ...batch, rowsDone, rowsRead: ordinal };
      batch = { orders: [], items: [], errors: [], rowsDone, rowsRead: ordinal };
    }
  }
  take(reader.end());
  yield { ...batch, rowsDone: ordinal, rowsRead: Math.max(ordinal, skip) };
}
