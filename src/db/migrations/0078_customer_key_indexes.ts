import { sql, type Kysely } from 'kysely';

/**
 * Two tables read one customer's rows (a merge moves them; a privacy export lists them) with no index that starts with
 * the customer: order_events, read by its time index, and automation_audience, by its key (automation first). Each such
 * read walked the workspace's rows of the table. `IF NOT EXISTS`: a large database may have been given them by hand.
 */
export function customerKeyIndexes() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`CREATE INDEX IF NOT EXISTS order_events_customer_idx
        ON order_events (workspace_id, customer_id)`.execute(db);
      await sql`CREATE INDEX IF NOT EXISTS automation_audience_customer_idx
        ON automation_audience (workspace_id, customer_id)`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`DROP INDEX IF EXISTS automation_audience_customer_idx`.execute(db);
      await sql`DROP INDEX IF EXISTS order_events_customer_idx`.execute(db);
    },
  };
}
