import { writeFileSync } from 'node:fs';
import { constants, crc32, deflateRawSync } from 'node:zlib';

/**
 * Writes zip archives by hand, so tests can build what no honest tool would: parts that unpack to
 * gigabytes from a few megabytes, and headers that lie about their sizes.
 */
export interface ZipPart {
  name: string;
  /** Deflated bytes (raw deflate). */
  deflated: Buffer;
  /** What the headers say it unpacks to (the truth, unless the test wants a lie). */
  size: number;
  crc: number;
}

export function part(name: string, content: string | Buffer): ZipPart {
  const buf = typeof content === 'string' ? Buffer.from(content) : content;
  return { name, deflated: deflateRawSync(buf), size: buf.length, crc: crc32(buf) };
}

/**
 * A part made of `prefix`, then `repeat` MiB of the letter A, then `suffix`, deflated without
 * ever holding it: each MiB compresses to the same bytes after a full flush, so the compressed
 * stream is those bytes repeated (about 1 KB per MiB).
 */
export function bombPart(name: string, prefix: string, repeatMiB: number, suffix: string): ZipPart {
  const flush = { finishFlush: constants.Z_FULL_FLUSH };
  const head = deflateRawSync(Buffer.from(prefix), flush);
  const block = deflateRawSync(Buffer.alloc(1024 * 1024, 'A'), flush);
  const tail = deflateRawSync(Buffer.from(suffix));
  const chunks = [head];
  for (let i = 0; i < repeatMiB; i++) chunks.push(block);
  chunks.push(tail);
  return {
    name,
    deflated: Buffer.concat(chunks),
    size: Buffer.byteLength(prefix) + repeatMiB * 1024 * 1024 + Buffer.byteLength(suffix),
    crc: 0, // never reached: the reader must stop long before the end
  };
}

export function writeZip(path: string, parts: ZipPart[]): void {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const p of parts) {
    const name = Buffer.from(p.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(p.crc >>> 0, 14);
    local.writeUInt32LE(p.deflated.length, 18);
    local.writeUInt32LE(p.size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, p.deflated);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(p.crc >>> 0, 16);
    central.writeUInt32LE(p.deflated.length, 20);
    central.writeUInt32LE(p.size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + p.deflated.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(path, Buffer.concat([...locals, dir, end]));
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
  ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
  ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml"
  ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>`;
const RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1"
  Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
  Target="xl/workbook.xml"/>
</Relationships>`;
const WORKBOOK = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
  xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets>
<sheet name="Sheet1" sheetId="1" r:id="rId1"/>
</sheets>
</workbook>`;
const WORKBOOK_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1"
  Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
  Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2"
  Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
  Target="sharedStrings.xml"/>
</Relationships>`;
const SHEET = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData>
<row r="1">
<c r="A1" t="s">
<v>0</v>
</c>
</row>
</sheetData>
</worksheet>`;

/**
 * An .xlsx whose shared strings unpack to `MiB` mebibytes: one string of that many letters.
 * `lie` makes the headers declare a small size instead of the real one.
 */
export function writeXlsxBomb(path: string, MiB: number, lie = false): void {
  const bomb = bombPart(
    'xl/sharedStrings.xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
      '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>',
    MiB,
    '</t></si></sst>',
  );
  if (lie) bomb.size = 10_000;
  writeZip(path, [
    part('[Content_Types].xml', CONTENT_TYPES),
    part('_rels/.rels', RELS),
    part('xl/workbook.xml', WORKBOOK),
    part('xl/_rels/workbook.xml.rels', WORKBOOK_RELS),
    bomb,
    part('xl/worksheets/sheet1.xml', SHEET),
  ]);
}

/** An .xlsx with many tiny shared strings (each `<si><t>x</t></si>`). */
export function writeXlsxManyStrings(path: string, count: number): void {
  const strings = '<si><t>x</t></si>'.repeat(count);
  writeZip(path, [
    part('[Content_Types].xml', CONTENT_TYPES),
    part('_rels/.rels', RELS),
    part('xl/workbook.xml', WORKBOOK),
    part('xl/_rels/workbook.xml.rels', WORKBOOK_RELS),
    part(
      'xl/sharedStrings.xml',
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
        `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${strings}</sst>`,
    ),
    part('xl/worksheets/sheet1.xml', SHEET),
  ]);
}

/** A one-row .xlsx with one more part, named as given (a `../` path, say). */
export function writeXlsxWithPart(path: string, name: string, content: string): void {
  writeZip(path, [
    part('[Content_Types].xml', CONTENT_TYPES),
    part('_rels/.rels', RELS),
    part('xl/workbook.xml', WORKBOOK),
    part('xl/_rels/workbook.xml.rels', WORKBOOK_RELS),
    part(name, content),
    part('xl/worksheets/sheet1.xml', SHEET),
  ]);
}

/** An .xlsx whose one sheet is this XML (inline strings: no shared strings part). */
export function writeXlsxSheet(path: string, sheetXml: string): void {
  writeZip(path, [
    part('[Content_Types].xml', CONTENT_TYPES),
    part('_rels/.rels', RELS),
    part('xl/workbook.xml', WORKBOOK),
    part('xl/_rels/workbook.xml.rels', WORKBOOK_RELS),
    part('xl/worksheets/sheet1.xml', sheetXml),
  ]);
}
