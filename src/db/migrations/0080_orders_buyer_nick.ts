import { sql, type Kysely } from 'kysely';

/**
 * The orders list's search (an order number or a buyer's nick, `GET /orders?q=`) had no index for the nick, and the
 * order number's index leads with the store: the search walked every order of the shop newest first (1M customers,
 * 3M orders: 34 s on SQLite). `(workspace_id, buyer_nick)` finds a nick's orders; the number is looked up in each of
 * the shop's stores. A masked nick (`t**1`, never an identity) is found too, as before. `IF NOT EXISTS`: a large
 * database may have been given it by hand.
 */
export function ordersBuyerNick() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`CREATE INDEX IF NOT EXISTS orders_buyer_nick_idx ON orders (workspace_id, buyer_nick)`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`DROP INDEX IF EXISTS orders_buyer_nick_idx`.execute(db);
    },
  };
}
