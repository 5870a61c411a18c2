import { reason } from '../../core/reasons.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { DEFAULT_TIMEZONE } from '../../core/time.js';
import { nowIso, type AppContext } from '../context.js';
import { createUser, loginIs, openSession, type Principal } from '../auth/service.js';
import { createWorkspace } from './service.js';

/**
 * Several shops for one login (agencies): a person has one user row in each workspace they belong
 * to — their own role there, the same login and password — linked by users.account_id. A session
 * is always in one workspace; switching opens a session on the row of the other one.
 */

/** Creates a workspace owned by `ownerLogin`: that person's existing account, or a new user with `password`. */
export async function createWorkspaceWithOwner(
  ctx: AppContext,
  name: string,
  ownerLogin: string,
  opts: { password?: string; timezone?: string; fromWorkspace?: string } = {},
) {
  const clean = name.trim();
  if (!clean) throw new Invalid('a workspace needs a name', reason('workspace.nameRequired'));
  const k = ctx.db.kysely;
  if (await k.selectFrom('workspaces').select('id').where('name', '=', clean).executeTakeFirst())
    throw new Conflict(`a workspace named "${clean}" already exists`, reason('workspace.nameTaken', { name: clean }));
  let rows = await k.selectFrom('users').selectAll().where(loginIs(ownerLogin)).orderBy('created_at').execute();
  if (opts.fromWorkspace) {
    const from = await k
      .selectFrom('workspaces')
      .select('id')
      .where((eb) => eb.or([eb('id', '=', opts.fromWorkspace!), eb('name', '=', opts.fromWorkspace!)]))
      .executeTakeFirst();
    rows = rows.filter((r) => r.workspace_id === from?.id);
  }
  const accounts = new Set(rows.map((r) => r.account_id ?? r.id));
  if (accounts.size > 1)
    throw new Conflict(
      `the login "${ownerLogin}" belongs to different people in several workspaces: ` +
        'name the one to link with --from-workspace',
      reason('workspace.loginAmbiguous', { login: ownerLogin }),
    );
  const existing = rows[0];
  if (!existing && !opts.password)
    throw new Invalid(
      `no user "${ownerLogin}" yet: give a password (at least 8 characters) for the new owner`,
      reason('workspace.ownerPassword', { login: ownerLogin }),
    );
  const ws = await createWorkspace(ctx, clean, opts.timezone ?? DEFAULT_TIMEZONE);
  if (existing) {
    await k
      .insertInto('users')
      .values({
        workspace_id: ws.id,
        id: newId(),
        account_id: existing.account_id ?? existing.id,
        login: existing.login,
        name: existing.name,
        password_hash: existing.password_hash,
        role: 'owner',
        created_at: nowIso(ctx),
        disabled_at: null,
      })
      .execute();
  } else {
    await createUser(ctx, ws.id, { login: ownerLogin, password: opts.password!, role: 'owner' });
  }
  return { workspace: ws, linked: Boolean(existing) };
}

async function accountOf(ctx: AppContext, p: Pick<Principal, 'workspaceId' | 'userId'>): Promise<string> {
  const u = await ctx.db.kysely
    .selectFrom('users')
    .select(['id', 'account_id'])
    .where('workspace_id', '=', p.workspaceId)
    .where('id', '=', p.userId)
    .executeTakeFirst();
  if (!u) throw new NotFound('user not found', reason('user.gone'));
  return u.account_id ?? u.id;
}

/** The workspaces the caller belongs to (enabled memberships), with their role in each. */
export async function myWorkspaces(ctx: AppContext, p: Pick<Principal, 'workspaceId' | 'userId' | 'role'>) {
  const account = await accountOf(ctx, p);
  const rows = await ctx.db.kysely
    .selectFrom('users as u')
    .innerJoin('workspaces as w', 'w.id', 'u.workspace_id')
    .select(['w.id', 'w.name', 'w.timezone', 'u.role', 'w.created_at'])
    .where('u.account_id', '=', account)
    .where('u.disabled_at', 'is', null)
    .orderBy('w.created_at')
    .orderBy('w.id')
    .execute();
  const out = rows.map((r) => ({
    id: r.id,
    name: r.name,
    timezone: r.timezone,
    role: r.role,
    current: r.id === p.workspaceId,
  }));
  // A row made before accounts were linked is still its own member.
  if (!out.some((w) => w.current)) {
    const ws = await ctx.db.kysely
      .selectFrom('workspaces')
      .select(['id', 'name', 'timezone'])
      .where('id', '=', p.workspaceId)
      .executeTakeFirstOrThrow();
    out.unshift({ ...ws, role: p.role, current: true });
  }
  return out;
}

/**
 * Opens a session in another workspace of the caller's account (the console's switcher). A workspace
 * they do not belong to answers 404, like any other workspace's data.
 */
export async function switchWorkspace(ctx: AppContext, p: Principal, workspaceId: string) {
  if (p.via !== 'session')
    throw new Forbidden('an API token belongs to one workspace: log in to switch', reason('workspace.tokenSwitch'));
  const account = await accountOf(ctx, p);
  const row = await ctx.db.kysely
    .selectFrom('users')
    .select(['workspace_id', 'id', 'login', 'role'])
    .where('workspace_id', '=', workspaceId)
    .where('account_id', '=', account)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw new NotFound(`workspace ${workspaceId} not found`, reason('workspace.notFound', { id: workspaceId }));
  return openSession(ctx, row);
}
