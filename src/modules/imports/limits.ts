/**
 * How much an import file may demand of the server. A crafted file (an .xlsx that unpacks to
 * gigabytes, a CSV with one enormous cell) must fail its run with a reason, never take the
 * process down: these limits are checked before and while reading, and the reading itself runs in
 * a thread whose heap is capped at `memoryMb`, the last line of defence.
 */
export interface ReadLimits {
  /** Longest CSV record (one row, all its cells), in characters. */
  maxRecordChars: number;
  /** Sum of the unpacked sizes of an .xlsx file's parts. */
  maxUnzippedBytes: number;
  /** Entries (parts) in an .xlsx file. */
  maxZipEntries: number;
  /** Unpacked size of the shared-strings part (it is held in memory while the sheet is read). */
  maxSharedStringsBytes: number;
  /** Number of shared strings. */
  maxSharedStrings: number;
  /** Cells read from the sheet in all. */
  maxCells: number;
  /** Cells in one row (Excel itself stops at 16,384 columns). */
  maxCellsPerRow: number;
  /** Heap of the thread that reads the file, in MB. */
  memoryMb: number;
}

const MB = 1024 * 1024;

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

/** The limits in force: defaults, overridden by HUIKE_IMPORT_* environment variables (see README). */
export function readLimits(): ReadLimits {
  return {
    maxRecordChars: Math.round(envNumber('HUIKE_IMPORT_MAX_ROW_KB', 1024) * 1024),
    maxUnzippedBytes: Math.round(envNumber('HUIKE_IMPORT_MAX_UNZIPPED_MB', 2048) * MB),
    maxZipEntries: 10_000,
    maxSharedStringsBytes: Math.round(envNumber('HUIKE_IMPORT_MAX_SHARED_STRINGS_MB', 256) * MB),
    maxSharedStrings: Math.round(envNumber('HUIKE_IMPORT_MAX_SHARED_STRINGS', 10_000_000)),
    maxCells: Math.round(envNumber('HUIKE_IMPORT_MAX_CELLS', 200_000_000)),
    maxCellsPerRow: 16_384,
    memoryMb: Math.round(envNumber('HUIKE_IMPORT_MEMORY_MB', 1024)),
  };
}

export function megabytes(bytes: number): string {
  return `${Math.round((bytes / MB) * 10) / 10} MB`;
}
