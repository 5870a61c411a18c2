import { AGE_BANDS, AOV_BANDS, FREQUENCY_BANDS, type DateRange, shiftYears } from './analytics-views.js';

/**
 * The distribution and the products of any date range from a workspace's buyer rows held in memory as columns
 * (typed arrays; store ids, genders, cities, birthdays and products interned to small ints), in one pass. The
 * same numbers as the SQL that groups the range's rows of analytics_buyer_days / analytics_product_days by buyer
 * (modules/analytics/views.ts): a buyer's band depends on their whole range, so no sum over days gives them, but
 * a pass over every buyer's few rows in memory takes tens of milliseconds at millions of rows. No I/O here: the
 * loader (modules/analytics/memory.ts) fills the columns.
 */

/** A local day 'YYYY-MM-DD' as the integer YYYYMMDD (ordered as the text is). */
export function dayNumber(day: string): number {
  return Number(day.slice(0, 4)) * 10_000 + Number(day.slice(5, 7)) * 100 + Number(day.slice(8, 10));
}

/** Rows grouped by customer: customer c's rows are start[c] … start[c + 1] − 1. */
export interface RowGroups {
  start: Int32Array;
  day: Int32Array;
  store: Uint16Array;
  orders: Int32Array;
  revenue: Float64Array;
}

/** The buyer-day rows (analytics_buyer_days) and each buyer's customer row as the distribution joins it. */
export interface BuyerColumns extends RowGroups {
  /** Per buyer: 1 when the customer row exists (the people bands count only those). */
  hasCustomer: Uint8Array;
  /** Per buyer: indexes into MemoryIndex.genders / cities / birthdays (null is ''). */
  gender: Int32Array;
  city: Int32Array;
  birthday: Int32Array;
}

/** The product-day rows (analytics_product_days), grouped by customer. */
export interface ProductColumns extends RowGroups {
  product: Int32Array;
  units: Int32Array;
}

export interface MemoryIndex {
  /**
   * Each customer's slot: their buyer rows are group `slot` of `buyers` (empty when they have only product rows),
   * and their product rows group `productGroup[slot]` of `productRows` (-1: none). What a splice
   * (analytics-memory-splice.ts) finds a changed customer's rows by.
   */
  ids: Map<string, number>;
  productGroup: Int32Array;
  stores: string[];
  genders: string[];
  cities: string[];
  birthdays: string[];
  products: string[];
  buyers: BuyerColumns;
  productRows: ProductColumns;
}

/** One dimension's buyers per key, as views.ts reads them from SQL (freq, aov: all buyers; people: with a row). */
export interface BandRow {
  dim: string;
  key: string;
  n: number;
  rev: number;
}

export interface ProductRow {
  product: string;
  units: number;
  orders: number;
  revenue: number;
  buyers: number;
  repeaters: number;
}

/** Bytes held by an index's columns (the memory cap compares this). */
export function indexBytes(x: MemoryIndex): number {
  const cols = [x.buyers, x.productRows] as unknown as Record<string, ArrayBufferView>[];
  let bytes = 0;
  for (const c of cols) for (const v of Object.values(c)) bytes += v.byteLength;
  // The customer-id map: an entry and a short string each (an estimate; V8 does not say).
  bytes += x.ids.size * 90 + x.productGroup.byteLength;
  const strings = [x.stores, x.genders, x.cities, x.birthdays, x.products];
  for (const list of strings) for (const s of list) bytes += 40 + 2 * s.length;
  return bytes;
}

function storeMask(x: MemoryIndex, storeIds: readonly string[]): Uint8Array {
  const mask = new Uint8Array(Math.max(1, x.stores.length));
  const wanted = new Set(storeIds);
  x.stores.forEach((s, i) => {
    if (wanted.has(s)) mask[i] = 1;
  });
  return mask;
}

const FREQ_MAX = FREQUENCY_BANDS.filter((b) => Number.isFinite(b.max)).map((b) => b.max as number);
const AOV_MAX = AOV_BANDS.filter((b) => Number.isFinite(b.max)).map((b) => b.max as number);

/** The first band whose `ord <= max` (SQL: CASE WHEN x.ord <= max …), else the last. */
function freqBand(ord: number): number {
  for (let i = 0; i < FREQ_MAX.length; i++) if (ord <= FREQ_MAX[i]!) return i;
  return FREQ_MAX.length;
}

/** The first band whose `rev < max * ord` (the average compared without division), else the last. */
function aovBand(rev: number, ord: number): number {
  for (let i = 0; i < AOV_MAX.length; i++) if (rev < AOV_MAX[i]! * ord) return i;
  return AOV_MAX.length;
}

/**
 * Each interned birthday's age band on the range's last day, as the SQL: unknown when empty; else the first band
 * whose cut (born after `to` − (max + 1) years, compared as text) the birthday is after; else the oldest.
 */
function ageBands(birthdays: readonly string[], to: string): Int32Array {
  const cuts = AGE_BANDS.slice(0, -1).map((b) => shiftYears(to, -(b.max + 1)));
  const unknown = AGE_BANDS.length;
  return Int32Array.from(birthdays, (bd) => {
    if (bd === '') return unknown;
    const i = cuts.findIndex((cut) => bd > cut);
    return i === -1 ? AGE_BANDS.length - 1 : i;
  });
}

/** The distribution's band rows of a range over these stores (the buyers with a row in both). */
export function distributionBands(x: MemoryIndex, range: DateRange, storeIds: readonly string[]): BandRow[] {
  const b = x.buyers;
  const mask = storeMask(x, storeIds);
  const from = dayNumber(range.from);
  const to = dayNumber(range.to);
  const freqN = new Float64Array(FREQ_MAX.length + 1);
  const freqRev = new Float64Array(FREQ_MAX.length + 1);
  const aovN = new Float64Array(AOV_MAX.length + 1);
  const aovRev = new Float64Array(AOV_MAX.length + 1);
  const ageOf = ageBands(x.birthdays, range.to);
  const ageN = new Float64Array(AGE_BANDS.length + 1);
  const genderN = new Float64Array(x.genders.length);
  const cityN = new Float64Array(x.cities.length);
  const buyers = b.start.length - 1;
  for (let c = 0; c < buyers; c++) {
    let seen = false;
    let ord = 0;
    let rev = 0;
    const end = b.start[c + 1]!;
    for (let i = b.start[c]!; i < end; i++) {
      const d = b.day[i]!;
      if (d < from || d > to || mask[b.store[i]!] === 0) continue;
      seen = true;
      ord += b.orders[i]!;
      rev += b.revenue[i]!;
    }
    if (!seen) continue;
    const f = freqBand(ord);
    freqN[f]! += 1;
    freqRev[f]! += rev;
    const a = aovBand(rev, ord);
    aovN[a]! += 1;
    aovRev[a]! += rev;
    if (b.hasCustomer[c] === 1) {
      ageN[ageOf[b.birthday[c]!]!]! += 1;
      genderN[b.gender[c]!]! += 1;
      cityN[b.city[c]!]! += 1;
    }
  }
  const rows: BandRow[] = [];
  const push = (dim: string, keys: readonly string[], n: Float64Array, rev?: Float64Array) =>
    keys.forEach((key, i) => {
      if (n[i]! > 0) rows.push({ dim, key, n: n[i]!, rev: rev ? rev[i]! : 0 });
    });
  push(
    'freq',
    FREQUENCY_BANDS.map((x) => x.key),
    freqN,
    freqRev,
  );
  push(
    'aov',
    AOV_BANDS.map((x) => x.key),
    aovN,
    aovRev,
  );
  push('age', [...AGE_BANDS.map((x) => x.key), 'unknown'], ageN);
  push('gender', x.genders, genderN);
  push('city', x.cities, cityN);
  return rows;
}

/**
 * Each product sold in the range over these stores: units, orders and revenue summed, buyers (customers with a
 * row of it) and repeat buyers (whose orders of it in the range add up to two or more).
 */
export function productRows(x: MemoryIndex, range: DateRange, storeIds: readonly string[]): ProductRow[] {
  const p = x.productRows;
  const mask = storeMask(x, storeIds);
  const from = dayNumber(range.from);
  const to = dayNumber(range.to);
  const n = x.products.length;
  const units = new Float64Array(n);
  const orders = new Float64Array(n);
  const revenue = new Float64Array(n);
  const buyers = new Float64Array(n);
  const repeaters = new Float64Array(n);
  // One customer's orders per product, and which products they touched (reset after each customer).
  const mine = new Float64Array(n);
  const seen = new Uint8Array(n);
  const touched = new Int32Array(n);
  const customers = p.start.length - 1;
  for (let c = 0; c < customers; c++) {
    let t = 0;
    const end = p.start[c + 1]!;
    for (let i = p.start[c]!; i < end; i++) {
      const d = p.day[i]!;
      if (d < from || d > to || mask[p.store[i]!] === 0) continue;
      const k = p.product[i]!;
      if (seen[k] === 0) {
        seen[k] = 1;
        touched[t++] = k;
      }
      mine[k]! += p.orders[i]!;
      units[k]! += p.units[i]!;
      orders[k]! += p.orders[i]!;
      revenue[k]! += p.revenue[i]!;
    }
    for (let j = 0; j < t; j++) {
      const k = touched[j]!;
      buyers[k]! += 1;
      if (mine[k]! >= 2) repeaters[k]! += 1;
      mine[k] = 0;
      seen[k] = 0;
    }
  }
  const out: ProductRow[] = [];
  for (let k = 0; k < n; k++)
    if (buyers[k]! > 0)
      out.push({
        product: x.products[k]!,
        units: units[k]!,
        orders: orders[k]!,
        revenue: revenue[k]!,
        buyers: buyers[k]!,
        repeaters: repeaters[k]!,
      });
  return out;
}

/** A customer's row of `customers` as the distribution joins it; undefined when there is none. */
export interface BuyerPerson {
  gender: string | null;
  city: string | null;
  birthday: string | null;
}

/** Typed-array columns that double when full, cut to their length at the end. */
class Column<T extends Int32Array | Uint16Array | Uint8Array | Float64Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number) {
    if (this.length === this.data.length) {
      const next = this.make(Math.max(16, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): T {
    return this.data.length === this.length ? this.data : (this.data.slice(0, this.length) as T);
  }
}

const int32 = (n: number) => new Int32Array(n);
const uint16 = (n: number) => new Uint16Array(n);
const float64 = (n: number) => new Float64Array(n);

class Interned {
  readonly list: string[] = [];
  private readonly ids = new Map<string, number>();
  id(s: string | null): number {
    const key = s ?? '';
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(key);
      this.ids.set(key, id);
    }
    return id;
  }
}

class Groups {
  readonly start = new Column(new Int32Array(1024), int32);
  readonly day: Column<Int32Array>;
  readonly store: Column<Uint16Array>;
  readonly orders: Column<Int32Array>;
  readonly revenue: Column<Float64Array>;
  private last: string | null = null;
  constructor(rows: number) {
    this.day = new Column(new Int32Array(rows), int32);
    this.store = new Column(new Uint16Array(rows), uint16);
    this.orders = new Column(new Int32Array(rows), int32);
    this.revenue = new Column(new Float64Array(rows), float64);
  }
  /** A customer with no rows (a slot only). */
  empty(): void {
    this.start.push(this.day.length);
    this.last = null;
  }
  /** The index of the group rows go to now. */
  get current(): number {
    return this.start.length - 1;
  }
  /** True when this row starts a new customer (rows come grouped by customer). */
  row(customerId: string, store: number, day: string, orders: number, revenue: number): boolean {
    const fresh = customerId !== this.last;
    if (fresh) {
      this.start.push(this.day.length);
      this.last = customerId;
    }
    this.day.push(dayNumber(day));
    this.store.push(store);
    this.orders.push(orders);
    this.revenue.push(revenue);
    return fresh;
  }
  done(): RowGroups {
    this.start.push(this.day.length);
    return {
      start: this.start.done(),
      day: this.day.done(),
      store: this.store.done(),
      orders: this.orders.done(),
      revenue: this.revenue.done(),
    };
  }
}

/**
 * Builds a MemoryIndex from rows that come grouped by customer (each customer's rows together, in any order of
 * customers and days): every buyer-day row first, then the product-day rows. `rows` are the expected counts (the
 * columns grow past them if need be).
 */
export class MemoryIndexBuilder {
  private readonly stores = new Interned();
  private readonly genders = new Interned();
  private readonly cities = new Interned();
  private readonly birthdays = new Interned();
  private readonly products = new Interned();
  private readonly buyerRows: Groups;
  private readonly productRowsOf: Groups;
  private readonly productId: Column<Int32Array>;
  private readonly units: Column<Int32Array>;
  private readonly hasCustomer = new Column(new Uint8Array(1024), (n) => new Uint8Array(n));
  private readonly gender = new Column(new Int32Array(1024), int32);
  private readonly city = new Column(new Int32Array(1024), int32);
  private readonly birthday = new Column(new Int32Array(1024), int32);
  private readonly ids = new Map<string, number>();
  private readonly productGroup = new Column(new Int32Array(1024), int32);

  constructor(rows: { buyerRows: number; productRows: number }) {
    this.buyerRows = new Groups(rows.buyerRows);
    this.productRowsOf = new Groups(rows.productRows);
    this.productId = new Column(new Int32Array(rows.productRows), int32);
    this.units = new Column(new Int32Array(rows.productRows), int32);
  }

  buyerRow(
    customerId: string,
    storeId: string,
    day: string,
    orders: number,
    revenue: number,
    person: BuyerPerson | undefined,
  ): void {
    if (this.buyerRows.row(customerId, this.stores.id(storeId), day, orders, revenue)) this.slot(customerId, person);
  }

  /** The per-customer columns of a new slot (its buyer group was just started). */
  private slot(customerId: string, person: BuyerPerson | undefined): number {
    const slot = this.hasCustomer.length;
    this.ids.set(customerId, slot);
    this.hasCustomer.push(person ? 1 : 0);
    this.gender.push(this.genders.id(person?.gender ?? null));
    this.city.push(this.cities.id(person?.city ?? null));
    this.birthday.push(this.birthdays.id(person?.birthday ?? null));
    this.productGroup.push(-1);
    return slot;
  }

  productRow(
    customerId: string,
    storeId: string,
    day: string,
    product: string,
    orders: number,
    units: number,
    revenue: number,
  ): void {
    if (this.productRowsOf.row(customerId, this.stores.id(storeId), day, orders, revenue)) {
      let slot = this.ids.get(customerId);
      if (slot === undefined) {
        // Product rows without buyer rows: an empty buyer group holds the slot.
        this.buyerRows.empty();
        slot = this.slot(customerId, undefined);
      }
      this.productGroup.data[slot] = this.productRowsOf.current;
    }
    this.productId.push(this.products.id(product));
    this.units.push(units);
  }

  finish(): MemoryIndex {
    return {
      ids: this.ids,
      productGroup: this.productGroup.done(),
      stores: this.stores.list,
      genders: this.genders.list,
      cities: this.cities.list,
      birthdays: this.birthdays.list,
      products: this.products.list,
      buyers: {
        ...this.buyerRows.done(),
        hasCustomer: this.hasCustomer.done(),
        gender: this.gender.done(),
        city: this.city.done(),
        birthday: this.birthday.done(),
      },
      productRows: { ...this.productRowsOf.done(), product: this.productId.done(), units: this.units.done() },
    };
  }
}
