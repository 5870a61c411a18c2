import { reason } from '../core/reasons.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { Invalid } from '../core/errors.js';
import { IMPORT_FORMATS, specFor, type ImportFormat } from '../core/formats/index.js';
import type { ImportRun, Store } from '../db/types.js';
import { jobHandlers } from '../jobs/handlers.js';
import { JOB } from '../jobs/kinds.js';
import { runQueuedJobs } from '../jobs/followups.js';
import type { AppContext } from '../modules/context.js';
import {
  AFTER_IMPORT,
  detectInterrupted,
  executeRun,
  followupKey,
  getRun,
  importFile,
  platformForFormat,
  PROCESS_OWNER,
  runErrorsCsv,
  runMessage,
  type ImportProgress,
} from '../modules/imports/service.js';
import { ensureStore, getStore } from '../modules/stores/service.js';
import { resolveWorkspace } from '../modules/workspaces/service.js';
import { withApp } from './app.js';

export interface ImportOptions {
  store?: string;
  format?: string;
  mapping?: string;
  workspace?: string;
  errorsOut?: string;
  timezone?: string;
  currency?: string;
  resume?: string;
  followups: boolean;
  progress: boolean;
}

const FOLLOWUP_NAMES: Record<string, string> = {
  [JOB.rfmRecompute]: 'RFM classes',
  [JOB.tiers]: 'member tiers',
  [JOB.points]: 'order points',
  [JOB.coupons]: 'coupon uses',
  [JOB.analyticsRebuild]: 'analytics figures',
};

function progressBar(enabled: boolean) {
  const bar =
    enabled && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format: '  {bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}',
            hideCursor: true,
            etaBuffer: 20,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  // After the last row, the buyers' stats are refreshed (a few seconds per 100,000 buyers): a bar of its own.
  const statsBar =
    enabled && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          { format: '  {bar} {percentage}% | stats of {value}/{total} buyers refreshed', hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
  const t0 = Date.now();
  let started = false;
  let refreshing = false;
  return {
    update(p: ImportProgress) {
      if (!bar || !statsBar) return;
      if (p.statsRefresh) {
        if (!refreshing) {
          bar.stop();
          statsBar.start(p.statsRefresh.total, 0);
          refreshing = true;
        }
        statsBar.update(p.statsRefresh.done);
        return;
      }
      if (!started) {
        bar.start(p.bytesTotal, 0, { rows: 0, rate: 0 });
        started = true;
      }
      const secs = Math.max(0.001, (Date.now() - t0) / 1000);
      bar.update(p.bytesRead, {
        rows: p.rowsRead.toLocaleString('en-US'),
        rate: Math.round(p.rowsRead / secs).toLocaleString('en-US'),
      });
    },
    stop: () => (refreshing ? statsBar : bar)?.stop(),
  };
}

export async function importCommand(file: string | undefined, opts: ImportOptions): Promise<void> {
  if (opts.resume) return resumeCommand(file, opts.resume, opts);
  if (!file)
    throw new Invalid(
      'name the file to import (or --resume RUN to resume an interrupted import)',
      reason('cli.importFile'),
    );
  if (!opts.store)
    throw new Invalid(
      '--store is required: the store the export comes from (created when new)',
      reason('cli.importStore'),
    );
  if (!opts.format)
    throw new Invalid(
      `--format is required: one of ${IMPORT_FORMATS.join(', ')}`,
      reason('cli.importFormat', { formats: IMPORT_FORMATS.join(', ') }),
    );
  if (!IMPORT_FORMATS.includes(opts.format as ImportFormat))
    throw new Invalid(
      `--format must be one of ${IMPORT_FORMATS.join(', ')}`,
      reason('import.format', { formats: IMPORT_FORMATS.join(', ') }),
    );
  const format = opts.format as ImportFormat;
  let mapping: unknown;
  if (opts.mapping) {
    try {
      mapping = JSON.parse(readFileSync(opts.mapping, 'utf8'));
    } catch (e) {
      throw new Invalid(
        `cannot read the mapping file ${opts.mapping}: ${e instanceof Error ? e.message : String(e)}`,
        reason('cli.mappingFile', { path: String(opts.mapping), error: e instanceof Error ? e.message : String(e) }),
      );
    }
  }
  specFor(format, mapping);
  const filePath = resolve(file);
  await withApp(async (ctx) => {
    const ws = await resolveWorkspace(ctx, opts.workspace);
    const store = await ensureStore(ctx, ws.id, opts.store!, platformForFormat(format), {
      ...(opts.timezone !== undefined ? { timezone: opts.timezone } : {}),
      ...(opts.currency !== undefined ? { currency: opts.currency } : {}),
    });
    await detectInterrupted(ctx, ws.id);
    const earlier = await ctx.db.kysely
      .selectFrom('import_runs')
      .select('id')
      .where('workspace_id', '=', ws.id)
      .where('store_id', '=', store.id)
      .where('file_path', '=', filePath)
      .where('status', '=', 'interrupted')
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (earlier)
      process.stderr.write(
        `note: an earlier import of this file was interrupted; "huike ` +
          `import --resume ${earlier.id}" continues it instead\n`,
      );
    const bar = progressBar(opts.progress);
    const t0 = Date.now();
    const run = await importFile(ctx, { workspaceId: ws.id, store, format, filePath, mapping }, (p) => bar.update(p));
    bar.stop();
    await report(ctx, run, store, (Date.now() - t0) / 1000, opts);
  });
}

async function resumeCommand(file: string | undefined, runId: string, opts: ImportOptions): Promise<void> {
  await withApp(async (ctx) => {
    const ws = await resolveWorkspace(ctx, opts.workspace);
    await detectInterrupted(ctx, ws.id);
    const run = await getRun(ctx, ws.id, runId);
    if (run.status !== 'interrupted')
      throw new Invalid(
        `import ${run.id} is ${run.status}: only an interrupted import can be resumed`,
        reason('import.notResumable', { id: run.id, status: run.status }),
      );
    if (file && resolve(file) !== run.file_path)
      throw new Invalid(
        `import ${run.id} read ${run.file_path}, not ${resolve(file)}: leave the file out to resume it`,
        reason('cli.resumeFile', { id: run.id, file: String(run.file_path), given: resolve(file) }),
      );
    const store = await getStore(ctx, ws.id, run.store_id);
    process.stderr.write(`resuming import ${run.id} of ${run.file_name} after row ${run.rows_committed}\n`);
    const bar = progressBar(opts.progress);
    const t0 = Date.now();
    const done = await executeRun(ctx, run, (p) => bar.update(p));
    bar.stop();
    await report(ctx, done, store, (Date.now() - t0) / 1000, opts);
  });
}

async function report(ctx: AppContext, run: ImportRun, store: Store, secs: number, opts: ImportOptions) {
  const out = [
    `Imported ${run.file_name} into "${store.name}" (${run.format}, ` +
      `${store.timezone}, ${store.currency}) in ${secs.toFixed(1)} s`,
    `  rows read          ${run.rows_read}`,
    `  orders created     ${run.orders_created}`,
    `  orders updated     ${run.orders_updated}`,
    `  orders unchanged   ${run.orders_unchanged}`,
    `  order lines        ${run.items_written}`,
    `  customers created  ${run.customers_created}`,
    `  rows rejected      ${run.rows_rejected}`,
    `  orders rejected    ${run.orders_rejected}`,
    `  run id             ${run.id}`,
  ];
  const said = runMessage(run.message).message;
  if (said) out.push(`  (${said})`);
  if (run.orders_rejected > 0) {
    const errors = await ctx.db.kysely
      .selectFrom('import_errors')
      .selectAll()
      .where('workspace_id', '=', run.workspace_id)
      .where('run_id', '=', run.id)
      .orderBy('seq')
      .limit(10)
      .execute();
    out.push('  first rejected rows:');
    for (const e of errors)
      out.push(
        `    line ${e.line}${e.column_name ? `, ${e.column_name}` : ''}: ${e.reason}${e.value ? ` (${e.value})` : ''}`,
      );
    if (opts.errorsOut) {
      writeFileSync(opts.errorsOut, await runErrorsCsv(ctx, run.workspace_id, run.id));
      out.push(`  all rejected rows written to ${opts.errorsOut}`);
    } else
      out.push('  (--errors-out FILE.csv writes them all; the API serves them at /api/v1/imports/<run id>/errors.csv)');
  }
  process.stdout.write(out.join('\n') + '\n');
  if (run.status !== 'done') return;
  if (!opts.followups) {
    process.stdout.write('  follow-ups (RFM, tiers, points, coupons) are queued for "huike worker" (--no-followups)\n');
    return;
  }
  // Without a worker nothing would run what an import queues: RFM segments would match nobody.
  const r = await runQueuedJobs(
    ctx,
    run.workspace_id,
    followupKey(run.id),
    AFTER_IMPORT,
    jobHandlers,
    `cli:${PROCESS_OWNER}`,
    (s) => {
      const name = FOLLOWUP_NAMES[s.kind] ?? s.kind;
      if (s.state === 'start') {
        if (opts.progress) process.stderr.write(`  follow-up ${s.index}/${s.total}: ${name} …\n`);
      } else if (s.state === 'failed') process.stderr.write(`  follow-up ${name} failed: ${s.error}\n`);
      else if (s.state === 'done' && opts.progress)
        process.stderr.write(
          `  follow-up ${s.index}/${s.total}: ${name} done in ${((s.ms ?? 0) / 1000).toFixed(1)} s\n`,
        );
    },
  );
  process.stdout.write(
    `  follow-ups         ${r.done} ` +
      `done${r.failed ? `, ${r.failed} failed (see huike worker / GET /api/v1/jobs?status=failed)` : ''}\n`,
  );
}
