import { type Kysely, sql, type Transaction } from 'kysely';
import { newId } from '../../core/ids.js';
import { readJson, writeJson } from '../../db/json.js';
import type { Database } from '../../db/types.js';
import type { AppContext } from '../context.js';
import { offLoop } from '../heavy/run.js';
import { decodeCursor, encodeCursor, likeContains } from '../pagination.js';
import type { AuditQuery } from './schema.js';

/**
 * The audit log: append-only (the database refuses UPDATE and DELETE on it, see migration 0020).
 * Most entries come from the central route map (audit/hook.ts); modules call `audit` themselves
 * where the details matter (failed logins, reveals, erasures), inside their transaction when they
 * have one, so the entry and the change are committed together.
 */
export interface AuditActor {
  userId: string | null;
  login: string | null;
  via?: 'session' | 'token' | 'system';
}

export interface AuditEntry {
  workspaceId: string;
  /** Who: a principal (it has userId, login, via), or null for the system. */
  actor: AuditActor | null;
  /** What, as a dotted name: auth.login_failed, export.segment_csv, pii.reveal, settings.points … */
  action: string;
  /** What it was done to ("customer 01J…", a login name), when there is one thing. */
  target?: string | null;
  details?: Record<string, unknown> | null;
  /** From where: the client address (req.ip). */
  ip?: string | null;
  /** When; default the context's clock (or now). */
  at?: Date;
}

type Writer = AppContext | Kysely<Database> | Transaction<Database>;

function isContext(w: Writer): w is AppContext {
  return 'db' in w && 'now' in w;
}

const MAX_TEXT = 500;
const MAX_ITEMS = 20;

/**
 * Details kept small and free of secrets: long texts cut, long lists counted, password/token/secret keys hidden
 * (and `confirm`, where an erasure types the customer's name).
 */
export function compactDetails(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth > 4) return '…';
  if (Array.isArray(value)) {
    if (value.length > MAX_ITEMS)
      return { count: value.length, first: value.slice(0, 5).map((v) => compactDetails(v, depth + 1)) };
    return value.map((v) => compactDetails(v, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (/password|secret|token|apikey|api_key|credential|^confirm$/i.test(k)) out[k] = '[hidden]';
    else out[k] = compactDetails(v, depth + 1);
  }
  return out;
}

/** Appends one entry to a workspace's audit log. */
export async function audit(writer: Writer, entry: AuditEntry): Promise<void> {
  const db = isContext(writer) ? writer.db.kysely : writer;
  const at = entry.at ?? (isContext(writer) ? writer.now() : new Date());
  await db
    .insertInto('audit_log')
    .values({
      workspace_id: entry.workspaceId,
      id: newId(at.getTime()),
      at: at.toISOString(),
      actor_id: entry.actor?.userId ?? null,
      actor_login: entry.actor?.login ?? null,
      via: entry.actor ? (entry.actor.via ?? 'session') : 'system',
      action: entry.action,
      target: entry.target ?? null,
      details: entry.details == null ? null : writeJson(compactDetails(entry.details)),
      ip: entry.ip ?? null,
    })
    .execute();
}

/**
 * The log newest first, filtered by actor (login), action (exact, or a prefix ending in "."), dates and text. A text
 * search reads every entry's five columns, and a date range every entry in it to order them by id (130–190 ms at
 * 150,000 entries, growing with the log): those pages run on the short read lane (heavy/run.ts), the rest here.
 */
export async function listAudit(ctx: AppContext, workspaceId: string, q: AuditQuery) {
  if (q.q || q.from || q.to) return offLoop(ctx, 'audit.page', listAuditHere, workspaceId, q);
  return listAuditHere(ctx, workspaceId, q);
}

export async function listAuditHere(ctx: AppContext, workspaceId: string, q: AuditQuery) {
  let query = ctx.db.kysely.selectFrom('audit_log').selectAll().where('workspace_id', '=', workspaceId);
  if (q.actor) query = query.where('actor_login', '=', q.actor);
  if (q.action) {
    const action = q.action;
    query = action.endsWith('.')
      ? query.where(sql<boolean>`action LIKE ${likeContains(action).slice(1)} ESCAPE '\\'`)
      : query.where('action', '=', action);
  }
  if (q.from) query = query.where('at', '>=', new Date(q.from).toISOString());
  if (q.to) query = query.where('at', '<', new Date(q.to).toISOString());
  if (q.q) {
    const pattern = likeContains(q.q);
    const details = ctx.db.dialect === 'postgres' ? sql`CAST(details AS text)` : sql`details`;
    const op = ctx.db.dialect === 'postgres' ? sql`ILIKE` : sql`LIKE`;
    query = query.where(
      sql<boolean>`(action ${op} ${pattern} ESCAPE '\\' OR target ${op} ${pattern} ESCAPE '\\'
        OR actor_login ${op} ${pattern} ESCAPE '\\' OR ip ${op} ${pattern} ESCAPE '\\'
        OR ${details} ${op} ${pattern} ESCAPE '\\')`,
    );
  }
  if (q.cursor) query = query.where('id', '<', decodeCursor(q.cursor).id);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(q.limit + 1)
    .execute();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const names = await targetNames(
    ctx,
    workspaceId,
    page.map((r) => r.target),
  );
  return {
    items: page.map((r) => ({
      id: r.id,
      at: r.at,
      actorId: r.actor_id,
      actor: r.actor_login,
      via: r.via,
      action: r.action,
      target: r.target,
      targetName: (r.target && names.get(r.target)) ?? null,
      details: r.details == null ? null : readJson<Record<string, unknown>>(r.details),
      ip: r.ip,
    })),
    nextCursor: rows.length > q.limit && last ? encodeCursor(null, last.id) : null,
  };
}

/** The tables whose rows an audit target ("campaign 01J…") names, and the column a reader knows them by. */
const NAMED = {
  customer: ['customers', 'display_name'],
  campaign: ['campaigns', 'name'],
  automation: ['automations', 'name'],
  segment: ['segments', 'name'],
  store: ['stores', 'name'],
  template: ['coupon_templates', 'name'],
  channel: ['messaging_channels', 'name'],
  group: ['groups', 'name'],
  reward: ['rewards', 'name'],
  user: ['users', 'login'],
} as const;

/**
 * Each target of a page by the name its row has now (「活动 双12 会员日」 rather than 「活动 01M8…」): one read per kind
 * of target on the page. A row deleted since keeps its id.
 */
async function targetNames(ctx: AppContext, ws: string, targets: (string | null)[]): Promise<Map<string, string>> {
  const ids = new Map<keyof typeof NAMED, Set<string>>();
  for (const t of targets) {
    const [kind, id] = (t ?? '').split(' ');
    if (kind && id && Object.hasOwn(NAMED, kind)) {
      const set = ids.get(kind as keyof typeof NAMED) ?? new Set<string>();
      set.add(id);
      ids.set(kind as keyof typeof NAMED, set);
    }
  }
  const out = new Map<string, string>();
  for (const [kind, set] of ids) {
    const [table, column] = NAMED[kind];
    const rows = await sql<{ id: string; name: string | null }>`
      SELECT id, ${sql.ref(column)} AS name FROM ${sql.table(table)}
      WHERE workspace_id = ${ws} AND id IN (${sql.join([...set])})`.execute(ctx.db.kysely);
    for (const r of rows.rows) if (r.name) out.set(`${kind} ${r.id}`, r.name);
  }
  return out;
}
