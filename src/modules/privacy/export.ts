import { reason } from '../../core/reasons.js';
import { CSV_BOM, csvLine } from '../../core/csv.js';
import { NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { zipFiles } from '../../core/zip.js';
import type { Database } from '../../db/types.js';
import { readJson, writeJson } from '../../db/json.js';
import { chunks, nowIso, type AppContext } from '../context.js';
import type { Requester } from './erase.js';

/**
 * Everything Huike holds about one customer, for a personal-information request (PIPL art. 45):
 * one section per kind of record, rows as stored (JSON columns parsed). Owners and admins only,
 * with PII in full — it is the person's own data — and every export is recorded in pipl_requests.
 */

/** Section name → the table holding rows with this customer's id. */
const BY_CUSTOMER: [string, keyof Database][] = [
  ['identities', 'customer_identities'],
  ['stats', 'customer_stats'],
  ['rfm', 'customer_rfm'],
  ['prediction', 'customer_predictions'],
  ['orders', 'orders'],
  ['points', 'points_entries'],
  ['coupons', 'coupons'],
  ['reward_redemptions', 'reward_redemptions'],
  ['member_tier', 'member_tiers'],
  ['tier_history', 'tier_history'],
  ['growth', 'growth_entries'],
  ['notes', 'notes'],
  ['tag_removals', 'customer_tag_removals'],
  ['messages', 'messages'],
  ['message_links', 'message_links'],
  ['replies', 'inbound_replies'],
  ['campaigns', 'campaign_recipients'],
  ['consent_history', 'consent_events'],
  ['reviews', 'reviews'],
  ['tasks', 'service_tasks'],
  ['survey_invitations', 'survey_invitations'],
  ['survey_responses', 'survey_responses'],
  ['feedback', 'feedback'],
  ['order_events', 'order_events'],
  ['automation_runs', 'automation_runs'],
  ['requests', 'pipl_requests'],
];

const JSON_COLUMNS = new Set(['raw', 'answers', 'source_snapshot', 'moved', 'summary', 'questions', 'context']);

type Row = Record<string, unknown>;

function plain(row: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'workspace_id') continue;
    out[k] = JSON_COLUMNS.has(k) && v != null ? readJson(v) : v;
  }
  return out;
}

export interface CustomerDataExport {
  customerId: string;
  exportedAt: string;
  sections: Record<string, Row[]>;
}

export async function customerDataExport(
  ctx: AppContext,
  ws: string,
  customerId: string,
  by: Requester,
  format: 'json' | 'zip',
): Promise<CustomerDataExport> {
  const k = ctx.db.kysely;
  const customer = await k
    .selectFrom('customers')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', customerId)
    .executeTakeFirst();
  if (!customer)
    throw new NotFound(`customer ${customerId} not found`, reason('customer.notFound', { id: customerId }));
  const exportedAt = nowIso(ctx);
  const sections: Record<string, Row[]> = { profile: [plain(customer)] };
  for (const [section, table] of BY_CUSTOMER) {
    // Every table listed has workspace_id and customer_id; the cast only names one for the types.
    const rows = await k
      .selectFrom(table as 'notes')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('customer_id', '=', customerId)
      .execute();
    sections[section] = (rows as unknown as Row[]).map(plain);
  }
  const orderIds = sections.orders!.map((o) => String(o.id));
  const items: Row[] = [];
  for (const part of chunks(orderIds, 900)) {
    const rows = await k
      .selectFrom('order_items')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('order_id', 'in', part)
      .orderBy('order_id')
      .orderBy('line_key')
      .execute();
    items.push(...rows.map((r) => plain(r as unknown as Row)));
  }
  sections.order_items = items;
  sections.tags = await k
    .selectFrom('customer_tags as ct')
    .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'ct.workspace_id').onRef('t.id', '=', 'ct.tag_id'))
    .select(['t.name', 'ct.created_at'])
    .where('ct.workspace_id', '=', ws)
    .where('ct.customer_id', '=', customerId)
    .execute();
  sections.groups = await k
    .selectFrom('customer_groups as cg')
    .innerJoin('groups as g', (j) =>
      j.onRef('g.workspace_id', '=', 'cg.workspace_id').onRef('g.id', '=', 'cg.group_id'),
    )
    .select(['g.name', 'cg.created_at'])
    .where('cg.workspace_id', '=', ws)
    .where('cg.customer_id', '=', customerId)
    .execute();
  sections.merges = (
    await k
      .selectFrom('customer_merges')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where((eb) => eb.or([eb('target_id', '=', customerId), eb('source_id', '=', customerId)]))
      .execute()
  ).map((r) => plain(r as unknown as Row));

  await k
    .insertInto('pipl_requests')
    .values({
      workspace_id: ws,
      id: newId(),
      customer_id: customerId,
      kind: 'export',
      requested_by: by.userId,
      requested_by_login: by.login,
      reason: null,
      summary: writeJson({
        format,
        sections: Object.fromEntries(Object.entries(sections).map(([s, rows]) => [s, rows.length])),
      }),
      created_at: exportedAt,
    })
    .execute();
  return { customerId, exportedAt, sections };
}

function cell(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** One CSV per section (UTF-8 with BOM, formulas neutralised) and the JSON, zipped. */
export function dataExportZip(data: CustomerDataExport): Buffer {
  const files = Object.entries(data.sections).map(([section, rows]) => {
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const body = rows.map((r) => csvLine(columns.map((c) => cell(r[c])))).join('');
    return { name: `${section}.csv`, content: CSV_BOM + csvLine(columns) + body };
  });
  files.push({ name: 'customer.json', content: JSON.stringify(data, null, 2) });
  return zipFiles(files, new Date(data.exportedAt));
}
