import { sql, type Kysely } from 'kysely';

/**
 * Credit notes / cancellation documents of generic exports, stored as orders of kind 'credit': a
 * refund document of its own (refunded_fen is the credited amount, nothing paid) that lowers the
 * buyer's net spend. credit_of is the export id of the order it cancels, when the file names one.
 */
export const creditNotes = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .alterTable('orders')
      .addColumn('kind', 'text', (c) => c.notNull().defaultTo(sql`'order'`))
      .execute();
    await db.schema.alterTable('orders').addColumn('credit_of', 'text').execute();
  },
  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('orders').dropColumn('credit_of').execute();
    await db.schema.alterTable('orders').dropColumn('kind').execute();
  },
};
