import { reason } from '../../core/reasons.js';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { Conflict, Forbidden, Invalid, NotFound } from '../../core/errors.js';
import { parseInput, shownText } from '../../core/validation.js';
import type { Database } from '../../db/types.js';
import { nowIso, type AppContext } from '../context.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { roleAllows } from './permissions.js';
import { ROLES } from './schema.js';
import type { Principal } from './service.js';

/**
 * Account administration: disable, enable, delete and change the role of users; list and revoke API tokens. A
 * password change, a disabled user and a deleted user end every session and token of that user at once.
 */

type Db = Kysely<Database> | Transaction<Database>;

export const TOKEN_SCOPES = ['read', 'write'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** Ends every session and revokes every live API token of one user. */
export async function endCredentials(k: Db, workspaceId: string, userId: string, now: string): Promise<void> {
  await k.deleteFrom('sessions').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
  await k
    .updateTable('api_tokens')
    .set({ revoked_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Finer rules inside routes any user may call (their own tokens): other users' ones need users:manage. */
function isManager(role: string) {
  return roleAllows(role, 'users:manage');
}

async function targetUser(k: Db, workspaceId: string, userId: string) {
  const u = await k
    .selectFrom('users')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!u) throw new NotFound(`no user ${userId} in this workspace`, reason('user.notFound', { id: userId }));
  return u;
}

async function activeOwners(k: Db, workspaceId: string): Promise<number> {
  const r = await k
    .selectFrom('users')
    .select((e) => e.fn.countAll<number>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'owner')
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export const userPatch = z
  .object({
    role: z.enum(ROLES).optional(),
    disabled: z.boolean().optional(),
    name: shownText(64).optional(),
  })
  .strict();

/**
 * Changes a user's role, name or disabled state (the route needs users:manage); only an owner touches an owner or makes
 * one; nobody disables or demotes the last active owner (the workspace would be left without one).
 */
export async function updateUser(
  ctx: AppContext,
  actor: Pick<Principal, 'workspaceId' | 'userId' | 'role'>,
  userId: string,
  patch: z.input<typeof userPatch>,
) {
  const v = parseInput(userPatch, patch, 'The change');
  return ctx.db.kysely.transaction().execute(async (trx) => {
    const u = await targetUser(trx, actor.workspaceId, userId);
    if ((u.role === 'owner' || v.role === 'owner') && actor.role !== 'owner')
      throw new Forbidden('only an owner can change an owner or make someone owner', reason('user.ownerOnlyChange'));
    if (v.disabled && u.id === actor.userId)
      throw new Invalid('you cannot disable yourself', reason('user.disableSelf'));
    const losesOwner = u.role === 'owner' && !u.disabled_at && (v.disabled || (v.role && v.role !== 'owner'));
    if (losesOwner && (await activeOwners(trx, actor.workspaceId)) <= 1)
      throw new Conflict('this is the last active owner: make another user owner first', reason('user.lastOwner'));
    const now = nowIso(ctx);
    const disabledAt = v.disabled === undefined ? u.disabled_at : v.disabled ? (u.disabled_at ?? now) : null;
    await trx
      .updateTable('users')
      .set({ role: v.role ?? u.role, name: v.name ?? u.name, disabled_at: disabledAt })
      .where('workspace_id', '=', actor.workspaceId)
      .where('id', '=', userId)
      .execute();
    if (v.disabled && !u.disabled_at) await endCredentials(trx, actor.workspaceId, userId, now);
    return {
      id: u.id,
      login: u.login,
      name: v.name ?? u.name,
      role: v.role ?? u.role,
      createdAt: u.created_at,
      disabled: disabledAt !== null,
    };
  });
}

/** Deletes a user; their sessions and tokens go with them (foreign keys cascade). */
export async function deleteUser(
  ctx: AppContext,
  actor: Pick<Principal, 'workspaceId' | 'userId' | 'role'>,
  userId: string,
) {
  await ctx.db.kysely.transaction().execute(async (trx) => {
    const u = await targetUser(trx, actor.workspaceId, userId);
    if (u.id === actor.userId) throw new Invalid('you cannot delete yourself', reason('user.deleteSelf'));
    if (u.role === 'owner' && actor.role !== 'owner')
      throw new Forbidden('only an owner can delete an owner', reason('user.ownerOnlyDelete'));
    if (u.role === 'owner' && !u.disabled_at && (await activeOwners(trx, actor.workspaceId)) <= 1)
      throw new Conflict('this is the last active owner: make another user owner first', reason('user.lastOwner'));
    await endCredentials(trx, actor.workspaceId, userId, nowIso(ctx));
    await trx.deleteFrom('users').where('workspace_id', '=', actor.workspaceId).where('id', '=', userId).execute();
  });
}

/**
 * Sets a new password and ends every session and token the user had (they were opened with the old one). One
 * person's rows in several workspaces share the password: every one of them changes and ends its credentials.
 */
export async function changePassword(ctx: AppContext, workspaceId: string, userId: string, password: string) {
  if (password.length < 8)
    throw new Invalid('password needs at least 8 characters', reason('user.passwordShort', { min: 8 }));
  const hash = await hashPassword(password);
  await ctx.db.kysely.transaction().execute(async (trx) => {
    const u = await targetUser(trx, workspaceId, userId);
    const rows = await trx
      .selectFrom('users')
      .select(['workspace_id', 'id'])
      .where('account_id', '=', u.account_id ?? u.id)
      .execute();
    const all = rows.some((r) => r.workspace_id === workspaceId && r.id === userId)
      ? rows
      : [...rows, { workspace_id: workspaceId, id: userId }];
    for (const r of all) {
      await trx
        .updateTable('users')
        .set({ password_hash: hash })
        .where('workspace_id', '=', r.workspace_id)
        .where('id', '=', r.id)
        .execute();
      await endCredentials(trx, r.workspace_id, r.id, nowIso(ctx));
    }
  });
}

/** A user changing their own password proves the current one first. */
export async function changeOwnPassword(
  ctx: AppContext,
  p: Pick<Principal, 'workspaceId' | 'userId'>,
  currentPassword: string,
  newPassword: string,
) {
  const u = await targetUser(ctx.db.kysely, p.workspaceId, p.userId);
  if (!(await verifyPassword(currentPassword, u.password_hash)))
    throw new Invalid('the current password is wrong', reason('user.wrongPassword'));
  await changePassword(ctx, p.workspaceId, p.userId, newPassword);
}

export function parseScopes(stored: string): TokenScope[] {
  return TOKEN_SCOPES.filter((s) => stored.split(/\s+/).includes(s));
}

/** Tokens of one user, or of the whole workspace for an owner or admin asking for all. */
export async function listTokens(ctx: AppContext, p: Pick<Principal, 'workspaceId' | 'userId' | 'role'>, all = false) {
  if (all && !isManager(p.role))
    throw new Forbidden(
      "seeing everyone's tokens needs the users:manage permission (owners and admins)",
      reason('token.listAll'),
    );
  let q = ctx.db.kysely
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', (j) => j.onRef('u.workspace_id', '=', 't.workspace_id').onRef('u.id', '=', 't.user_id'))
    .select(['t.id', 't.name', 't.scopes', 't.created_at', 't.expires_at', 't.last_used_at', 't.revoked_at', 'u.login'])
    .where('t.workspace_id', '=', p.workspaceId)
    .orderBy('t.created_at', 'desc')
    .orderBy('t.id', 'desc');
  if (!all) q = q.where('t.user_id', '=', p.userId);
  const now = nowIso(ctx);
  return (await q.execute()).map((t) => ({
    id: t.id,
    name: t.name,
    login: t.login,
    scopes: parseScopes(t.scopes),
    createdAt: t.created_at,
    expiresAt: t.expires_at,
    lastUsedAt: t.last_used_at,
    revokedAt: t.revoked_at,
    active: !t.revoked_at && (!t.expires_at || t.expires_at > now),
  }));
}

/** Revokes a token: its own user, or an owner/admin for any token of the workspace. */
export async function revokeToken(ctx: AppContext, p: Pick<Principal, 'workspaceId' | 'userId' | 'role'>, id: string) {
  const t = await ctx.db.kysely
    .selectFrom('api_tokens')
    .select(['user_id', 'revoked_at'])
    .where('workspace_id', '=', p.workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!t || (t.user_id !== p.userId && !isManager(p.role)))
    throw new NotFound(`no API token ${id}`, reason('token.notFound', { id }));
  if (t.revoked_at) return;
  await ctx.db.kysely
    .updateTable('api_tokens')
    .set({ revoked_at: nowIso(ctx) })
    .where('workspace_id', '=', p.workspaceId)
    .where('id', '=', id)
    .execute();
}
