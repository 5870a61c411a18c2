import { sql } from 'kysely';
import { maskPhone } from '../../core/pii.js';
import { maskDisplayName, maskEmail } from '../../core/pii-mask.js';
import { localDate } from '../../core/time.js';
import {
  type ExportLanguage,
  exportHeader,
  lifecycleLabel,
  platformLabel,
  rfmClassLabel,
} from '../../core/export-labels.js';
import { getTierSettings } from '../membership/service.js';
import { canSeePii } from '../auth/roles.js';
import { chunks, type AppContext } from '../context.js';
import { workspaceTimezone } from '../workspaces/service.js';

/**
 * Customers as export rows (segment CSV/XLSX, the customer list's export): who they are in the
 * shops — the buyer nick and buyer id on each platform, the stores they bought from, phone and
 * email — so a list can be matched back to the shop, then their figures. Phones masked by role.
 */
export type ExportCell = string | number | null;

const FAMILY_ORDER = ['taobao', 'jd', 'douyin', 'shopify', 'other'];

interface IdentityColumn {
  kind: 'nick' | 'buyer_id';
  scope: string;
  header: string;
}

export interface CustomerExportLayout {
  columns: string[];
  /** Index of the money column (yuan with two decimals). */
  moneyColumn: number;
  identities: IdentityColumn[];
  timeZone: string;
  lang: ExportLanguage;
  /** Tier names by key (a customer with paid orders and no tier row is in the first tier, as on their page). */
  tierNames: Map<string, string>;
  firstTier: string | null;
}

/**
 * The platforms (scopes) the workspace has identities of this kind on, one index seek each (the next scope above
 * the last): a DISTINCT read every nick of the shop (1M customers: ~1M identities) before each export.
 */
async function scopesOf(ctx: AppContext, ws: string, kind: 'nick' | 'buyer_id'): Promise<string[]> {
  const r = await sql<{ s: string | null }>`
    WITH RECURSIVE d (s) AS (
      SELECT (SELECT MIN(scope) FROM customer_identities WHERE workspace_id = ${ws} AND kind = ${kind})
      UNION ALL
      SELECT (SELECT MIN(i.scope) FROM customer_identities i
              WHERE i.workspace_id = ${ws} AND i.kind = ${kind} AND i.scope > d.s)
      FROM d WHERE d.s IS NOT NULL
    )
    SELECT s FROM d WHERE s IS NOT NULL`.execute(ctx.db.kysely);
  return r.rows.map((x) => x.s!);
}

/** The columns of an export: one nick and one buyer-id column per platform the workspace has such identities on. */
export async function customerExportLayout(
  ctx: AppContext,
  ws: string,
  lang: ExportLanguage = 'zh-CN',
): Promise<CustomerExportLayout> {
  const kinds = [
    ...(await scopesOf(ctx, ws, 'nick')).map((scope) => ({ kind: 'nick', scope })),
    ...(await scopesOf(ctx, ws, 'buyer_id')).map((scope) => ({ kind: 'buyer_id', scope })),
  ];
  const rank = (scope: string) => {
    const i = FAMILY_ORDER.indexOf(scope);
    return i === -1 ? FAMILY_ORDER.length : i;
  };
  const identities = kinds
    .map((k) => ({
      kind: k.kind as 'nick' | 'buyer_id',
      scope: k.scope,
      header: exportHeader(k.kind === 'nick' ? 'nick' : 'buyerId', lang, platformLabel(k.scope, lang)),
    }))
    .sort((a, b) => rank(a.scope) - rank(b.scope) || a.scope.localeCompare(b.scope) || (a.kind === 'nick' ? -1 : 1));
  const h = (key: Parameters<typeof exportHeader>[0]) => exportHeader(key, lang);
  const columns = [
    h('id'),
    h('name'),
    ...identities.map((i) => i.header),
    h('stores'),
    h('tier'),
    h('tags'),
    h('phone'),
    h('email'),
    h('province'),
    h('city'),
    h('paidOrders'),
    h('spent'),
    h('lastPaid'),
    h('rfm'),
    h('lifecycle'),
  ];
  const tiers = (await getTierSettings(ctx, ws)).tiers;
  return {
    columns,
    moneyColumn: columns.indexOf(h('spent')),
    identities,
    timeZone: await workspaceTimezone(ctx.db.kysely, ws),
    lang,
    tierNames: new Map(tiers.map((t) => [t.key, t.name])),
    firstTier: tiers[0]?.name ?? null,
  };
}

/** Export rows of these customers, in the order given (unknown ids are left out). */
export async function customerExportRows(
  ctx: AppContext,
  ws: string,
  ids: readonly string[],
  role: string,
  layout: CustomerExportLayout,
): Promise<ExportCell[][]> {
  const k = ctx.db.kysely;
  const pii = canSeePii(role);
  const out: ExportCell[][] = [];
  for (const part of chunks([...ids], 500)) {
    if (part.length === 0) continue;
    const rows = await k
      .selectFrom('customers as c')
      .leftJoin('customer_stats as s', (j) =>
        j.onRef('s.workspace_id', '=', 'c.workspace_id').onRef('s.customer_id', '=', 'c.id'),
      )
      .leftJoin('customer_rfm as r', (j) =>
        j.onRef('r.workspace_id', '=', 'c.workspace_id').onRef('r.customer_id', '=', 'c.id'),
      )
      .select([
        'c.id',
        'c.display_name',
        'c.real_name',
        'c.phone',
        'c.email',
        'c.first_store_id',
        sql<string | null>`COALESCE(s.province, c.province)`.as('province'),
        'c.city',
        's.paid_orders',
        's.total_spent_fen',
        's.last_paid_at',
        'r.rfm_class',
        'r.lifecycle',
      ])
      .where('c.workspace_id', '=', ws)
      .where('c.id', 'in', part)
      .execute();
    const identities = await k
      .selectFrom('customer_identities')
      .select(['customer_id', 'kind', 'scope', 'value'])
      .where('workspace_id', '=', ws)
      .where('customer_id', 'in', part)
      .where('kind', 'in', ['nick', 'buyer_id', 'email'])
      .orderBy('customer_id')
      .orderBy('value')
      .execute();
    // Stores: where the customer has orders, else the store they were first seen in.
    const stores = await k
      .selectFrom('orders as o')
      .innerJoin('stores as st', (j) =>
        j.onRef('st.workspace_id', '=', 'o.workspace_id').onRef('st.id', '=', 'o.store_id'),
      )
      .select(['o.customer_id', 'st.name'])
      .distinct()
      .where('o.workspace_id', '=', ws)
      .where('o.customer_id', 'in', part)
      .orderBy('st.name')
      .execute();
    const tierRows = await k
      .selectFrom('member_tiers')
      .select(['customer_id', 'tier_key'])
      .where('workspace_id', '=', ws)
      .where('customer_id', 'in', part)
      .execute();
    const tierOf = new Map(tierRows.map((t) => [t.customer_id, t.tier_key]));
    const tagRows = await k
      .selectFrom('customer_tags as ct')
      .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'ct.workspace_id').onRef('t.id', '=', 'ct.tag_id'))
      .select(['ct.customer_id', 't.name'])
      .where('ct.workspace_id', '=', ws)
      .where('ct.customer_id', 'in', part)
      .orderBy('ct.customer_id')
      .orderBy('t.name')
      .execute();
    const tagsOf = new Map<string, string[]>();
    for (const t of tagRows) tagsOf.set(t.customer_id, [...(tagsOf.get(t.customer_id) ?? []), t.name]);
    const storeNames = await k.selectFrom('stores').select(['id', 'name']).where('workspace_id', '=', ws).execute();
    const storeName = new Map(storeNames.map((s) => [s.id, s.name]));
    const idsOf = new Map<string, Map<string, string[]>>();
    for (const i of identities) {
      const key = `${i.kind}\u0000${i.kind === 'email' ? '' : i.scope}`;
      let m = idsOf.get(i.customer_id);
      if (!m) idsOf.set(i.customer_id, (m = new Map()));
      m.set(key, [...(m.get(key) ?? []), i.value]);
    }
    const storesOf = new Map<string, string[]>();
    for (const s of stores) storesOf.set(s.customer_id!, [...(storesOf.get(s.customer_id!) ?? []), s.name]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of part) {
      const r = byId.get(id);
      if (!r) continue;
      const mine = idsOf.get(id);
      const list = (kind: string, scope: string) => mine?.get(`${kind}\u0000${scope}`)?.join('; ') || null;
      const shops =
        storesOf.get(id) ??
        (r.first_store_id && storeName.has(r.first_store_id) ? [storeName.get(r.first_store_id)!] : []);
      const email = r.email ?? list('email', '');
      out.push([
        r.id,
        pii ? r.display_name : maskDisplayName(r.display_name, r.real_name),
        ...layout.identities.map((c) => list(c.kind, c.scope)),
        shops.join(layout.lang === 'en' ? ', ' : '、') || null,
        tierName(layout, tierOf.get(id), r.paid_orders ?? 0),
        tagsOf.get(id)?.join(layout.lang === 'en' ? ', ' : '、') ?? null,
        pii ? r.phone : maskPhone(r.phone),
        pii || !email ? email : email.split('; ').map(maskEmail).join('; '),
        r.province,
        r.city,
        r.paid_orders ?? 0,
        Number(((r.total_spent_fen ?? 0) / 100).toFixed(2)),
        r.last_paid_at ? localDate(r.last_paid_at, layout.timeZone) : null,
        rfmClassLabel(r.rfm_class, layout.lang),
        lifecycleLabel(r.lifecycle, layout.lang),
      ]);
    }
  }
  return out;
}

function tierName(layout: CustomerExportLayout, key: string | undefined, paidOrders: number): string | null {
  if (key) return layout.tierNames.get(key) ?? null;
  return paidOrders > 0 ? layout.firstTier : null;
}
