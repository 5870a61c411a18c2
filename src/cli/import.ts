import { readFileSync, writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { Invalid } from '../core/errors.js';
import { IMPORT_FORMATS, specFor, type ImportFormat } from '../core/formats/index.js';
import { importFile, runErrorsCsv } from '../modules/imports/service.js';
import { platformForFormat } from '../modules/imports/routes.js';
import { ensureStore } from '../modules/stores/service.js';
import { resolveWorkspace } from '../modules/workspaces/service.js';
import { withApp } from './app.js';

export interface ImportOptions {
  store: string;
  format: string;
  mapping?: string;
  workspace?: string;
  errorsOut?: string;
  progress: boolean;
}

export async function importCommand(file: string, opts: ImportOptions): Promise<void> {
  if (!IMPORT_FORMATS.includes(opts.format as ImportFormat))
    throw new Invalid(`--format must be one of ${IMPORT_FORMATS.join(', ')}`);
  const format = opts.format as ImportFormat;
  let mapping: unknown;
  if (opts.mapping) {
    try {
      mapping = JSON.parse(readFileSync(opts.mapping, 'utf8'));
    } catch (e) {
      throw new Invalid(`cannot read the mapping file ${opts.mapping}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  specFor(format, mapping);
  await withApp(async (ctx) => {
    const ws = await resolveWorkspace(ctx, opts.workspace);
    const store = await ensureStore(ctx, ws.id, opts.store, platformForFormat(format));
    const bar =
      opts.progress && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            {
              format: '  {bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}',
              hideCursor: true,
              etaBuffer: 20,
            },
            cliProgress.Presets.shades_classic,
          )
        : null;
    const t0 = Date.now();
    let started = false;
    const run = await importFile(ctx, { workspaceId: ws.id, store, format, filePath: file, mapping }, (p) => {
      if (!bar) return;
      if (!started) {
        bar.start(p.bytesTotal, 0, { rows: 0, rate: 0 });
        started = true;
      }
      const secs = Math.max(0.001, (Date.now() - t0) / 1000);
      bar.update(p.bytesRead, {
        rows: p.rowsRead.toLocaleString('en-US'),
        rate: Math.round(p.rowsRead / secs).toLocaleString('en-US'),
      });
    });
    bar?.stop();
    const secs = (Date.now() - t0) / 1000;
    const out = [
      `Imported ${run.file_name} into "${store.name}" (${format}) in ${secs.toFixed(1)} s`,
      `  rows read          ${run.rows_read}`,
      `  orders created     ${run.orders_created}`,
      `  orders updated     ${run.orders_updated}`,
      `  orders unchanged   ${run.orders_unchanged}`,
      `  order lines        ${run.items_written}`,
      `  customers created  ${run.customers_created}`,
      `  rows rejected      ${run.rows_rejected}`,
      `  run id             ${run.id}`,
    ];
    if (run.rows_rejected > 0) {
      const errors = await ctx.db.kysely
        .selectFrom('import_errors')
        .selectAll()
        .where('workspace_id', '=', ws.id)
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
        writeFileSync(opts.errorsOut, await runErrorsCsv(ctx, ws.id, run.id));
        out.push(`  all rejected rows written to ${opts.errorsOut}`);
      } else
        out.push(
          '  (--errors-out FILE.csv writes them all; the API serves them at /api/v1/imports/<run id>/errors.csv)',
        );
    }
    process.stdout.write(out.join('\n') + '\n');
  });
}
