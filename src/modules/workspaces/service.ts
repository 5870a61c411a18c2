import { reason } from '../../core/reasons.js';
import { NotFound } from '../../core/errors.js';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/types.js';
import { newId } from '../../core/ids.js';
import { DEFAULT_TIMEZONE } from '../../core/time.js';
import { nowIso, type AppContext } from '../context.js';
import { ensureDefaultSchedules } from '../../jobs/schedules.js';

/** The time zone a workspace reasons in; inside a transaction, read through it (it sees the transaction's writes). */
export async function workspaceTimezone(
  db: Kysely<Database> | Transaction<Database>,
  workspaceId: string,
): Promise<string> {
  const ws = await db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirst();
  if (!ws) throw new NotFound(`workspace ${workspaceId} not found`, reason('workspace.notFound', { id: workspaceId }));
  return ws.timezone;
}

export async function listWorkspaces(ctx: AppContext) {
  return ctx.db.kysely.selectFrom('workspaces').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function createWorkspace(ctx: AppContext, name: string, timezone = DEFAULT_TIMEZONE) {
  const ws = { id: newId(), name, timezone, created_at: nowIso(ctx) };
  await ctx.db.kysely.insertInto('workspaces').values(ws).execute();
  await ensureDefaultSchedules(ctx, ws.id, timezone);
  return ws;
}

/** The workspace a CLI command acts on: the one named, or the first one (created when none exists). */
export async function resolveWorkspace(ctx: AppContext, idOrName?: string) {
  const all = await listWorkspaces(ctx);
  if (idOrName) {
    const ws = all.find((w) => w.id === idOrName || w.name === idOrName);
    if (!ws) throw new NotFound(`workspace "${idOrName}" not found`, reason('workspace.notFound', { id: idOrName }));
    return ws;
  }
  return all[0] ?? createWorkspace(ctx, '我的店铺');
}

/** Answers the database dialect once a query has gone through (the health check). */
export async function databaseHealth(ctx: AppContext): Promise<AppContext['db']['dialect']> {
  await ctx.db.kysely.selectFrom('workspaces').select('id').limit(1).execute();
  return ctx.db.dialect;
}
