import type { Transaction } from 'kysely';
import type { Database } from '../../db/types.js';
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
  ws: string,
  from: string,
  to: string,
): Promise<MovedAudience> {
  const rows = await trx
    .selectFrom('automation_audience')
    .select(['automation_id', 'entered_at'])
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', from)
    .execute();
  const theirs = new Set(
    (
      await trx
        .selectFrom('automation_audience')
        .select('automation_id')
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', to)
        .execute()
    ).map((r) => r.automation_id),
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
  await trx.deleteFrom('automation_audience').where('workspace_id', '=', ws).where('customer_id', '=', from).execute();
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
