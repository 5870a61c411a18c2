import type { Command } from 'commander';
import { importCustomerAttributes } from '../modules/customers/attributes.js';
import { resolveWorkspace } from '../modules/workspaces/service.js';
import { withApp } from './app.js';

export function customerCommands(program: Command): void {
  program
    .command('customers')
    .description('customer files')
    .command('import-attributes')
    .description(
      'set 性别, 生日, 微信, 标签, 分组, flags … from a CSV/XLSX whose rows name the customer by 客户ID, 买家昵称 or 手机',
    )
    .argument('<file>')
    .option('--workspace <id|name>')
    .action(async (file, o) => {
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        const s = await importCustomerAttributes(ctx, ws.id, file, null);
        const out = [
          `rows read          ${s.rowsRead}`,
          `customers updated  ${s.customersUpdated}`,
          `rows rejected      ${s.rowsRejected}`,
        ];
        for (const e of s.errors.slice(0, 20))
          out.push(`  line ${e.line}${e.column ? `, ${e.column}` : ''}: ${e.reason}${e.value ? ` (${e.value})` : ''}`);
        process.stdout.write(out.join('\n') + '\n');
      });
    });
}
