import type { Kysely, Transaction } from 'kysely';
import { customerPinyin } from '../../core/pinyin-keys.js';
import { bulkUpdate } from '../../db/bulk.js';
import type { Dialect } from '../../db/connect.js';
import { inIds, notIndexed } from '../../db/in-list.js';
import type { Database } from '../../db/types.js';
import { chunks } from '../context.js';

/**
 * Recomputes customers.name_pinyin (the pinyin search keys, core/pinyin-keys.ts) of some customers from
 * what is stored: their display name, real name and buyer nicks. Called wherever a name or a nick of an
 * existing customer changes (a profile edit, a merge and its undo, an import that links a new nick);
 * a new customer gets its keys in the INSERT. Writes only the customers whose keys changed.
 */
export async function refreshNamePinyin(
  db: Kysely<Database> | Transaction<Database>,
  dialect: Dialect,
  ws: string,
  customerIds: Iterable<string>,
): Promise<void> {
  for (const part of chunks([...new Set(customerIds)], 2000)) {
    const people = await db
      .selectFrom('customers')
      .select(['id', 'display_name', 'real_name', 'name_pinyin'])
      .where('workspace_id', '=', ws)
      .where(inIds(dialect, 'id', part))
      .execute();
    const nicks = await db
      .selectFrom('customer_identities')
      .select(['customer_id', 'value'])
      .where('workspace_id', '=', ws)
      .where(inIds(dialect, 'customer_id', part))
      .where(notIndexed(dialect, 'kind'), '=', 'nick')
      .execute();
    const nicksOf = new Map<string, string[]>();
    for (const n of nicks) {
      const list = nicksOf.get(n.customer_id);
      if (list) list.push(n.value);
      else nicksOf.set(n.customer_id, [n.value]);
    }
    const changed = people.flatMap((c) => {
      const keys = customerPinyin(c.display_name, c.real_name, nicksOf.get(c.id));
      return keys === c.name_pinyin ? [] : [{ workspace_id: ws, id: c.id, name_pinyin: keys }];
    });
    await bulkUpdate(db, dialect, 'customers', ['workspace_id', 'id'], changed);
  }
}
