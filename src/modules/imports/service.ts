import { constants } from 'node:fs';
import { CSV_BOM, csvLine } from '../../core/csv.js';
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { Invalid, NotFound } from '../../core/errors.js';
import {
  ExportReader,
  specFor,
  type ImportFormat,
  type ItemsRecord,
  type OrderRecord,
  type RowError,
} from '../../core/formats/index.js';
import { newId } from '../../core/ids.js';
import type { Insertable } from 'kysely';
import type { Database, ImportRun, Store } from '../../db/types.js';
import { readJson, writeJson } from '../../db/json.js';
import { checkpointWal } from '../../db/connect.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import { nowIso, type AppContext } from '../context.js';
import { ingestBatch } from '../orders/ingest.js';
import { fileSize, readRows } from './readers.js';

/**
 * What follows an import, in this order (jobs run in the order they were enqueued): tiers before
 * points, because order points use the member's tier earn rate.
 */
const AFTER_IMPORT = [JOB.rfmRecompute, JOB.tiers, JOB.points, JOB.coupons] as const;

/** Orders per transaction: large enough to amortise round trips, small enough to stay responsive. */
export const BATCH_ORDERS = 2000;
/** Rejected rows kept per run for download; beyond it they are only counted. */
export const MAX_STORED_ERRORS = 10_000;

export interface ImportProgress {
  rowsRead: number;
  bytesRead: number;
  bytesTotal: number;
  ordersCreated: number;
  ordersUpdated: number;
  ordersUnchanged: number;
  customersCreated: number;
  rowsRejected: number;
}

export interface StartImportInput {
  workspaceId: string;
  store: Store;
  format: ImportFormat;
  filePath: string;
  fileName?: string;
  mapping?: unknown;
  createdBy?: string | null;
}

/** Records a run (status queued) before the file is read; the API enqueues it in the same step. */
export function newRun(
  ctx: AppContext,
  input: StartImportInput,
  status: 'queued' | 'running',
): Insertable<Database['import_runs']> & { id: string } {
  const now = nowIso(ctx);
  return {
    workspace_id: input.workspaceId,
    id: newId(),
    store_id: input.store.id,
    format: input.format,
    file_name: input.fileName ?? basename(input.filePath),
    file_path: input.filePath,
    mapping: input.mapping === undefined ? null : writeJson(input.mapping),
    status,
    rows_read: 0,
    orders_created: 0,
    orders_updated: 0,
    orders_unchanged: 0,
    items_written: 0,
    customers_created: 0,
    rows_rejected: 0,
    bytes_total: null,
    bytes_read: 0,
    message: null,
    created_by: input.createdBy ?? null,
    started_at: now,
    finished_at: null,
    updated_at: now,
  };
}

export async function getRun(ctx: AppContext, workspaceId: string, id: string): Promise<ImportRun> {
  const run = await ctx.db.kysely
    .selectFrom('import_runs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!run) throw new NotFound(`import ${id} not found`);
  return run;
}

/**
 * Reads the run's file and writes it in batches, each batch one transaction together with the
 * run's counters: a crash loses at most the batch in flight, and running the same file again
 * finishes the job without duplicating anything.
 */
export async function executeRun(
  ctx: AppContext,
  run: ImportRun,
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportRun> {
  const db = ctx.db.kysely;
  const store = await db
    .selectFrom('stores')
    .selectAll()
    .where('workspace_id', '=', run.workspace_id)
    .where('id', '=', run.store_id)
    .executeTakeFirstOrThrow();
  const path = run.file_path;
  if (!path) throw new Invalid('this import has no file');
  const progress: ImportProgress = {
    rowsRead: 0,
    bytesRead: 0,
    bytesTotal: 0,
    ordersCreated: 0,
    ordersUpdated: 0,
    ordersUnchanged: 0,
    customersCreated: 0,
    rowsRejected: 0,
  };
  let itemsWritten = 0;
  let errorSeq = 0;
  // A run retried after its worker died starts over: its counters describe the new attempt, and
  // orders the first attempt wrote count as unchanged.
  const resumed = run.rows_read > 0;
  await db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom('import_errors')
      .where('workspace_id', '=', run.workspace_id)
      .where('run_id', '=', run.id)
      .execute();
    await trx
      .updateTable('import_runs')
      .set({ status: 'running', updated_at: nowIso(ctx) })
      .where('workspace_id', '=', run.workspace_id)
      .where('id', '=', run.id)
      .execute();
  });

  const finish = async (status: 'done' | 'failed', message: string | null) => {
    if (resumed && status === 'done')
      message = 'resumed after an interruption: orders written before it count as unchanged';
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('import_runs')
        .set({ status, message, finished_at: nowIso(ctx), updated_at: nowIso(ctx), bytes_read: progress.bytesRead })
        .where('workspace_id', '=', run.workspace_id)
        .where('id', '=', run.id)
        .execute();
      if (status === 'done') {
        for (const kind of AFTER_IMPORT)
          await enqueue(trx, { workspaceId: run.workspace_id, kind, dedupeKey: `import:${run.id}` }, nowIso(ctx));
      }
    });
    return getRun(ctx, run.workspace_id, run.id);
  };

  let reader: ExportReader;
  let rows: AsyncGenerator<{ line: number; cells: unknown[] }>;
  try {
    progress.bytesTotal = await fileSize(path);
    await db
      .updateTable('import_runs')
      .set({ bytes_total: progress.bytesTotal })
      .where('workspace_id', '=', run.workspace_id)
      .where('id', '=', run.id)
      .execute();
    reader = new ExportReader(
      specFor(run.format as ImportFormat, run.mapping === null ? undefined : readJson(run.mapping)),
      store.timezone,
    );
    const file = await readRows(path, (n) => (progress.bytesRead += n));
    rows = file.rows;
    const header = await rows.next();
    if (header.done) throw new Invalid('The file has no header row');
    reader.start(header.value.cells);
  } catch (e) {
    await finish('failed', e instanceof Error ? e.message : String(e));
    throw e;
  }

  let orders: OrderRecord[] = [];
  let items: ItemsRecord[] = [];
  let errors: RowError[] = [];
  const flush = async () => {
    if (orders.length === 0 && items.length === 0 && errors.length === 0) return;
    const batchOrders = orders;
    const batchItems = items;
    const batchErrors = errors;
    orders = [];
    items = [];
    errors = [];
    await db.transaction().execute(async (trx) => {
      const s = await ingestBatch(
        ctx,
        trx,
        { store, runId: run.id, consentSource: `import:${run.format}` },
        batchOrders,
        batchItems,
      );
      const allErrors = [...batchErrors, ...s.rejected];
      progress.ordersCreated += s.ordersCreated;
      progress.ordersUpdated += s.ordersUpdated;
      progress.ordersUnchanged += s.ordersUnchanged;
      progress.customersCreated += s.customersCreated;
      progress.rowsRejected += allErrors.length;
      itemsWritten += s.itemsWritten;
      const stored = allErrors.slice(0, Math.max(0, MAX_STORED_ERRORS - errorSeq)).map((e) => ({
        workspace_id: run.workspace_id,
        run_id: run.id,
        seq: ++errorSeq,
        line: e.line,
        column_name: e.column,
        reason: e.reason,
        value: e.value === null ? null : e.value.slice(0, 500),
      }));
      for (let i = 0; i < stored.length; i += 500)
        await trx
          .insertInto('import_errors')
          .values(stored.slice(i, i + 500))
          .execute();
      await trx
        .updateTable('import_runs')
        .set({
          rows_read: progress.rowsRead,
          orders_created: progress.ordersCreated,
          orders_updated: progress.ordersUpdated,
          orders_unchanged: progress.ordersUnchanged,
          items_written: itemsWritten,
          customers_created: progress.customersCreated,
          rows_rejected: progress.rowsRejected,
          bytes_read: progress.bytesRead,
          updated_at: nowIso(ctx),
        })
        .where('workspace_id', '=', run.workspace_id)
        .where('id', '=', run.id)
        .execute();
    });
    onProgress?.({ ...progress });
  };

  try {
    const take = (outputs: ReturnType<ExportReader['feed']>) => {
      for (const out of outputs) {
        if (out.kind === 'order') orders.push(out.order);
        else if (out.kind === 'items') items.push(out.items);
        else errors.push(out.error);
      }
    };
    for await (const row of rows) {
      progress.rowsRead += 1;
      take(reader.feed(row.line, row.cells));
      if (orders.length + items.length >= BATCH_ORDERS) await flush();
    }
    take(reader.flush());
    await flush();
    await checkpointWal(ctx.db);
  } catch (e) {
    await finish('failed', e instanceof Error ? e.message : String(e));
    throw e;
  }
  return finish('done', null);
}

/** Imports a file now (CLI): records the run, then executes it. */
export async function importFile(
  ctx: AppContext,
  input: StartImportInput,
  onProgress?: (p: ImportProgress) => void,
): Promise<ImportRun> {
  // Validate the format, mapping and file before anything is recorded.
  specFor(input.format, input.mapping);
  try {
    await access(input.filePath, constants.R_OK);
  } catch {
    throw new Invalid(`cannot read the file ${input.filePath}`);
  }
  const run = newRun(ctx, input, 'running');
  await ctx.db.kysely.insertInto('import_runs').values(run).execute();
  return executeRun(ctx, await getRun(ctx, input.workspaceId, run.id), onProgress);
}

export async function listRuns(ctx: AppContext, workspaceId: string, limit = 50): Promise<ImportRun[]> {
  return ctx.db.kysely
    .selectFrom('import_runs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export async function runErrors(ctx: AppContext, workspaceId: string, runId: string) {
  await getRun(ctx, workspaceId, runId);
  return ctx.db.kysely
    .selectFrom('import_errors')
    .select(['line', 'column_name', 'reason', 'value'])
    .where('workspace_id', '=', workspaceId)
    .where('run_id', '=', runId)
    .orderBy('seq')
    .execute();
}

/** The rejected rows as CSV (UTF-8 with BOM so Excel shows Chinese correctly). */
export async function runErrorsCsv(ctx: AppContext, workspaceId: string, runId: string): Promise<string> {
  const rows = await runErrors(ctx, workspaceId, runId);
  return (
    CSV_BOM +
    csvLine(['line', 'column', 'reason', 'value']) +
    rows.map((r) => csvLine([r.line, r.column_name, r.reason, r.value])).join('')
  );
}

/** A run whose process was killed stops reporting progress; after this long it shows as interrupted. */
export const STALE_RUN_MS = 10 * 60_000;

export function presentRun(r: ImportRun, now: Date = new Date()) {
  const stale = r.status === 'running' && now.getTime() - Date.parse(r.updated_at) > STALE_RUN_MS;
  return {
    id: r.id,
    storeId: r.store_id,
    format: r.format,
    fileName: r.file_name,
    status: stale ? 'interrupted' : r.status,
    rowsRead: r.rows_read,
    ordersCreated: r.orders_created,
    ordersUpdated: r.orders_updated,
    ordersUnchanged: r.orders_unchanged,
    itemsWritten: r.items_written,
    customersCreated: r.customers_created,
    rowsRejected: r.rows_rejected,
    bytesRead: r.bytes_read,
    bytesTotal: r.bytes_total,
    progress: r.bytes_total ? Math.min(1, r.bytes_read / r.bytes_total) : r.status === 'done' ? 1 : 0,
    message: r.message,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}
