import { CompiledQuery } from 'kysely';
import { openDatabase, type Db } from '../../src/db/connect.js';

/** A statement as Kysely's log saw it. */
export interface Logged {
  sql: string;
  parameters: readonly unknown[];
}

/** A new connection to `url` that records every statement it runs (the plan tests replay them). */
export function loggedDatabase(url: string): { db: Db; statements: Logged[] } {
  const statements: Logged[] = [];
  const db = openDatabase(url, {
    log: (e) => {
      if (e.level === 'query') statements.push({ sql: e.query.sql, parameters: e.query.parameters });
    },
  });
  return { db, statements };
}

/**
 * Replays `statements` in order in one transaction that is rolled back, and returns the SQLite plan (EXPLAIN QUERY
 * PLAN) of those `explain` picks, each taken just before it runs; `run` picks those executed (their temporary tables
 * and rows are what the later ones plan against).
 */
export async function replayExplained(
  db: Db,
  statements: readonly Logged[],
  pick: { explain: (sql: string) => boolean; run: (sql: string) => boolean },
): Promise<{ sql: string; plan: string[] }[]> {
  return db.kysely
    .transaction()
    .execute(async (trx) => {
      const plans: { sql: string; plan: string[] }[] = [];
      for (const q of statements) {
        if (pick.explain(q.sql)) {
          const r = await trx.executeQuery<{ detail: string }>(
            CompiledQuery.raw(`EXPLAIN QUERY PLAN ${q.sql}`, [...q.parameters]),
          );
          plans.push({ sql: q.sql, plan: r.rows.map((l) => l.detail) });
        }
        if (pick.run(q.sql)) await trx.executeQuery(CompiledQuery.raw(q.sql, [...q.parameters]));
      }
      throw Object.assign(new Error('roll back'), { plans });
    })
    .catch((e: { plans?: { sql: string; plan: string[] }[] }) => e.plans ?? Promise.reject(e));
}
