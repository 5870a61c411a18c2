import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { identityDigest } from '../../core/privacy.js';
import type { Database } from '../../db/types.js';
import { readJson, writeJson } from '../../db/json.js';
import { chunks } from '../context.js';

type Db = Kysely<Database> | Transaction<Database>;

const SALT_KEY = 'privacy.salt';

/** The workspace's salt for identity digests, or null before its first erasure. */
export async function erasureSalt(k: Db, ws: string): Promise<string | null> {
  const row = await k
    .selectFrom('workspace_settings')
    .select('value')
    .where('workspace_id', '=', ws)
    .where('key', '=', SALT_KEY)
    .executeTakeFirst();
  // An object, not a bare string: PostgreSQL hands jsonb back parsed, and a parsed string is ambiguous.
  return row ? (readJson<{ salt?: string }>(row.value).salt ?? null) : null;
}

/** The salt, created on the first erasure (random, kept in the database so backups carry it). */
export async function ensureErasureSalt(trx: Transaction<Database>, ws: string, now: string): Promise<string> {
  const found = await erasureSalt(trx, ws);
  if (found) return found;
  // Two first erasures at once (PostgreSQL): the second waits for the first's salt and keeps it.
  await trx
    .insertInto('workspace_settings')
    .values({
      workspace_id: ws,
      key: SALT_KEY,
      value: writeJson({ salt: randomBytes(32).toString('base64url') }),
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'key']).doNothing())
    .execute();
  return (await erasureSalt(trx, ws))!;
}

export interface Tombstone {
  customerId: string;
  erasedAt: string;
}

/**
 * The erased customers some identifiers belonged to, by `kind\0scope\0value` key (the salt comes
 * from erasureSalt: a workspace without one never erased anyone and has nothing to look up).
 */
export async function findTombstones(
  k: Db,
  ws: string,
  salt: string,
  ids: readonly { kind: string; scope: string; value: string }[],
): Promise<Map<string, Tombstone>> {
  const out = new Map<string, Tombstone>();
  if (ids.length === 0) return out;
  const byDigest = new Map<string, string>();
  for (const i of ids)
    byDigest.set(identityDigest(salt, i.kind, i.scope, i.value), `${i.kind}\u0000${i.scope}\u0000${i.value}`);
  for (const part of chunks([...byDigest.keys()], 900)) {
    const rows = await k
      .selectFrom('erased_identities')
      .select(['digest', 'customer_id', 'erased_at'])
      .where('workspace_id', '=', ws)
      .where('digest', 'in', part)
      .execute();
    for (const r of rows) out.set(byDigest.get(r.digest)!, { customerId: r.customer_id, erasedAt: r.erased_at });
  }
  return out;
}

/** Which of these customers had their personal data erased. */
export async function erasedAmong(k: Db, ws: string, ids: readonly (string | null)[]): Promise<Set<string>> {
  const out = new Set<string>();
  const wanted = [...new Set(ids.filter((i): i is string => i !== null))];
  for (const part of chunks(wanted, 900)) {
    const rows = await k
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('id', 'in', part)
      .where('erased_at', 'is not', null)
      .execute();
    for (const r of rows) out.add(r.id);
  }
  return out;
}
