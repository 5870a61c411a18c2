import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { Invalid } from '../../core/errors.js';

/** A row of an export file: 1-based line number, cells as the file holds them. */
export interface FileRow {
  line: number;
  cells: unknown[];
}

export type FileKind = { type: 'xlsx' } | { type: 'csv'; encoding: 'utf8' | 'gb18030'; delimiter: string };

const SAMPLE = 64 * 1024;

/** Looks at the first bytes: XLSX (zip), UTF-8 (with or without BOM) or GBK/GB18030 text. */
export async function detectFile(path: string): Promise<FileKind> {
  const fh = await open(path, 'r');
  let buf: Buffer;
  try {
    const b = Buffer.alloc(SAMPLE);
    const { bytesRead } = await fh.read(b, 0, SAMPLE, 0);
    buf = b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  if (buf.length === 0) throw new Invalid('The file is empty');
  if (buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04) return { type: 'xlsx' };
  if (buf[0] === 0xd0 && buf[1] === 0xcf && buf[2] === 0x11 && buf[3] === 0xe0) {
    throw new Invalid(
      'This is an old Excel .xls file: open it in Excel or WPS and save it as .xlsx or .csv, then import that',
    );
  }
  if (buf.includes(0)) throw new Invalid('This file is not a CSV or XLSX export (it contains binary data)');
  let encoding: 'utf8' | 'gb18030' = 'utf8';
  const bom = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  if (!bom) {
    // A sample may end inside a multi-byte character: drop up to 3 trailing bytes before judging.
    const body = buf.length === SAMPLE ? buf.subarray(0, buf.length - 3) : buf;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      encoding = 'gb18030';
    }
  }
  const text = encoding === 'utf8' ? buf.toString('utf8') : iconv.decode(buf, 'gb18030');
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const count = (ch: string) => firstLine.split(ch).length - 1;
  const delimiter = count('\t') > count(',') ? '\t' : count(';') > count(',') ? ';' : ',';
  return { type: 'csv', encoding, delimiter };
}

/** Counts the bytes that flow through, for progress. */
function byteCounter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

/** Excel numbers and dates as text the way the cell shows them to a person. */
function excelCell(v: ExcelJS.CellValue): unknown {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) {
    // Excel stores wall-clock time without a zone; exceljs hands it over as if it were UTC.
    const iso = v.toISOString();
    return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
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

async function* csvRows(
  path: string,
  kind: Extract<FileKind, { type: 'csv' }>,
  onBytes: (n: number) => void,
): AsyncGenerator<FileRow> {
  const source = createReadStream(path)
    .pipe(byteCounter(onBytes))
    .pipe(iconv.decodeStream(kind.encoding)) as unknown as Readable;
  const parser = source.pipe(
    parse({
      delimiter: kind.delimiter,
      bom: true,
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
    }),
  );
  for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    yield { line: rec.info.lines, cells: rec.record };
  }
}

async function* xlsxRows(path: string, onBytes: (n: number) => void): AsyncGenerator<FileRow> {
  const input = createReadStream(path).pipe(byteCounter(onBytes));
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    worksheets: 'emit',
    entries: 'emit',
  });
  for await (const sheet of reader) {
    for await (const row of sheet) {
      const values = (row.values as ExcelJS.CellValue[]).slice(1);
      yield { line: row.number, cells: values.map(excelCell) };
    }
    break; // the first sheet is the export
  }
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** Streams the rows of a CSV (GBK or UTF-8) or XLSX export with constant memory. */
export async function readRows(
  path: string,
  onBytes: (n: number) => void = () => {},
): Promise<{ kind: FileKind; rows: AsyncGenerator<FileRow> }> {
  const kind = await detectFile(path);
  return { kind, rows: kind.type === 'xlsx' ? xlsxRows(path, onBytes) : csvRows(path, kind, onBytes) };
}
