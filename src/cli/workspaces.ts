import type { Command } from 'commander';
import { listWorkspaces } from '../modules/workspaces/service.js';
import { createWorkspaceWithOwner } from '../modules/workspaces/members.js';
import { withApp } from './app.js';

/** `huike workspace create|list`: one installation, several shops (an agency's clients). */
export function workspaceCommands(program: Command): void {
  const ws = program.command('workspace').description('workspaces: one per seller company or shop group');
  ws.command('create')
    .description('create a workspace owned by a login (an existing login keeps its password and can switch)')
    .argument('<name>', 'name of the workspace')
    .requiredOption('--owner <login>', 'its owner: an existing login, or a new one with --password')
    .option('--password <password>', 'password of a new owner (at least 8 characters)')
    .option('--timezone <zone>', 'time zone (default Asia/Shanghai)')
    .option('--from-workspace <id|name>', 'when the login exists in several unlinked workspaces: which person')
    .action(async (name: string, o) => {
      await withApp(async (ctx) => {
        const r = await createWorkspaceWithOwner(ctx, name, o.owner, {
          password: o.password,
          timezone: o.timezone,
          fromWorkspace: o.fromWorkspace,
        });
        process.stdout.write(
          `workspace ${r.workspace.name} (${r.workspace.id}) created, owner ${o.owner}` +
            (r.linked ? ' (same login and password; switch in the console header)\n' : ' (new user)\n'),
        );
      });
    });
  ws.command('list')
    .description('workspaces with their id and time zone')
    .action(async () => {
      await withApp(async (ctx) => {
        for (const w of await listWorkspaces(ctx)) process.stdout.write(`${w.name}\t${w.timezone}\t${w.id}\n`);
      });
    });
}
