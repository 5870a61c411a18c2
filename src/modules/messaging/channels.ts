import { z } from 'zod';
import { reason } from '../../core/reasons.js';
import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Dialect } from '../../db/connect.js';
import { Conflict, Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import type { Medium } from '../../core/messaging/decide.js';
import { wecomCallbackSecrets } from '../../core/messaging/wecom-crypto.js';
import { parseInput } from '../../core/validation.js';
import { readJson, writeJson } from '../../db/json.js';
import type { MessagingChannelsTable } from '../../db/types.js';
import type { Executor } from '../../jobs/queue.js';
import { nowIso, type AppContext } from '../context.js';
import { readSetting, writeSetting } from '../settings.js';
import { emailProvider, outboxProvider, platformProvider, type Provider, webhookProvider } from './providers.js';
import {
  type AliyunConfig,
  type AliyunCredentials,
  CHANNEL_KINDS,
  type ChannelInput,
  channelInput,
  channelPatch,
  type ChannelView,
  type EmailConfig,
  messagingSettings,
  type MessagingSettings,
  settingsWarningReasons,
  settingsWarnings,
  type TencentConfig,
  type TencentCredentials,
  type WebhookConfig,
  type WecomConfig,
  type WecomCredentials,
} from './schema.js';
import { aliyunSmsProvider, tencentSmsProvider } from './sms-providers.js';
import { wecomProvider } from './wecom.js';
import { decryptSecret, encryptSecret } from './secrets.js';

export type ChannelRow = Selectable<MessagingChannelsTable>;
const SETTINGS_KEY = 'messaging';

export async function getMessagingSettings(ctx: AppContext, ws: string): Promise<MessagingSettings> {
  return readSetting(ctx.db.kysely, ws, SETTINGS_KEY, messagingSettings);
}

export async function setMessagingSettings(ctx: AppContext, ws: string, input: unknown) {
  // What is stored, read once: the current rules are it with the defaults filled in.
  const stored = await readSetting(ctx.db.kysely, ws, SETTINGS_KEY, z.record(z.string(), z.unknown()));
  const current = messagingSettings.parse(stored);
  const given = typeof input === 'object' && input ? input : {};
  const merged = { ...current, ...given };
  // 对外网址 follows where the server is reached (HUIKE_PUBLIC_URL) until someone names one: a change of the other
  // rules — the demo's, made before the server knew its port — fixed the default of that moment into the settings.
  const named = 'publicUrl' in stored || 'publicUrl' in given;
  const s = await writeSetting(
    ctx,
    ws,
    SETTINGS_KEY,
    messagingSettings,
    merged,
    'The send rules',
    named ? [] : ['publicUrl'],
  );
  return { settings: s, warnings: settingsWarnings(s), warningReasons: settingsWarningReasons(s) };
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
    case 'aliyun_sms':
    case 'tencent_sms':
      return 'sms';
    case 'wecom':
      return 'wechat';
  }
}

/** Providers that post delivery receipts and replies to us without signing them: a token in the URL. */
const HOOKED_KINDS = new Set(['aliyun_sms', 'tencent_sms', 'wecom']);

/** `showHooks`: the receipt URLs carry the channel's token, for those who may change channels only. */
export function presentChannel(r: ChannelRow, opts: { showHooks?: boolean } = {}): ChannelView {
  const base = `/hooks/${r.workspace_id}/channels/${r.id}`;
  const hooks =
    opts.showHooks && r.hook_token
      ? {
          receipts: r.kind === 'wecom' ? null : `${base}/receipts/${r.hook_token}`,
          replies: `${base}/replies/${r.hook_token}`,
          wecom: r.kind === 'wecom' ? { url: `${base}/wecom`, ...wecomCallbackSecrets(r.hook_token) } : null,
        }
      : null;
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as ChannelView['kind'],
    medium: r.medium as Medium,
    config: readJson<Record<string, unknown>>(r.config),
    hasCredentials: r.secret !== null,
    hooks,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

async function nameTaken(ctx: AppContext, ws: string, name: string, exceptId: string | null) {
  let q = ctx.db.kysely
    .selectFrom('messaging_channels')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('name', '=', name);
  if (exceptId) q = q.where('id', '<>', exceptId);
  if (await q.executeTakeFirst())
    throw new Conflict(`a channel named "${name}" already exists`, reason('channel.nameTaken', { name }));
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
    hook_token: HOOKED_KINDS.has(v.kind) ? randomBytes(18).toString('base64url') : null,
    created_at: now,
    updated_at: now,
  };
  await nameTaken(ctx, ws, v.name, null);
  await ctx.db.kysely.insertInto('messaging_channels').values(row).execute();
  return presentChannel(row as ChannelRow, { showHooks: true });
}

/**
 * Edits a channel: a new name, settings merged into the current ones (checked as a whole against
 * the kind), credentials replaced as a whole (encrypted again). The kind never changes.
 */
export async function updateChannel(ctx: AppContext, ws: string, id: string, input: unknown): Promise<ChannelView> {
  const patch = parseInput(channelPatch, input, 'The channel change');
  const row = await channelRow(ctx, ws, id);
  const spec = CHANNEL_KINDS[row.kind as keyof typeof CHANNEL_KINDS];
  if (!spec)
    throw new Invalid(
      `channel kind "${row.kind}" cannot be edited`,
      reason('channel.kindNotEditable', { kind: row.kind }),
    );
  const set: { name?: string; config?: string; medium?: string; secret?: string; updated_at: string } = {
    updated_at: nowIso(ctx),
  };
  if (patch.name !== undefined && patch.name !== row.name) {
    await nameTaken(ctx, ws, patch.name, id);
    set.name = patch.name;
  }
  if (patch.config) {
    const merged = { ...readJson<Record<string, unknown>>(row.config), ...patch.config };
    const config = parseInput(spec.config as never, merged, 'The channel settings') as Record<string, unknown>;
    set.config = writeJson(config);
    if (row.kind === 'outbox' || row.kind === 'webhook') set.medium = String(config.medium ?? row.medium);
  }
  if (patch.credentials) {
    if (!spec.credentials)
      throw new Invalid(
        `a ${row.kind} channel has no credentials`,
        reason('channel.kindNoCredentials', { kind: row.kind }),
      );
    const cred = parseInput(spec.credentials as never, patch.credentials, 'The channel credentials');
    set.secret = encryptSecret(cred);
  }
  if (set.medium && set.medium !== row.medium) {
    if (row.in_use)
      throw new Conflict(
        'this channel has sent messages: its medium cannot change (add a new channel)',
        reason('channel.mediumFixed'),
      );
  }
  await ctx.db.kysely
    .updateTable('messaging_channels')
    .set(set)
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .execute();
  return presentChannel({ ...row, ...set }, { showHooks: true });
}

export async function listChannels(
  ctx: AppContext,
  ws: string,
  opts: { showHooks?: boolean } = {},
): Promise<ChannelView[]> {
  const rows = await ctx.db.kysely
    .selectFrom('messaging_channels')
    .selectAll()
    .where('workspace_id', '=', ws)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  // Every workspace has its outbox: list it even before its first use, so the console can offer it.
  const present = (r: ChannelRow) => presentChannel(r, opts);
  if (!rows.some((r) => r.kind === 'outbox')) return [await defaultChannel(ctx, ws), ...rows.map(present)];
  return rows.map(present);
}

export async function channelRow(ctx: AppContext, ws: string, id: string): Promise<ChannelRow> {
  const r = await ctx.db.kysely
    .selectFrom('messaging_channels')
    .selectAll()
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!r) throw new NotFound(`channel ${id} not found`, reason('channel.notFound', { id }));
  return r;
}

export async function deleteChannel(ctx: AppContext, ws: string, id: string): Promise<void> {
  await channelRow(ctx, ws, id);
  const inUse = () =>
    new Conflict(
      'this channel has sent messages or belongs to a campaign: it cannot be deleted',
      reason('channel.inUse'),
    );
  const camp = await ctx.db.kysely
    .selectFrom('campaigns')
    .select('id')
    .where('workspace_id', '=', ws)
    .where('channel_id', '=', id)
    .limit(1)
    .executeTakeFirst();
  if (camp) throw inUse();
  // An automation's message step that names it would fail at every run after.
  for (const a of await ctx.db.kysely
    .selectFrom('automations')
    .select(['name', 'definition'])
    .where('workspace_id', '=', ws)
    .execute()) {
    const steps = (readJson(a.definition) as { steps?: { channelId?: unknown }[] }).steps ?? [];
    if (steps.some((st) => st.channelId === id))
      throw new Conflict(
        `automation "${a.name}" sends on this channel: choose another channel in it first`,
        reason('channel.usedByAutomation', { automation: a.name }),
      );
  }
  // One guarded statement: a transaction writing the channel's first message sets in_use under the row's lock
  // (holdChannel), so the DELETE waits for it and then finds in_use = 1 (PostgreSQL re-checks the condition on
  // the row's new version; SQLite has one writer at a time).
  const r = await ctx.db.kysely
    .deleteFrom('messaging_channels')
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('in_use', '=', 0)
    .executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw inUse();
}

/**
 * In a transaction about to write messages naming this channel: marks it used (its medium is then fixed and it
 * cannot be deleted) and holds it until the commit — what the messages → channels foreign key did for every
 * row, once per transaction (migration 0061). PostgreSQL: FOR KEY SHARE, the lock the foreign key took, so a
 * concurrent deleteChannel waits for this commit. SQLite: the UPDATE comes first and takes the write lock, so
 * the existence read after it cannot be stale. Throws NotFound when the channel is gone.
 */
export async function holdChannel(trx: Executor, dialect: Dialect, ws: string, id: string): Promise<void> {
  await trx
    .updateTable('messaging_channels')
    .set({ in_use: 1 })
    .where('workspace_id', '=', ws)
    .where('id', '=', id)
    .where('in_use', '=', 0)
    .execute();
  let q = trx.selectFrom('messaging_channels').select('id').where('workspace_id', '=', ws).where('id', '=', id);
  if (dialect === 'postgres') q = q.forKeyShare();
  if (!(await q.executeTakeFirst())) throw new NotFound(`channel ${id} not found`, reason('channel.notFound', { id }));
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
  if (row.kind !== 'webhook' || !row.secret)
    throw new Invalid(
      `channel "${row.name}" is not a signed webhook`,
      reason('channel.notWebhook', { name: row.name }),
    );
  return decryptSecret<{ signingSecret: string }>(row.secret).signingSecret;
}

function credentialsOf<T>(row: ChannelRow): T {
  if (!row.secret)
    throw new Invalid(
      `channel "${row.name}" has no credentials: set them in 设置 → 渠道`,
      reason('channel.noCredentials', { name: row.name }),
    );
  return decryptSecret<T>(row.secret);
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
    case 'aliyun_sms':
      return aliyunSmsProvider(readJson<AliyunConfig>(row.config), credentialsOf<AliyunCredentials>(row), ctx.now);
    case 'tencent_sms':
      return tencentSmsProvider(readJson<TencentConfig>(row.config), credentialsOf<TencentCredentials>(row), ctx.now);
    case 'wecom':
      return wecomProvider(readJson<WecomConfig>(row.config), credentialsOf<WecomCredentials>(row), ctx.now);
    default:
      throw new Invalid(
        `channel kind "${row.kind}" is not supported`,
        reason('channel.kindUnsupported', { kind: row.kind }),
      );
  }
}
