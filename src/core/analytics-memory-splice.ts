import { type BuyerPerson, dayNumber, type MemoryIndex } from './analytics-memory.js';

/**
 * A few customers' rows replaced in a MemoryIndex (analytics-memory.ts) without reading anyone else's: what the
 * analytics held in memory do after a small write (modules/analytics/memory.ts re-reads the customers the change log
 * names). Every column is copied once with the changed customers' groups swapped in place (a memcpy of the
 * unchanged stretches between them), new customers appended as new groups, and a customer without rows any more
 * left as an empty group (a pass never counts a group without rows in the range). The views' passes sum over
 * customers in any order, so the answer is the one a full load of the same rows gives.
 *
 * A generator: it yields between columns, so the caller can let the event loop run (asks answered meanwhile) on a
 * big index; the index it returns is new (the one given is left as it was, but its `ids` map gains the new
 * customers).
 */

export interface BuyerRowIn {
  store: string;
  day: string;
  orders: number;
  revenue: number;
}

export interface ProductRowIn extends BuyerRowIn {
  product: string;
  units: number;
}

/** A customer's rows as they are now (none: they have gone) and their customer row (undefined: none). */
export interface CustomerRows {
  person: BuyerPerson | undefined;
  buyerRows: BuyerRowIn[];
  productRows: ProductRowIn[];
}

type NumberColumn = Int32Array | Uint16Array | Uint8Array | Float64Array;

/** Interns into a copy of an index's list (the old index keeps its own). */
function interner(list: readonly string[]) {
  const out = [...list];
  const ids = new Map(out.map((s, i) => [s, i]));
  return {
    list: out,
    id(s: string | null): number {
      const key = s ?? '';
      let id = ids.get(key);
      if (id === undefined) {
        id = out.length;
        out.push(key);
        ids.set(key, id);
      }
      return id;
    },
  };
}

/**
 * Replaces groups of row columns sharing `start`: `replace` maps a group to its new rows (one array of values per
 * column), `append` adds groups at the end. Yields before each column; returns the new start and columns.
 */
function* spliceGroups<C extends Record<string, NumberColumn>>(
  start: Int32Array,
  cols: C,
  replace: Map<number, Record<keyof C, number[]>>,
  append: Record<keyof C, number[]>[],
): Generator<void, { start: Int32Array; cols: C }> {
  const n = start.length - 1;
  const order = [...replace.keys()].sort((a, b) => a - b);
  const lengthOf = (rows: Record<keyof C, number[]>) => (Object.values(rows)[0] as number[]).length;
  const next = new Int32Array(n + append.length + 1);
  let shift = 0;
  let o = 0;
  for (let g = 0; g < n; g++) {
    next[g] = start[g]! + shift;
    if (order[o] === g) {
      shift += lengthOf(replace.get(g)!) - (start[g + 1]! - start[g]!);
      o++;
    }
  }
  let total = start[n]! + shift;
  next[n] = total;
  append.forEach((rows, i) => {
    total += lengthOf(rows);
    next[n + 1 + i] = total;
  });
  const out = {} as C;
  for (const key of Object.keys(cols) as (keyof C & string)[]) {
    yield;
    const old = cols[key]!;
    const col = new (old.constructor as new (length: number) => NumberColumn)(total);
    let src = 0;
    let dst = 0;
    for (const g of order) {
      col.set(old.subarray(src, start[g]!), dst);
      dst += start[g]! - src;
      const values = replace.get(g)![key];
      col.set(values, dst);
      dst += values.length;
      src = start[g + 1]!;
    }
    col.set(old.subarray(src, start[n]!), dst);
    dst += start[n]! - src;
    for (const rows of append) {
      col.set(rows[key], dst);
      dst += rows[key].length;
    }
    out[key] = col as C[typeof key];
  }
  return { start: next, cols: out };
}

/** A per-customer column grown to `length`, with these slots set. */
function perSlot<T extends NumberColumn>(old: T, length: number, set: Map<number, number>, fill = 0): T {
  const col = new (old.constructor as new (length: number) => T)(length);
  col.set(old.subarray(0, Math.min(old.length, length)));
  if (length > old.length) col.fill(fill, old.length);
  for (const [slot, v] of set) col[slot] = v;
  return col;
}

export function* spliceIndex(x: MemoryIndex, changed: ReadonlyMap<string, CustomerRows>): Generator<void, MemoryIndex> {
  const stores = interner(x.stores);
  const genders = interner(x.genders);
  const cities = interner(x.cities);
  const birthdays = interner(x.birthdays);
  const products = interner(x.products);
  const slots = x.buyers.start.length - 1;
  const productGroups = x.productRows.start.length - 1;
  const newIds: [string, number][] = [];
  type BuyerValues = Record<'day' | 'store' | 'orders' | 'revenue', number[]>;
  type ProductValues = BuyerValues & Record<'product' | 'units', number[]>;
  const buyerReplace = new Map<number, BuyerValues>();
  const buyerAppend: BuyerValues[] = [];
  const productReplace = new Map<number, ProductValues>();
  const productAppend: ProductValues[] = [];
  const people = {
    hasCustomer: new Map<number, number>(),
    gender: new Map<number, number>(),
    city: new Map<number, number>(),
    birthday: new Map<number, number>(),
    productGroup: new Map<number, number>(),
  };
  for (const [id, rows] of changed) {
    const buyer: BuyerValues = { day: [], store: [], orders: [], revenue: [] };
    for (const r of rows.buyerRows) {
      buyer.day.push(dayNumber(r.day));
      buyer.store.push(stores.id(r.store));
      buyer.orders.push(r.orders);
      buyer.revenue.push(r.revenue);
    }
    const product: ProductValues = { day: [], store: [], orders: [], revenue: [], product: [], units: [] };
    for (const r of rows.productRows) {
      product.day.push(dayNumber(r.day));
      product.store.push(stores.id(r.store));
      product.orders.push(r.orders);
      product.revenue.push(r.revenue);
      product.product.push(products.id(r.product));
      product.units.push(r.units);
    }
    let slot = x.ids.get(id);
    if (slot === undefined) {
      // A customer not held yet (their first purchase): a new slot, unless they still have no rows at all.
      if (!rows.buyerRows.length && !rows.productRows.length) continue;
      slot = slots + buyerAppend.length;
      newIds.push([id, slot]);
      buyerAppend.push(buyer);
    } else buyerReplace.set(slot, buyer);
    const p = rows.person;
    people.hasCustomer.set(slot, p ? 1 : 0);
    people.gender.set(slot, genders.id(p?.gender ?? null));
    people.city.set(slot, cities.id(p?.city ?? null));
    people.birthday.set(slot, birthdays.id(p?.birthday ?? null));
    const group = slot < slots ? x.productGroup[slot]! : -1;
    if (group >= 0) productReplace.set(group, product);
    else if (rows.productRows.length) {
      people.productGroup.set(slot, productGroups + productAppend.length);
      productAppend.push(product);
    } else people.productGroup.set(slot, -1);
  }
  const b = x.buyers;
  const buyers = yield* spliceGroups(
    b.start,
    { day: b.day, store: b.store, orders: b.orders, revenue: b.revenue },
    buyerReplace,
    buyerAppend,
  );
  const p = x.productRows;
  const productRows = yield* spliceGroups(
    p.start,
    { day: p.day, store: p.store, orders: p.orders, revenue: p.revenue, product: p.product, units: p.units },
    productReplace,
    productAppend,
  );
  const length = slots + buyerAppend.length;
  for (const [id, slot] of newIds) x.ids.set(id, slot);
  return {
    ids: x.ids,
    productGroup: perSlot(x.productGroup, length, people.productGroup, -1),
    stores: stores.list,
    genders: genders.list,
    cities: cities.list,
    birthdays: birthdays.list,
    products: products.list,
    buyers: {
      start: buyers.start,
      ...buyers.cols,
      hasCustomer: perSlot(b.hasCustomer, length, people.hasCustomer),
      gender: perSlot(b.gender, length, people.gender),
      city: perSlot(b.city, length, people.city),
      birthday: perSlot(b.birthday, length, people.birthday),
    },
    productRows: { start: productRows.start, ...productRows.cols },
  };
}
