import type { Selectable } from 'kysely';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Medium } from '../../core/messaging/decide.js';
import { parseInput } from '../../core/validation.js';
import { readJson, writeJson } from '../../db/json.js';
import type { MessagingChannelsTable } from '../../db/types.js';
import { nowIso, type AppContext } from '../context.js';
import { readSetting, writeSetting } from '../settings.js';
import { emailProvider, outboxProvider, platformProvider, type Provider, webhookProvider } from './providers.js';
import {
  type ChannelInput,
  channelInput,
  type ChannelView,
  type EmailConfig,
  messagingSettings,
  type MessagingSettings,
  settingsWarnings,
  type WebhookConfig,
} from './schema.js';
import { decryptSecret, encryptSecret } from './secrets.js';

export type ChannelRow = Selectable<MessagingChannelsTable>;
const SETTINGS_KEY = 'messaging';

export async function getMessagingSettings(ctx: AppContext, ws: string): Promise<MessagingSettings> {
  return readSetting(ctx.db.kysely, ws, SETTINGS_KEY, messagingSettings);
}

export async function setMessagingSettings(ctx: AppContext, ws: string, input: unknown) {
  const current = await getMessagingSettings(ctx, ws);
  const merged = { ...current, ...(typeof input === 'object' && input ? input : {}) };
  const s = await writeSetting(ctx, ws, SETTINGS_KEY, messagingSettings, merged, 'The send rules');
  return { settings: s, warnings: settingsWarnings(s) };
}

export function mediumOf(input: ChannelInput): Medium {
  switch (input.kind) {
    case 'outbox':
      return input.config.medium;
    case 'webhook':
      return input.config.medium;
    case 'email':
      return 'email';
    case 'platform':
      return 'platform';
  }
}

export function presentChannel(r: ChannelRow): ChannelView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as ChannelView['kind'],
    medium: r.medium as Medium,
    config: readJson<Record<string, unknown>>(r.config),
    hasCredentials: r.secret !== null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function createChannel(ctx: AppContext, ws: string, input: unknown): Promise<ChannelView> {
  const v = parseInput(channelInput, input, 'The channel');
  // Encrypt first: without HUIKE_SECRET_KEY the request fails before anything is written.
  const secret = 'credentials' in v && v.credentials ? encryptSecret(v.credentials) : null;
  const now = nowIso(ctx);
  const row = {
    workspace_id: ws,
    id: newId(),
    name: v.name,
    kind: v.kind,
    medium: mediumOf(v),
    config: writeJson(v.config),
    secret,
    created_at: now,
    updated_at: now,
  };
  const clash = await ctx.db.kysely
    .selectFrom('messaging_channels')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('name', '=', v.name)
    .executeTakeFirst();
  if (clash) throw new Conflict(`a channel named "${v.name}" already exists`);
  await ctx.db.kysely.insertInto('messaging_channels').values(row).execute();
  return presentChannel(row as ChannelRow);
}

export async function listChannels(ctx: AppContext, ws: string): Promise<ChannelView[]> {
  const rows = await ctx.db.kysely
    .selectFrom('messaging_channels')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  // Every workspace has its outbox: list it even before its first use, so the console can offer it.
  if (!rows.some((r) => r.kind === 'outbox')) return [await defaultChannel(ctx, ws), ...rows.map(presentChannel)];
  return rows.map(presentChannel);
}

export async function channelRow(ctx: AppContext, ws: string, id: string): Promise<ChannelRow> {
  const r = await ctx.db.kysely
    .selectFrom('messaging_channels')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!r) throw new NotFound(`channel ${id} not found`);
  return r;
}

export async function deleteChannel(ctx: AppContext, ws: string, id: string): Promise<void> {
  await channelRow(ctx, ws, id);
  const used = await ctx.db.kysely
    .selectFrom('messages')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('channel_id', '=', id)
    .limit(1)
    .executeTakeFirst();
  const camp = await ctx.db.kysely
    .selectFrom('campaigns')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('channel_id', '=', id)
    .limit(1)
    .executeTakeFirst();
  if (used || camp) throw new Conflict('this channel has sent messages or belongs to a campaign: it cannot be deleted');
  await ctx.db.kysely.deleteFrom('messaging_channels').where('workspace_id', '=', ws).where('id', '=', id).execute();
}

/** The built-in outbox every workspace has (created on first use). */
export async function defaultChannel(ctx: AppContext, ws: string): Promise<ChannelView> {
  const existing = await ctx.db.kysely
    .selectFrom('messaging_channels')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('kind', '=', 'outbox')
    .orderBy('created_at')
    .executeTakeFirst();
  if (existing) return presentChannel(existing);
  return createChannel(ctx, ws, { name: '发件箱', kind: 'outbox', config: { medium: 'sms' } });
}

export function webhookSecret(row: ChannelRow): string {
  if (row.kind !== 'webhook' || !row.secret) throw new Invalid(`channel "${row.name}" is not a signed webhook`);
  return decryptSecret<{ signingSecret: string }>(row.secret).signingSecret;
}

export function providerFor(ctx: AppContext, row: ChannelRow): Provider {
  switch (row.kind) {
    case 'outbox':
      return outboxProvider;
    case 'platform':
      return platformProvider;
    case 'email': {
      const pass = row.secret ? decryptSecret<{ password: string }>(row.secret).password : null;
      return emailProvider(readJson<EmailConfig>(row.config), pass);
    }
    case 'webhook':
      return webhookProvider(readJson<WebhookConfig>(row.config), webhookSecret(row), ctx.now);
    default:
      throw new Invalid(`channel kind "${row.kind}" is not supported`);
  }
}
