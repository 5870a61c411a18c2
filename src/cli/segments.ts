import { reason } from '../core/reasons.js';
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { Invalid } from '../core/errors.js';
import { recomputeRfm, rfmAsOf, rfmSummary } from '../modules/segments/rfm.js';
import { countRule, ruleCsv } from '../modules/segments/service.js';
import { resolveWorkspace } from '../modules/workspaces/service.js';
import { withApp } from './app.js';

function readRule(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Invalid(
      `cannot read the rule file ${path}: ${e instanceof Error ? e.message : String(e)}`,
      reason('cli.ruleFile', { path, error: e instanceof Error ? e.message : String(e) }),
    );
  }
}

const LIFECYCLE_ZH: Record<string, string> = {
  prospect: '潜客',
  new: '新客',
  growing: '成长',
  mature: '成熟',
  dormant: '沉睡',
  churned: '流失',
};

export function segmentCommands(program: Command): void {
  const segment = program.command('segment').description('evaluate segment rules (see README: Segments)');
  segment
    .command('count')
    .requiredOption('--rule <file.json>', 'the rule')
    .option('--workspace <id|name>')
    .action(async (o) => {
      const rule = readRule(o.rule);
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        process.stdout.write(`${await countRule(ctx, ws.id, rule)}\n`);
      });
    });
  segment
    .command('export')
    .requiredOption('--rule <file.json>', 'the rule')
    .requiredOption('--out <file.csv>', 'where to write the customers (UTF-8 with BOM)')
    .option('--workspace <id|name>')
    .action(async (o) => {
      const rule = readRule(o.rule);
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        const n = await countRule(ctx, ws.id, rule);
        const out = createWriteStream(o.out);
        for await (const chunk of ruleCsv(ctx, ws.id, rule, 'owner')) if (!out.write(chunk)) await once(out, 'drain');
        out.end();
        await once(out, 'finish');
        process.stdout.write(`${n} customers written to ${o.out}\n`);
      });
    });

  program
    .command('rfm')
    .description('recompute RFM classes and lifecycle stages, and print the counts')
    .option('--workspace <id|name>')
    .option('--as-of <date>', 'score the history as of the end of this day (YYYY-MM-DD), e.g. for an old data set')
    .action(async (o) => {
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        const asOf = o.asOf ? await rfmAsOf(ctx, ws.id, String(o.asOf)) : undefined;
        await recomputeRfm(ctx, ws.id, asOf);
        if (o.asOf) process.stdout.write(`评分基准 as of ${o.asOf} (${asOf})\n`);
        const print = (
          title: string,
          rows: { key: unknown; customers: number; spent_fen: number | null }[],
          label: (k: string) => string = (k) => k,
        ) => {
          process.stdout.write(`${title}\n`);
          for (const r of rows) {
            const k = String(r.key);
            process.stdout.write(
              `  ${label(k).padEnd(12)} ${String(r.customers).padStart(8)}   ` +
                `¥${(Number(r.spent_fen ?? 0) / 100).toLocaleString('en-US', { minimumFractionDigits: 2 })}\n`,
            );
          }
        };
        print('RFM 分类', await rfmSummary(ctx, ws.id, 'rfm_class'), (k) => (k === 'none' ? '无消费' : k));
        print('价值分层', await rfmSummary(ctx, ws.id, 'value_tier'));
        print('生命周期', await rfmSummary(ctx, ws.id, 'lifecycle'), (k) => `${LIFECYCLE_ZH[k] ?? k} ${k}`);
      });
    });
}
