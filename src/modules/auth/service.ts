import { reason } from '../../core/reasons.js';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/types.js';
import { Conflict, Forbidden, Invalid, NotFound, Unauthorized } from '../../core/errors.js';
import { parseInput } from '../../core/validation.js';
import { newId } from '../../core/ids.js';
import { nowIso, type AppContext } from '../context.js';
import { burnPasswordCheck, digest, hashPassword, newSecret, sameDigest, verifyPassword } from './passwords.js';
import { permissionsOf } from './permissions.js';
import { loginInput, type meOutput, userInput } from './schema.js';
import { loginThrottle } from './throttle.js';
import { changePassword, parseScopes, TOKEN_SCOPES, type TokenScope } from './accounts.js';
import type { z } from 'zod';
import { audit } from '../audit/service.js';

/**
 * Accounts: users with scrypt-hashed passwords; a login opens a session (HttpOnly cookie); API
 * tokens for scripts. A credential is "<kind>.<workspace>.<id>.<secret>": the workspace and id
 * find the row by its primary key, the secret is compared against its stored digest.
 */
export const SESSION_DAYS = 14;
export const SESSION_COOKIE = 'huike_session';

export interface Principal {
  workspaceId: string;
  userId: string;
  login: string;
  role: string;
  via: 'session' | 'token';
  /** What the credential may do: a session can do everything its role allows; a token may be read-only. */
  scopes: TokenScope[];
}

export type Me = z.infer<typeof meOutput>;

/** The logged-in user, their workspace and how they came in (session cookie or API token). */
export async function whoAmI(ctx: AppContext, p: Principal): Promise<Me> {
  const user = await ctx.db.kysely
    .selectFrom('users')
    .select(['id', 'login', 'name', 'role'])
    .where('workspace_id', '=', p.workspaceId)
    .where('id', '=', p.userId)
    .executeTakeFirst();
  const ws = await ctx.db.kysely
    .selectFrom('workspaces')
    .select(['id', 'name', 'timezone'])
    .where('id', '=', p.workspaceId)
    .executeTakeFirst();
  if (!user || !ws) throw new NotFound('user not found', reason('user.gone'));
  return { user, workspace: ws, via: p.via, permissions: permissionsOf(user.role) };
}

/** Adds a user on behalf of `by` (the route needs users:manage): only an owner adds an owner. */
export async function addUser(ctx: AppContext, by: Principal, input: z.output<typeof userInput>) {
  if (input.role === 'owner' && by.role !== 'owner')
    throw new Forbidden('only an owner can add another owner', reason('user.ownerOnlyAdd'));
  const u = await createUser(ctx, by.workspaceId, input);
  return { id: u.id, login: u.login, name: u.name, role: u.role };
}

/** The users of `by`'s workspace (the route needs users:manage). */
export async function usersFor(ctx: AppContext, by: Principal) {
  return listUsers(ctx, by.workspaceId);
}

/** A user's login whatever its case: Admin and admin are one login (the index is on lower(login), migration 0090). */
export const loginIs = (login: string) => sql<boolean>`lower(login) = ${login.toLowerCase()}`;

/**
 * The user of a workspace with this login, whatever its case; of two made before logins were one whatever the case
 * (Boss and boss), the one spelled exactly so, else the older.
 */
export async function userByLogin(k: Kysely<Database>, workspaceId: string, login: string) {
  return k
    .selectFrom('users')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where(loginIs(login))
    .orderBy(sql`CASE WHEN login = ${login} THEN 0 ELSE 1 END`)
    .orderBy('created_at')
    .executeTakeFirst();
}

export async function createUser(ctx: AppContext, workspaceId: string, input: z.input<typeof userInput>) {
  const v = parseInput(userInput, input, 'The user');
  const k = ctx.db.kysely;
  const taken = () =>
    new Conflict(`a user with login "${v.login}" already exists`, reason('user.loginTaken', { login: v.login }));
  if (await userByLogin(k, workspaceId, v.login)) throw taken();
  const id = newId();
  const user = {
    workspace_id: workspaceId,
    id,
    // A new person; their rows in other workspaces (huike workspace create --owner) share this.
    account_id: id,
    login: v.login,
    name: v.name ?? v.login,
    password_hash: await hashPassword(v.password),
    role: v.role,
    created_at: nowIso(ctx),
    disabled_at: null,
  };
  // The same login added twice at once (a double click, or Admin and admin): hashing the password leaves time
  // between the check above and the insert, so the check is made again in the insert's transaction. SQLite's writer
  // runs one at a time; on PostgreSQL the workspace's row is locked first (NO KEY: rows that only reference it go
  // on), since the unique key is on the login as spelled and would let Admin in beside admin.
  const added = await k.transaction().execute(async (trx) => {
    if (ctx.db.dialect === 'postgres')
      await trx.selectFrom('workspaces').select('id').where('id', '=', workspaceId).forNoKeyUpdate().execute();
    if (await userByLogin(trx, workspaceId, v.login)) return false;
    const r = await trx
      .insertInto('users')
      .values(user)
      .onConflict((oc) => oc.columns(['workspace_id', 'login']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  });
  if (!added) throw taken();
  return user;
}

export async function listUsers(ctx: AppContext, workspaceId: string) {
  const rows = await ctx.db.kysely
    .selectFrom('users')
    .select(['id', 'login', 'name', 'role', 'created_at', 'disabled_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .execute();
  return rows.map((u) => ({
    id: u.id,
    login: u.login,
    name: u.name,
    role: u.role,
    createdAt: u.created_at,
    disabled: u.disabled_at !== null,
  }));
}

/** Sets a user's password by login (CLI); every session and token of that user ends. */
export async function setPassword(ctx: AppContext, workspaceId: string, login: string, password: string) {
  const u = await userByLogin(ctx.db.kysely, workspaceId, login);
  if (!u) throw new Invalid(`no user with login "${login}"`, reason('user.noLogin', { login }));
  await changePassword(ctx, workspaceId, u.id, password);
}

/** Opens a session; `address` (the client IP) counts towards the per-address throttle. */
export async function login(ctx: AppContext, input: z.input<typeof loginInput>, address?: string) {
  const v = parseInput(loginInput, input, 'The login');
  const throttle = loginThrottle(ctx);
  try {
    throttle.check(v.login, address, ctx.now().getTime());
  } catch (e) {
    await recordLoginFailure(ctx, v, address, 'throttled');
    throw e;
  }
  // The same person in several workspaces (agencies) has one row in each: the oldest is where they land.
  let q = ctx.db.kysely
    .selectFrom('users')
    .selectAll()
    .where(loginIs(v.login))
    .where('disabled_at', 'is', null)
    .orderBy('created_at')
    .orderBy('workspace_id');
  if (v.workspaceId) q = q.where('workspace_id', '=', v.workspaceId);
  const candidates = await q.execute();
  if (candidates.length === 0) await burnPasswordCheck(v.password);
  for (const user of candidates) {
    if (await verifyPassword(v.password, user.password_hash)) {
      throttle.succeeded(v.login);
      await audit(ctx, {
        workspaceId: user.workspace_id,
        actor: { userId: user.id, login: user.login, via: 'session' },
        action: 'auth.login',
        target: `user ${user.id}`,
        ip: address ?? null,
      });
      return openSession(ctx, user);
    }
  }
  throttle.failed(v.login, address, ctx.now().getTime());
  await recordLoginFailure(ctx, v, address, candidates.length > 0 ? 'wrong_password' : 'unknown_or_disabled_login');
  throw new Unauthorized('wrong login or password', reason('auth.wrongLogin'));
}

/**
 * A failed login goes into the audit log of every workspace with a user of that login (and of the
 * workspace the login named); an unknown login that names no workspace belongs to no workspace's log.
 * The same query runs either way, so the time does not tell a known login apart.
 */
async function recordLoginFailure(
  ctx: AppContext,
  v: { login: string; workspaceId?: string | undefined },
  address: string | undefined,
  reason: string,
): Promise<void> {
  let q = ctx.db.kysely.selectFrom('users').select(['workspace_id', 'id']).where(loginIs(v.login));
  if (v.workspaceId) q = q.where('workspace_id', '=', v.workspaceId);
  const users = await q.execute();
  const byWorkspace = new Map(users.map((u) => [u.workspace_id, u.id]));
  if (v.workspaceId && !byWorkspace.has(v.workspaceId)) {
    const ws = await ctx.db.kysely
      .selectFrom('workspaces')
      .select('id')
      .where('id', '=', v.workspaceId)
      .executeTakeFirst();
    if (ws) byWorkspace.set(ws.id, '');
  }
  for (const [workspaceId, userId] of byWorkspace) {
    await audit(ctx, {
      workspaceId,
      actor: { userId: userId || null, login: v.login, via: 'session' },
      action: 'auth.login_failed',
      target: userId ? `user ${userId}` : null,
      details: { reason },
      ip: address ?? null,
    });
  }
}

/** A new session of one user row: the cookie value and who they are. */
export async function openSession(
  ctx: AppContext,
  user: { workspace_id: string; id: string; login: string; role: string },
): Promise<{ token: string; me: Me }> {
  const secret = newSecret();
  const id = newId();
  const now = ctx.now();
  await ctx.db.kysely
    .insertInto('sessions')
    .values({
      workspace_id: user.workspace_id,
      id,
      user_id: user.id,
      token_hash: digest(secret),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_DAYS * 86_400_000).toISOString(),
    })
    .execute();
  const me = await whoAmI(ctx, {
    workspaceId: user.workspace_id,
    userId: user.id,
    login: user.login,
    role: user.role,
    via: 'session',
    scopes: [...TOKEN_SCOPES],
  });
  return { token: `s.${user.workspace_id}.${id}.${secret}`, me };
}

export async function logout(ctx: AppContext, token: string): Promise<void> {
  const [kind, ws, id] = token.split('.');
  if (kind !== 's' || !ws || !id) return;
  await ctx.db.kysely.deleteFrom('sessions').where('workspace_id', '=', ws).where('id', '=', id).execute();
}

export async function createApiToken(
  ctx: AppContext,
  workspaceId: string,
  userId: string,
  name: string,
  opts: { scopes?: TokenScope[]; expiresAt?: string | null } = {},
) {
  if (!name.trim()) throw new Invalid('a token needs a name', reason('token.nameRequired'));
  const scopes = opts.scopes?.length ? opts.scopes : [...TOKEN_SCOPES];
  if (scopes.includes('write') && !scopes.includes('read')) scopes.push('read');
  const expiresAt = opts.expiresAt ? new Date(opts.expiresAt) : null;
  if (expiresAt && (Number.isNaN(expiresAt.getTime()) || expiresAt <= ctx.now()))
    throw new Invalid('a token expiry must be a date in the future', reason('token.expiryPast'));
  const secret = newSecret();
  const id = newId();
  await ctx.db.kysely
    .insertInto('api_tokens')
    .values({
      workspace_id: workspaceId,
      id,
      user_id: userId,
      name: name.trim(),
      token_hash: digest(secret),
      created_at: nowIso(ctx),
      last_used_at: null,
      revoked_at: null,
      scopes: parseScopes(scopes.join(' ')).join(' '),
      expires_at: expiresAt?.toISOString() ?? null,
    })
    .execute();
  return { id, token: `t.${workspaceId}.${id}.${secret}` };
}

/** How stale a token's "last used" may be (authenticate). */
export const TOKEN_USE_RECORDED_EVERY_MS = 60_000;

/** The principal a session cookie or bearer token stands for, or null. */
export async function authenticate(ctx: AppContext, credential: string | undefined): Promise<Principal | null> {
  if (!credential) return null;
  const [kind, ws, id, secret] = credential.split('.');
  if (!ws || !id || !secret) return null;
  const k = ctx.db.kysely;
  const now = nowIso(ctx);
  if (kind === 's') {
    const row = await k
      .selectFrom('sessions as s')
      .innerJoin('users as u', (j) => j.onRef('u.workspace_id', '=', 's.workspace_id').onRef('u.id', '=', 's.user_id'))
      .select(['s.token_hash', 's.expires_at', 'u.id as user_id', 'u.login', 'u.role', 'u.disabled_at'])
      .where('s.workspace_id', '=', ws)
      .where('s.id', '=', id)
      .executeTakeFirst();
    if (!row || row.expires_at <= now || row.disabled_at || !sameDigest(row.token_hash, digest(secret))) return null;
    return {
      workspaceId: ws,
      userId: row.user_id,
      login: row.login,
      role: row.role,
      via: 'session',
      scopes: [...TOKEN_SCOPES],
    };
  }
  if (kind === 't') {
    const row = await k
      .selectFrom('api_tokens as t')
      .innerJoin('users as u', (j) => j.onRef('u.workspace_id', '=', 't.workspace_id').onRef('u.id', '=', 't.user_id'))
      .select([
        't.token_hash',
        't.revoked_at',
        't.expires_at',
        't.last_used_at',
        't.scopes',
        'u.id as user_id',
        'u.login',
        'u.role',
        'u.disabled_at',
      ])
      .where('t.workspace_id', '=', ws)
      .where('t.id', '=', id)
      .executeTakeFirst();
    const expired = row?.expires_at != null && row.expires_at <= now;
    if (!row || row.revoked_at || expired || row.disabled_at || !sameDigest(row.token_hash, digest(secret)))
      return null;
    // Recorded once a minute at most: a write at every request would wait, on SQLite, for a job's write lock.
    if (row.last_used_at === null || Date.parse(row.last_used_at) <= Date.parse(now) - TOKEN_USE_RECORDED_EVERY_MS)
      await k
        .updateTable('api_tokens')
        .set({ last_used_at: now })
        .where('workspace_id', '=', ws)
        .where('id', '=', id)
        .execute();
    return {
      workspaceId: ws,
      userId: row.user_id,
      login: row.login,
      role: row.role,
      via: 'token',
      scopes: parseScopes(row.scopes),
    };
  }
  return null;
}
