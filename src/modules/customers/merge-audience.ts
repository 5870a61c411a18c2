import { sql, type Transaction } from 'kysely';
import type { Database } from '../../db/types.js';
import type { Dialect } from '../../db/connect.js';
import { indexedBy } from '../../db/in-list.js';
import { chunks } from '../context.js';

/**
 * Who is already in a segment-entry automation's segment (automation_audience) follows the customer through a
 * merge: the merged customer carries the source's places, so the next evaluation does not take the source's
 * membership for a new entry of the target and start the automation again. Undo puts the source's places back
 * and takes from the target those it got by the merge.
 */
export interface MovedAudience {
  /** The source's places before the merge. */
  rows: { automation_id: string; entered_at: string }[];
  /** Automations whose place the target got from the source (it had none of its own). */
  added: string[];
}

export async function moveAudience(
  trx: Transaction<Database>,
  dialect: Dialect,
  ws: string,
  from: string,
  to: string,
): Promise<MovedAudience> {
  // By the customer index (migration 0078; named for SQLite, which without statistics read the workspace's whole key).
  const byIdx = indexedBy(dialect, 'automation_audience_customer_idx');
  const rows = (
    await sql<{ automation_id: string; entered_at: string }>`
      SELECT automation_id, entered_at FROM automation_audience ${byIdx}
      WHERE workspace_id = ${ws} AND customer_id = ${from}`.execute(trx)
  ).rows;
  const theirs = new Set(
    (
      await sql<{ automation_id: string }>`SELECT automation_id FROM automation_audience ${byIdx}
        WHERE workspace_id = ${ws} AND customer_id = ${to}`.execute(trx)
    ).rows.map((r) => r.automation_id),
  );
  const added = rows.map((r) => r.automation_id).filter((a) => !theirs.has(a));
  for (const part of chunks(added, 900))
    await trx
      .updateTable('automation_audience')
      .set({ customer_id: to })
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', from)
      .where('automation_id', 'in', part)
      .execute();
  // Places the target had already: the source's copy goes (undo brings it back from `rows`).
  await sql`DELETE FROM automation_audience ${byIdx} WHERE workspace_id = ${ws} AND customer_id = ${from}`.execute(trx);
  return { rows, added };
}

export async function moveAudienceBack(
  trx: Transaction<Database>,
  ws: string,
  moved: MovedAudience | undefined,
  target: string,
  source: string,
): Promise<void> {
  // A merge recorded before audiences moved has nothing to put back.
  if (!moved) return;
  for (const part of chunks(moved.added, 900))
    await trx
      .deleteFrom('automation_audience')
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', target)
      .where('automation_id', 'in', part)
      .execute();
  // An automation deleted since the merge has no audience to return to.
  const live = new Set(
    (await trx.selectFrom('automations').select('id').where('workspace_id', '=', ws).execute()).map((a) => a.id),
  );
  const rows = moved.rows
    .filter((r) => live.has(r.automation_id))
    .map((r) => ({ workspace_id: ws, customer_id: source, ...r }));
  for (const part of chunks(rows, 500))
    await trx
      .insertInto('automation_audience')
      .values(part)
      .onConflict((oc) => oc.doNothing())
      .execute();
}
