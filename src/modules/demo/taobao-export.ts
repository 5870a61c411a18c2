import { createWriteStream } from 'node:fs';
import { csvQuote as csvCell } from '../../core/csv.js';
import { once } from 'node:events';
import iconv from 'iconv-lite';
import type { OrderRecord } from '../../core/formats/types.js';
import { generateDemo } from './generate.js';

/**
 * Writes generated orders as a Taobao 订单报表 (GBK, ="…" guarded ids), the file a seller would
 * download: used by the crash test and the import benchmark.
 */
export const TAOBAO_HEADER = [
  '订单编号',
  '买家会员名',
  '买家应付货款',
  '买家应付邮费',
  '总金额',
  '买家实际支付金额',
  '订单状态',
  '买家留言',
  '收货人姓名',
  '收货地址 ',
  '联系手机',
  '订单创建时间',
  '订单付款时间 ',
  '宝贝标题 ',
  '宝贝总数量',
  '订单备注',
  '退款金额',
  '确认收货时间',
  '发货时间',
];

const STATUS_WORD: Record<OrderRecord['status'], string> = {
  created: '等待买家付款',
  paid: '买家已付款，等待卖家发货',
  shipped: '卖家已发货，等待买家确认',
  signed: '卖家已发货，等待买家确认',
  completed: '交易成功',
  closed: '交易关闭',
  refunded: '交易关闭',
};

const yuan = (fen: number) => (fen / 100).toFixed(2);
/** UTC ISO → "2025-11-11 00:01:23" in Asia/Shanghai. */
const local = (iso: string | null) =>
  iso ? new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ') : '';

export function taobaoLine(o: OrderRecord): string {
  const cells = [
    `="${o.externalId}"`,
    csvCell(o.buyer.nick ?? ''),
    yuan(o.goodsFen),
    yuan(o.shippingFen),
    yuan(o.totalFen),
    yuan(o.paidFen),
    STATUS_WORD[o.status],
    csvCell(o.buyerMessage ?? ''),
    csvCell(o.receiverName ?? ''),
    csvCell([o.province, o.city, o.district, o.address].filter(Boolean).join(' ')),
    `${o.receiverPhone ?? ''}\t`,
    local(o.createdAt),
    local(o.paidAt),
    csvCell(o.title ?? ''),
    String(o.itemCount ?? 1),
    csvCell(o.sellerNote ?? ''),
    yuan(o.refundedFen),
    local(o.signedAt),
    local(o.shippedAt),
  ];
  return cells.join(',');
}

/**
 * Writes at least `rows` orders of a generated shop as a GBK Taobao export; returns the row count. The generator
 * makes the shop buyer by buyer, so by default a buyer's orders are next to each other; `newestFirst` writes them by
 * creation time, newest first, as the seller's 订单报表 lists them (a buyer's orders then spread over the whole file).
 */
export async function writeTaobaoExport(
  path: string,
  rows: number,
  opts: { seed?: number; until?: Date; newestFirst?: boolean } = {},
): Promise<number> {
  const out = createWriteStream(path);
  const encode = (s: string) => iconv.encode(s, 'gbk');
  out.write(encode(TAOBAO_HEADER.join(',') + '\r\n'));
  let written = 0;
  let buffer: string[] = [];
  const held: { at: string; line: string }[] = [];
  const gen = generateDemo({
    customers: Number.MAX_SAFE_INTEGER,
    seed: opts.seed ?? 7,
    until: opts.until ?? new Date('2026-11-22T00:00:00Z'),
  });
  const flush = async (lines: string[]) => {
    if (!out.write(encode(lines.join('\r\n') + '\r\n'))) await once(out, 'drain');
  };
  for (const { orders } of gen) {
    for (const o of orders) {
      if (o.store !== 'tmall') continue;
      if (opts.newestFirst) held.push({ at: o.record.createdAt, line: taobaoLine(o.record) });
      else buffer.push(taobaoLine(o.record));
      written += 1;
    }
    if (buffer.length >= 5000 || (written >= rows && buffer.length > 0)) {
      await flush(buffer);
      buffer = [];
    }
    if (written >= rows) break;
  }
  held.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  for (let i = 0; i < held.length; i += 5000) await flush(held.slice(i, i + 5000).map((h) => h.line));
  out.end();
  await once(out, 'finish');
  return written;
}
