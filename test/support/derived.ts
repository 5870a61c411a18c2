import type { Db } from '../../src/db/connect.js';

/** A workspace's customer stats (without their "as of" time) and order facts, in key order: to compare two states. */
export async function statsAndFacts(db: Db, ws: string) {
  return {
    stats: (
      await db.kysely
        .selectFrom('customer_stats')
        .selectAll()
        .where('workspace_id', '=', ws)
        .orderBy('customer_id')
        .execute()
    ).map(({ as_of: _asOf, ...s }) => s),
    facts: await db.kysely
      .selectFrom('customer_order_facts')
      .selectAll()
      .where('workspace_id', '=', ws)
      .orderBy('customer_id')
      .orderBy('dim')
      .orderBy('value')
      .execute(),
  };
}
