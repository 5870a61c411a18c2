import { reason } from '../../core/reasons.js';
import { lastCount, rememberCount } from './counts.js';
import { distinctValues } from './options.js';
import type { Writable } from 'node:stream';
import { workspaceTimezone } from '../workspaces/service.js';
import { localDate } from '../../core/time.js';
import { CSV_BOM, csvLine, DIRECTION_MARKS } from '../../core/csv.js';
import { XlsxWriter } from '../xlsx.js';
import { sql, type SqlBool, type Transaction } from 'kysely';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { maskPhone } from '../../core/pii.js';
import { maskDisplayName } from '../../core/pii-mask.js';
import { parseRule, type Rule } from '../../core/segments/rule.js';
import {
  activitySegment,
  lifecycleSegment,
  rfmCellSegment,
  rfmClassSegment,
  sourceSegment,
  SYSTEM_SEGMENTS,
  type SystemSegment,
} from '../../core/segments/system.js';
import { readJson, writeJson } from '../../db/json.js';
import type { Database } from '../../db/types.js';
import { canSeePii } from '../auth/roles.js';
import { nowIso, type AppContext } from '../context.js';
import { decodeCursor, encodeCursor, FEW_MATCHES } from '../pagination.js';
import { offLoop } from '../heavy/run.js';
import { ensureTags, takeOffTags } from '../tags/service.js';
import { purchaseRule } from '../customers/stats.js';
import { sharedTotal } from '../heavy/shared-total.js';
import { customerExportLayout, customerExportRows, type CustomerExportLayout } from '../customers/export.js';
import type { ExportLanguage } from '../../core/export-labels.js';
import { awaitingDraw } from '../campaigns/awaiting-draw.js';
import { erasedAmong } from '../privacy/tombstones.js';
import {
  compileRule,
  drivenSource,
  drivingFactSet,
  innermost,
  ruleAsFactSet,
  segmentSource,
  windowSource,
  type CompileContext,
} from './compile.js';

async function compileContext(ctx: AppContext, workspaceId: string): Promise<CompileContext> {
  return {
    workspaceId,
    asOf: ctx.now(),
    timeZone: await workspaceTimezone(ctx.db.kysely, workspaceId),
    dialect: ctx.db.dialect,
    purchase: await purchaseRule(ctx.db.kysely, workspaceId),
  };
}

/**
 * The customers a rule selects, as one query (count it, page it, or feed it to an INSERT): on SQLite read from the
 * fewest of its fact sets when that is fewer than its figures' indexes give (drivingFactSet) and at most `most`
 * customers (pages bound it), else the workspace's customers each tested.
 */
async function ruleSource(ctx: AppContext, workspaceId: string, rule: Rule, cc: CompileContext, most?: number) {
  const driven = await drivingFactSet(ctx.db, rule, cc, most);
  return driven
    ? drivenSource(ctx.db, workspaceId, driven.set).where((eb) => compileRule(eb, driven.rest, cc))
    : segmentSource(ctx.db, workspaceId).where((eb) => compileRule(eb, rule, cc));
}

async function ruleQuery(ctx: AppContext, workspaceId: string, rule: Rule, most?: number) {
  return ruleSource(ctx, workspaceId, rule, await compileContext(ctx, workspaceId), most);
}

/**
 * How many customers a rule selects. Counting, previewing and exporting a segment can take seconds
 * on a large shop: they run off the event loop under the heavy-read time limit (modules/heavy).
 */
export const countRule = async (ctx: AppContext, workspaceId: string, input: unknown) => {
  const rule = parseRule(input); // a wrong rule is answered at once, without a read thread
  // The same rule asked while its count runs (staff opening one segment, the console asking again, an export's check)
  // waits for that count instead of queueing its own behind it on the read threads: 100 clients evaluating one rule
  // at 1M customers got no answer within 5 s. Not kept after it: a count asked for later is counted afresh.
  return sharedTotal(
    `segment ${ctx.db.label} ${workspaceId} ${JSON.stringify(rule)}`,
    () => offLoop(ctx, 'segments.count', countRuleHere, workspaceId, input),
    Date.now,
    { reuse: false },
  );
};

/** A page of the customers a rule selects, newest customers first (off the event loop). */
export const ruleMembers = async (
  ctx: AppContext,
  workspaceId: string,
  input: unknown,
  opts: { limit: number; cursor?: string; role: string },
) => {
  parseRule(input);
  return offLoop(ctx, 'segments.members', ruleMembersHere, workspaceId, input, opts);
};

export async function countRuleHere(ctx: AppContext, workspaceId: string, input: unknown): Promise<number> {
  const rule = parseRule(input);
  const cc = await compileContext(ctx, workspaceId);
  // A rule that is one set of the order facts counts the set (compile.ts ruleAsFactSet).
  const set = ruleAsFactSet(rule, cc);
  if (set) {
    const r = await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM (${set}) x`.execute(ctx.db.kysely);
    return Number(r.rows[0]!.n);
  }
  const q = await ruleSource(ctx, workspaceId, rule, cc);
  const r = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

export interface SegmentMember {
  id: string;
  name: string;
  phone: string | null;
  province: string | null;
  city: string | null;
  paidOrders: number;
  totalSpentFen: number;
  lastPaidAt: string | null;
  rfmClass: string | null;
  lifecycle: string | null;
}

export async function ruleMembersHere(
  ctx: AppContext,
  workspaceId: string,
  input: unknown,
  opts: { limit: number; cursor?: string; role: string; window?: number },
) {
  const rule = parseRule(input);
  const cc = await compileContext(ctx, workspaceId);
  const cursor = opts.cursor ? decodeCursor(opts.cursor).id : undefined;
  // A rule that is one set of the order facts: the page is the set's highest ids (all of them customers),
  // read from the set in id order, then those customers, rather than every member probed to be sorted.
  const set = ruleAsFactSet(rule, cc);
  const whole = async () => {
    // Else the rule read from a few customers of one of its fact sets, when that beats its figures' indexes.
    const found = set
      ? segmentSource(ctx.db, workspaceId).where(
          sql<SqlBool>`c.id IN (SELECT x.customer_id FROM (${set}) x
          ${cursor === undefined ? sql`` : sql`WHERE x.customer_id < ${cursor}`}
          ORDER BY x.customer_id DESC LIMIT ${opts.limit + 1})`,
        )
      : await ruleSource(ctx, workspaceId, rule, cc, FEW_MATCHES);
    return (await pageOf(found, cursor, opts.limit, false))!;
  };
  const rows =
    (windowed(rule, cc, opts.limit, set !== null)
      ? await pageOf(
          windowSource(ctx.db, workspaceId, opts.window ?? PAGE_WINDOW, cursor).where((eb) =>
            compileRule(eb, rule, { ...cc, facts: false }),
          ),
          cursor,
          opts.limit,
          true,
        )
      : null) ?? (await whole());
  const rfm = new Map<string, { rfm_class: string; lifecycle: string }>();
  if (rows.length > 0) {
    const found = await ctx.db.kysely
      .selectFrom('customer_rfm')
      .select(['customer_id', 'rfm_class', 'lifecycle'])
      .where('workspace_id', '=', workspaceId)
      .where(
        'customer_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    for (const f of found) rfm.set(f.customer_id, f);
  }
  const items: SegmentMember[] = rows.slice(0, opts.limit).map((r) => ({
    id: r.id,
    name: canSeePii(opts.role) ? r.display_name : maskDisplayName(r.display_name, r.real_name),
    phone: canSeePii(opts.role) ? r.phone : maskPhone(r.phone),
    province: r.province,
    city: r.city,
    paidOrders: r.paid_orders ?? 0,
    totalSpentFen: r.total_spent_fen ?? 0,
    lastPaidAt: r.last_paid_at,
    rfmClass: rfm.get(r.id)?.rfm_class ?? null,
    lifecycle: rfm.get(r.id)?.lifecycle ?? null,
  }));
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > opts.limit && last ? encodeCursor(null, last.id) : null };
}

/**
 * The customers a rule selects, `limit + 1` at most, newest first. From a window (the newest customers
 * below the cursor) a page answers only when it is full: it is then the first `limit + 1` members, since
 * the window holds every customer above them; otherwise null, and the caller reads the whole rule.
 */
async function pageOf(q: ReturnType<typeof segmentSource>, cursor: string | undefined, limit: number, window: boolean) {
  let page = q.select([
    'c.id',
    'c.display_name',
    'c.real_name',
    'c.phone',
    sql<string | null>`COALESCE(s.province, c.province)`.as('province'),
    'c.city',
    's.paid_orders',
    's.total_spent_fen',
    's.last_paid_at',
  ]);
  if (cursor !== undefined) page = page.where('c.id', '<', cursor);
  const rows = await page
    .orderBy('c.id', 'desc')
    .limit(limit + 1)
    .execute();
  return window && rows.length <= limit ? null : rows;
}

/**
 * On SQLite a page of a rule with an order condition is first looked for among the newest PAGE_WINDOW
 * customers below the cursor, each walking its own orders (the rule compiled without the facts and title
 * sets, which read every match before they can sort: 1M customers, "bought an item whose title contains
 * 丝绒连衣裙", 60k lines each looking its order up, 0.86 s), where the walk stops at the page's last
 * member. A rule with fewer than a page of members in the window falls back to the whole rule. Not for
 * a rule that is one fact set (its page is the set's highest ids already), nor for export pages. (The
 * tests pass a small `window` to read pages across its edge.)
 */
const PAGE_WINDOW = 2000;
function windowed(rule: Rule, cc: CompileContext, limit: number, factSet: boolean): boolean {
  if (cc.dialect !== 'sqlite' || limit > 100) return false;
  // A fact set (ruleAsFactSet: one order condition) other than a title search.
  const one = innermost(rule);
  if (factSet && !(one.kind === 'cond' && one.where?.titleContains)) return false;
  const orders = (x: Rule): boolean =>
    x.kind === 'group' ? x.rules.some(orders) : x.kind === 'not' ? orders(x.rule) : x.field === 'orders';
  return orders(rule);
}

/**
 * All members, page by page, as the text a file takes: CSV lines (identifiers per platform, stores, then figures:
 * customers/export.ts), or each page's rows as JSON for the Excel thread. Each page is read and written on a read
 * thread; the server's thread only passes the text on.
 */
async function* ruleExportPages(
  ctx: AppContext,
  workspaceId: string,
  input: unknown,
  role: string,
  layout: CustomerExportLayout,
  format: 'csv' | 'json',
): AsyncGenerator<string> {
  parseRule(input);
  let cursor: string | undefined;
  do {
    const page = await offLoop(
      ctx,
      'segments.exportPage',
      exportPageHere,
      workspaceId,
      input,
      { cursor, role, format },
      layout,
    );
    yield page.text;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/**
 * One page of a segment's export: its next 2,000 members and their rows, read and written out together on a read
 * thread (an export of a million customers is 500 such pages; on the event loop each stalled every other request).
 */
export async function exportPageHere(
  ctx: AppContext,
  workspaceId: string,
  input: unknown,
  opts: { cursor?: string; role: string; format: 'csv' | 'json' },
  layout: CustomerExportLayout,
): Promise<{ text: string; nextCursor: string | null }> {
  const page = await ruleMembersHere(ctx, workspaceId, input, { limit: 2000, cursor: opts.cursor, role: opts.role });
  const ids = page.items.map((m) => m.id);
  const rows = await customerExportRows(ctx, workspaceId, ids, opts.role, layout);
  const text =
    opts.format === 'json'
      ? JSON.stringify(rows)
      : rows
          .map((r) => csvLine(r.map((v, i) => (i === layout.moneyColumn && typeof v === 'number' ? v.toFixed(2) : v))))
          .join('');
  return { text, nextCursor: page.nextCursor };
}

/**
 * An export's file name: the segment's name and the shop's local date (`江浙沪女装复购客-2026-11-28.csv`), with
 * the characters a file system refuses replaced; `ascii` is the fallback for clients that cannot read the UTF-8 one.
 */
export async function exportFileName(ctx: AppContext, workspaceId: string, name: string, ext: 'csv' | 'xlsx') {
  const day = localDate(nowIso(ctx), await workspaceTimezone(ctx.db.kysely, workspaceId));
  // Control and direction-override characters out too (U+202E turned a name around in the file list).
  const safe =
    name
      .replace(DIRECTION_MARKS, '')
      .replace(/[\u0000-\u001f\u007f-\u009f\\/:*?"<>|]+/g, ' ')
      .trim() || 'segment';
  return { utf8: `${safe}-${day}.${ext}`, ascii: `segment-${day}.${ext}` };
}

/** A Content-Disposition naming the file in UTF-8 (RFC 6266/5987) with an ASCII fallback. */
export function attachment(file: { utf8: string; ascii: string }): string {
  // RFC 5987's attr-char excludes ' ( ) * too, which encodeURIComponent leaves as they are.
  const encoded = encodeURIComponent(file.utf8).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${file.ascii}"; filename*=UTF-8''${encoded}`;
}

/** All members as CSV (UTF-8 with BOM so Excel shows Chinese). */
export async function* ruleCsv(
  ctx: AppContext,
  workspaceId: string,
  input: unknown,
  role: string,
  lang: ExportLanguage = 'zh-CN',
): AsyncGenerator<string> {
  const layout = await customerExportLayout(ctx, workspaceId, lang);
  yield CSV_BOM + csvLine(layout.columns);
  yield* ruleExportPages(ctx, workspaceId, input, role, layout, 'csv');
}

/** All members as an XLSX workbook written to `out` as it is built (xlsx.ts; constant memory); ends or destroys it. */
export async function ruleXlsx(
  ctx: AppContext,
  workspaceId: string,
  input: unknown,
  role: string,
  out: Writable,
  sheetName: string,
  lang: ExportLanguage = 'zh-CN',
): Promise<void> {
  const xlsx = new XlsxWriter(out);
  try {
    const layout = await customerExportLayout(ctx, workspaceId, lang);
    xlsx.sheet(
      sheetName, // made one Excel accepts by the book (xlsx-book.ts)
      layout.columns.map((header, i) => ({
        header,
        width: i === 0 ? 28 : Math.max(10, header.length * 2 + 4),
        numFmt: i === layout.moneyColumn ? '#,##0.00' : undefined,
      })),
    );
    for await (const json of ruleExportPages(ctx, workspaceId, input, role, layout, 'json')) await xlsx.rows(json);
    await xlsx.end();
  } catch (e) {
    xlsx.abort(e);
  }
}

/** Freezes who is in a segment now (a campaign keeps the list it was sent to). */
export async function snapshotSegment(ctx: AppContext, workspaceId: string, segmentId: string, purpose: string | null) {
  const write = await prepareSnapshot(ctx, workspaceId, segmentId, purpose);
  return ctx.db.kysely.transaction().execute(write);
}

/**
 * A snapshot's reads (the segment and its rule's query) done now, its writes returned to be run
 * in the caller's transaction — a campaign's launch job freezes the audience and draws in one.
 */
export async function prepareSnapshot(ctx: AppContext, workspaceId: string, segmentId: string, purpose: string | null) {
  const seg = await getSegment(ctx, workspaceId, segmentId);
  const q = await ruleQuery(ctx, workspaceId, parseRule(seg.rule));
  return async (trx: Transaction<Database>) => {
    const id = newId();
    const now = nowIso(ctx);
    await trx
      .insertInto('segment_snapshots')
      .values({
        workspace_id: workspaceId,
        id,
        segment_id: seg.id,
        segment_name: seg.name,
        rule: writeJson(seg.rule),
        customers: 0,
        purpose,
        created_at: now,
      })
      .execute();
    const r = await trx
      .insertInto('segment_snapshot_members')
      .columns(['workspace_id', 'snapshot_id', 'customer_id'])
      .expression(q.select([sql.lit(workspaceId).as('w'), sql.lit(id).as('s'), 'c.id']))
      .executeTakeFirst();
    const customers = Number(r.numInsertedOrUpdatedRows ?? 0);
    await trx
      .updateTable('segment_snapshots')
      .set({ customers })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .execute();
    return { id, segmentId: seg.id, segmentName: seg.name, customers, purpose, createdAt: now };
  };
}

/** Everyone a saved or system segment selects now (a campaign's dry run), in id order. */
export async function segmentCustomerIds(ctx: AppContext, workspaceId: string, segmentId: string): Promise<string[]> {
  const seg = await getSegment(ctx, workspaceId, segmentId);
  const q = await ruleQuery(ctx, workspaceId, parseRule(seg.rule));
  const rows = await q.select('c.id').orderBy('c.id').execute();
  return rows.map((r) => r.id);
}

/**
 * A saved or system segment read a page at a time in id order (keyset: `after` the last id of the page before),
 * for a job that walks a segment of a million customers without holding them all.
 */
export async function segmentPager(ctx: AppContext, workspaceId: string, segmentId: string) {
  const seg = await getSegment(ctx, workspaceId, segmentId);
  const q = await ruleQuery(ctx, workspaceId, parseRule(seg.rule), FEW_MATCHES);
  return async (after: string | null, limit: number): Promise<string[]> => {
    const page = after === null ? q : q.where('c.id', '>', after);
    return (await page.select('c.id').orderBy('c.id').limit(limit).execute()).map((r) => r.id);
  };
}

/** A snapshot's members in customer-id order, at most `limit` after `after`, and the id to continue after (or null). */
export async function snapshotPage(
  ctx: AppContext,
  workspaceId: string,
  snapshotId: string,
  after: string | null,
  limit: number,
): Promise<{ customerIds: string[]; nextAfter: string | null }> {
  const ids = await snapshotMembers(ctx, workspaceId, snapshotId, { after, limit: limit + 1 });
  const customerIds = ids.slice(0, limit);
  return { customerIds, nextAfter: ids.length > limit ? (customerIds[customerIds.length - 1] ?? null) : null };
}

export async function snapshotMembers(
  ctx: AppContext,
  workspaceId: string,
  snapshotId: string,
  page?: { after: string | null; limit: number },
): Promise<string[]> {
  const snap = await ctx.db.kysely
    .selectFrom('segment_snapshots')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', snapshotId)
    .executeTakeFirst();
  if (!snap)
    throw new NotFound(`snapshot ${snapshotId} not found`, reason('segment.snapshotNotFound', { id: snapshotId }));
  const rows = await ctx.db.kysely
    .selectFrom('segment_snapshot_members')
    .select('customer_id')
    .where('workspace_id', '=', workspaceId)
    .where('snapshot_id', '=', snapshotId)
    .$if(!!page?.after, (q) => q.where('customer_id', '>', page!.after!))
    .orderBy('customer_id')
    .$if(!!page, (q) => q.limit(page!.limit))
    .execute();
  return rows.map((r) => r.customer_id);
}

/**
 * Adds a tag to every customer a rule selects, in one INSERT … SELECT — but an erased one (PIPL): nothing about them
 * changes any more.
 */
export async function tagRule(
  ctx: AppContext,
  workspaceId: string,
  input: unknown,
  tag: string,
  by: string | null,
): Promise<number> {
  const rule = parseRule(input);
  const tagId = (await ensureTags(ctx, workspaceId, [tag])).get(tag.trim())!;
  const q = (await ruleQuery(ctx, workspaceId, rule)).where('c.erased_at', 'is', null);
  const now = nowIso(ctx);
  const r = await ctx.db.kysely
    .insertInto('customer_tags')
    .columns(['workspace_id', 'customer_id', 'tag_id', 'created_at', 'created_by'])
    .expression(
      q.select([
        sql.lit(workspaceId).as('w'),
        'c.id',
        sql.lit(tagId).as('t'),
        sql.lit(now).as('at'),
        sql<string | null>`${by}`.as('by'),
      ]),
    )
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0);
}

/**
 * The customers a rule selects, 500 at a time, the erased (PIPL) set apart: what a bulk action that goes customer by
 * customer (a coupon each, points each) serves, and how many it passed by.
 */
export async function* liveRuleMembers(
  ctx: AppContext,
  workspaceId: string,
  rule: unknown,
): AsyncGenerator<{ ids: string[]; erased: number }> {
  let cursor: string | undefined;
  do {
    const page = await ruleMembers(ctx, workspaceId, rule, { limit: 500, cursor, role: 'owner' });
    const ids = page.items.map((m) => m.id);
    const gone = await erasedAmong(ctx.db.kysely, workspaceId, ids);
    yield { ids: ids.filter((id) => !gone.has(id)), erased: gone.size };
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

/** How many of the customers a rule selects were erased (PIPL): a bulk action passes them by. */
export async function erasedInRule(ctx: AppContext, workspaceId: string, input: unknown): Promise<number> {
  const q = (await ruleQuery(ctx, workspaceId, parseRule(input))).where('c.erased_at', 'is not', null);
  const r = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The id of the tag named `tag`; 404 `tag.notFound` when the shop has none. */
export async function tagIdOf(ctx: AppContext, workspaceId: string, tag: string): Promise<string> {
  const t = await ctx.db.kysely
    .selectFrom('tags')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', tag.trim())
    .executeTakeFirst();
  if (!t) throw new NotFound(`no tag named "${tag.trim()}"`, reason('tag.notFound', { tag: tag.trim() }));
  return t.id;
}

/** Removes a tag from every customer a rule selects, in one DELETE. */
export async function untagRule(
  ctx: AppContext,
  workspaceId: string,
  input: unknown,
  tag: string,
  by: string | null = null,
): Promise<number> {
  const rule = parseRule(input);
  const tagId = await tagIdOf(ctx, workspaceId, tag);
  const members = (await ruleQuery(ctx, workspaceId, rule)).select('c.id');
  // The removals kept (the customers' timelines say who had the tag and when it was taken off), then deleted.
  return ctx.db.kysely
    .transaction()
    .execute((trx) =>
      takeOffTags(trx, ctx.db.dialect, { workspaceId, tagIds: [tagId], customers: members, at: nowIso(ctx), by }),
    );
}

/** What POST /segments/{id}/tag and /untag ask for: a tag put on (or taken off) every customer of a segment. */
export interface SegmentTagging {
  segmentId: string;
  tag: string;
  untag?: boolean;
  by: string | null;
}

/** A segment's customers tagged or untagged, by the segment's rule as it is now: the request's job (jobs/wait.ts). */
export async function tagSegment(ctx: AppContext, workspaceId: string, input: SegmentTagging) {
  const { rule } = await getSegment(ctx, workspaceId, input.segmentId);
  return input.untag
    ? { untagged: await untagRule(ctx, workspaceId, rule, input.tag, input.by) }
    : { tagged: await tagRule(ctx, workspaceId, rule, input.tag, input.by) };
}

// Saved segments.
export interface SegmentView {
  id: string;
  name: string;
  description: string | null;
  rule: unknown;
  system: boolean;
  createdAt: string | null;
  updatedAt: string | null;
}

const fromSystem = (s: SystemSegment): SegmentView => ({
  id: `sys:${s.key}`,
  name: s.name,
  description: null,
  rule: s.rule,
  system: true,
  createdAt: null,
  updatedAt: null,
});

export async function listSegments(ctx: AppContext, workspaceId: string): Promise<SegmentView[]> {
  const k = ctx.db.kysely;
  const saved = await k
    .selectFrom('segments')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('name')
    .execute();
  // The activities and sources with a purchase (what their system segments count), read from the order facts by
  // a loose index scan as the rule builder reads them. A DISTINCT over orders walked every order for the sources
  // (no index leads with them): 7.2 s on the event loop for each visit of the list at 1M customers / 3M orders.
  const activities = await distinctValues(ctx, workspaceId, 'activity');
  const sources = await distinctValues(ctx, workspaceId, 'source');
  return [
    ...SYSTEM_SEGMENTS.map(fromSystem),
    ...activities.map((a) => fromSystem(activitySegment(a))),
    ...sources.map((s) => fromSystem(sourceSegment(s))),
    ...saved.map((s) => ({
      id: s.id,
      name: s.name,
      description: s.description,
      rule: readJson(s.rule),
      system: false,
      createdAt: s.created_at,
      updatedAt: s.updated_at,
    })),
  ];
}

/** The segments with the last count of each and when it was taken (counts.ts): the list counts nothing. */
export async function listSegmentsWithLastCounts(ctx: AppContext, workspaceId: string) {
  return (await listSegments(ctx, workspaceId)).map((s) => ({ ...s, ...lastCount(workspaceId, s.id, s.rule) }));
}

/** A segment counted now (off the event loop); the count is kept for the list. */
export async function countSegment(ctx: AppContext, workspaceId: string, id: string) {
  const s = await getSegment(ctx, workspaceId, id);
  const count = await countRule(ctx, workspaceId, s.rule);
  const at = ctx.now();
  rememberCount(workspaceId, s.id, s.rule, count, at);
  return { ...s, count, countedAt: at.toISOString() };
}

export async function getSegment(ctx: AppContext, workspaceId: string, id: string): Promise<SegmentView> {
  if (id.startsWith('sys:')) {
    const key = id.slice(4);
    const sys =
      SYSTEM_SEGMENTS.find((s) => s.key === key) ??
      (key.startsWith('activity:')
        ? activitySegment(key.slice(9))
        : key.startsWith('source:')
          ? sourceSegment(key.slice(7))
          : (rfmCellSegment(key) ?? rfmClassSegment(key) ?? lifecycleSegment(key)));
    if (!sys) throw new NotFound(`segment ${id} not found`, reason('segment.notFound', { id }));
    return fromSystem(sys);
  }
  const s = await ctx.db.kysely
    .selectFrom('segments')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!s) throw new NotFound(`segment ${id} not found`, reason('segment.notFound', { id }));
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    rule: readJson(s.rule),
    system: false,
    createdAt: s.created_at,
    updatedAt: s.updated_at,
  };
}

export async function saveSegment(
  ctx: AppContext,
  workspaceId: string,
  input: { name: string; description?: string | null; rule: unknown },
  id?: string,
): Promise<SegmentView> {
  const name = input.name.trim();
  if (!name || name.length > 60)
    throw new Invalid('a segment name has 1–60 characters', reason('segment.nameLength', { max: 60 }));
  parseRule(input.rule);
  const k = ctx.db.kysely;
  const dup = await k
    .selectFrom('segments')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (dup && dup.id !== id)
    throw new Conflict(`a segment named "${name}" already exists`, reason('segment.nameTaken', { name }));
  const now = nowIso(ctx);
  if (id) {
    if (id.startsWith('sys:'))
      throw new Invalid(
        'system segments cannot be changed: save a copy under another name',
        reason('segment.systemEdit'),
      );
    await getSegment(ctx, workspaceId, id);
    await k
      .updateTable('segments')
      .set({ name, description: input.description ?? null, rule: writeJson(input.rule), updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .execute();
    return getSegment(ctx, workspaceId, id);
  }
  const newSeg = {
    workspace_id: workspaceId,
    id: newId(),
    name,
    description: input.description ?? null,
    rule: writeJson(input.rule),
    system_key: null,
    created_at: now,
    updated_at: now,
  };
  await k.insertInto('segments').values(newSeg).execute();
  return getSegment(ctx, workspaceId, newSeg.id);
}

export async function deleteSegment(ctx: AppContext, workspaceId: string, id: string): Promise<void> {
  if (id.startsWith('sys:')) throw new Invalid('system segments cannot be deleted', reason('segment.systemDelete'));
  await getSegment(ctx, workspaceId, id);
  // A launched campaign freezes its audience in the worker a moment after the launch: until then it needs the segment.
  const waiting = await ctx.db.kysely
    .selectFrom('campaigns')
    .select('name')
    .where('workspace_id', '=', workspaceId)
    .where('segment_id', '=', id)
    .where(awaitingDraw)
    .executeTakeFirst();
  if (waiting)
    throw new Conflict(
      `campaign "${waiting.name}" is being prepared for this segment: delete it once the campaign has started`,
      reason('segment.campaignPreparing', { campaign: waiting.name }),
    );
  await ctx.db.kysely.deleteFrom('segments').where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
}
