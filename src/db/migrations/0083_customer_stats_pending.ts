import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * customer_stats_pending: customers whose stats, order facts and analytics buyer rows wait for a refresh. An import
 * refreshes its buyers once, when its file is done, instead of in every batch that touches them (a seller's export
 * is newest first, so a buyer with k orders was refreshed in about k batches, each re-reading all their orders: a
 * quarter of a 1M-row import, rising with the database's size). Each batch adds its buyers here in its own
 * transaction, so an import killed midway leaves the rows of its committed batches for the resumed run (or the
 * worker's job for an interrupted import) to refresh. No foreign key to customers: a merged or erased customer's row
 * refreshes nothing and goes.
 */
export function customerStatsPending(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await sql`CREATE TABLE customer_stats_pending (
        workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
        customer_id text NOT NULL,
        CONSTRAINT customer_stats_pending_pk PRIMARY KEY (workspace_id, customer_id)
      )${dialect === 'sqlite' ? sql` WITHOUT ROWID` : sql``}`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await sql`DROP TABLE customer_stats_pending`.execute(db);
    },
  };
}
