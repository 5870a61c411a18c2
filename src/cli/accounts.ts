import { reason } from '../core/reasons.js';
import type { Command } from 'commander';
import { Invalid } from '../core/errors.js';
import type { AppContext } from '../modules/context.js';
import { deleteUser, listTokens, revokeToken, updateUser } from '../modules/auth/accounts.js';
import { listUsers } from '../modules/auth/service.js';
import { ROLES } from '../modules/auth/schema.js';
import { resolveWorkspace } from '../modules/workspaces/service.js';
import { withApp } from './app.js';

/** Whoever runs the CLI on the server acts as an owner (they hold the database anyway). */
const cliActor = (workspaceId: string) => ({ workspaceId, userId: '', role: 'owner' });

async function userId(ctx: AppContext, workspaceId: string, login: string): Promise<string> {
  const u = (await listUsers(ctx, workspaceId)).find((x) => x.login === login);
  if (!u) throw new Invalid(`no user with login "${login}" (see: huike user list)`, reason('user.noLogin', { login }));
  return u.id;
}

function sub(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

/** `huike user list|disable|enable|delete|role` and `huike token list|revoke`. */
export function accountCommands(program: Command): void {
  const user = sub(program, 'user', 'manage console users');
  user
    .command('list')
    .description('users with their role and whether they are disabled')
    .option('--workspace <id|name>')
    .action(async (o) => {
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        for (const u of await listUsers(ctx, ws.id))
          process.stdout.write(`${u.login}\t${u.role}\t${u.disabled ? 'disabled' : 'active'}\t${u.name}\n`);
      });
    });
  for (const [name, disabled, what] of [
    ['disable', true, 'disable a user: every session and API token of theirs ends at once'],
    ['enable', false, 'let a disabled user log in again (their old tokens stay revoked)'],
  ] as const) {
    user
      .command(name)
      .description(what)
      .requiredOption('--login <login>')
      .option('--workspace <id|name>')
      .action(async (o) => {
        await withApp(async (ctx) => {
          const ws = await resolveWorkspace(ctx, o.workspace);
          await updateUser(ctx, cliActor(ws.id), await userId(ctx, ws.id, o.login), { disabled });
          process.stdout.write(`${o.login} ${disabled ? 'disabled' : 'enabled'}\n`);
        });
      });
  }
  user
    .command('delete')
    .description('delete a user with their sessions and API tokens')
    .requiredOption('--login <login>')
    .option('--workspace <id|name>')
    .action(async (o) => {
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        await deleteUser(ctx, cliActor(ws.id), await userId(ctx, ws.id, o.login));
        process.stdout.write(`${o.login} deleted\n`);
      });
    });
  user
    .command('role')
    .description("change a user's role")
    .requiredOption('--login <login>')
    .requiredOption('--role <role>', ROLES.join(' | '))
    .option('--workspace <id|name>')
    .action(async (o) => {
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        const u = await updateUser(ctx, cliActor(ws.id), await userId(ctx, ws.id, o.login), { role: o.role });
        process.stdout.write(`${u.login} is now ${u.role}\n`);
      });
    });

  const token = sub(program, 'token', 'API tokens for scripts');
  token
    .command('list')
    .description('every API token of the workspace: id, name, user, scopes, expiry, state')
    .option('--workspace <id|name>')
    .action(async (o) => {
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        for (const t of await listTokens(ctx, cliActor(ws.id), true)) {
          const state = t.revokedAt ? 'revoked' : t.active ? 'active' : 'expired';
          const cols = [t.id, t.name, t.login, t.scopes.join('+'), t.expiresAt ?? 'never', state];
          process.stdout.write(`${cols.join('\t')}\n`);
        }
      });
    });
  token
    .command('revoke')
    .description('revoke an API token by its id (see: huike token list)')
    .argument('<id>')
    .option('--workspace <id|name>')
    .action(async (id: string, o) => {
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        await revokeToken(ctx, cliActor(ws.id), id);
        process.stdout.write(`token ${id} revoked\n`);
      });
    });
}
