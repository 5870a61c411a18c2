import { type Kysely, type Selectable, sql, type Transaction } from 'kysely';
import { groupBounds } from '../../core/messaging/assign.js';
import type { Dialect } from '../../db/connect.js';
import { bytewise, drawRankSql } from '../../db/draw.js';
import { readJson } from '../../db/json.js';
import type { CampaignsTable, Database } from '../../db/types.js';
import type { AppContext } from '../context.js';
import type { Content } from '../messaging/schema.js';
import { prepareSnapshot } from '../segments/service.js';
import { getAudienceList, LIST_PREFIX } from './audiences.js';
import { awaitingDraw } from './awaiting-draw.js';

type Row = Selectable<CampaignsTable>;

/** Where a launch's frozen audience is: a segment snapshot's members or an uploaded list's. */
type Members =
  | { table: 'segment_snapshot_members'; key: 'snapshot_id'; id: string }
  | { table: 'audience_list_members'; key: 'list_id'; id: string };

/**
 * The control and variant draw, set-wise: one INSERT … SELECT numbers the members by drawRank
 * (the same sha256 of seed and customer id as core/messaging/assign.ts, computed in SQL) and cuts
 * the order at the group bounds the core computes from the count, so the groups are exactly
 * assignGroups' (exact sizes, same members) without a member id passing through JS.
 */
async function drawRecipients(trx: Transaction<Database>, dialect: Dialect, ws: string, r: Row, m: Members) {
  const n = Number(
    (
      await trx
        .selectFrom(m.table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('workspace_id', '=', ws)
        .where(m.key, '=', m.id)
        .executeTakeFirstOrThrow()
    ).n,
  );
  if (n === 0) return;
  const c = readJson<{ variants: { key: string; weight: number; content: Content }[] }>(r.content);
  // In draw order, the first group whose bound a position is within (an empty group never matches).
  const bounds = groupBounds(n, { holdoutPct: r.holdout_pct, variants: c.variants });
  const grp = sql.join(
    bounds.map((b) => sql`WHEN d.rn <= ${b.upTo} THEN ${b.grp}`),
    sql` `,
  );
  const member = sql.ref('m.customer_id');
  await sql`INSERT INTO campaign_recipients (workspace_id, campaign_id, customer_id, grp)
    SELECT ${ws}, ${r.id}, d.customer_id, CASE ${grp} END
    FROM (SELECT m.customer_id,
            row_number() OVER (ORDER BY ${drawRankSql(dialect, r.seed, member)}, ${bytewise(dialect, member)}) AS rn
          FROM ${sql.table(m.table)} m WHERE m.workspace_id = ${ws} AND ${sql.ref(`m.${m.key}`)} = ${m.id}) d
    ORDER BY d.customer_id`.execute(trx);
}

/** The campaign, if it is to be drawn (awaitingDraw: launched, not cancelled, nothing drawn yet). */
function toDraw(db: Kysely<Database> | Transaction<Database>, ws: string, id: string): Promise<Row | undefined> {
  return db
    .selectFrom('campaigns')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where(awaitingDraw)
    .executeTakeFirst();
}

/**
 * The launch's heavy part, run by a job in the worker (never in the request: at a million
 * customers it takes seconds, and SQLite answers on the event loop): freezes the audience (a
 * segment snapshot, or the uploaded list) and draws control and variants with the stored seed, in
 * one transaction that first checks nothing was drawn yet — a retry after a crash, or the plan job
 * coming after the draw job, draws nothing twice. A campaign cancelled before it is drawn is not.
 */
export async function drawCampaign(ctx: AppContext, ws: string, id: string): Promise<void> {
  const k = ctx.db.kysely;
  const r = await toDraw(k, ws, id);
  if (!r) return;
  // The reads before the transaction (on SQLite the transaction holds the one writer connection).
  const isList = r.segment_id.startsWith(LIST_PREFIX);
  const listId = r.segment_id.slice(LIST_PREFIX.length);
  const snapshot = isList ? null : await prepareSnapshot(ctx, ws, r.segment_id, `campaign:${r.id}`);
  if (isList) await getAudienceList(ctx, ws, listId);
  await k.transaction().execute(async (trx) => {
    // Two workers drawing at once (a lease taken over): the second waits here for the first's lock,
    // then its next statement (a fresh snapshot) sees the draw.
    if (ctx.db.dialect === 'postgres')
      await trx
        .selectFrom('campaigns')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .forUpdate()
        .execute();
    const cur = await toDraw(trx, ws, id);
    if (!cur) return;
    let members: Members = { table: 'audience_list_members', key: 'list_id', id: listId };
    if (snapshot) {
      const snap = await snapshot(trx);
      members = { table: 'segment_snapshot_members', key: 'snapshot_id', id: snap.id };
      await trx
        .updateTable('campaigns')
        .set({ snapshot_id: snap.id })
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .execute();
    }
    await drawRecipients(trx, ctx.db.dialect, ws, cur, members);
  });
}
