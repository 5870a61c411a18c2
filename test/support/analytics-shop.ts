import { shiftDate } from '../../src/core/analytics-views.js';
import type { Random } from '../../src/core/random.js';
import type { AppContext } from '../../src/modules/context.js';
import type { OrderRecord } from '../../src/core/formats/types.js';
import { ingestBatch } from '../../src/modules/orders/ingest.js';
import { ensureStore } from '../../src/modules/stores/service.js';
import { orderRecord } from './records.js';

type Store = Awaited<ReturnType<typeof ensureStore>>;

/** An order and the index of the store it is ingested into. */
export interface ShopOrder {
  store: number;
  rec: OrderRecord;
}

/** Where and when a random shop's orders fall (the analytics property tests compare two paths on them). */
export interface ShopShape {
  /** External order ids are `${prefix}${n}`, n counting across calls. */
  prefix: string;
  /** Buyers are phones `${phonePrefix}0001` … (one per customer number). */
  phonePrefix: string;
  firstDay: string;
  days: number;
  stores: number;
  maxYuan: number;
  hours: [number, number];
}

/**
 * A generator of random paid, unpaid and refunded orders (one line each) over a shape: `orders(count, customers)`
 * draws `count` orders among buyers 1…customers, some without a province or city.
 */
export function randomShop(rnd: Random, shape: ShopShape) {
  let line = 0;
  return (count: number, customers: number): ShopOrder[] =>
    Array.from({ length: count }, () => {
      line += 1;
      const day = shiftDate(shape.firstDay, rnd.int(0, shape.days));
      const hour = String(rnd.int(shape.hours[0], shape.hours[1])).padStart(2, '0');
      const createdAt = new Date(`${day}T${hour}:20:00+08:00`).toISOString();
      const paidFen = rnd.int(1, shape.maxYuan) * 1000;
      const unpaid = rnd.int(0, 9) === 0;
      const refund = rnd.int(0, 9);
      const phone = `${shape.phonePrefix}${String(rnd.int(1, customers)).padStart(4, '0')}`;
      return {
        store: rnd.int(0, shape.stores - 1),
        rec: orderRecord({
          line,
          externalId: `${shape.prefix}${line}`,
          createdAt,
          status: unpaid ? 'created' : 'completed',
          paidAt: unpaid ? null : createdAt,
          paidFen: unpaid ? 0 : paidFen,
          refundedFen: unpaid ? 0 : refund === 1 ? paidFen : refund === 2 ? paidFen / 2 : 0,
          buyer: { nick: null, externalId: null, email: null, phone, name: null },
          receiverPhone: phone,
          province: rnd.pick([null, '浙江省', '广东省']),
          city: rnd.pick([null, '杭州市', '上海市', '广州市', '丽水市']),
          items: [
            {
              lineKey: 'L1',
              title: rnd.pick(['连衣裙', '衬衫', '围巾', '帽子']),
              sku: null,
              externalItemId: null,
              category: null,
              quantity: rnd.int(1, 3),
              priceFen: paidFen,
              paidFen: null,
              refundStatus: null,
            },
          ],
        }),
      };
    });
}

/** Ingests each order into its store, all in one transaction. */
export async function ingestByStore(ctx: AppContext, stores: Store[], list: ShopOrder[]): Promise<void> {
  await ctx.db.kysely.transaction().execute(async (trx) => {
    for (const [i, store] of stores.entries()) {
      const recs = list.filter((x) => x.store === i).map((x) => x.rec);
      if (recs.length) await ingestBatch(ctx, trx, { store, runId: null, consentSource: 'test' }, recs);
    }
  });
}

/** The two CNY stores the analytics tests' shops are sold in (一号店 on Taobao, 二号店 on JD), in that order. */
export async function cnyStores(ctx: AppContext, ws: string): Promise<Store[]> {
  return [
    await ensureStore(ctx, ws, '一号店', 'taobao', { currency: 'CNY' }),
    await ensureStore(ctx, ws, '二号店', 'jd', { currency: 'CNY' }),
  ];
}
