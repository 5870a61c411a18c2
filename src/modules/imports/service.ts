import { type Reason, type ReasonLanguage, reason, renderReason, storedReason } from '../../core/reasons.js';
import { constants } from 'node:fs';
import { CSV_BOM, csvLine } from '../../core/csv.js';
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { hostname } from 'node:os';
import { Conflict, DomainError, Invalid, NotFound } from '../../core/errors.js';
import { IMPORT_FORMATS, specFor, type ImportFormat } from '../../core/formats/index.js';
import { newId } from '../../core/ids.js';
import type { Insertable } from 'kysely';
import type { Database, ImportRun, Store } from '../../db/types.js';
import { readJson, writeJson } from '../../db/json.js';
import { checkpointWal } from '../../db/connect.js';
import { enqueue } from '../../jobs/queue.js';
import { JOB } from '../../jobs/kinds.js';
import { nowIso, type AppContext } from '../context.js';
import { ingestBatch } from '../orders/ingest.js';
import { countPendingStats, refreshPendingStats } from '../customers/stats-pending.js';
import { ensureStore, getStore } from '../stores/service.js';
import type { PLATFORMS } from '../stores/schema.js';
import { fileSize, readBatches } from './readers.js';
import type { MappedBatch } from './map-rows.js';

/**
 * What follows an import, in this order (jobs run in the order they were enqueued): tiers before
 * points, because order points use the member's tier earn rate.
 */
export const AFTER_IMPORT = [JOB.rfmRecompute, JOB.tiers, JOB.points, JOB.coupons, JOB.analyticsRebuild] as const;

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
  ordersRejected: number;
  /** After the last row: the buyers' stats being refreshed (customers done of total). */
  statsRefresh?: { done: number; total: number };
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
    owner: status === 'running' ? PROCESS_OWNER : null,
    heartbeat_at: status === 'running' ? now : null,
    bytes_total: null,
    bytes_read: 0,
    stats_total: null,
    stats_done: null,
    message: null,
    created_by: input.createdBy ?? null,
    started_at: now,
    finished_at: null,
    updated_at: now,
  };
}

/**
 * A run's message with its code: kept in the message column as JSON `{ message, key, params }` (English for the
 * CLI, logs and API clients; the code for the console), so no schema change was needed. A plain-text message
 * (runs from before codes) reads as it is, without a code.
 */
export function codedMessage(message: string, why: Reason): string {
  return JSON.stringify({ message, key: why.key, params: why.params });
}

export function runMessage(stored: string | null): { message: string | null; why: Reason | null } {
  if (!stored?.startsWith('{')) return { message: stored, why: null };
  try {
    const p = JSON.parse(stored) as { message?: unknown; key?: unknown; params?: unknown };
    if (typeof p.message !== 'string') return { message: stored, why: null };
    return { message: p.message, why: storedReason(String(p.key), JSON.stringify(p.params ?? {})) };
  } catch {
    return { message: stored, why: null };
  }
}

/** Why a run failed: the error's own code, else (a bug, the database gone) a code carrying its English text. */
function failure(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return codedMessage(message, e instanceof DomainError ? e.reason : reason('import.failed', { error: message }));
}

export async function getRun(ctx: AppContext, workspaceId: string, id: string): Promise<ImportRun> {
  const run = await ctx.db.kysely
    .selectFrom('import_runs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!run) throw new NotFound(`import ${id} not found`, reason('import.notFound', { id }));
  return run;
}

/** This process, as written in a run's owner column: a run whose owner is gone is interrupted. */
export const PROCESS_OWNER = `${hostname()}:${process.pid}`;
/** How often a running import says it is alive, and how long a silence means it is not. */
export const HEARTBEAT_MS = 5_000;
// Stale well before a dead worker's job lease (60 s) runs out, so the worker taking the job over
// finds the run interrupted and resumes it.
export const HEARTBEAT_STALE_MS = 30_000;
/** Runs from before heartbeats (no owner) count as interrupted after this long without progress. */
export const STALE_RUN_MS = 10 * 60_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A run still marked running whose process is gone: its owner was a process on this machine that
 * no longer exists, or it has not sent a heartbeat for 30 s (another machine, or a hung one).
 */
export function runIsInterrupted(r: ImportRun, now: Date = new Date()): boolean {
  if (r.status === 'interrupted') return true;
  if (r.status !== 'running') return false;
  if (r.owner) {
    const at = r.owner.lastIndexOf(':');
    const host = r.owner.slice(0, at);
    const pid = Number(r.owner.slice(at + 1));
    if (host === hostname() && Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) return true;
  }
  const last = Date.parse(r.heartbeat_at ?? r.updated_at);
  return now.getTime() - last > (r.heartbeat_at ? HEARTBEAT_STALE_MS : STALE_RUN_MS);
}

/** Marks the workspace's runs whose process died as interrupted (they can be resumed). */
export async function detectInterrupted(ctx: AppContext, workspaceId: string): Promise<number> {
  const running = await ctx.db.kysely
    .selectFrom('import_runs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'running')
    .execute();
  let n = 0;
  for (const r of running.filter((x) => runIsInterrupted(x, ctx.now()))) {
    const res = await ctx.db.kysely
      .updateTable('import_runs')
      .set({
        status: 'interrupted',
        message: codedMessage(
          `interrupted after ${r.rows_committed} rows: the process running it stopped (resume it)`,
          reason('import.interrupted', { rows: r.rows_committed }),
        ),
        updated_at: nowIso(ctx),
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', r.id)
      .where('status', '=', 'running')
      .where((eb) => (r.owner === null ? eb('owner', 'is', null) : eb('owner', '=', r.owner)))
      .executeTakeFirst();
    n += Number(res.numUpdatedRows);
  }
  // The buyers of its committed batches wait for a refresh (the run's end would have done it): the worker does it now.
  if (n > 0) await queueStatsRefresh(ctx, workspaceId);
  return n;
}

/** Queues the refresh of the workspace's customers an import marked and did not refresh. */
async function queueStatsRefresh(ctx: AppContext, workspaceId: string): Promise<void> {
  await enqueue(ctx.db.kysely, { workspaceId, kind: JOB.statsPending }, nowIso(ctx));
}

/**
 * Takes the run for this process. A run that is finished, or running in a live process, is
 * refused; two processes resuming the same run at once: one wins, the other is refused.
 */
async function claimRun(ctx: AppContext, run: ImportRun): Promise<void> {
  if (run.status === 'done' || run.status === 'failed')
    throw new Conflict(
      `import ${run.id} is already ${run.status === 'done' ? 'finished' : 'failed'}`,
      reason(run.status === 'done' ? 'import.alreadyDone' : 'import.alreadyFailed', { id: run.id }),
    );
  if (run.status === 'running' && run.owner !== PROCESS_OWNER && !runIsInterrupted(run, ctx.now()))
    throw new Conflict(
      `import ${run.id} is still running (process ${run.owner ?? 'unknown'})`,
      reason('import.stillRunning', { id: run.id }),
    );
  const now = nowIso(ctx);
  const res = await ctx.db.kysely
    .updateTable('import_runs')
    .set({
      status: 'running',
      owner: PROCESS_OWNER,
      heartbeat_at: now,
      updated_at: now,
      finished_at: null,
      stats_total: null,
      stats_done: null,
    })
    .where('workspace_id', '=', run.workspace_id)
    .where('id', '=', run.id)
    .where('status', '=', run.status)
    .where((eb) => (run.owner === null ? eb('owner', 'is', null) : eb('owner', '=', run.owner)))
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1)
    throw new Conflict(`import ${run.id} was taken by another process`, reason('import.takenOver', { id: run.id }));
}

/**
 * Reads the run's file and writes it in batches, each batch one transaction together with the
 * run's counters and the number of rows it completes: a crash loses at most the batch in flight,
 * and a resumed run skips the committed rows, so its counters stay the totals of the whole file.
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
  if (!path) throw new Invalid('this import has no file', reason('import.noFile'));
  await claimRun(ctx, run);
  // Resuming: the committed rows are skipped and the counters go on from where they stopped.
  const skip = run.rows_committed;
  const resumed = skip > 0;
  const progress: ImportProgress = {
    rowsRead: skip,
    bytesRead: 0,
    bytesTotal: 0,
    ordersCreated: resumed ? run.orders_created : 0,
    ordersUpdated: resumed ? run.orders_updated : 0,
    ordersUnchanged: resumed ? run.orders_unchanged : 0,
    customersCreated: resumed ? run.customers_created : 0,
    rowsRejected: resumed ? run.rows_rejected : 0,
    ordersRejected: resumed ? run.orders_rejected : 0,
  };
  let itemsWritten = resumed ? run.items_written : 0;
  let errorSeq = 0;
  if (resumed) {
    const last = await db
      .selectFrom('import_errors')
      .select((eb) => eb.fn.max<number>('seq').as('seq'))
      .where('workspace_id', '=', run.workspace_id)
      .where('run_id', '=', run.id)
      .executeTakeFirst();
    errorSeq = Number(last?.seq ?? 0);
  } else {
    // Nothing committed (or a run from before resumable imports): start over.
    await db
      .deleteFrom('import_errors')
      .where('workspace_id', '=', run.workspace_id)
      .where('run_id', '=', run.id)
      .execute();
  }
  const heartbeat = setInterval(() => {
    void db
      .updateTable('import_runs')
      .set({ heartbeat_at: nowIso(ctx) })
      .where('workspace_id', '=', run.workspace_id)
      .where('id', '=', run.id)
      .where('owner', '=', PROCESS_OWNER)
      .execute()
      .catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const finish = async (status: 'done' | 'failed', message: string | null) => {
    clearInterval(heartbeat);
    if (resumed && status === 'done')
      message = codedMessage(`resumed after an interruption at row ${skip}`, reason('import.resumedAt', { row: skip }));
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('import_runs')
        .set({
          status,
          message,
          finished_at: nowIso(ctx),
          updated_at: nowIso(ctx),
          heartbeat_at: nowIso(ctx),
          bytes_read: progress.bytesRead,
        })
        .where('workspace_id', '=', run.workspace_id)
        .where('id', '=', run.id)
        .execute();
      if (status === 'done') {
        for (const kind of AFTER_IMPORT)
          await enqueue(trx, { workspaceId: run.workspace_id, kind, dedupeKey: followupKey(run.id) }, nowIso(ctx));
      }
    });
    return getRun(ctx, run.workspace_id, run.id);
  };

  let batches: AsyncGenerator<MappedBatch>;
  try {
    progress.bytesTotal = await fileSize(path);
    await db
      .updateTable('import_runs')
      .set({ bytes_total: progress.bytesTotal })
      .where('workspace_id', '=', run.workspace_id)
      .where('id', '=', run.id)
      .execute();
    const format = run.format as ImportFormat;
    const mapping = run.mapping === null ? undefined : readJson(run.mapping);
    specFor(format, mapping); // a bad mapping fails the run before the file is opened
    // The file is read, parsed and mapped to orders in the read thread, batch by batch.
    batches = await readBatches(
      path,
      { format, mapping, timezone: store.timezone, skip, batchOrders: BATCH_ORDERS },
      (n) => (progress.bytesRead += n),
    );
  } catch (e) {
    await finish('failed', failure(e));
    throw e;
  }

  const flush = async (batch: MappedBatch) => {
    if (batch.orders.length === 0 && batch.items.length === 0 && batch.errors.length === 0) return;
    const { orders: batchOrders, items: batchItems, errors: batchErrors, rowsDone: committed } = batch;
    // The reading goes on while this batch is written: its counters are those at its end.
    const rowsRead = progress.rowsRead;
    const bytesRead = progress.bytesRead;
    await db.transaction().execute(async (trx) => {
      const s = await ingestBatch(
        ctx,
        trx,
        { store, runId: run.id, consentSource: `import:${run.format}`, deferStats: true },
        batchOrders,
        batchItems,
      );
      const rowsOfItems = new Map(batchItems.map((r) => [r.line, r.rows ?? 1]));
      const allErrors = [
        ...batchErrors,
        ...s.rejected.map((error) => ({ error, rows: rowsOfItems.get(error.line) ?? 1 })),
      ];
      progress.ordersCreated += s.ordersCreated;
      progress.ordersUpdated += s.ordersUpdated;
      progress.ordersUnchanged += s.ordersUnchanged;
      progress.customersCreated += s.customersCreated;
      progress.ordersRejected += allErrors.length;
      progress.rowsRejected += allErrors.reduce((n, e) => n + e.rows, 0);
      itemsWritten += s.itemsWritten;
      const stored = allErrors.slice(0, Math.max(0, MAX_STORED_ERRORS - errorSeq)).map(({ error: e }) => ({
        workspace_id: run.workspace_id,
        run_id: run.id,
        seq: ++errorSeq,
        line: e.line,
        column_name: e.column,
        reason: e.reason,
        reason_key: e.why?.key ?? null,
        reason_params: e.why ? JSON.stringify(e.why.params) : null,
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
          rows_read: rowsRead,
          rows_committed: committed,
          orders_created: progress.ordersCreated,
          orders_updated: progress.ordersUpdated,
          orders_unchanged: progress.ordersUnchanged,
          items_written: itemsWritten,
          customers_created: progress.customersCreated,
          rows_rejected: progress.rowsRejected,
          orders_rejected: progress.ordersRejected,
          bytes_read: bytesRead,
          updated_at: nowIso(ctx),
          heartbeat_at: nowIso(ctx),
        })
        .where('workspace_id', '=', run.workspace_id)
        .where('id', '=', run.id)
        .execute();
    });
    onProgress?.({ ...progress, rowsRead, bytesRead });
  };
  // One batch is written while the next is read and mapped (in the read thread). Batches are still
  // written one after the other, each in its own transaction, so a crash loses at most the batch
  // being written.
  let writing: Promise<void> = Promise.resolve();
  let rowsDone = skip;
  try {
    for await (const batch of batches) {
      progress.rowsRead = batch.rowsRead;
      rowsDone = batch.rowsDone;
      await writing;
      writing = flush(batch);
      writing.catch(() => {}); // awaited at the next batch or the end; not an unhandled rejection meanwhile
    }
    await writing;
    if (rowsDone > 0) await setCommitted(ctx, run, rowsDone);
    // The buyers' stats, once each (the batches marked them): before the run is done and its follow-ups
    // (RFM, tiers, points) read them.
    let total = await countPendingStats(db, run.workspace_id);
    // Recorded on the run as well, for the console (the step takes minutes on a large file). Another import of the
    // workspace marking buyers meanwhile has them refreshed here too: the total grows with them.
    const refreshed = async (done: number) => {
      total = Math.max(total, done);
      await db
        .updateTable('import_runs')
        .set({ stats_total: total, stats_done: done, updated_at: nowIso(ctx) })
        .where('workspace_id', '=', run.workspace_id)
        .where('id', '=', run.id)
        .execute();
      onProgress?.({ ...progress, statsRefresh: { done, total } });
    };
    if (total > 0) await refreshed(0);
    // (None marked — a file read again that changed nothing: no refresh to show.)
    await refreshPendingStats(ctx.db, run.workspace_id, { now: () => nowIso(ctx), onChunk: refreshed });
    await checkpointWal(ctx.db);
  } catch (e) {
    await writing.catch(() => {});
    // The committed batches' buyers are refreshed even so; should that fail too, the worker's job does it.
    await refreshPendingStats(ctx.db, run.workspace_id, { now: () => nowIso(ctx) }).catch(() =>
      queueStatsRefresh(ctx, run.workspace_id).catch(() => {}),
    );
    await finish('failed', failure(e));
    throw e;
  }
  return finish('done', null);
}

/** After the last batch every row is committed (trailing empty rows included). */
async function setCommitted(ctx: AppContext, run: ImportRun, rows: number): Promise<void> {
  await ctx.db.kysely
    .updateTable('import_runs')
    .set({ rows_committed: rows })
    .where('workspace_id', '=', run.workspace_id)
    .where('id', '=', run.id)
    .execute();
}

/** The dedupe key of the follow-up jobs (RFM, tiers, points, coupons) an import queues. */
export function followupKey(runId: string): string {
  return `import:${runId}`;
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
    throw new Invalid(`cannot read the file ${input.filePath}`, reason('import.cannotRead', { file: input.filePath }));
  }
  const run = newRun(ctx, input, 'running');
  await ctx.db.kysely.insertInto('import_runs').values(run).execute();
  return executeRun(ctx, await getRun(ctx, input.workspaceId, run.id), onProgress);
}

/** Guesses the platform of a store created by its first import. */
export function platformForFormat(format: ImportFormat): (typeof PLATFORMS)[number] {
  return format === 'taobao' || format === 'taobao-items' ? 'taobao' : format === 'generic' ? 'other' : format;
}

/**
 * An uploaded export and the form fields sent with it: store (a name) or storeId, format, mapping
 * JSON, and the timezone and currency of a store the import creates.
 */
export interface Upload {
  workspaceId: string;
  userId: string;
  filePath: string;
  fileName: string;
  fields: Record<string, string>;
}

/**
 * Checks an upload's fields, finds or creates its store, and queues the run: the run and the job
 * that executes it are committed together.
 */
export async function queueImport(ctx: AppContext, upload: Upload): Promise<ImportRun> {
  const { fields, workspaceId } = upload;
  const format = fields.format as ImportFormat;
  if (!IMPORT_FORMATS.includes(format))
    throw new Invalid(
      `format must be one of ${IMPORT_FORMATS.join(', ')}`,
      reason('import.format', { formats: IMPORT_FORMATS.join(', ') }),
      { field: 'format' },
    );
  let mapping: unknown;
  if (fields.mapping) {
    try {
      mapping = JSON.parse(fields.mapping);
    } catch {
      throw new Invalid('mapping is not valid JSON', reason('import.mappingJson'), { field: 'mapping' });
    }
  }
  specFor(format, mapping);
  const storeRef = fields.storeId ?? fields.store;
  if (!storeRef)
    throw new Invalid(
      'name the store: field "store" (a name, created if new) or "storeId"',
      reason('import.storeRequired'),
      { field: 'store' },
    );
  const store = fields.storeId
    ? await getStore(ctx, workspaceId, fields.storeId)
    : await ensureStore(ctx, workspaceId, storeRef, platformForFormat(format), {
        ...(fields.timezone ? { timezone: fields.timezone } : {}),
        ...(fields.currency ? { currency: fields.currency } : {}),
      });
  const run = newRun(
    ctx,
    {
      workspaceId,
      store,
      format,
      filePath: upload.filePath,
      fileName: upload.fileName,
      mapping,
      createdBy: upload.userId,
    },
    'queued',
  );
  await ctx.db.kysely.transaction().execute(async (trx) => {
    await trx.insertInto('import_runs').values(run).execute();
    const job = { workspaceId, kind: JOB.import, payload: { runId: run.id }, maxAttempts: 3, dedupeKey: run.id };
    await enqueue(trx, job, nowIso(ctx));
  });
  return getRun(ctx, workspaceId, run.id);
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
    .select(['line', 'column_name', 'reason', 'reason_key', 'reason_params', 'value'])
    .where('workspace_id', '=', workspaceId)
    .where('run_id', '=', runId)
    .orderBy('seq')
    .execute();
}

/** The rejected rows of a run, as the API shows them: the reason in English and as a code for the console. */
export async function importErrors(ctx: AppContext, workspaceId: string, runId: string) {
  const rows = await runErrors(ctx, workspaceId, runId);
  return rows.map((e) => ({
    line: e.line,
    column: e.column_name,
    reason: e.reason,
    why: storedReason(e.reason_key, e.reason_params),
    value: e.value,
  }));
}

const CSV_HEADERS: Record<ReasonLanguage, string[]> = {
  'zh-CN': ['行号', '列', '原因', '值'],
  en: ['line', 'column', 'reason', 'value'],
};

/**
 * The rejected rows as CSV (UTF-8 with BOM so Excel shows Chinese correctly), headers and reasons in the
 * requester's language (rows stored before reasons had codes keep their English text).
 */
export async function runErrorsCsv(
  ctx: AppContext,
  workspaceId: string,
  runId: string,
  lang: ReasonLanguage = 'zh-CN',
): Promise<string> {
  const rows = await runErrors(ctx, workspaceId, runId);
  const text = (r: (typeof rows)[number]) => {
    const why = storedReason(r.reason_key, r.reason_params);
    return (why && renderReason(why, lang)) ?? r.reason;
  };
  return (
    CSV_BOM + csvLine(CSV_HEADERS[lang]) + rows.map((r) => csvLine([r.line, r.column_name, text(r), r.value])).join('')
  );
}

export function presentRun(r: ImportRun, now: Date = new Date()) {
  return {
    id: r.id,
    storeId: r.store_id,
    format: r.format,
    fileName: r.file_name,
    status: runIsInterrupted(r, now) ? 'interrupted' : r.status,
    rowsRead: r.rows_read,
    ordersCreated: r.orders_created,
    ordersUpdated: r.orders_updated,
    ordersUnchanged: r.orders_unchanged,
    itemsWritten: r.items_written,
    customersCreated: r.customers_created,
    rowsRejected: r.rows_rejected,
    ordersRejected: r.orders_rejected,
    rowsCommitted: r.rows_committed,
    bytesRead: r.bytes_read,
    bytesTotal: r.bytes_total,
    progress: r.bytes_total ? Math.min(1, r.bytes_read / r.bytes_total) : r.status === 'done' ? 1 : 0,
    statsRefresh: r.stats_total === null ? null : { done: r.stats_done ?? 0, total: r.stats_total },
    ...runMessage(r.message),
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

/**
 * Queues an interrupted run to be resumed by a worker (API): it goes on from its last committed
 * row. A run that is still alive, finished or whose file is gone is refused with the reason.
 */
export async function resumeRun(ctx: AppContext, workspaceId: string, id: string): Promise<ImportRun> {
  await detectInterrupted(ctx, workspaceId);
  const run = await getRun(ctx, workspaceId, id);
  if (run.status !== 'interrupted')
    throw new Conflict(
      `import ${id} is ${run.status}: only an interrupted import can be resumed`,
      reason('import.notResumable', { id, status: run.status }),
    );
  await assertReadable(run.file_path);
  await ctx.db.kysely.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('import_runs')
      .set({ status: 'queued', message: null, updated_at: nowIso(ctx) })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('status', '=', 'interrupted')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1)
      throw new Conflict(`import ${id} is being resumed already`, reason('import.resuming', { id }));
    // A file the CLI imported is the seller's own: the worker must not delete it afterwards.
    await enqueue(
      trx,
      {
        workspaceId,
        kind: JOB.import,
        payload: { runId: id, keepFile: run.created_by === null },
        maxAttempts: 3,
        dedupeKey: `${id}:resume:${newId()}`,
      },
      nowIso(ctx),
    );
  });
  return getRun(ctx, workspaceId, id);
}

async function assertReadable(path: string | null): Promise<void> {
  try {
    if (!path) throw new Error('no file');
    await access(path, constants.R_OK);
  } catch {
    throw new Invalid(
      `the file of this import is no longer there (${path ?? 'none'}): import it again instead`,
      reason('import.fileGone'),
    );
  }
}

/** Marks a run failed from outside its execution (its job was given up after the worker died on every try). */
export async function markRunFailed(ctx: AppContext, workspaceId: string, runId: string, english: string, why: Reason) {
  const message = codedMessage(english, why);
  await ctx.db.kysely
    .updateTable('import_runs')
    .set({ status: 'failed', message, finished_at: nowIso(ctx), updated_at: nowIso(ctx) })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', runId)
    .where('status', 'in', ['queued', 'running', 'interrupted'])
    .execute();
}
