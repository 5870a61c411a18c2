import { reason } from '../../core/reasons.js';
import { createReadStream } from 'node:fs';
import { pipeline, Transform, type Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import type yauzl from 'yauzl';
import { Invalid } from '../../core/errors.js';
import { megabytes, type ReadLimits } from './limits.js';

/**
 * The file reading itself, with its limits. It runs in the import's read thread (read-thread.ts);
 * readers.ts is the side the rest of the app calls.
 */

/** A row of an export file: 1-based line number, cells as the file holds them. */
export interface FileRow {
  line: number;
  cells: unknown[];
}

export type FileKind = { type: 'xlsx' } | { type: 'csv'; encoding: 'utf8' | 'gb18030'; delimiter: string };

/** Counts the bytes that flow through, for progress. */
function byteCounter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** NUL characters (which PostgreSQL cannot store in text) dropped from a cell. */
function stripNul<T>(v: T): T | string {
  return typeof v === 'string' && v.includes('\u0000') ? v.replace(/\u0000/g, '') : v;
}

/** Excel numbers and dates as text the way the cell shows them to a person. */
function excelCell(v: ExcelJS.CellValue): unknown {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) {
    // Excel stores wall-clock time without a zone; exceljs hands it over as if it were UTC.
    const iso = Number.isNaN(v.getTime()) ? '' : v.toISOString();
    return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : '';
  }
  if (typeof v === 'number') {
    // An 18–19 digit order id stored as a number has already lost digits: show it as Excel does.
    return Number.isSafeInteger(v) || !Number.isInteger(v) ? String(v) : v.toExponential(5).toUpperCase();
  }
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((r) => r.text).join('');
    if ('result' in v) return excelCell(v.result as ExcelJS.CellValue);
    if ('text' in v) return String(v.text);
    if ('error' in v) return '';
  }
  return String(v);
}

/**
 * Streams a CSV: every stage joined with pipeline(), so an error anywhere (the disk, the decoder,
 * the parser) ends the iteration with that error instead of escaping as an unhandled stream error.
 */
export async function* csvRows(
  path: string,
  kind: Extract<FileKind, { type: 'csv' }>,
  limits: ReadLimits,
  onBytes: (n: number) => void,
): AsyncGenerator<FileRow> {
  // Where the last whole row ended, as the parser reads it (rows it parsed may not have reached the loop below when
  // it fails): a row too long starts after it — the parser's own count is where it gave up, thousands of lines
  // further when an unclosed quote swallowed them.
  let lastEnd = 0;
  const parser = parse({
    on_record: (record, context) => {
      lastEnd = context.lines;
      return record;
    },
    delimiter: kind.delimiter,
    bom: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    max_record_size: limits.maxRecordChars,
  });
  const chain = pipeline(
    createReadStream(path),
    byteCounter(onBytes),
    iconv.decodeStream(kind.encoding) as unknown as Transform,
    parser,
    () => {},
  ) as Readable;
  try {
    for await (const rec of chain as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield { line: rec.info.lines, cells: rec.record.map(stripNul) };
    }
  } catch (e) {
    if (e instanceof CsvError && e.code === 'CSV_MAX_RECORD_SIZE') {
      const line = lastEnd + 1;
      throw new Invalid(
        `a row of the file (from line ${line}) is longer than ${megabytes(limits.maxRecordChars)}: ` +
          'the file is damaged or is not a shop export (an unclosed quote makes the rest of the file one cell)',
        reason('import.rowTooLong', { line, max: megabytes(limits.maxRecordChars) }),
        { limit: 'HUIKE_IMPORT_MAX_ROW_KB' },
      );
    }
    if (e instanceof CsvError)
      throw new Invalid(`the CSV cannot be read: ${e.message}`, reason('import.csvUnreadable', { error: e.message }));
    throw e;
  } finally {
    chain.destroy();
  }
}

/**
 * Looks inside an .xlsx before it is read: how many parts, how large each unpacks to (the sizes
 * the archive declares, then the real ones: yauzl stops a part that unpacks to more than it
 * declared), and how many shared strings it holds. A zip bomb fails here after reading at most the
 * limits, not after filling the memory.
 */
export async function checkXlsx(path: string, limits: ReadLimits): Promise<void> {
  const { default: yauzlLib } = await import('yauzl');
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzlLib.openPromise(path, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
  } catch (e) {
    throw new Invalid(
      `this .xlsx file is damaged (${message(e)}): export it again`,
      reason('import.xlsxDamaged', { error: message(e) }),
    );
  }
  const bomb = (what: string) =>
    new Invalid(
      `this .xlsx file ${what}: it is damaged or built to exhaust the server, and was not imported. ` +
        'Export it again, or split it into smaller files',
      reason('import.xlsxBomb', { what }),
      { limits: 'HUIKE_IMPORT_MAX_UNZIPPED_MB, HUIKE_IMPORT_MAX_SHARED_STRINGS_MB, HUIKE_IMPORT_MAX_SHARED_STRINGS' },
    );
  // Written by a tool that leaves out each cell's position (the standard allows it; the reader needs it).
  const noCellRefs = () =>
    new Invalid(
      'the cells of this .xlsx file carry no position (it was written by a tool other than Excel): open it in ' +
        'Excel or WPS and save it again as .xlsx, or save it as CSV, then import it',
      reason('import.xlsxNoCellRefs'),
    );
  try {
    if (zip.entryCount > limits.maxZipEntries) throw bomb(`holds ${zip.entryCount} parts`);
    let declared = 0;
    let unpacked = 0;
    for await (const entry of zip.eachEntry()) {
      declared += entry.uncompressedSize;
      if (declared > limits.maxUnzippedBytes) throw bomb(`unpacks to more than ${megabytes(limits.maxUnzippedBytes)}`);
      const shared = /(^|\/)sharedStrings\.xml$/i.test(entry.fileName);
      if (shared && entry.uncompressedSize > limits.maxSharedStringsBytes)
        throw bomb(`holds more than ${megabytes(limits.maxSharedStringsBytes)} of shared strings`);
      if (entry.fileName.endsWith('/')) continue;
      let stream: Readable;
      try {
        stream = await zip.openReadStreamPromise(entry);
      } catch (e) {
        throw new Invalid(
          `this .xlsx file cannot be read (${entry.fileName}: ${message(e)}): export it again`,
          reason('import.xlsxUnreadable', { error: `${entry.fileName}: ${message(e)}` }),
        );
      }
      let strings = 0;
      let tail = '';
      // A sheet's first cell tag, read from its first 64 KB: one without its position (r="B2") is unreadable.
      let head = /^xl\/worksheets\/[^/]+\.xml$/i.test(entry.fileName) ? '' : null;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          unpacked += chunk.length;
          if (unpacked > limits.maxUnzippedBytes)
            throw bomb(`unpacks to more than ${megabytes(limits.maxUnzippedBytes)}`);
          if (head !== null) {
            head += chunk.toString('latin1');
            const cell = /<(?:\w+:)?c[\s/>][^>]*>/.exec(head);
            if (cell && !/\sr\s*=/.test(cell[0])) throw noCellRefs();
            if (cell || head.length > 65_536) head = null;
          }
          if (!shared) continue;
          const text = tail + chunk.toString('latin1');
          strings += text.match(/<(?:\w+:)?si[\s>/]/g)?.length ?? 0;
          tail = text.slice(-8);
          if (strings > limits.maxSharedStrings)
            throw bomb(`holds more than ${limits.maxSharedStrings} shared strings`);
        }
      } catch (e) {
        stream.destroy();
        if (e instanceof Invalid) throw e;
        throw bomb(`is not what it declares (${entry.fileName}: ${message(e)})`);
      }
    }
  } catch (e) {
    // The zip's own checks as it lists the parts (a part named `../../x`: "invalid relative path").
    if (e instanceof Invalid) throw e;
    throw new Invalid(
      `this .xlsx file is damaged (${message(e)}): export it again`,
      reason('import.xlsxDamaged', { error: message(e) }),
    );
  } finally {
    zip.close();
  }
}

/** The first sheet's rows, after checkXlsx; counts cells as they come. */
export async function* xlsxRows(
  path: string,
  limits: ReadLimits,
  onBytes: (n: number) => void,
): AsyncGenerator<FileRow> {
  await checkXlsx(path, limits);
  // Loaded here, not at the top: a CSV import's thread starts without this large module.
  const { default: ExcelJSLib } = await import('exceljs');
  const input = pipeline(createReadStream(path), byteCounter(onBytes), () => {}) as Transform;
  const reader = new ExcelJSLib.stream.xlsx.WorkbookReader(input, {
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    worksheets: 'emit',
    entries: 'emit',
  });
  let cells = 0;
  try {
    for await (const sheet of reader) {
      for await (const row of sheet) {
        const values = (row.values as ExcelJS.CellValue[]).slice(1);
        if (values.length > limits.maxCellsPerRow)
          throw new Invalid(
            `row ${row.number} of the sheet has ${values.length} columns: more than Excel allows`,
            reason('import.tooManyColumns', { row: row.number, columns: values.length }),
          );
        cells += values.length;
        if (cells > limits.maxCells)
          throw new Invalid(
            `the sheet has more than ${limits.maxCells} cells: split it into smaller files`,
            reason('import.tooManyCells', { max: limits.maxCells }),
            {
              limit: 'HUIKE_IMPORT_MAX_CELLS',
            },
          );
        yield { line: row.number, cells: values.map((v) => stripNul(excelCell(v))) };
      }
      break; // the first sheet is the export
    }
  } catch (e) {
    if (e instanceof Invalid) throw e;
    throw new Invalid(
      `this .xlsx file cannot be read (${message(e)}): export it again`,
      reason('import.xlsxUnreadable', { error: message(e) }),
    );
  } finally {
    input.destroy();
  }
}
