import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, expect, it } from 'vitest';
import { TAOBAO_HEADER, writeTaobaoExport } from '../../src/modules/demo/taobao-export.js';

const dir = mkdtempSync(join(tmpdir(), 'huike-taobao-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const linesOf = (file: string) => iconv.decode(readFileSync(file), 'gbk').split('\r\n').filter(Boolean);

it('the generated export is the same rows buyer by buyer or newest first, as a seller downloads it', async () => {
  const byBuyer = join(dir, 'buyer.csv');
  const newest = join(dir, 'newest.csv');
  const n = await writeTaobaoExport(byBuyer, 600, { seed: 3 });
  expect(await writeTaobaoExport(newest, 600, { seed: 3, newestFirst: true })).toBe(n);
  const [head, ...rows] = linesOf(newest);
  const [head2, ...rows2] = linesOf(byBuyer);
  expect([head, head2]).toEqual([TAOBAO_HEADER.join(','), TAOBAO_HEADER.join(',')]);
  expect(rows.length).toBe(n);
  expect([...rows].sort()).toEqual([...rows2].sort());
  // 订单创建时间: the first date-time cell of a line (订单付款时间 and the later ones follow it).
  const at = (line: string) => line.match(/,(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),/)![1]!;
  const times = rows.map(at);
  expect(times).toEqual([...times].sort().reverse());
  // Buyer by buyer, a buyer's orders are together: the times are not in order there.
  expect(rows2.map(at)).not.toEqual(times);
});
