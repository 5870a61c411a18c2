import { type Reason, reason, storedReason } from '../../core/reasons.js';
import { Invalid, NotFound } from '../../core/errors.js';
import { readSetting, writeSetting } from '../settings.js';
import { parseInput } from '../../core/validation.js';
import { newId } from '../../core/ids.js';
import {
  afterOrder,
  afterYear,
  DEFAULT_TIERS,
  growthValue,
  qualifiedRank,
  tierSettingsSchema,
  type TierSettings,
} from '../../core/tiers.js';
import { orderCountsAsPurchase, purchaseRule } from '../customers/stats.js';
import { linesOf } from '../customers/order-facts.js';
import { inIds, notIndexed } from '../../db/in-list.js';
import { DAY_MS } from '../../core/time.js';
import { sql, type Insertable } from 'kysely';
import type { Database } from '../../db/types.js';
import { chunks, nowIso, type AppContext } from '../context.js';
import { offLoop } from '../heavy/run.js';

export async function getTierSettings(ctx: AppContext, ws: string): Promise<TierSettings> {
  return readSetting(ctx.db.kysely, ws, 'tiers', tierSettingsSchema, DEFAULT_TIERS);
}

export async function setTierSettings(ctx: AppContext, ws: string, input: unknown): Promise<TierSettings> {
  return writeSetting(ctx, ws, 'tiers', tierSettingsSchema, input, 'The tier settings');
}

/** The tier ladder and how many members each tier has. */
export async function tierLadder(ctx: AppContext, ws: string) {
  const settings = await getTierSettings(ctx, ws);
  return { ...settings, members: await offLoop(ctx, 'tiers.members', tierMembersHere, ws) };
}

/** Members per tier key: a count of every member (1M: 0.1–0.7 s), so on a read thread (heavy/tasks.ts). */
export async function tierMembersHere(ctx: AppContext, ws: string): Promise<Record<string, number>> {
  const counts = await ctx.db.kysely
    .selectFrom('member_tiers')
    .select((eb) => ['tier_key', eb.fn.countAll<number>().as('n')])
    .where('workspace_id', '=', ws)
    .groupBy('tier_key')
    .execute();
  return Object.fromEntries(counts.map((c) => [c.tier_key, Number(c.n)]));
}

/** Upgrades qualifying members now; `yearly` also runs the 12-month re-evaluation first. */
export async function evaluateTiers(ctx: AppContext, ws: string, yearly: boolean) {
  const review = yearly ? await reevaluateYear(ctx, ws) : null;
  return { ...(await evaluateUpgrades(ctx, ws)), yearly: review };
}

const rankOf = (s: TierSettings, key: string | null) =>
  key === null
    ? 0
    : Math.max(
        0,
        s.tiers.findIndex((t) => t.key === key),
      );

interface MemberRow {
  customer_id: string;
  spent_12m_fen: number;
  total_spent_fen: number;
  tier_key: string | null;
  floor_key: string | null;
  cycle_started_at: string | null;
}

/** Buyers with their stats and current tier, a page at a time (keyset on customer id). */
async function* members(
  ctx: AppContext,
  ws: string,
  opts: { customerIds?: string[]; cycleEndedBefore?: string },
): AsyncGenerator<MemberRow[]> {
  let after = '';
  for (;;) {
    let q = ctx.db.kysely
      .selectFrom('customer_stats as s')
      // The page's bound is given to each table, not only to the stats: PostgreSQL's merge join otherwise read the
      // customers' and tiers' keys from the workspace's start on every page (1.7 s a page deep into 1M customers,
      // minutes a pass; 10 ms with the bound).
      .leftJoin('member_tiers as m', (j) =>
        j
          .onRef('m.workspace_id', '=', 's.workspace_id')
          .onRef('m.customer_id', '=', 's.customer_id')
          .on('m.customer_id', '>', after),
      )
      // An erased customer (PIPL) keeps her tier as it was: nothing about her changes any more.
      .innerJoin('customers as c', (j) =>
        j.onRef('c.workspace_id', '=', 's.workspace_id').onRef('c.id', '=', 's.customer_id'),
      )
      .where('c.id', '>', after)
      .where('c.erased_at', 'is', null)
      .select([
        's.customer_id',
        's.spent_12m_fen',
        's.total_spent_fen',
        'm.tier_key',
        'm.floor_key',
        'm.cycle_started_at',
      ])
      .where('s.workspace_id', '=', ws)
      .where((eb) => eb.or([eb('s.paid_orders', '>', 0), eb('m.customer_id', 'is not', null)]))
      .where('s.customer_id', '>', after);
    if (opts.customerIds) q = q.where('s.customer_id', 'in', opts.customerIds);
    if (opts.cycleEndedBefore) q = q.where('m.cycle_started_at', '<=', opts.cycleEndedBefore);
    const rows = await q.orderBy('s.customer_id').limit(2000).execute();
    if (rows.length === 0) return;
    yield rows;
    after = rows[rows.length - 1]!.customer_id;
    if (rows.length < 2000) return;
  }
}

async function apply(
  ctx: AppContext,
  ws: string,
  s: TierSettings,
  changes: { row: MemberRow; to: number; reason: string; why: Reason; by?: string | null; newCycle: boolean }[],
) {
  if (changes.length === 0) return;
  const now = nowIso(ctx);
  const dialect = ctx.db.dialect;
  await ctx.db.kysely.transaction().execute(async (trx) => {
    // Each change applies only to the tier it was worked out from: an evaluation running at the same time (the
    // worker's after a merge, a click on 重新评估) that moved the member first leaves this one nothing to do — no
    // second history row, no second 会员升级 message. Set-wise: one insert per 500 joining members and one update
    // per move (from, to, new cycle or not) and 900 members, each returning the members it changed (it was one
    // statement per member: a yearly review or a first evaluation of 1M members, a million statements).
    const changed = new Set<string>();
    const joins = changes.filter((c) => c.row.tier_key === null);
    for (const part of chunks(joins, 500)) {
      const rows = await trx
        .insertInto('member_tiers')
        .values(
          part.map((c) => ({
            workspace_id: ws,
            customer_id: c.row.customer_id,
            tier_key: s.tiers[c.to]!.key,
            floor_key: null,
            cycle_started_at: now,
            updated_at: now,
          })),
        )
        .onConflict((oc) => oc.columns(['workspace_id', 'customer_id']).doNothing())
        .returning('customer_id')
        .execute();
      for (const r of rows) changed.add(r.customer_id);
    }
    const moves = new Map<string, { from: string; to: string; newCycle: boolean; ids: string[] }>();
    for (const c of changes) {
      if (c.row.tier_key === null) continue;
      const to = s.tiers[c.to]!.key;
      const key = JSON.stringify([c.row.tier_key, to, c.newCycle]);
      const move = moves.get(key) ?? { from: c.row.tier_key, to, newCycle: c.newCycle, ids: [] };
      move.ids.push(c.row.customer_id);
      moves.set(key, move);
    }
    for (const m of moves.values())
      for (const ids of chunks(m.ids, 900)) {
        const rows = await trx
          .updateTable('member_tiers')
          .set({ tier_key: m.to, updated_at: now, ...(m.newCycle ? { cycle_started_at: now } : {}) })
          .where('workspace_id', '=', ws)
          .where(inIds(dialect, 'customer_id', ids))
          // By the key, not the tier's index: SQLite without statistics read every member of the tier per statement.
          .where(notIndexed(dialect, 'tier_key'), '=', m.from)
          .returning('customer_id')
          .execute();
        for (const r of rows) changed.add(r.customer_id);
      }
    const history: Insertable<Database['tier_history']>[] = [];
    for (const c of changes) {
      const toKey = s.tiers[c.to]!.key;
      if (changed.has(c.row.customer_id) && c.row.tier_key !== toKey)
        history.push({
          workspace_id: ws,
          id: newId(),
          customer_id: c.row.customer_id,
          from_key: c.row.tier_key,
          to_key: toKey,
          reason: c.reason,
          reason_key: c.why.key,
          reason_params: JSON.stringify(c.why.params),
          created_by: c.by ?? null,
          created_at: now,
        });
    }
    for (let i = 0; i < history.length; i += 500)
      await trx
        .insertInto('tier_history')
        .values(history.slice(i, i + 500))
        .execute();
  });
}

/**
 * Growth value of a page of members: spend (with multiplied categories) and bonus entries. The
 * category spend is read only when the settings multiply some category.
 */
async function pageGrowth(
  ctx: AppContext,
  ws: string,
  s: TierSettings,
  page: readonly MemberRow[],
): Promise<Map<string, number>> {
  const k = ctx.db.kysely;
  const purchase = orderCountsAsPurchase(await purchaseRule(k, ws));
  const ids = page.map((r) => r.customer_id);
  const bonus = new Map<string, number>();
  const spend = new Map<string, { category: string | null; fen: number }[]>();
  for (const part of chunks(ids, 900)) {
    const rows = await k
      .selectFrom('growth_entries')
      .select((eb) => ['customer_id', eb.fn.sum<number>('points').as('points')])
      .where('workspace_id', '=', ws)
      .where('customer_id', 'in', part)
      .groupBy('customer_id')
      .execute();
    for (const r of rows) bonus.set(r.customer_id, Number(r.points));
    if (s.growthMultipliers.length === 0) continue;
    // From these customers' orders to their lines by key (linesOf): SQLite without statistics read the workspace's
    // every line by a title index for each 900 customers (280 ms a page on the 20,000-customer demo, 4.5 s a preview).
    const { rows: items } = await sql<{ customer_id: string | null; category: string | null; fen: number }>`
      SELECT o.customer_id, i.category, SUM(COALESCE(i.paid_fen, i.price_fen * i.quantity)) AS fen
      FROM orders o ${linesOf(ctx.db.dialect, part)}
      WHERE o.workspace_id = ${ws} AND ${inIds(ctx.db.dialect, 'o.customer_id', part)} AND ${purchase}
      GROUP BY o.customer_id, i.category`.execute(k);
    for (const r of items)
      spend.set(r.customer_id!, [...(spend.get(r.customer_id!) ?? []), { category: r.category, fen: Number(r.fen) }]);
  }
  return new Map(
    page.map((r) => [
      r.customer_id,
      growthValue(s, {
        totalSpentFen: r.total_spent_fen,
        categorySpend: spend.get(r.customer_id),
        bonus: bonus.get(r.customer_id),
      }),
    ]),
  );
}

/**
 * Growth value added outside spend (a photo review, a staff adjustment), once per key. Returns the points added (0
 * when the key was used).
 */
export async function addGrowth(
  ctx: AppContext,
  ws: string,
  e: { customerId: string; points: number; source: string; reason: string | null; key: string },
): Promise<number> {
  if (!Number.isInteger(e.points) || e.points === 0)
    throw new Invalid('growth points must be a whole number other than 0', reason('tier.growthWhole'));
  const r = await ctx.db.kysely
    .insertInto('growth_entries')
    .values({
      workspace_id: ws,
      id: newId(),
      customer_id: e.customerId,
      points: e.points,
      source: e.source,
      reason: e.reason,
      idempotency_key: e.key,
      created_at: nowIso(ctx),
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'idempotency_key']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0 ? e.points : 0;
}

/** A member's growth value now. */
export async function growthOf(
  ctx: AppContext,
  ws: string,
  customerId: string,
  settings?: TierSettings,
): Promise<number> {
  const s = settings ?? (await getTierSettings(ctx, ws));
  const row = await ctx.db.kysely
    .selectFrom('customer_stats')
    .select(['customer_id', 'spent_12m_fen', 'total_spent_fen'])
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  const page: MemberRow[] = [
    {
      customer_id: customerId,
      spent_12m_fen: row?.spent_12m_fen ?? 0,
      total_spent_fen: row?.total_spent_fen ?? 0,
      tier_key: null,
      floor_key: null,
      cycle_started_at: null,
    },
  ];
  return (await pageGrowth(ctx, ws, s, page)).get(customerId) ?? 0;
}

/** Upgrades every buyer whose purchases now qualify for a higher tier (after imports). */
export async function evaluateUpgrades(
  ctx: AppContext,
  ws: string,
  customerIds?: string[],
): Promise<{ joined: number; upgraded: number }> {
  const s = await getTierSettings(ctx, ws);
  let joined = 0;
  let upgraded = 0;
  for await (const page of members(ctx, ws, { customerIds })) {
    const changes = [];
    const growth = await pageGrowth(ctx, ws, s, page);
    for (const row of page) {
      const q = qualifiedRank(s, {
        spent12mFen: row.spent_12m_fen,
        totalSpentFen: row.total_spent_fen,
        growth: growth.get(row.customer_id) ?? 0,
      });
      const current = rankOf(s, row.tier_key);
      const to = afterOrder(current, q, rankOf(s, row.floor_key));
      if (row.tier_key === null) {
        joined += 1;
        changes.push({
          row,
          to,
          reason: to > 0 ? `joined: purchases qualify for ${s.tiers[to]!.name}` : 'joined',
          why: to > 0 ? reason('tier.joinedQualifies', { tier: s.tiers[to]!.name }) : reason('tier.joined'),
          newCycle: true,
        });
      } else if (to > current || s.tiers[current]?.key !== row.tier_key) {
        upgraded += 1;
        changes.push({
          row,
          to,
          reason: `purchases qualify for ${s.tiers[to]!.name}`,
          why: reason('tier.qualifies', { tier: s.tiers[to]!.name }),
          newCycle: false,
        });
      }
    }
    await apply(ctx, ws, s, changes);
  }
  return { joined, upgraded };
}

/** The yearly re-evaluation of members whose 12-month cycle has ended. */
export async function reevaluateYear(
  ctx: AppContext,
  ws: string,
): Promise<{ reviewed: number; down: number; up: number }> {
  const s = await getTierSettings(ctx, ws);
  const cycleEndedBefore = new Date(ctx.now().getTime() - 365 * DAY_MS).toISOString();
  const out = { reviewed: 0, down: 0, up: 0 };
  for await (const page of members(ctx, ws, { cycleEndedBefore })) {
    const growth = await pageGrowth(ctx, ws, s, page);
    const changes = page.map((row) => {
      const q = qualifiedRank(s, {
        spent12mFen: row.spent_12m_fen,
        totalSpentFen: row.total_spent_fen,
        growth: growth.get(row.customer_id) ?? 0,
      });
      const current = rankOf(s, row.tier_key);
      const to = afterYear(current, q, rankOf(s, row.floor_key), s.maxDowngrade);
      out.reviewed += 1;
      if (to < current) out.down += 1;
      if (to > current) out.up += 1;
      return {
        row,
        to,
        reason: `yearly re-evaluation: qualifies for ${s.tiers[q]!.name}`,
        why: reason('tier.yearly', { tier: s.tiers[q]!.name }),
        newCycle: true,
      };
    });
    await apply(ctx, ws, s, changes);
  }
  return out;
}

/** Staff set a tier: it becomes the member's floor (they can still rise, never fall below it). */
export async function setTierFloor(
  ctx: AppContext,
  ws: string,
  customerId: string,
  tierKey: string,
  note: string,
  by: string | null,
) {
  const s = await getTierSettings(ctx, ws);
  const rank = s.tiers.findIndex((t) => t.key === tierKey);
  if (rank < 0)
    throw new Invalid(
      `unknown tier "${tierKey}" (one of ${s.tiers.map((t) => t.key).join(', ')})`,
      reason('tier.unknown', { tier: tierKey, tiers: s.tiers.map((t) => t.name).join('、') }),
    );
  if (!note.trim()) throw new Invalid('say why the tier is set by hand', reason('tier.noteRequired'));
  const c = await ctx.db.kysely
    .selectFrom('customers')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('id', '=', customerId)
    .executeTakeFirst();
  if (!c) throw new NotFound(`customer ${customerId} not found`, reason('customer.notFound', { id: customerId }));
  const m = await ctx.db.kysely
    .selectFrom('member_tiers')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  const now = nowIso(ctx);
  const to = Math.max(rank, rankOf(s, m?.tier_key ?? null));
  await ctx.db.kysely.transaction().execute(async (trx) => {
    if (!m)
      await trx
        .insertInto('member_tiers')
        .values({
          workspace_id: ws,
          customer_id: customerId,
          tier_key: s.tiers[to]!.key,
          floor_key: tierKey,
          cycle_started_at: now,
          updated_at: now,
        })
        .execute();
    else
      await trx
        .updateTable('member_tiers')
        .set({ tier_key: s.tiers[to]!.key, floor_key: tierKey, updated_at: now })
        .where('workspace_id', '=', ws)
        .where('customer_id', '=', customerId)
        .execute();
    await trx
      .insertInto('tier_history')
      .values({
        workspace_id: ws,
        id: newId(),
        customer_id: customerId,
        from_key: m?.tier_key ?? null,
        to_key: s.tiers[to]!.key,
        reason: `set by staff (floor ${s.tiers[rank]!.name}): ${note.trim()}`,
        reason_key: 'tier.staffFloor',
        reason_params: JSON.stringify({ tier: s.tiers[rank]!.name, note: note.trim() }),
        created_by: by,
        created_at: now,
      })
      .execute();
  });
}

/** A member's tier changes, newest first, with the tier names of the current ladder. */
export async function tierHistory(ctx: AppContext, ws: string, customerId: string, settings?: TierSettings) {
  const s = settings ?? (await getTierSettings(ctx, ws));
  const name = (key: string | null) => (key === null ? null : (s.tiers.find((t) => t.key === key)?.name ?? key));
  const rows = await ctx.db.kysely
    .selectFrom('tier_history')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', customerId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((h) => ({
    from: h.from_key,
    to: h.to_key,
    fromName: name(h.from_key),
    toName: name(h.to_key)!,
    reason: h.reason,
    why: storedReason(h.reason_key, h.reason_params),
    at: h.created_at,
  }));
}

export async function memberTier(ctx: AppContext, ws: string, customerId: string) {
  const s = await getTierSettings(ctx, ws);
  const m = await ctx.db.kysely
    .selectFrom('member_tiers')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('customer_id', '=', customerId)
    .executeTakeFirst();
  const tier = m ? s.tiers[rankOf(s, m.tier_key)]! : null;
  return {
    tier: tier && { key: tier.key, name: tier.name, benefits: tier.benefits },
    growth: await growthOf(ctx, ws, customerId, s),
    floor: m?.floor_key ?? null,
    cycleStartedAt: m?.cycle_started_at ?? null,
    history: (await tierHistory(ctx, ws, customerId, s)).map((h) => ({
      from: h.from,
      to: h.to,
      fromName: h.fromName,
      toName: h.toName,
      reason: h.reason,
      why: h.why,
      at: h.at,
    })),
  };
}

/**
 * Members per tier, now and if `proposed` settings were applied (upgrades now, downgrades at the next yearly review).
 */
export async function previewTiers(ctx: AppContext, ws: string, proposedInput: unknown) {
  const proposed = parseInput(tierSettingsSchema, proposedInput, 'The proposed tier settings');
  const current = await getTierSettings(ctx, ws);
  const before = new Map<string, number>(current.tiers.map((t) => [t.key, 0]));
  const after = new Map<string, number>(proposed.tiers.map((t) => [t.key, 0]));
  let up = 0;
  let down = 0;
  // Members whose tier under the proposed settings differs from the one the current settings would give them now:
  // what the edit itself changes (the counts above also hold what re-evaluating would change anyway).
  let byEdit = 0;
  for await (const page of members(ctx, ws, {})) {
    const growth = await pageGrowth(ctx, ws, proposed, page);
    const growthNow = await pageGrowth(ctx, ws, current, page);
    for (const row of page) {
      const nowRank = rankOf(current, row.tier_key);
      before.set(current.tiers[nowRank]!.key, (before.get(current.tiers[nowRank]!.key) ?? 0) + 1);
      const metrics = {
        spent12mFen: row.spent_12m_fen,
        totalSpentFen: row.total_spent_fen,
        growth: growth.get(row.customer_id) ?? 0,
      };
      const q = qualifiedRank(proposed, metrics);
      const floor = rankOf(proposed, row.floor_key);
      // The member's present tier, placed in the proposed ladder by key (unknown keys start at the entry tier).
      const placed = row.tier_key
        ? Math.max(
            0,
            proposed.tiers.findIndex((t) => t.key === row.tier_key),
          )
        : 0;
      const to = Math.max(q, floor);
      const nowMetrics = { ...metrics, growth: growthNow.get(row.customer_id) ?? 0 };
      const toNow = Math.max(qualifiedRank(current, nowMetrics), rankOf(current, row.floor_key));
      if (proposed.tiers[to]!.key !== current.tiers[toNow]!.key) byEdit += 1;
      after.set(proposed.tiers[to]!.key, (after.get(proposed.tiers[to]!.key) ?? 0) + 1);
      if (to > placed) up += 1;
      else if (to < placed) down += 1;
    }
  }
  return {
    before: [...before].map(([key, members]) => ({
      key,
      name: current.tiers.find((t) => t.key === key)!.name,
      members,
    })),
    after: [...after].map(([key, members]) => ({
      key,
      name: proposed.tiers.find((t) => t.key === key)!.name,
      members,
    })),
    wouldMoveUp: up,
    wouldMoveDown: down,
    changedByEdit: byEdit,
  };
}
