import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../../db/connect.js';
import type { Database } from '../../db/types.js';

/** The customer file's totals: everyone in it, who consented to marketing, who bought, who bought twice or more. */
export interface FileTotals {
  customers: number;
  consented: number;
  buyers: number;
  repeatBuyers: number;
}

/**
 * Rows of differences a workspace may have on PostgreSQL before a read folds them into one. Folding costs a write, so
 * not at every read; summing a few hundred rows by the primary key costs well under a millisecond.
 */
export const FOLD_AT = 256;

/**
 * The totals the triggers of migration 0076 keep (`customer_file_counts`): the sums of the workspace's rows. On
 * PostgreSQL a read that finds more than FOLD_AT rows replaces them by their sum, in one statement: it deletes the
 * rows its snapshot sees and inserts their sum, so rows written meanwhile by other transactions stay as they are
 * and are counted once (a second fold at the same time finds the first one's rows deleted and skips them).
 */
export async function keptFileTotals(k: Kysely<Database>, dialect: Dialect, workspaceId: string): Promise<FileTotals> {
  const r = await k
    .selectFrom('customer_file_counts')
    .select((eb) => [
      eb.fn.countAll<number>().as('parts'),
      eb.fn.sum<number>('customers').as('customers'),
      eb.fn.sum<number>('consented').as('consented'),
      eb.fn.sum<number>('buyers').as('buyers'),
      eb.fn.sum<number>('repeat_buyers').as('repeat_buyers'),
    ])
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  if (dialect === 'postgres' && Number(r.parts) > FOLD_AT) await foldFileCounts(k, workspaceId);
  return {
    customers: Number(r.customers ?? 0),
    consented: Number(r.consented ?? 0),
    buyers: Number(r.buyers ?? 0),
    repeatBuyers: Number(r.repeat_buyers ?? 0),
  };
}

/** PostgreSQL: the workspace's rows of differences replaced by one row of their sums (see keptFileTotals). */
export async function foldFileCounts(k: Kysely<Database>, workspaceId: string): Promise<void> {
  await sql`
    WITH gone AS (
      DELETE FROM customer_file_counts WHERE workspace_id = ${workspaceId}
      RETURNING customers, consented, buyers, repeat_buyers
    )
    INSERT INTO customer_file_counts (workspace_id, customers, consented, buyers, repeat_buyers)
    SELECT ${workspaceId}, SUM(customers), SUM(consented), SUM(buyers), SUM(repeat_buyers) FROM gone
    HAVING COUNT(*) > 0`.execute(k);
}

/** The same totals counted from the customers and their stats (~0.35 s at 1M customers): what the kept ones equal. */
export async function countedFileTotals(k: Kysely<Database>, workspaceId: string): Promise<FileTotals> {
  const { rows } = await sql<{ customers: number; consented: number; buyers: number; repeat_buyers: number }>`
    SELECT ${countedSql(workspaceId)}`.execute(k);
  const r = rows[0]!;
  return {
    customers: Number(r.customers),
    consented: Number(r.consented),
    buyers: Number(r.buyers),
    repeatBuyers: Number(r.repeat_buyers),
  };
}

function countedSql(workspaceId: string) {
  return sql`
    (SELECT COUNT(*) FROM customers c WHERE c.workspace_id = ${workspaceId}) AS customers,
    (SELECT COUNT(*) FROM customers c WHERE c.workspace_id = ${workspaceId}
      AND c.marketing_consent = 'granted') AS consented,
    (SELECT COUNT(*) FROM customer_stats s WHERE s.workspace_id = ${workspaceId} AND s.paid_orders >= 1) AS buyers,
    (SELECT COUNT(*) FROM customer_stats s WHERE s.workspace_id = ${workspaceId}
      AND s.paid_orders >= 2) AS repeat_buyers`;
}

/**
 * Sets the workspace's kept totals to the counted ones (the recompute of its stats ends with this: whatever made them
 * drift — a hand edit of the database with the triggers off — is repaired with the stats). On PostgreSQL one
 * statement, so the rows it deletes and the counts it inserts are of one snapshot; SQLite has one writer.
 */
export async function resetFileCounts(k: Kysely<Database>, dialect: Dialect, workspaceId: string): Promise<void> {
  if (dialect === 'postgres') {
    await sql`
      WITH gone AS (DELETE FROM customer_file_counts WHERE workspace_id = ${workspaceId})
      INSERT INTO customer_file_counts (workspace_id, customers, consented, buyers, repeat_buyers)
      SELECT ${workspaceId}, ${countedSql(workspaceId)}`.execute(k);
    return;
  }
  const reset = async (t: Kysely<Database>) => {
    await t.deleteFrom('customer_file_counts').where('workspace_id', '=', workspaceId).execute();
    await sql`INSERT INTO customer_file_counts (workspace_id, id, customers, consented, buyers, repeat_buyers)
      SELECT ${workspaceId}, 0, ${countedSql(workspaceId)}`.execute(t);
  };
  if (k.isTransaction) await reset(k);
  else await k.transaction().execute(reset);
}
