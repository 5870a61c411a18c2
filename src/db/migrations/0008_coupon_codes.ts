import type { Kysely } from 'kysely';

/** The coupon/discount code an order carries in its export (Shopify "Discount Code", a mapped column). */
export const couponCodes = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('orders').addColumn('coupon_code', 'text').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('orders').dropColumn('coupon_code').execute();
  },
};
