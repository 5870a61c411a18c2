import { reason } from '../core/reasons.js';
import type { Command } from 'commander';
import { Invalid, NotFound } from '../core/errors.js';
import { findStoreByName, listStores, updateStore } from '../modules/stores/service.js';
import { resolveWorkspace } from '../modules/workspaces/service.js';
import { withApp } from './app.js';

export function storeCommands(program: Command): void {
  const store = program.command('store').description('stores (one per marketplace shop)');
  store
    .command('list')
    .description('stores with their platform, time zone and currency')
    .option('--workspace <id|name>')
    .action(async (o) => {
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        for (const s of await listStores(ctx, ws.id))
          process.stdout.write(`${s.name}\t${s.platform}\t${s.timezone}\t${s.currency}\t${s.id}\n`);
      });
    });
  store
    .command('set')
    .description("change a store's time zone, currency or name")
    .argument('<store>', 'store name or id')
    .option('--timezone <zone>', 'IANA time zone its exports are written in (e.g. Europe/London)')
    .option('--currency <code>', 'ISO 4217 currency of its amounts (e.g. GBP)')
    .option('--name <name>', 'new name')
    .option('--workspace <id|name>')
    .action(async (ref: string, o) => {
      if (o.timezone === undefined && o.currency === undefined && o.name === undefined)
        throw new Invalid('say what to change: --timezone, --currency and/or --name', reason('cli.storeChange'));
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        const found =
          (await findStoreByName(ctx, ws.id, ref)) ?? (await listStores(ctx, ws.id)).find((s) => s.id === ref);
        if (!found)
          throw new NotFound(`no store "${ref}" (huike store list shows them)`, reason('cli.storeNotFound', { ref }));
        const s = await updateStore(ctx, ws.id, found.id, {
          ...(o.timezone !== undefined ? { timezone: o.timezone } : {}),
          ...(o.currency !== undefined ? { currency: o.currency } : {}),
          ...(o.name !== undefined ? { name: o.name } : {}),
        });
        process.stdout.write(`store ${s.name}: ${s.platform}, ${s.timezone}, ${s.currency}\n`);
        if (o.timezone !== undefined && o.timezone !== found.timezone)
          process.stdout.write(
            'orders imported before were read in the old time zone: import their export again to re-read them\n',
          );
      });
    });
}
