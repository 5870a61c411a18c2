import { reason } from '../../core/reasons.js';
import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import type { Database } from '../../db/types.js';
import { Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { chunks, nowIso, type AppContext } from '../context.js';
import { yieldToEventLoop } from '../event-loop.js';
import { maskText } from '../../core/pii-mask.js';
import { canSeePii } from '../auth/roles.js';
import { timestampCast } from '../../db/dates.js';

/** Tags (标签, with colours), groups (分组, named lists) and notes (备注) on customers. */
const COLORS = ['magenta', 'red', 'volcano', 'orange', 'gold', 'green', 'cyan', 'blue', 'geekblue', 'purple'];

function cleanNames(names: readonly string[]): string[] {
  const out = [...new Set(names.map((n) => n.trim()).filter(Boolean))];
  if (out.length === 0) throw new Invalid('name at least one tag', reason('tag.nameRequired'));
  const long = out.find((n) => n.length > 40);
  if (long)
    throw new Invalid(
      `tag "${long.slice(0, 40)}…" is longer than 40 characters`,
      reason('tag.tooLong', { tag: long.slice(0, 40), max: 40 }),
    );
  return out;
}

export async function listTags(ctx: AppContext, workspaceId: string) {
  return ctx.db.kysely
    .selectFrom('tags as t')
    .select((eb) => [
      't.id',
      't.name',
      't.color',
      't.created_at',
      // Each tag's customers counted on the tag index (a join grouped by tag read every tag row of the workspace
      // for each tag, by the key, on SQLite without statistics).
      eb
        .selectFrom('customer_tags as ct')
        .select((c) => c.fn.countAll<number>().as('n'))
        .whereRef('ct.workspace_id', '=', 't.workspace_id')
        .whereRef('ct.tag_id', '=', 't.id')
        .as('customers'),
    ])
    .where('t.workspace_id', '=', workspaceId)
    .orderBy('t.name')
    .execute();
}

/** The ids of these tags, creating the ones that do not exist yet. */
export async function ensureTags(
  ctx: AppContext,
  workspaceId: string,
  names: readonly string[],
  color?: string,
): Promise<Map<string, string>> {
  const wanted = cleanNames(names);
  const k = ctx.db.kysely;
  const found = await k
    .selectFrom('tags')
    .select(['id', 'name'])
    .where('workspace_id', '=', workspaceId)
    .where('name', 'in', wanted)
    .execute();
  const ids = new Map(found.map((t) => [t.name, t.id]));
  const existing = await k
    .selectFrom('tags')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
  let i = Number(existing.n);
  for (const name of wanted) {
    if (ids.has(name)) continue;
    const id = newId();
    await k
      .insertInto('tags')
      .values({
        workspace_id: workspaceId,
        id,
        name,
        color: color ?? COLORS[i++ % COLORS.length]!,
        created_at: nowIso(ctx),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const row = await k
      .selectFrom('tags')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    ids.set(name, row.id);
  }
  return ids;
}

/** The customers a removal names: a list of ids, or a query of them (a segment's members). */
type CustomerSet = readonly string[] | SelectQueryBuilder<Database, never, { id: string }>;

/**
 * Takes tags off customers and keeps what it took off (migration 0092: the timeline's 去标签, with its 打标签) — the
 * rows kept by one INSERT … SELECT of the tags' names, then deleted, both in the caller's transaction. Returns how
 * many were taken off.
 */
export async function takeOffTags(
  trx: Kysely<Database>,
  dialect: 'sqlite' | 'postgres',
  change: { workspaceId: string; tagIds: readonly string[]; customers: CustomerSet; at: string; by: string | null },
): Promise<number> {
  const { workspaceId, tagIds, customers, at, by } = change;
  await trx
    .insertInto('customer_tag_removals')
    .columns(['workspace_id', 'customer_id', 'tag_id', 'removed_at', 'tag_name', 'added_at', 'added_by', 'removed_by'])
    .expression(
      trx
        .selectFrom('customer_tags as ct')
        .innerJoin('tags as t', (j) =>
          j.onRef('t.workspace_id', '=', 'ct.workspace_id').onRef('t.id', '=', 'ct.tag_id'),
        )
        .select([
          'ct.workspace_id',
          'ct.customer_id',
          'ct.tag_id',
          sql<string>`${at}${timestampCast(dialect)}`.as('removed_at'),
          't.name',
          'ct.created_at',
          'ct.created_by',
          sql<string | null>`${by}`.as('removed_by'),
        ])
        .where('ct.workspace_id', '=', workspaceId)
        .where('ct.tag_id', 'in', tagIds)
        .where('ct.customer_id', 'in', customers),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
  const r = await trx
    .deleteFrom('customer_tags')
    .where('workspace_id', '=', workspaceId)
    .where('tag_id', 'in', tagIds)
    .where('customer_id', 'in', customers)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function tagCustomers(
  ctx: AppContext,
  workspaceId: string,
  customerIds: readonly string[],
  add: readonly string[],
  remove: readonly string[] = [],
  by: string | null = null,
) {
  const k = ctx.db.kysely;
  const now = nowIso(ctx);
  const known = new Set<string>();
  const erased = new Set<string>();
  for (const part of chunks([...new Set(customerIds)], 900)) {
    const rows = await k
      .selectFrom('customers')
      .select(['id', 'erased_at'])
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', part)
      .execute();
    for (const r of rows) (r.erased_at === null ? known : erased).add(r.id);
    await yieldToEventLoop();
  }
  const missing = customerIds.find((id) => !known.has(id) && !erased.has(id));
  if (missing) throw new NotFound(`customer ${missing} not found`, reason('customer.notFound', { id: missing }));
  // An erased customer (PIPL) in the selection is passed by and counted: nothing about her changes any more.
  const addIds = add.length ? [...(await ensureTags(ctx, workspaceId, add)).values()] : [];
  await k.transaction().execute(async (trx) => {
    const rows = [...known].flatMap((customer_id) =>
      addIds.map((tag_id) => ({ workspace_id: workspaceId, customer_id, tag_id, created_at: now, created_by: by })),
    );
    // 10,000 customers are 12 statements of ~10 ms on SQLite: other requests get a turn between them (reads run on
    // the reader connection meanwhile), rather than waiting for the whole selection.
    for (const part of chunks(rows, 900)) {
      await trx
        .insertInto('customer_tags')
        .values(part)
        .onConflict((oc) => oc.doNothing())
        .execute();
      await yieldToEventLoop();
    }
    if (remove.length) {
      const tagIds = await trx
        .selectFrom('tags')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('name', 'in', cleanNames(remove))
        .execute();
      if (tagIds.length) {
        for (const part of chunks([...known], 900)) {
          await takeOffTags(trx, ctx.db.dialect, {
            workspaceId,
            tagIds: tagIds.map((t) => t.id),
            customers: part,
            at: now,
            by,
          });
          await yieldToEventLoop();
        }
      }
    }
  });
  return { customers: known.size, erased: erased.size };
}

/**
 * Puts one tag on one customer inside the caller's transaction (a task completed with an outcome
 * tag, an automation step), creating the tag when it does not exist yet.
 */
export async function tagCustomerIn(
  trx: Kysely<Database>,
  workspaceId: string,
  customerId: string,
  name: string,
  at: string,
  by: string | null,
): Promise<string> {
  const [clean] = cleanNames([name]);
  const find = () =>
    trx
      .selectFrom('tags')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', clean!)
      .executeTakeFirst();
  let tag = await find();
  if (!tag) {
    const n = await trx
      .selectFrom('tags')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('tags')
      .values({
        workspace_id: workspaceId,
        id: newId(),
        name: clean!,
        color: COLORS[Number(n.n) % COLORS.length]!,
        created_at: at,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    tag = await find();
  }
  const tagId = tag!.id;
  await trx
    .insertInto('customer_tags')
    .values({ workspace_id: workspaceId, customer_id: customerId, tag_id: tagId, created_at: at, created_by: by })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return tagId;
}

export async function customerTags(ctx: AppContext, workspaceId: string, customerId: string) {
  return ctx.db.kysely
    .selectFrom('customer_tags as ct')
    .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'ct.workspace_id').onRef('t.id', '=', 'ct.tag_id'))
    .select(['t.id', 't.name', 't.color', 'ct.created_at'])
    .where('ct.workspace_id', '=', workspaceId)
    .where('ct.customer_id', '=', customerId)
    .orderBy('t.name')
    .execute();
}

/** The tags taken off a customer, the latest first (at most `limit`). */
export async function customerTagRemovals(ctx: AppContext, workspaceId: string, customerId: string, limit: number) {
  return ctx.db.kysely
    .selectFrom('customer_tag_removals')
    .select(['tag_id', 'tag_name', 'added_at', 'removed_at'])
    .where('workspace_id', '=', workspaceId)
    .where('customer_id', '=', customerId)
    .orderBy('removed_at', 'desc')
    .limit(limit)
    .execute();
}

export async function customerGroups(ctx: AppContext, workspaceId: string, customerId: string) {
  return ctx.db.kysely
    .selectFrom('customer_groups as cg')
    .innerJoin('groups as g', (j) =>
      j.onRef('g.workspace_id', '=', 'cg.workspace_id').onRef('g.id', '=', 'cg.group_id'),
    )
    .select(['g.id', 'g.name', 'cg.created_at'])
    .where('cg.workspace_id', '=', workspaceId)
    .where('cg.customer_id', '=', customerId)
    .orderBy('g.name')
    .execute();
}

export async function listGroups(ctx: AppContext, workspaceId: string) {
  return ctx.db.kysely
    .selectFrom('groups as g')
    .select((eb) => [
      'g.id',
      'g.name',
      'g.created_at',
      // As the tags' counts: on the group index.
      eb
        .selectFrom('customer_groups as cg')
        .select((c) => c.fn.countAll<number>().as('n'))
        .whereRef('cg.workspace_id', '=', 'g.workspace_id')
        .whereRef('cg.group_id', '=', 'g.id')
        .as('customers'),
    ])
    .where('g.workspace_id', '=', workspaceId)
    .orderBy('g.name')
    .execute();
}

export async function createGroup(ctx: AppContext, workspaceId: string, name: string) {
  const n = name.trim();
  if (!n || n.length > 40)
    throw new Invalid('a group name has 1–40 characters', reason('group.nameLength', { max: 40 }));
  const dup = await ctx.db.kysely
    .selectFrom('groups')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', n)
    .executeTakeFirst();
  if (dup) throw new Invalid(`a group named "${n}" already exists`, reason('group.nameTaken', { name: n }));
  const g = { workspace_id: workspaceId, id: newId(), name: n, created_at: nowIso(ctx) };
  await ctx.db.kysely.insertInto('groups').values(g).execute();
  return g;
}

export async function setGroupMembers(
  ctx: AppContext,
  workspaceId: string,
  groupId: string,
  add: readonly string[],
  remove: readonly string[],
) {
  const k = ctx.db.kysely;
  const g = await k
    .selectFrom('groups')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', groupId)
    .executeTakeFirst();
  if (!g) throw new NotFound(`group ${groupId} not found`, reason('group.notFound', { id: groupId }));
  const now = nowIso(ctx);
  await k.transaction().execute(async (trx) => {
    for (const part of chunks([...new Set(add)], 900)) {
      // Only existing, not erased customers of this workspace join (a wrong id is ignored by the select).
      await trx
        .insertInto('customer_groups')
        .columns(['workspace_id', 'customer_id', 'group_id', 'created_at'])
        .expression((eb) =>
          eb
            .selectFrom('customers')
            .select([sql.lit(workspaceId).as('w'), 'id', sql.lit(groupId).as('g'), sql.lit(now).as('t')])
            .where('workspace_id', '=', workspaceId)
            .where('id', 'in', part)
            // An erased customer (PIPL) joins no group any more.
            .where('erased_at', 'is', null),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    for (const part of chunks([...new Set(remove)], 900)) {
      await trx
        .deleteFrom('customer_groups')
        .where('workspace_id', '=', workspaceId)
        .where('group_id', '=', groupId)
        .where('customer_id', 'in', part)
        .execute();
    }
  });
}

export async function addNote(
  ctx: AppContext,
  workspaceId: string,
  customerId: string,
  body: string,
  authorId: string | null,
) {
  const text = body.trim();
  if (!text) throw new Invalid('a note cannot be empty', reason('note.empty'));
  if (text.length > 2000)
    throw new Invalid('a note has at most 2,000 characters', reason('note.tooLong', { max: '2,000' }));
  const c = await ctx.db.kysely
    .selectFrom('customers')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', customerId)
    .executeTakeFirst();
  if (!c) throw new NotFound(`customer ${customerId} not found`, reason('customer.notFound', { id: customerId }));
  const note = {
    workspace_id: workspaceId,
    id: newId(),
    customer_id: customerId,
    body: text,
    author_id: authorId,
    created_at: nowIso(ctx),
  };
  await ctx.db.kysely.insertInto('notes').values(note).execute();
  return note;
}

/** Notes on a customer; for a role without `pii:read` (when given), phones, e-mails and addresses are masked. */
export async function listNotes(ctx: AppContext, workspaceId: string, customerId: string, role?: string) {
  const rows = await ctx.db.kysely
    .selectFrom('notes as n')
    .leftJoin('users as u', (j) => j.onRef('u.workspace_id', '=', 'n.workspace_id').onRef('u.id', '=', 'n.author_id'))
    .select(['n.id', 'n.body', 'n.created_at', 'u.name as author'])
    .where('n.workspace_id', '=', workspaceId)
    .where('n.customer_id', '=', customerId)
    .orderBy('n.created_at', 'desc')
    .execute();
  return role === undefined || canSeePii(role) ? rows : rows.map((n) => ({ ...n, body: maskText(n.body) }));
}
