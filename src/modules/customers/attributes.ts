import { reason } from '../../core/reasons.js';
import { AttributeReader, type AttributeError, type AttributeRow } from '../../core/customer-attributes.js';
import { Invalid } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { readRows } from '../imports/readers.js';
import { createGroup, listGroups, setGroupMembers, tagCustomers } from '../tags/service.js';
import { updateCustomer } from './profile.js';

export interface AttributeImportSummary {
  rowsRead: number;
  customersUpdated: number;
  rowsRejected: number;
  errors: AttributeError[];
}

async function resolve(ctx: AppContext, ws: string, rows: AttributeRow[]): Promise<Map<AttributeRow, string>> {
  const k = ctx.db.kysely;
  const out = new Map<AttributeRow, string>();
  const values = (kind: AttributeRow['key']['kind']) => [
    ...new Set(rows.filter((r) => r.key.kind === kind).map((r) => r.key.value)),
  ];
  const ids = values('id');
  const byId = new Set(
    ids.length
      ? (
          await k.selectFrom('customers').select('id').where('workspace_id', '=', ws).where('id', 'in', ids).execute()
        ).map((r) => r.id)
      : [],
  );
  const owners = new Map<string, string>();
  for (const kind of ['nick', 'phone'] as const) {
    const vals = values(kind);
    if (vals.length === 0) continue;
    const found = await k
      .selectFrom('customer_identities')
      .select(['customer_id', 'value'])
      .where('workspace_id', '=', ws)
      .where('kind', '=', kind)
      .where('value', 'in', vals)
      .execute();
    for (const f of found) owners.set(`${kind}:${f.value}`, f.customer_id);
    if (kind === 'phone') {
      const direct = await k
        .selectFrom('customers')
        .select(['id', 'phone'])
        .where('workspace_id', '=', ws)
        .where('phone', 'in', vals)
        .execute();
      for (const d of direct) if (!owners.has(`phone:${d.phone}`)) owners.set(`phone:${d.phone}`, d.id);
    }
  }
  for (const r of rows) {
    const id =
      r.key.kind === 'id'
        ? byId.has(r.key.value)
          ? r.key.value
          : undefined
        : owners.get(`${r.key.kind}:${r.key.value}`);
    if (id) out.set(r, id);
  }
  return out;
}

const KEY_LABEL = { id: '客户ID', nick: '买家昵称', phone: '手机' } as const;

/** Sets profile fields, flags, tags and groups from a CSV/XLSX file; re-running it changes nothing more. */
export async function importCustomerAttributes(
  ctx: AppContext,
  ws: string,
  path: string,
  by: string | null,
): Promise<AttributeImportSummary> {
  const reader = new AttributeReader();
  const { rows } = await readRows(path);
  const header = await rows.next();
  if (header.done) throw new Invalid('The file has no header row', reason('import.noHeader'));
  reader.start(header.value.cells);
  const summary: AttributeImportSummary = { rowsRead: 0, customersUpdated: 0, rowsRejected: 0, errors: [] };
  const groupIds = new Map((await listGroups(ctx, ws)).map((g) => [g.name, g.id]));
  const updated = new Set<string>();
  const reject = (e: AttributeError) => {
    summary.rowsRejected += 1;
    if (summary.errors.length < 10_000) summary.errors.push(e);
  };

  let batch: AttributeRow[] = [];
  const flush = async () => {
    const found = await resolve(ctx, ws, batch);
    for (const r of batch) {
      const id = found.get(r);
      if (!id) {
        reject({
          line: r.line,
          column: KEY_LABEL[r.key.kind],
          reason: `no customer with ${KEY_LABEL[r.key.kind]} ${r.key.value}`,
          value: r.key.value,
        });
        continue;
      }
      if (Object.keys(r.patch).length) await updateCustomer(ctx, ws, id, r.patch, by, 'attributes');
      if (r.tags.length) await tagCustomers(ctx, ws, [id], r.tags, [], by);
      for (const g of r.groups) {
        let gid = groupIds.get(g);
        if (!gid) {
          gid = (await createGroup(ctx, ws, g)).id;
          groupIds.set(g, gid);
        }
        await setGroupMembers(ctx, ws, gid, [id], []);
      }
      updated.add(id);
    }
    batch = [];
  };
  for await (const row of rows) {
    const r = reader.read(row.line, row.cells);
    if (r === null) continue;
    summary.rowsRead += 1;
    if ('reason' in r) reject(r);
    else batch.push(r);
    if (batch.length >= 500) await flush();
  }
  await flush();
  summary.customersUpdated = updated.size;
  return summary;
}
