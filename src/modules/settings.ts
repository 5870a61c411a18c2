import type { Kysely, Transaction } from 'kysely';
import type { z } from 'zod';
import { parseInput } from '../core/validation.js';
import type { Database } from '../db/types.js';
import { readJson, writeJson } from '../db/json.js';
import { nowIso, type AppContext } from './context.js';

/**
 * Per-workspace settings (RFM thresholds, points rules, tier ladder …): one JSON value per key in
 * workspace_settings, validated by the owning module's schema on the way in and out.
 */
export async function readSetting<S extends z.ZodType>(
  db: Kysely<Database> | Transaction<Database>,
  workspaceId: string,
  key: string,
  schema: S,
  fallback: unknown = {},
): Promise<z.infer<S>> {
  const row = await db
    .selectFrom('workspace_settings')
    .select('value')
    .where('workspace_id', '=', workspaceId)
    .where('key', '=', key)
    .executeTakeFirst();
  return schema.parse(row ? readJson(row.value) : fallback);
}

export async function writeSetting<S extends z.ZodType>(
  ctx: AppContext,
  workspaceId: string,
  key: string,
  schema: S,
  input: unknown,
  what: string,
  /** Keys checked but not stored: their default, which may change (the server's own address), keeps applying. */
  unstored: readonly string[] = [],
): Promise<z.infer<S>> {
  const v = parseInput(schema, input, what);
  const now = nowIso(ctx);
  const kept =
    unstored.length && v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([k]) => !unstored.includes(k)))
      : v;
  await ctx.db.kysely
    .insertInto('workspace_settings')
    .values({ workspace_id: workspaceId, key, value: writeJson(kept), updated_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'key']).doUpdateSet({ value: writeJson(kept), updated_at: now }))
    .execute();
  return v;
}
