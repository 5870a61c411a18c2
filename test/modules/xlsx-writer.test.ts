import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { tablesXlsx } from '../../src/modules/tables.js';
import { ExcelSlots, XlsxWriter } from '../../src/modules/xlsx.js';
import { sheetName } from '../../src/modules/xlsx-book.js';
import { attachment } from '../../src/modules/segments/service.js';

function collect(out: PassThrough): Promise<Buffer> {
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    out.on('end', () => resolve(Buffer.concat(chunks)));
    out.on('error', reject);
  });
}

async function workbook(bytes: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  return wb;
}

describe('Excel files written on a thread of their own', () => {
  // 4,500 rows go to the Excel thread (three batches of 2,000 a message, back in order); 120 are written here.
  it.each([4500, 120])(
    '%i rows: sheets in order with formats, Excel-safe unique names, formulas as text',
    async (n) => {
      const out = new PassThrough();
      const file = collect(out);
      const rows = Array.from({ length: n }, (_, i) => [`客户${i}`, i, i * 1.5]);
      rows[7] = ['=HYPERLINK("http://x")', 7, 10.5];
      await tablesXlsx(
        [
          {
            title: '商品/排行:前[10]',
            columns: [
              { name: '商品', kind: 'text' },
              { name: '件数', kind: 'int' },
              { name: '金额', kind: 'money' },
            ],
            rows,
          },
          { title: '商品/排行:前[10]', columns: [{ name: '占比', kind: 'pct' }], rows: [[0.25]] },
        ],
        out,
      );
      const wb = await workbook(await file);
      expect(wb.worksheets.map((s) => s.name)).toEqual(['商品 排行 前 10', '商品 排行 前 10_2']);
      const [first, second] = wb.worksheets as [ExcelJS.Worksheet, ExcelJS.Worksheet];
      expect(first.rowCount).toBe(n + 1);
      expect(first.getRow(1).values).toEqual([undefined, '商品', '件数', '金额']);
      expect(first.getRow(n + 1).values).toEqual([undefined, `客户${n - 1}`, n - 1, (n - 1) * 1.5]);
      expect(first.getRow(9).getCell(1).value).toBe('\'=HYPERLINK("http://x")');
      expect(first.getColumn(3).numFmt).toBe('#,##0.00');
      expect(second.getRow(2).getCell(1).value).toBe(0.25);
      expect(second.getColumn(1).numFmt).toBe('0.00%');
    },
  );

  it('waits for the download to take the bytes before writing more (constant memory)', async () => {
    const out = new PassThrough({ highWaterMark: 16 * 1024 });
    const xlsx = new XlsxWriter(out);
    xlsx.sheet('rows', [{ header: 'text', width: 20 }]);
    // Random text, so the zip cannot squeeze the batch below the mark.
    const batch = Array.from({ length: 2000 }, () => [randomBytes(48).toString('base64')]);
    await xlsx.rows(batch);
    // Nobody reads: the first batch's bytes fill `out` past its mark, and the next batch waits until they are taken.
    await new Promise((r) => setTimeout(r, 1000));
    expect(out.writableNeedDrain).toBe(true);
    let written = false;
    const pending = xlsx.rows(batch).then(() => (written = true));
    await new Promise((r) => setTimeout(r, 1000));
    expect(written).toBe(false);
    const file = collect(out);
    await pending;
    await xlsx.end();
    const wb = await workbook(await file);
    expect(wb.worksheets[0]!.rowCount).toBe(4001);
  });

  it('stops when the download closes early, and the failure reaches the caller', async () => {
    const out = new PassThrough({ highWaterMark: 1024 });
    const xlsx = new XlsxWriter(out);
    xlsx.sheet('rows', [{ header: 'text', width: 20 }]);
    const batch = Array.from({ length: 2000 }, (_, i) => [`${'行'.repeat(40)}${i}`]);
    const pending = xlsx.rows(batch);
    setTimeout(() => out.destroy(), 200);
    await expect(pending).rejects.toThrow();
    await expect(xlsx.rows([['more']])).rejects.toThrow('the download was closed before the file was complete');
  });

  it('a failure inside the thread ends the download as an error', async () => {
    const out = new PassThrough();
    const xlsx = new XlsxWriter(out);
    const failed = new Promise<Error>((resolve) => out.on('error', resolve));
    // Rows before any sheet: the thread refuses them.
    try {
      await xlsx.rows([['orphan']]);
    } catch (e) {
      xlsx.abort(e);
    }
    expect((await failed).message).toContain('rows before a sheet');
  });

  it('a download that takes nothing is stopped after the stall limit', async () => {
    const out = new PassThrough({ highWaterMark: 16 * 1024 });
    const xlsx = new XlsxWriter(out, { stallMs: 800 });
    xlsx.sheet('rows', [{ header: 'text', width: 20 }]);
    const batch = Array.from({ length: 2000 }, () => [randomBytes(48).toString('base64')]);
    await xlsx.rows(batch);
    await new Promise((r) => setTimeout(r, 500));
    // Nobody reads: the next batch waits for room, and past the limit the export stops.
    await expect(xlsx.rows(batch)).rejects.toThrow('the download took nothing for 1 s: the export was stopped');
    await expect(xlsx.end()).rejects.toThrow('the export was stopped');
  });

  it('names sheets as Excel accepts them, whatever a segment is called', () => {
    const one = (title: string, used: string[] = []) => sheetName(title, new Set(used));
    expect(one('江浙沪女装复购客')).toBe('江浙沪女装复购客');
    expect(one('/\\?*[]:')).toBe('sheet');
    expect(one("'quoted'")).toBe('quoted');
    expect(one('History')).toBe('History_');
    expect(one('tab\there\nnew\u0001line')).toBe('tab here new line');
    expect(one('\u202Eevil\u202C name')).toBe('evil name');
    // Cut between whole characters, 28 UTF-16 units at most (Excel allows 31; room for _2).
    const emoji = one(`${'x'.repeat(27)}😀tail`);
    expect(emoji).toBe('x'.repeat(27));
    expect(one('😀'.repeat(20))).toBe('😀'.repeat(14));
    // Unique regardless of case.
    expect(one('Sheet', ['sheet'])).toBe('Sheet_2');
    expect(one('a', ['a', 'a_2'])).toBe('a_3');
  });

  it('a file name keeps to RFC 6266/5987: apostrophes and brackets encoded', () => {
    expect(attachment({ utf8: "'quoted' (1)*.xlsx", ascii: 'segment.xlsx' })).toBe(
      `attachment; filename="segment.xlsx"; filename*=UTF-8''%27quoted%27%20%281%29%2A.xlsx`,
    );
  });

  it('starts at most as many Excel threads as there are slots; the others wait their turn or give it up', async () => {
    const slots = new ExcelSlots(1);
    const open = () => {
      const out = new PassThrough();
      const xlsx = new XlsxWriter(out, { slots });
      xlsx.sheet('rows', [{ header: 'n', width: 10 }]);
      return { out, xlsx, file: collect(out) };
    };
    const first = open();
    const second = open();
    const third = open();
    await first.xlsx.rows([[1]]);
    let secondWritten = false;
    const secondRows = second.xlsx.rows([[2]]).then(() => (secondWritten = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(secondWritten).toBe(false);
    // The third gives up while waiting (its client left): it leaves the queue and takes nothing.
    const thirdRows = third.xlsx.rows([[3]]);
    third.out.destroy();
    await expect(thirdRows).rejects.toThrow();
    await first.xlsx.end();
    await secondRows;
    await second.xlsx.end();
    for (const [w, n] of [
      [first, 1],
      [second, 2],
    ] as const) {
      const wb = await workbook(await w.file);
      expect(wb.worksheets[0]!.getRow(2).getCell(1).value).toBe(n);
    }
    // Both slots' threads gone: a new one starts at once.
    const fourth = open();
    await fourth.xlsx.rows([[4]]);
    await fourth.xlsx.end();
  });
});
