import { reason } from '../../core/reasons.js';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { parseInput } from '../../core/validation.js';
import { newId } from '../../core/ids.js';
import type { Store } from '../../db/types.js';
import { nowIso, type AppContext } from '../context.js';
import { storeInput, storePatch, PLATFORMS, type StoreInput, type StorePatch } from './schema.js';

export function presentStore(s: Store) {
  return {
    id: s.id,
    name: s.name,
    platform: s.platform,
    timezone: s.timezone,
    currency: s.currency,
    createdAt: s.created_at,
    updatedAt: s.updated_at,
  };
}

export async function listStores(ctx: AppContext, workspaceId: string): Promise<Store[]> {
  return ctx.db.kysely
    .selectFrom('stores')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .execute();
}

export async function getStore(ctx: AppContext, workspaceId: string, id: string): Promise<Store> {
  const s = await ctx.db.kysely
    .selectFrom('stores')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!s) {
    // A 5,000-character id was echoed whole in the answer.
    const shown = id.length > 40 ? `${id.slice(0, 40)}…` : id;
    throw new NotFound(`store ${shown} not found`, reason('store.notFound', { id: shown }));
  }
  return s;
}

export async function findStoreByName(ctx: AppContext, workspaceId: string, name: string): Promise<Store | undefined> {
  return ctx.db.kysely
    .selectFrom('stores')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('name', '=', name.trim())
    .executeTakeFirst();
}

export async function createStore(ctx: AppContext, workspaceId: string, input: StoreInput): Promise<Store> {
  const v = parseInput(storeInput, input, 'The store');
  if (await findStoreByName(ctx, workspaceId, v.name))
    throw new Conflict(`a store named "${v.name}" already exists`, reason('store.nameTaken', { name: v.name }));
  const now = nowIso(ctx);
  const store: Store = {
    workspace_id: workspaceId,
    id: newId(),
    name: v.name,
    platform: v.platform,
    timezone: v.timezone,
    currency: v.currency,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.kysely.insertInto('stores').values(store).execute();
  return store;
}

export async function updateStore(ctx: AppContext, workspaceId: string, id: string, patch: StorePatch): Promise<Store> {
  const v = parseInput(storePatch, patch, 'The store change');
  const current = await getStore(ctx, workspaceId, id);
  if (v.name && v.name !== current.name && (await findStoreByName(ctx, workspaceId, v.name))) {
    throw new Conflict(`a store named "${v.name}" already exists`, reason('store.nameTaken', { name: v.name }));
  }
  await ctx.db.kysely
    .updateTable('stores')
    .set({ ...v, updated_at: nowIso(ctx) })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute();
  return getStore(ctx, workspaceId, id);
}

export async function deleteStore(ctx: AppContext, workspaceId: string, id: string): Promise<void> {
  await getStore(ctx, workspaceId, id);
  const used = await ctx.db.kysely
    .selectFrom('orders')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('store_id', '=', id)
    .limit(1)
    .executeTakeFirst();
  if (used) throw new Conflict('this store has imported orders and cannot be deleted', reason('store.hasOrders'));
  await ctx.db.kysely.transaction().execute(async (trx) => {
    await trx.deleteFrom('import_runs').where('workspace_id', '=', workspaceId).where('store_id', '=', id).execute();
    await trx.deleteFrom('stores').where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
  });
}

/**
 * The store an import names, created on first use (platform guessed from the format) with the
 * time zone and currency given. An existing store keeps its own: when the import says otherwise
 * it is refused (its orders would be read in the wrong zone), naming the command that changes it.
 */
export async function ensureStore(
  ctx: AppContext,
  workspaceId: string,
  name: string,
  platform: string,
  settings: { timezone?: string; currency?: string } = {},
): Promise<Store> {
  const found = await findStoreByName(ctx, workspaceId, name);
  if (found) {
    const v = parseInput(storePatch, settings, 'The store settings');
    const differs = (['timezone', 'currency'] as const).filter((k) => v[k] !== undefined && v[k] !== found[k]);
    if (differs.length > 0) {
      const uses = differs.map((k) => `${k} ${found[k]}`).join(' and ');
      const wanted = differs.map((k) => v[k]).join(' / ');
      const set = differs.map((k) => `--${k} ${v[k]}`).join(' ');
      throw new Conflict(
        `the store "${found.name}" uses ${uses}, not ${wanted}: ` +
          `change the store first (huike store set "${found.name}" ${set})`,
        reason('store.settingsDiffer', { store: found.name, uses, wanted }),
      );
    }
    return found;
  }
  if (!(PLATFORMS as readonly string[]).includes(platform))
    throw new Invalid(
      `unknown platform "${platform}" (one of ${PLATFORMS.join(', ')})`,
      reason('store.platform', { platform, platforms: PLATFORMS.join('、') }),
    );
  return createStore(ctx, workspaceId, { name, platform: platform as StoreInput['platform'], ...settings });
}
