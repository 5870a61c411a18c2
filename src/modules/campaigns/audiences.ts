import { reason } from '../../core/reasons.js';
import { Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { normalizeCnMobile } from '../../core/pii.js';
import { maskAccount } from '../../core/pii-mask.js';
import { canSeePii } from '../auth/roles.js';
import { csvLine, CSV_BOM } from '../../core/csv.js';
import { bulkInsert } from '../../db/bulk.js';
import { chunks, nowIso, type AppContext } from '../context.js';
import { readRows } from '../imports/readers.js';

/**
 * Uploaded audiences: a CSV or XLSX list of phones, buyer nicks or customer ids (one a line, first
 * non-empty cell), matched to customers. The matched customers are the list's members (a campaign
 * targets `list:{id}`); the lines that match nobody are counted and kept for download.
 */
export const LIST_PREFIX = 'list:';
const MAX_LINES = 1_000_000;
const HEADERS = new Set([
  '手机',
  '手机号',
  '手机号码',
  '电话',
  '买家昵称',
  '昵称',
  '买家',
  '客户id',
  '客户',
  'phone',
  'mobile',
  'nick',
  'buyer',
  'customer',
  'customerid',
  'customer_id',
  'id',
]);

export interface AudienceListView {
  id: string;
  segmentId: string;
  name: string;
  fileName: string | null;
  rows: number;
  matched: number;
  unmatched: number;
  createdAt: string;
}

function present(r: {
  id: string;
  name: string;
  file_name: string | null;
  rows: number;
  matched: number;
  unmatched: number;
  created_at: string;
}): AudienceListView {
  return {
    id: r.id,
    segmentId: `${LIST_PREFIX}${r.id}`,
    name: r.name,
    fileName: r.file_name,
    rows: r.rows,
    matched: r.matched,
    unmatched: r.unmatched,
    createdAt: typeof r.created_at === 'string' ? r.created_at : new Date(r.created_at).toISOString(),
  };
}

/** Reads the values of a list file: the first non-empty cell of each line, a header line left out. */
export async function readListFile(path: string): Promise<{ line: number; value: string }[]> {
  const { rows } = await readRows(path);
  const out: { line: number; value: string }[] = [];
  let line = 0;
  for await (const r of rows) {
    line += 1;
    const cell = r.cells.map((c) => String(c ?? '').trim()).find((c) => c !== '');
    if (!cell) continue;
    if (line === 1 && HEADERS.has(cell.toLowerCase().replace(/\s/g, ''))) continue;
    out.push({ line, value: cell.replace(/^'/, '') });
    if (out.length > MAX_LINES)
      throw new Invalid(
        `the list has more than ${MAX_LINES} lines: split it`,
        reason('audienceList.tooLong', { max: MAX_LINES }),
      );
  }
  return out;
}

/** Matches values to customers: a customer id, a mainland mobile (the phone identity) or a buyer nick. */
async function match(ctx: AppContext, ws: string, values: readonly string[]): Promise<Map<string, string>> {
  const k = ctx.db.kysely;
  const found = new Map<string, string>();
  const phones = new Map<string, string[]>();
  for (const v of values) {
    const p = normalizeCnMobile(v);
    if (p) phones.set(p, [...(phones.get(p) ?? []), v]);
  }
  for (const part of chunks([...new Set(values)], 900)) {
    for (const c of await k
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('id', 'in', part)
      .execute())
      found.set(c.id, c.id);
    for (const i of await k
      .selectFrom('customer_identities')
      .select(['customer_id', 'value'])
      .where('workspace_id', '=', ws)
      .where('kind', '=', 'nick')
      .where('value', 'in', part)
      .execute())
      if (!found.has(i.value)) found.set(i.value, i.customer_id);
  }
  for (const part of chunks([...phones.keys()], 900)) {
    for (const i of await k
      .selectFrom('customer_identities')
      .select(['customer_id', 'value'])
      .where('workspace_id', '=', ws)
      .where('kind', '=', 'phone')
      .where('value', 'in', part)
      .execute())
      for (const raw of phones.get(i.value) ?? []) if (!found.has(raw)) found.set(raw, i.customer_id);
    for (const c of await k
      .selectFrom('customers')
      .select(['id', 'phone'])
      .where('workspace_id', '=', ws)
      .where('phone', 'in', part)
      .execute())
      for (const raw of phones.get(c.phone!) ?? []) if (!found.has(raw)) found.set(raw, c.id);
  }
  return found;
}

export async function createAudienceList(
  ctx: AppContext,
  ws: string,
  input: { name: string; fileName: string | null; lines: { line: number; value: string }[] },
  by: string | null,
): Promise<AudienceListView> {
  const name = input.name.trim().slice(0, 80);
  if (!name) throw new Invalid('give the list a name', reason('audienceList.nameRequired'));
  if (input.lines.length === 0)
    throw new Invalid(
      'the file has no lines: one phone, buyer nick or customer id a line',
      reason('audienceList.empty'),
    );
  const found = await match(
    ctx,
    ws,
    input.lines.map((l) => l.value),
  );
  const members = new Set<string>();
  const unmatched: { line: number; value: string; reason: string }[] = [];
  for (const l of input.lines) {
    const c = found.get(l.value);
    if (c) members.add(c);
    else
      unmatched.push({
        line: l.line,
        value: l.value.slice(0, 200),
        reason: normalizeCnMobile(l.value) ? '手机号未找到客户' : '未找到客户（昵称或客户ID）',
      });
  }
  const id = newId();
  const row = {
    workspace_id: ws,
    id,
    name,
    file_name: input.fileName,
    rows: input.lines.length,
    matched: members.size,
    unmatched: unmatched.length,
    created_by: by,
    created_at: nowIso(ctx),
  };
  await ctx.db.kysely.transaction().execute(async (trx) => {
    await trx.insertInto('audience_lists').values(row).execute();
    await bulkInsert(
      trx,
      ctx.db.dialect,
      'audience_list_members',
      [...members].map((customer_id) => ({ workspace_id: ws, list_id: id, customer_id })),
    );
    await bulkInsert(
      trx,
      ctx.db.dialect,
      'audience_list_unmatched',
      unmatched.map((u) => ({ workspace_id: ws, list_id: id, ...u })),
    );
  });
  return present(row);
}

export async function listAudienceLists(ctx: AppContext, ws: string): Promise<AudienceListView[]> {
  const rows = await ctx.db.kysely
    .selectFrom('audience_lists')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('id', 'desc')
    .execute();
  return rows.map(present);
}

export async function getAudienceList(ctx: AppContext, ws: string, id: string): Promise<AudienceListView> {
  const r = await ctx.db.kysely
    .selectFrom('audience_lists')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!r) throw new NotFound(`audience list ${id} not found`, reason('audienceList.notFound', { id }));
  return present(r);
}

export async function audienceListMembers(ctx: AppContext, ws: string, id: string): Promise<string[]> {
  await getAudienceList(ctx, ws, id);
  const rows = await ctx.db.kysely
    .selectFrom('audience_list_members')
    .select('customer_id')
    .where('workspace_id', '=', ws)
    .where('list_id', '=', id)
    .orderBy('customer_id')
    .execute();
  return rows.map((r) => r.customer_id);
}

/** The lines that matched nobody, as CSV (UTF-8 with BOM for Excel). */
export async function unmatchedCsv(ctx: AppContext, ws: string, id: string, role: string): Promise<string> {
  // The lines are phones, e-mails, nicks or buyer ids: masked as accounts for a role that sees no PII.
  const pii = canSeePii(role);
  await getAudienceList(ctx, ws, id);
  const rows = await ctx.db.kysely
    .selectFrom('audience_list_unmatched')
    .select(['line', 'value', 'reason'])
    .where('workspace_id', '=', ws)
    .where('list_id', '=', id)
    .orderBy('line')
    .execute();
  return (
    CSV_BOM +
    [
      csvLine(['行号', '内容', '原因']),
      ...rows.map((r) => csvLine([r.line, pii ? r.value : maskAccount(r.value), r.reason])),
    ].join('')
  );
}
