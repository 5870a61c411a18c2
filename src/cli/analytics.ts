import type { Command } from 'commander';
import { rebuildAnalytics, rebuildAnalyticsFromScratch } from '../modules/analytics/rebuild.js';
import { resolveWorkspace } from '../modules/workspaces/service.js';
import { withApp } from './app.js';

export function analyticsCommands(program: Command): void {
  const analytics = program.command('analytics').description('数据分析 pre-aggregates');
  analytics
    .command('rebuild')
    .description(
      'rebuild the analytics pre-aggregates in short transactions (resumes a rebuild that was stopped); ' +
        'with --from-scratch first clear them all, to repair figures that drifted',
    )
    .option('--from-scratch', "clear the workspace's pre-aggregates, then rebuild every customer")
    .option('--workspace <id|name>', 'workspace (default: the first)')
    .option('--no-progress', 'no progress line')
    .action(async (o: { fromScratch?: boolean; workspace?: string; progress: boolean }) => {
      await withApp(async (ctx) => {
        const ws = await resolveWorkspace(ctx, o.workspace);
        const afterChunk = o.progress
          ? (n: number) => void process.stderr.write(`\r  chunk ${n} committed`)
          : undefined;
        if (o.fromScratch) process.stdout.write(`clearing the analytics pre-aggregates of ${ws.name}\n`);
        const r = await (o.fromScratch ? rebuildAnalyticsFromScratch : rebuildAnalytics)(ctx, ws.id, { afterChunk });
        if (o.progress) process.stderr.write('\n');
        process.stdout.write(`analytics figures of ${r.orders} orders rebuilt in ${(r.ms / 1000).toFixed(1)} s\n`);
      });
    });
}
