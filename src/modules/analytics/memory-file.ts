import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MemoryIndex } from '../../core/analytics-memory.js';
import { sqlitePath } from '../../db/connect.js';
import { yieldToEventLoop } from '../event-loop.js';

/**
 * The analytics held in memory (memory.ts) saved to a file per workspace, so a server start answers from memory at
 * once instead of after a full load (tens of seconds at a million customers): the file holds the index's columns
 * and its version with that version's change stamp (migration 0060); at start it is read back and caught up from
 * the change log like any index behind (memory.ts), provided the database still holds that change with that stamp
 * (else: a restored or another database, a rebuild since, a log pruned past it — the full load as before).
 *
 * Layout: a 4-byte length, a JSON header (format, workspace, version, stamp, the interned lists, each column's
 * type and length), then each column's bytes at an 8-byte boundary, then the customer ids in slot order, one a
 * line. Written to a temporary name and renamed, so a crash leaves the old file or none; a file that does not read
 * back is ignored.
 */

const FORMAT = 1;

type Kind = 'i32' | 'u16' | 'u8' | 'f64';
type Numbers = Int32Array | Uint16Array | Uint8Array | Float64Array;
const MAKE: Record<Kind, (b: ArrayBuffer) => Numbers> = {
  i32: (b) => new Int32Array(b),
  u16: (b) => new Uint16Array(b),
  u8: (b) => new Uint8Array(b),
  f64: (b) => new Float64Array(b),
};
const kindOf = (a: Numbers): Kind =>
  a instanceof Int32Array ? 'i32' : a instanceof Uint16Array ? 'u16' : a instanceof Uint8Array ? 'u8' : 'f64';

interface Header {
  format: number;
  ws: string;
  version: number;
  stamp: string;
  lists: Pick<MemoryIndex, 'stores' | 'genders' | 'cities' | 'birthdays' | 'products'>;
  columns: { name: string; kind: Kind; length: number }[];
  ids: number;
}

/** The columns of an index in file order, by a name that says where each goes back. */
function columnsOf(x: MemoryIndex): [string, Numbers][] {
  const b = x.buyers;
  const p = x.productRows;
  return [
    ['productGroup', x.productGroup],
    ...Object.entries(b).map(([k, v]) => [`buyers.${k}`, v] as [string, Numbers]),
    ...Object.entries(p).map(([k, v]) => [`productRows.${k}`, v] as [string, Numbers]),
  ];
}

/** Where the analytics in memory are saved: HUIKE_ANALYTICS_MEMORY_DIR, else beside a SQLite file, else data/. */
export function memoryDirFor(dbUrl: string): string | undefined {
  const env = process.env.HUIKE_ANALYTICS_MEMORY_DIR;
  if (env !== undefined) return env === '' ? undefined : env;
  if (dbUrl.startsWith('postgres')) return join('data', 'analytics-memory');
  const path = sqlitePath(dbUrl);
  return path === ':memory:' ? undefined : `${path}.analytics-memory`;
}

const fileOf = (dir: string, ws: string) => join(dir, `${ws.replace(/[^A-Za-z0-9_-]/g, '_')}.bin`);

/** Saves the index read at `version` (whose change has `stamp`); yields between columns and id chunks. */
export async function saveIndex(dir: string, ws: string, version: number, stamp: string, x: MemoryIndex) {
  await mkdir(dir, { recursive: true });
  const file = fileOf(dir, ws);
  const tmp = `${file}.${process.pid}.tmp`;
  const bySlot: string[] = new Array(x.buyers.start.length - 1).fill('');
  for (const [id, slot] of x.ids) bySlot[slot] = id;
  const cols = columnsOf(x);
  const header: Header = {
    format: FORMAT,
    ws,
    version,
    stamp,
    lists: { stores: x.stores, genders: x.genders, cities: x.cities, birthdays: x.birthdays, products: x.products },
    columns: cols.map(([name, a]) => ({ name, kind: kindOf(a), length: a.length })),
    ids: bySlot.length,
  };
  const json = Buffer.from(JSON.stringify(header));
  const fh = await open(tmp, 'w');
  try {
    let at = 0;
    const write = async (bytes: Uint8Array) => {
      await fh.write(bytes, 0, bytes.length, at);
      at += bytes.length;
    };
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length);
    await write(len);
    await write(json);
    for (const [, a] of cols) {
      if (at % 8) await write(new Uint8Array(8 - (at % 8)));
      await write(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
    for (let i = 0; i < bySlot.length; i += 50_000) {
      await write(Buffer.from(`${bySlot.slice(i, i + 50_000).join('\n')}\n`));
      await yieldToEventLoop();
    }
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/** The saved index of the workspace with its version and stamp, or null (none, unreadable, another format). */
export async function readIndex(
  dir: string,
  ws: string,
): Promise<{ index: MemoryIndex; version: number; stamp: string } | null> {
  let buf: Buffer;
  try {
    buf = await readFile(fileOf(dir, ws));
  } catch {
    return null;
  }
  try {
    const len = buf.readUInt32LE(0);
    const header = JSON.parse(buf.toString('utf8', 4, 4 + len)) as Header;
    if (header.format !== FORMAT || header.ws !== ws) return null;
    let at = 4 + len;
    const cols: Record<string, Numbers> = {};
    for (const c of header.columns) {
      if (at % 8) at += 8 - (at % 8);
      const bytes = c.length * MAKE[c.kind](new ArrayBuffer(0)).BYTES_PER_ELEMENT;
      if (at + bytes > buf.length) return null;
      cols[c.name] = MAKE[c.kind](buf.buffer.slice(buf.byteOffset + at, buf.byteOffset + at + bytes) as ArrayBuffer);
      at += bytes;
    }
    const ids = new Map<string, number>();
    let slot = 0;
    let from = at;
    // The ids a line each; the map filled with a yield every 100,000 so the loop keeps answering.
    while (slot < header.ids) {
      const nl = buf.indexOf(10, from);
      if (nl < 0) return null;
      ids.set(buf.toString('utf8', from, nl), slot++);
      from = nl + 1;
      if (slot % 100_000 === 0) await yieldToEventLoop();
    }
    const group = (prefix: string) =>
      Object.fromEntries(
        Object.entries(cols)
          .filter(([k]) => k.startsWith(`${prefix}.`))
          .map(([k, v]) => [k.slice(prefix.length + 1), v]),
      );
    const index = {
      ids,
      productGroup: cols.productGroup as Int32Array,
      ...header.lists,
      buyers: group('buyers'),
      productRows: group('productRows'),
    } as unknown as MemoryIndex;
    if (index.buyers.start.length - 1 !== header.ids || index.productGroup.length !== header.ids) return null;
    return { index, version: header.version, stamp: header.stamp };
  } catch {
    return null;
  }
}

/** Removes the workspace's saved index (it no longer matches the database). */
export async function dropIndexFile(dir: string, ws: string): Promise<void> {
  await rm(fileOf(dir, ws), { force: true });
}
