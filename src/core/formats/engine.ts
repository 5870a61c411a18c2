import { type Reason, reason } from '../reasons.js';
import { Invalid } from '../errors.js';
import { parseYuanToFen } from '../money.js';
import { mapChineseStatus, refineClosed, type OrderStatus } from '../order-status.js';
import { normalizeProvince, splitAddress } from '../address.js';
import { parseLocalDateTime } from '../time.js';
import {
  cleanCell,
  cleanHeader,
  looksLikeExcelNumber,
  parseBoolean,
  parseQuantity,
  parseSignedQuantity,
} from './cells.js';
import { ITEM_FIELDS, type Field, type FieldValues } from './fields.js';
import type { AdapterOutput, ImportFormat, ItemRecord, OrderRecord, RowError } from './types.js';

/**
 * A kind of export, described as data: which headers mean which field (by trimmed name, never by
 * position), how many rows make an order, and how its status words read.
 */
export interface FormatSpec {
  format: ImportFormat;
  label: string;
  aliases: Partial<Record<Field, readonly string[]>>;
  /** Without these columns the file is not this kind of export. */
  required: readonly Field[];
  /**
   * 'one': a row per order. 'group': rows with the same order id are one order's lines (next to each
   * other, or anywhere in the file when the reader was given a prescan).
   */
  rows: 'one' | 'group';
  /**
   * Order-level columns repeated on an order's lines must agree (Shopify, generic files): two rows
   * of one order that disagree are rejected, naming both lines, rather than the first silently
   * winning. Off for exports whose status column is per line (抖店, 京东).
   */
  orderFieldsAgree?: boolean;
  output: 'orders' | 'items';
  /** Order ids must be digits (Taobao, JD, Douyin): catches ids Excel mangled. */
  digitIds?: boolean;
  /** Reads the status from the row; default: Chinese status words, then statusMap. */
  status?: (v: FieldValues) => OrderStatus | null;
  statusMap?: Readonly<Record<string, OrderStatus>>;
  defaultStatus?: OrderStatus;
  /** Added to the reason of a row whose status word is not known (the generic mapping says where to map it). */
  unmappedStatusHint?: string;
  /** The file's total is what was paid, discounts already taken off (Shopify's Total). */
  totalIsPaid?: boolean;
  /**
   * Which rows are credit notes / cancellation documents (generic mapping): ids with this prefix,
   * or rows with a negative quantity. They become refund documents of their own.
   */
  creditNotes?: { idPrefix?: string; negativeQuantity?: boolean };
  /** Maps the province column (codes such as SH / CA) to a name; null: read it as a Chinese name. */
  province?: (v: FieldValues) => string | null;
}

interface Row {
  line: number;
  /** 1 for the first row fed to this reader, and so on. */
  seq: number;
  values: FieldValues;
  raw: Record<string, string>;
}

const NEGATIVE =
  'a negative amount is impossible on an order (for credit notes / cancellations, ' +
  'say which rows they are with "creditNotes" in the column mapping)';
const ITEM_FIELDS_SET: ReadonlySet<Field> = new Set(ITEM_FIELDS);
const PAID_STATUSES: ReadonlySet<OrderStatus> = new Set(['paid', 'shipped', 'signed', 'completed', 'refunded']);

export class ExportReader {
  private fieldOf: (Field | null)[] = [];
  private headers: string[] = [];
  private columnOf = new Map<Field, string>();
  private group: Row[] = [];
  /** Prescan: the rows of ids whose lines are split over several runs of the file. */
  private groupsLeft = new Map<string, number>();
  private held = new Map<string, Row[]>();
  private fed = 0;
  private scan: { counts: Map<string, number>; last: string | null } | null = null;

  constructor(
    readonly spec: FormatSpec,
    readonly timeZone: string,
  ) {}

  /** Maps the header row; refuses a file that is not this kind of export. */
  start(rawHeaders: readonly unknown[]): void {
    this.headers = rawHeaders.map(cleanHeader);
    const byHeader = new Map<string, Field>();
    for (const [field, names] of Object.entries(this.spec.aliases) as [Field, readonly string[]][]) {
      for (const n of names) if (!byHeader.has(n)) byHeader.set(n, field);
    }
    this.fieldOf = this.headers.map((h) => {
      const f = byHeader.get(h) ?? byHeader.get(h.replace(/\s/g, '')) ?? null;
      if (f && this.columnOf.has(f)) return null; // a second column for the same field stays raw
      if (f) this.columnOf.set(f, h);
      return f;
    });
    const missing = this.spec.required.filter((f) => !this.columnOf.has(f));
    if (missing.length > 0) {
      const want = missing.map((f) => `${f} (${(this.spec.aliases[f] ?? [f]).join(' / ')})`).join('; ');
      throw new Invalid(
        `This file is not a ${this.spec.label}: missing column ${want}. Columns ` +
          `found: ${this.headers.filter(Boolean).slice(0, 12).join(', ') || '(none)'}`,
        reason('import.missingColumn', {
          format: this.spec.label.replace(/\s*\(.*\)$/, ''),
          formatEn: this.spec.label,
          missing: missing.map((f) => (this.spec.aliases[f] ?? [f])[0]).join('」「'),
          missingEn: want,
          found: this.headers.filter(Boolean).slice(0, 12).join('、') || '—',
        }),
        { missing, found: this.headers },
      );
    }
  }

  /** The header each field was read from (for error messages and the import summary). */
  mappedColumns(): Record<string, string> {
    return Object.fromEntries(this.columnOf);
  }

  /** Whether a first pass over the rows (prescan, then endPrescan) lets split orders be merged. */
  wantsPrescan(): boolean {
    return this.spec.rows === 'group';
  }

  /**
   * First pass of a line-per-row file: counts how many separate runs of rows each order id has, so
   * that the second pass can hold back an order's lines until its last run and merge them. Memory:
   * one counter per order id, and the rows of split orders only while they are incomplete.
   */
  prescan(cells: readonly unknown[]): void {
    this.scan ??= { counts: new Map(), last: null };
    const idAt = this.fieldOf.indexOf('externalId');
    if (cells.every((c) => cleanCell(c) === '')) return;
    const id = idAt < 0 ? '' : cleanCell(cells[idAt]);
    if (id !== '' && id === this.scan.last) return;
    this.scan.last = id;
    if (id !== '') this.scan.counts.set(id, (this.scan.counts.get(id) ?? 0) + 1);
  }

  endPrescan(): void {
    for (const [id, n] of this.scan?.counts ?? []) if (n > 1) this.groupsLeft.set(id, n);
    this.scan = null;
  }

  feed(line: number, cells: readonly unknown[]): AdapterOutput[] {
    this.fed += 1; // every row fed counts, empty ones too (the caller's row ordinal)
    const values: FieldValues = {};
    const raw: Record<string, string> = {};
    let empty = true;
    cells.forEach((cell, i) => {
      const v = cleanCell(cell);
      if (v === '') return;
      empty = false;
      const f = this.fieldOf[i];
      if (f) values[f] = v;
      else raw[this.headers[i] || `column_${i + 1}`] = v;
    });
    if (empty) return [];
    const row: Row = { line, seq: this.fed, values, raw };
    if (this.spec.rows === 'one') return [this.finish([row])];
    const out: AdapterOutput[] = [];
    const current = this.group[0]?.values.externalId;
    if (this.group.length > 0 && (!values.externalId || values.externalId !== current)) out.push(...this.flush());
    this.group.push(row);
    return out;
  }

  flush(): AdapterOutput[] {
    if (this.group.length === 0) return [];
    const g = this.group;
    this.group = [];
    const id = g[0]!.values.externalId;
    const left = id === undefined ? undefined : this.groupsLeft.get(id);
    if (id === undefined || left === undefined) return [this.finish(g)];
    // An order whose lines are split over the file: hold them until its last run of rows.
    const rows = [...(this.held.get(id) ?? []), ...g];
    if (left > 1) {
      this.groupsLeft.set(id, left - 1);
      this.held.set(id, rows);
      return [];
    }
    this.groupsLeft.delete(id);
    this.held.delete(id);
    return [this.finish(rows)];
  }

  /**
   * The earliest row (1 = the first fed) of an order held back because its lines continue further
   * down the file, or null: rows from there on are not written yet.
   */
  oldestHeldRow(): number | null {
    let oldest: number | null = null;
    for (const rows of this.held.values()) if (oldest === null || rows[0]!.seq < oldest) oldest = rows[0]!.seq;
    return oldest;
  }

  /** End of file: the current order, and any held order (only if the prescan saw other rows). */
  end(): AdapterOutput[] {
    const out = this.flush();
    for (const rows of this.held.values()) out.push(this.finish(rows));
    this.held.clear();
    this.groupsLeft.clear();
    return out;
  }

  private col(f: Field): string {
    return this.columnOf.get(f) ?? f;
  }

  private finish(rows: Row[]): AdapterOutput {
    const first = rows[0]!;
    const errors: RowError[] = [];
    const fail = (line: number, field: Field | null, reason: string, value: string | null = null, why?: Reason) =>
      errors.push({ line, column: field ? this.col(field) : null, reason, value, ...(why ? { why } : {}) });

    // Order fields: the first non-empty value across the order's rows (Shopify puts them on line 1).
    const v: FieldValues = {};
    const lineOf: Partial<Record<Field, number>> = {};
    const raw: Record<string, string> = {};
    for (const r of rows) {
      for (const [k, val] of Object.entries(r.values) as [Field, string][]) {
        if (v[k] === undefined) {
          v[k] = val;
          lineOf[k] = r.line;
        } else if (this.spec.orderFieldsAgree && v[k] !== val && !ITEM_FIELDS_SET.has(k)) {
          fail(
            r.line,
            k,
            `order ${v.externalId ?? ''} appears twice with different ${this.col(k)}: ` +
              `line ${lineOf[k]} says "${v[k]}", line ${r.line} says "${val}"`,
            val,
            reason('import.duplicateOrder', {
              order: v.externalId ?? '',
              column: this.col(k),
              line1: lineOf[k] ?? 0,
              value1: v[k] ?? '',
              line2: r.line,
              value2: val,
            }),
          );
        }
      }
      for (const [k, val] of Object.entries(r.raw)) if (raw[k] === undefined) raw[k] = val;
    }
    if (errors.length > 0) return { kind: 'error', error: errors[0]!, rows: rows.length };
    const externalId = v.externalId ?? '';
    if (externalId === '') fail(first.line, 'externalId', 'order id is empty', null, reason('import.orderIdEmpty'));
    else if (looksLikeExcelNumber(externalId)) {
      fail(
        first.line,
        'externalId',
        'order id was turned into a number by Excel (e.g. 5.11861E+18) and lost ' +
          'its digits: export again, or format the column as text before saving',
        externalId,
        reason('import.orderIdExcel'),
      );
    } else if (this.spec.digitIds && !/^\d+$/.test(externalId)) {
      fail(first.line, 'externalId', 'order id must be digits', externalId, reason('import.orderIdDigits'));
    }

    const credit = this.isCreditNote(externalId, rows);
    const items = this.readItems(rows, fail, credit);
    if (this.spec.output === 'items') {
      if (errors.length > 0) return { kind: 'error', error: errors[0]!, rows: rows.length };
      return {
        kind: 'items',
        items: { line: first.line, orderExternalId: externalId, items: items ?? [], rows: rows.length },
      };
    }

    const time = (f: Field): string | null => {
      const s = v[f];
      if (s === undefined) return null;
      try {
        return parseLocalDateTime(s, this.timeZone);
      } catch {
        fail(first.line, f, `not a date/time (expected e.g. 2025-11-11 20:30:00)`, s, reason('import.notDateTime'));
        return null;
      }
    };
    const money = (f: Field): number | null => {
      const s = v[f];
      if (s === undefined) return null;
      let fen: number | null;
      try {
        fen = parseYuanToFen(s);
      } catch {
        fail(first.line, f, `not an amount (expected e.g. 128.00)`, s, reason('import.notAmount'));
        return null;
      }
      // A credit note may write its amounts negative or positive; a discount written as -10 is 10
      // off. Anywhere else a negative amount is impossible.
      if (fen !== null && fen < 0 && !credit && f !== 'discount') {
        fail(first.line, f, NEGATIVE, s, reason('import.negative'));
        return null;
      }
      return fen === null ? null : Math.abs(fen);
    };

    // A credit note's status column (if any) says nothing Huike needs: it is a refund document.
    let status: OrderStatus | null = credit ? 'refunded' : this.readStatus(v);
    if (status === null) {
      if (v.status === undefined)
        fail(first.line, 'status', 'order status is empty', null, reason('import.statusEmpty'));
      else
        fail(
          first.line,
          'status',
          `unknown order status "${v.status}"` +
            (this.spec.unmappedStatusHint ? `: ${this.spec.unmappedStatusHint}` : ''),
          v.status,
          reason(this.spec.unmappedStatusHint ? 'import.statusUnmapped' : 'import.statusUnknown', { status: v.status }),
        );
    }
    const createdAt = time('createdAt');
    let paidAt = time('paidAt');
    const shippedAt = time('shippedAt');
    const signedAt = time('signedAt');
    const closedAt = time('closedAt') ?? time('cancelledAt');
    if (v.createdAt === undefined)
      fail(first.line, 'createdAt', 'order time is empty', null, reason('import.timeEmpty'));

    const itemsTotal = items?.reduce((s, it) => s + it.priceFen * it.quantity, 0) ?? null;
    const goodsIn = money('goods');
    const shippingFen = money('shipping') ?? 0;
    const totalIn = money('total');
    const paidIn = money('paid');
    const refundedFen = money('refund') ?? 0;
    const discountIn = money('discount');
    let itemCount: number | null = null;
    if (v.itemCount !== undefined) {
      try {
        itemCount = credit ? Math.abs(parseSignedQuantity(v.itemCount)) : parseQuantity(v.itemCount);
      } catch {
        fail(first.line, 'itemCount', 'not a whole quantity', v.itemCount, reason('import.notQuantity'));
      }
    }
    if (errors.length > 0 || status === null || createdAt === null)
      return { kind: 'error', error: errors[0]!, rows: rows.length };

    if (credit) {
      // A credit note: its amount is refunded, nothing is paid. customer_stats subtracts it from the
      // buyer's net spend and counts it as a refund (core/stats.ts).
      const creditFen = paidIn ?? totalIn ?? itemsTotal ?? 0;
      return this.order(v, raw, rows, items, itemCount, true, {
        status: 'refunded',
        createdAt,
        paidAt: null,
        shippedAt: null,
        signedAt: null,
        closedAt: null,
        goodsFen: goodsIn ?? itemsTotal ?? creditFen,
        shippingFen,
        discountFen: discountIn ?? 0,
        totalFen: creditFen,
        paidFen: 0,
        refundedFen: creditFen,
      });
    }
    const goodsFen = goodsIn ?? itemsTotal ?? (totalIn !== null ? totalIn - shippingFen : (paidIn ?? 0));
    const totalFen = totalIn ?? goodsFen + shippingFen;
    const paidFen =
      paidIn ?? (PAID_STATUSES.has(status) ? totalFen - (this.spec.totalIsPaid ? 0 : (discountIn ?? 0)) : 0);
    const discountFen = discountIn ?? Math.max(0, totalFen - paidFen);
    // Exports without a payment time (generic, some JD) still say the order was paid.
    if (paidAt === null && PAID_STATUSES.has(status)) paidAt = createdAt;
    status = refineClosed(status, paidAt, paidFen, refundedFen);
    return this.order(v, raw, rows, items, itemCount, false, {
      status,
      createdAt,
      paidAt,
      shippedAt,
      signedAt,
      closedAt,
      goodsFen,
      shippingFen,
      discountFen,
      totalFen,
      paidFen,
      refundedFen,
    });
  }

  /** Whether the mapping says this order is a credit note (id prefix, or a negative quantity). */
  private isCreditNote(externalId: string, rows: Row[]): boolean {
    const cn = this.spec.creditNotes;
    if (!cn) return false;
    if (cn.idPrefix && externalId.startsWith(cn.idPrefix)) return true;
    return Boolean(
      cn.negativeQuantity &&
        rows.some((r) => /^-\s*\d/.test(r.values.itemQuantity ?? '') || /^-\s*\d/.test(r.values.itemCount ?? '')),
    );
  }

  private order(
    v: FieldValues,
    raw: Record<string, string>,
    rows: Row[],
    items: ItemRecord[] | null,
    itemCount: number | null,
    credit: boolean,
    figures: Pick<
      OrderRecord,
      | 'status'
      | 'createdAt'
      | 'paidAt'
      | 'shippedAt'
      | 'signedAt'
      | 'closedAt'
      | 'goodsFen'
      | 'shippingFen'
      | 'discountFen'
      | 'totalFen'
      | 'paidFen'
      | 'refundedFen'
    >,
  ): AdapterOutput {
    const place = v.province || v.city || v.district ? null : splitAddress(v.address);
    const receiverPhone = v.receiverPhone ?? v.receiverLandline ?? null;
    const order: OrderRecord = {
      line: rows[0]!.line,
      externalId: v.externalId ?? '',
      ...figures,
      platformStatus: v.status ?? v.financialStatus ?? null,
      // Only credit notes carry these keys, so ordinary orders keep the content hash they had.
      ...(credit ? { kind: 'credit' as const, creditOf: v.creditOf ?? null } : {}),
      buyer: {
        nick: v.buyerNick ?? null,
        externalId: v.buyerId ?? null,
        email: v.buyerEmail ?? null,
        phone: v.buyerPhone ?? receiverPhone,
        name: v.buyerName ?? v.receiverName ?? null,
      },
      receiverName: v.receiverName ?? null,
      receiverPhone,
      province: place
        ? place.province
        : (this.spec.province?.(v) ?? normalizeProvince(v.province) ?? v.province ?? null),
      city: place ? place.city : (v.city ?? null),
      district: place ? place.district : (v.district ?? null),
      address: place ? place.address : [v.street, v.address].filter(Boolean).join(' ') || null,
      buyerMessage: v.buyerMessage ?? null,
      sellerNote: v.sellerNote ?? null,
      source: v.source ?? null,
      activity: v.activity ?? null,
      couponCode: v.couponCode?.trim() || null,
      title: v.title ?? items?.[0]?.title ?? null,
      itemCount: itemCount ?? (items ? items.reduce((s, it) => s + it.quantity, 0) : null),
      acceptsMarketing: v.acceptsMarketing !== undefined ? parseBoolean(v.acceptsMarketing) : null,
      items,
      raw,
    };
    return { kind: 'order', order };
  }

  private readStatus(v: FieldValues): OrderStatus | null {
    if (this.spec.status) return this.spec.status(v);
    const word = v.status;
    if (word === undefined) return this.spec.defaultStatus ?? null;
    return this.spec.statusMap?.[word] ?? mapChineseStatus(word) ?? null;
  }

  /** The order's lines, or null when the file has no line columns at all. */
  private readItems(
    rows: Row[],
    fail: (line: number, f: Field | null, reason: string, value?: string | null, why?: Reason) => void,
    credit = false,
  ): ItemRecord[] | null {
    if (!ITEM_FIELDS.some((f) => this.columnOf.has(f))) return null;
    const seen = new Map<string, number>();
    const items: ItemRecord[] = [];
    for (const r of rows) {
      const x = r.values;
      if (!x.itemTitle && !x.itemSku && !x.itemId && !x.itemLineId) continue;
      let quantity = 1;
      let priceFen = 0;
      let paidFen: number | null = null;
      try {
        if (x.itemQuantity !== undefined) {
          // A credit note's lines are stored with the quantities they take back, as positive numbers.
          quantity = credit ? Math.abs(parseSignedQuantity(x.itemQuantity)) : parseQuantity(x.itemQuantity);
        }
      } catch {
        fail(r.line, 'itemQuantity', 'not a whole quantity', x.itemQuantity, reason('import.notQuantity'));
      }
      try {
        priceFen = parseYuanToFen(x.itemPrice) ?? 0;
        paidFen = parseYuanToFen(x.itemPaid);
        if (credit) {
          priceFen = Math.abs(priceFen);
          paidFen = paidFen === null ? null : Math.abs(paidFen);
        } else if (priceFen < 0 || (paidFen ?? 0) < 0) {
          const f = priceFen < 0 ? 'itemPrice' : 'itemPaid';
          fail(r.line, f, NEGATIVE, x[f] ?? null, reason('import.negative'));
        }
      } catch {
        fail(
          r.line,
          x.itemPaid !== undefined ? 'itemPaid' : 'itemPrice',
          'not an amount (expected e.g. 128.00)',
          x.itemPrice ?? x.itemPaid,
          reason('import.notAmount'),
        );
      }
      // A stable key per line so that re-imports update lines instead of adding them.
      let key = x.itemLineId ?? `${x.itemId ?? x.itemSku ?? x.itemTitle}|${x.itemAttrs ?? ''}`;
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n > 1) key = `${key}#${n}`;
      items.push({
        lineKey: key,
        title: x.itemTitle ?? null,
        sku: x.itemSku ?? null,
        externalItemId: x.itemId ?? null,
        category: x.itemCategory ?? null,
        quantity,
        priceFen,
        paidFen,
        refundStatus: x.itemRefundStatus ?? null,
      });
    }
    return items;
  }
}
