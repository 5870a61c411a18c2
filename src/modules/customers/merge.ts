import { reason } from '../../core/reasons.js';
import type { Insertable, Transaction } from 'kysely';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Dialect } from '../../db/connect.js';
import type { Customer, Database } from '../../db/types.js';
import { readJson, writeJson } from '../../db/json.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import { chunks, nowIso, type AppContext } from '../context.js';
import { refreshCustomerStats } from './stats.js';
import { refreshNamePinyin } from './pinyin.js';
import { refreshBuyerRows } from '../analytics/rebuild.js';
import { recordConsent } from './consent.js';
import type { ConsentState } from '../../core/consent.js';
import { moveAudience, moveAudienceBack, type MovedAudience } from './merge-audience.js';
import { moveMessaging, moveMessagingBack, type MovedMessaging } from './merge-messaging.js';

/**
 * Merging two customers (the same buyer seen under two identities, e.g. a Taobao nick and a JD
 * pin) moves everything of the source onto the target and removes the source; the merge keeps the
 * source as it was and the list of what moved, so that undo puts exactly that back.
 */
const FILLABLE = [
  'real_name',
  'phone',
  'email',
  'gender',
  'birthday',
  'wechat',
  'qq',
  'province',
  'city',
  'source',
] as const;
// A "no" from either side survives a merge: blacklists, bad reviews and opt-outs are kept.
const STICKY_FLAGS = [
  'is_picky',
  'is_bad_reviewer',
  'is_blacklisted',
  'opt_out_sms',
  'opt_out_email',
  'opt_out_wechat',
] as const;

/**
 * Rows that belong to one customer by id, moved to the target on merge and back on undo. Every
 * table that cascades from customers must be here or below (tags, groups, member tier), or a
 * merge would delete the source's rows with it.
 */
const OWNED = [
  'orders',
  'customer_identities',
  'notes',
  'points_entries',
  'coupons',
  'reward_redemptions',
  'tier_history',
  'reviews',
  'growth_entries',
  'service_tasks',
  'survey_invitations',
  'survey_responses',
  'feedback',
  'consent_events',
  // Automation runs (and the order events that started them) follow the customer, so the timeline of the
  // customer they were merged into shows them and a run under way goes on for that customer.
  'automation_runs',
  'order_events',
] as const;
type OwnedTable = (typeof OWNED)[number];

interface Moved {
  owned: Record<OwnedTable, string[]>;
  /** The source's tier row (dropped on merge: the target is re-evaluated on the combined spend). */
  memberTier: Database['member_tiers'] | null;
  tags: { tag_id: string; created_at: string; created_by: string | null }[];
  groups: { group_id: string; created_at: string }[];
  addedTags: string[];
  /**
   * The source's tags taken off before (migration 0092), kept on the target's timeline; `addedTagRemovals` the copies
   * made (one the target already holds — the same tag off both at once — is not copied). Absent in older merges.
   */
  tagRemovals?: Omit<Database['customer_tag_removals'], 'workspace_id' | 'customer_id'>[];
  addedTagRemovals?: { tag_id: string; removed_at: string }[];
  addedGroups: string[];
  /** Target fields the merge changed, with their value before it. */
  changed: Record<string, unknown>;
  /** Messages, decisions, replies, campaign and list places moved (absent in merges made before). */
  messaging?: MovedMessaging;
  /** Places in segment-entry automations' audiences moved (absent in merges made before). */
  audience?: MovedAudience;
}

async function mustGet(trx: Transaction<Database>, ws: string, id: string): Promise<Customer> {
  const c = await trx
    .selectFrom('customers')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!c) throw new NotFound(`customer ${id} not found`, reason('customer.notFound', { id }));
  return c;
}

async function reassign(
  trx: Transaction<Database>,
  ws: string,
  owned: Record<OwnedTable, string[]>,
  from: string,
  to: string,
  now: string,
) {
  // Points entries hang off the customer's points account: the receiving side needs one.
  if (owned.points_entries.length > 0) {
    await trx
      .insertInto('points_accounts')
      .values({ workspace_id: ws, customer_id: to, updated_at: now })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  for (const table of OWNED) {
    // A merge recorded before a table joined OWNED has no list for it.
    for (const part of chunks(owned[table] ?? [], 900)) {
      await trx
        .updateTable(table)
        .set({ customer_id: to })
        .where('workspace_id', '=', ws)
        .where('id', 'in', part)
        .where('customer_id', '=', from)
        .execute();
    }
  }
}

export async function mergeCustomers(
  ctx: AppContext,
  ws: string,
  targetId: string,
  sourceId: string,
  by: string | null,
) {
  if (targetId === sourceId) throw new Invalid('a customer cannot be merged into itself', reason('merge.self'));
  const now = nowIso(ctx);
  return ctx.db.kysely
    .transaction()
    .execute((trx) => mergeInTransaction(trx, ctx.db.dialect, ws, targetId, sourceId, by, now));
}

/**
 * The merge itself, inside the caller's transaction (an import merges the customers a phone now
 * links in the same transaction as the orders that revealed it).
 */
export async function mergeInTransaction(
  trx: Transaction<Database>,
  dialect: Dialect,
  ws: string,
  targetId: string,
  sourceId: string,
  by: string | null,
  now: string,
) {
  const target = await mustGet(trx, ws, targetId);
  const source = await mustGet(trx, ws, sourceId);
  if (target.erased_at || source.erased_at)
    throw new Conflict('a customer whose personal data was erased cannot be merged', reason('merge.erased'));
  const owned = {} as Record<OwnedTable, string[]>;
  for (const table of OWNED)
    owned[table] = (
      await trx
        .selectFrom(table)
        .select('id')
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', sourceId)
        .execute()
    ).map((r) => r.id);
  const tags = await trx
    .selectFrom('customer_tags')
    .select(['tag_id', 'created_at', 'created_by'])
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', sourceId)
    .execute();
  const groups = await trx
    .selectFrom('customer_groups')
    .select(['group_id', 'created_at'])
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', sourceId)
    .execute();
  const tagRemovals = await trx
    .selectFrom('customer_tag_removals')
    .select(['tag_id', 'removed_at', 'tag_name', 'added_at', 'added_by', 'removed_by'])
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', sourceId)
    .execute();
  const targetTags = new Set(
    (
      await trx
        .selectFrom('customer_tags')
        .select('tag_id')
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', targetId)
        .execute()
    ).map((t) => t.tag_id),
  );
  const targetGroups = new Set(
    (
      await trx
        .selectFrom('customer_groups')
        .select('group_id')
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', targetId)
        .execute()
    ).map((g) => g.group_id),
  );
  const moved: Moved = {
    owned,
    memberTier:
      (await trx
        .selectFrom('member_tiers')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', sourceId)
        .executeTakeFirst()) ?? null,
    tags,
    groups,
    addedTags: tags.map((t) => t.tag_id).filter((t) => !targetTags.has(t)),
    addedGroups: groups.map((g) => g.group_id).filter((g) => !targetGroups.has(g)),
    tagRemovals,
    addedTagRemovals: [],
    changed: {},
  };
  const patch: Record<string, unknown> = {};
  for (const f of FILLABLE) if (target[f] == null && source[f] != null) patch[f] = source[f];
  for (const f of STICKY_FLAGS) if (source[f] === 1 && target[f] !== 1) patch[f] = 1;
  if (source.marketing_consent === 'denied' && target.marketing_consent !== 'denied') {
    Object.assign(patch, {
      marketing_consent: 'denied',
      consent_source: source.consent_source,
      consent_at: source.consent_at,
    });
  }
  for (const k of Object.keys(patch)) moved.changed[k] = target[k as keyof Customer];

  await reassign(trx, ws, owned, sourceId, targetId, now);
  moved.messaging = await moveMessaging(trx, dialect, ws, sourceId, targetId);
  moved.audience = await moveAudience(trx, dialect, ws, sourceId, targetId);
  for (const part of chunks(moved.addedTags, 900)) {
    await trx
      .insertInto('customer_tags')
      .values(
        part.map((tag_id) => ({ workspace_id: ws, customer_id: targetId, tag_id, created_at: now, created_by: by })),
      )
      .execute();
  }
  for (const part of chunks(tagRemovals, 500)) {
    const copied = await trx
      .insertInto('customer_tag_removals')
      .values(part.map((r) => ({ ...r, workspace_id: ws, customer_id: targetId })))
      .onConflict((oc) => oc.doNothing())
      .returning(['tag_id', 'removed_at'])
      .execute();
    moved.addedTagRemovals!.push(...copied.map((r) => ({ tag_id: r.tag_id, removed_at: String(r.removed_at) })));
  }
  for (const part of chunks(moved.addedGroups, 900)) {
    await trx
      .insertInto('customer_groups')
      .values(part.map((group_id) => ({ workspace_id: ws, customer_id: targetId, group_id, created_at: now })))
      .execute();
  }
  if (Object.keys(patch).length) {
    await trx
      .updateTable('customers')
      .set({ ...patch, updated_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', targetId)
      .execute();
    // A "no" the source had now holds for the target: that is a consent change of the target.
    await recordConsent(
      trx,
      dialect,
      ws,
      [{ customerId: targetId, before: target, after: patch as Partial<ConsentState> }],
      { source: 'merge', detail: `${source.display_name} (${sourceId})`, actorId: by },
      now,
    );
  }
  await trx.deleteFrom('customers').where('workspace_id', '=', ws).where('id', '=', sourceId).execute();
  const merge = {
    workspace_id: ws,
    id: newId(),
    target_id: targetId,
    source_id: sourceId,
    source_snapshot: writeJson(source),
    moved: writeJson(moved),
    merged_by: by,
    merged_at: now,
    undone_at: null,
  };
  await trx.insertInto('customer_merges').values(merge).execute();
  // The target is found by the pinyin of the source's nicks (and real name) now too.
  await refreshNamePinyin(trx, dialect, ws, [targetId]);
  await refreshCustomerStats(trx, dialect, ws, [targetId], now);
  await refreshBuyerRows(trx, dialect, ws, [targetId, sourceId], now);
  await enqueue(trx, { workspaceId: ws, kind: JOB.rfmRecompute, dedupeKey: `merge:${merge.id}` }, now);
  await enqueue(trx, { workspaceId: ws, kind: JOB.tiers, dedupeKey: `merge:${merge.id}` }, now);
  return {
    id: merge.id,
    targetId,
    sourceId,
    mergedAt: now,
    orders: owned.orders.length,
    identities: owned.customer_identities.length,
  };
}

export async function undoMerge(ctx: AppContext, ws: string, mergeId: string) {
  const now = nowIso(ctx);
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const m = await trx
      .selectFrom('customer_merges')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('id', '=', mergeId)
      .executeTakeFirst();
    if (!m) throw new NotFound(`merge ${mergeId} not found`, reason('merge.notFound', { id: mergeId }));
    if (m.undone_at) throw new Conflict('this merge was already undone', reason('merge.alreadyUndone'));
    const target = await trx
      .selectFrom('customers')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('id', '=', m.target_id)
      .executeTakeFirst();
    if (!target)
      throw new Conflict(
        'the customer this one was merged into has since been merged again: undo that merge first',
        reason('merge.mergedAgain'),
      );
    const source = readJson<Insertable<Database['customers']>>(m.source_snapshot);
    const moved = readJson<Moved>(m.moved);
    await trx.insertInto('customers').values(source).execute();
    await reassign(trx, ws, moved.owned, m.target_id, m.source_id, now);
    await moveMessagingBack(trx, ws, moved.messaging, m.target_id, m.source_id);
    await moveAudienceBack(trx, ws, moved.audience, m.target_id, m.source_id);
    if (moved.memberTier) await trx.insertInto('member_tiers').values(moved.memberTier).execute();
    for (const part of chunks(moved.addedTags, 900)) {
      await trx
        .deleteFrom('customer_tags')
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', m.target_id)
        .where('tag_id', 'in', part)
        .execute();
    }
    for (const part of chunks(moved.addedGroups, 900)) {
      await trx
        .deleteFrom('customer_groups')
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', m.target_id)
        .where('group_id', 'in', part)
        .execute();
    }
    // Tags and groups that were deleted since the merge are not brought back.
    const liveTags = new Set(
      (await trx.selectFrom('tags').select('id').where('workspace_id', '=', ws).execute()).map((t) => t.id),
    );
    const liveGroups = new Set(
      (await trx.selectFrom('groups').select('id').where('workspace_id', '=', ws).execute()).map((g) => g.id),
    );
    const tagRows = moved.tags
      .filter((t) => liveTags.has(t.tag_id))
      .map((t) => ({ workspace_id: ws, customer_id: m.source_id, ...t }));
    const groupRows = moved.groups
      .filter((g) => liveGroups.has(g.group_id))
      .map((g) => ({ workspace_id: ws, customer_id: m.source_id, ...g }));
    for (const part of chunks(tagRows, 900)) await trx.insertInto('customer_tags').values(part).execute();
    for (const r of moved.addedTagRemovals ?? [])
      await trx
        .deleteFrom('customer_tag_removals')
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', m.target_id)
        .where('tag_id', '=', r.tag_id)
        .where('removed_at', '=', r.removed_at)
        .execute();
    for (const part of chunks(moved.tagRemovals ?? [], 500))
      await trx
        .insertInto('customer_tag_removals')
        .values(part.map((r) => ({ ...r, workspace_id: ws, customer_id: m.source_id })))
        .execute();
    for (const part of chunks(groupRows, 900)) await trx.insertInto('customer_groups').values(part).execute();
    if (Object.keys(moved.changed).length) {
      const before = await mustGet(trx, ws, m.target_id);
      await trx
        .updateTable('customers')
        .set({ ...moved.changed, updated_at: now })
        .where('workspace_id', '=', ws)
        .where('id', '=', m.target_id)
        .execute();
      await recordConsent(
        trx,
        ctx.db.dialect,
        ws,
        [{ customerId: m.target_id, before, after: moved.changed as Partial<ConsentState> }],
        { source: 'merge', detail: `undo of merge ${mergeId}` },
        now,
      );
    }
    await trx
      .updateTable('customer_merges')
      .set({ undone_at: now })
      .where('workspace_id', '=', ws)
      .where('id', '=', mergeId)
      .execute();
    // Each is found by its own names' pinyin again (a merge recorded before 0073 kept no keys of the source).
    await refreshNamePinyin(trx, ctx.db.dialect, ws, [m.target_id, m.source_id]);
    await refreshCustomerStats(trx, ctx.db.dialect, ws, [m.target_id, m.source_id], now);
    await refreshBuyerRows(trx, ctx.db.dialect, ws, [m.target_id, m.source_id], now);
    await enqueue(trx, { workspaceId: ws, kind: JOB.rfmRecompute, dedupeKey: `unmerge:${mergeId}` }, now);
    await enqueue(trx, { workspaceId: ws, kind: JOB.tiers, dedupeKey: `unmerge:${mergeId}` }, now);
    return { id: mergeId, targetId: m.target_id, sourceId: m.source_id, undoneAt: now };
  });
}

export async function mergesOf(ctx: AppContext, ws: string, customerId: string) {
  const rows = await ctx.db.kysely
    .selectFrom('customer_merges')
    .select(['id', 'target_id', 'source_id', 'source_snapshot', 'merged_at', 'undone_at'])
    .where('workspace_id', '=', ws)
    .where((eb) => eb.or([eb('target_id', '=', customerId), eb('source_id', '=', customerId)]))
    .orderBy('merged_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    targetId: r.target_id,
    sourceId: r.source_id,
    sourceName: readJson<{ display_name: string }>(r.source_snapshot).display_name,
    mergedAt: r.merged_at,
    undoneAt: r.undone_at,
  }));
}
