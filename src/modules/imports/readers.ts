import { reason } from '../../core/reasons.js';
import { open, stat } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import iconv from 'iconv-lite';
import { Invalid } from '../../core/errors.js';
import { startThread } from '../../jobs/threads.js';
import { readLimits, type ReadLimits } from './limits.js';
import type { FileKind, FileRow } from './read-file.js';
import type { FromReader, ReaderData, ToReader } from './read-thread.js';
import type { MapOptions, MappedBatch } from './map-rows.js';

export type { FileKind, FileRow } from './read-file.js';

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
  if (buf.length === 0) throw new Invalid('The file is empty', reason('import.emptyFile'));
  if (buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04) return { type: 'xlsx' };
  if (buf[0] === 0xd0 && buf[1] === 0xcf && buf[2] === 0x11 && buf[3] === 0xe0) {
    throw new Invalid(
      'This is an old Excel .xls file: open it in Excel or WPS and save it as .xlsx or .csv, then import that',
      reason('import.xls'),
    );
  }
  if (buf.includes(0))
    throw new Invalid('This file is not a CSV or XLSX export (it contains binary data)', reason('import.binary'));
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

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** Starts the read thread (read-thread.ts/.js) with its heap capped. */
function startReadThread(data: ReaderData): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: data.limits.memoryMb };
  return startThread(import.meta.url, 'read-thread', { workerData: data, resourceLimits });
}

/** Why the read thread stopped, in words for the import's message. */
function threadFailure(e: Error & { code?: string }, limits: ReadLimits): Invalid {
  if (e.code === 'ERR_WORKER_OUT_OF_MEMORY')
    return new Invalid(
      `reading this file needed more than the ${limits.memoryMb} MB an import may use: it is damaged or built to ` +
        'exhaust the server, and was not imported. Export it again, or split it into smaller files',
      reason('import.memory', { mb: limits.memoryMb }),
      { limit: 'HUIKE_IMPORT_MEMORY_MB' },
    );
  return new Invalid(`the file could not be read: ${e.message}`, reason('import.unreadable', { error: e.message }));
}

/** What the capped thread sends (rows, or mapped batches), handed over as the importer asks for them. */
async function* threadMessages(data: ReaderData, onBytes: (n: number) => void): AsyncGenerator<string> {
  const worker = startReadThread(data);
  const inbox: FromReader[] = [];
  let failure: Invalid | null = null;
  let exited = false;
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  worker.on('message', (m: FromReader) => {
    inbox.push(m);
    poke();
  });
  worker.on('error', (e) => {
    failure = threadFailure(e, data.limits);
    poke();
  });
  worker.on('exit', () => {
    exited = true;
    poke();
  });
  try {
    for (;;) {
      while (inbox.length === 0 && !failure && !exited) await new Promise<void>((r) => (wake = r));
      if (failure) throw failure;
      const m = inbox.shift();
      if (!m)
        throw new Invalid(
          'the file could not be read: its reader stopped without saying why',
          reason('import.readerStopped'),
        );
      if (m.type === 'end') return;
      if (m.type === 'error') {
        // The thread reads nothing but the file: what stopped it is the file's (an error of a library reading it
        // answered 500 where the libraries' own checks were not wrapped).
        if (!m.invalid)
          throw new Invalid(
            `the file could not be read: ${m.message}`,
            reason('import.unreadable', { error: m.message }),
          );
        throw new Invalid(m.message, m.reason ?? reason('import.unreadable', { error: m.message }), m.details);
      }
      onBytes(m.bytes);
      worker.postMessage({ type: 'more' } satisfies ToReader);
      // Each batch from a turn of the event loop of its own. Node hands a port's waiting messages over in one
      // go (up to 1,000), running what each one resumes before the next; the thread sends the next batch while
      // this one is written, so without this the whole import ran inside that one hand-over and no timer fired
      // for minutes: the run's heartbeat, the job's lease (60 s), a progress bar's redraw.
      await new Promise<void>((r) => setImmediate(r));
      yield m.type === 'rows' ? m.rows : m.batch;
    }
  } finally {
    await worker.terminate();
  }
}

async function* threadRows(data: ReaderData, onBytes: (n: number) => void): AsyncGenerator<FileRow> {
  for await (const text of threadMessages(data, onBytes)) yield* JSON.parse(text) as FileRow[];
}

async function* threadBatches(data: ReaderData, onBytes: (n: number) => void): AsyncGenerator<MappedBatch> {
  for await (const text of threadMessages(data, onBytes)) yield JSON.parse(text) as MappedBatch;
}

/**
 * Streams the rows of a CSV (GBK or UTF-8) or XLSX export with constant memory. The file is read
 * in a thread with a capped heap and checked against the import limits (limits.ts): a bad file
 * ends the iteration with an Invalid error that says what is wrong.
 */
export async function readRows(
  path: string,
  onBytes: (n: number) => void = () => {},
  limits: ReadLimits = readLimits(),
): Promise<{ kind: FileKind; rows: AsyncGenerator<FileRow> }> {
  const kind = await detectFile(path);
  return { kind, rows: threadRows({ path, kind, limits }, onBytes) };
}

/**
 * An export read and mapped to orders in the capped thread, in the batches the importer writes
 * (map-rows.ts): the parsing and mapping of the next batches go on while the database writes.
 */
export async function readBatches(
  path: string,
  map: MapOptions,
  onBytes: (n: number) => void = () => {},
  limits: ReadLimits = readLimits(),
): Promise<AsyncGenerator<MappedBatch>> {
  const kind = await detectFile(path);
  return threadBatches({ path, kind, limits, map }, onBytes);
}
