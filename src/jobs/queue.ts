import { sql, type Kysely, type Transaction } from 'kysely';
import { newId } from '../core/ids.js';
import type { Db } from '../db/connect.js';
import type { Database, Job } from '../db/types.js';
import { readJson, writeJson } from '../db/json.js';
import { timestampCast } from '../db/dates.js';

/**
 * Jobs are rows in our own database. enqueue() takes the caller's transaction, so a job exists
 * exactly when the change that caused it was committed. Workers claim a job with a lease; a
 * worker that dies loses its lease and another worker takes the job over.
 */
export type Executor = Kysely<Database> | Transaction<Database>;

export interface EnqueueInput {
  workspaceId: string;
  kind: string;
  payload?: unknown;
  runAt?: string;
  maxAttempts?: number;
  /** At most one job per (workspace, kind, dedupeKey): a second enqueue is ignored. */
  dedupeKey?: string;
  /** Lower first among due jobs: 0 for a job a request waits for (default 1). */
  priority?: 0 | 1;
}

export async function enqueue(
  db: Executor,
  input: EnqueueInput,
  now: string = new Date().toISOString(),
): Promise<string> {
  const id = newId();
  await db
    .insertInto('jobs')
    .values({
      workspace_id: input.workspaceId,
      id,
      kind: input.kind,
      payload: writeJson(input.payload ?? {}),
      status: 'queued',
      attempts: 0,
      max_attempts: input.maxAttempts ?? 5,
      run_at: input.runAt ?? now,
      locked_by: null,
      locked_until: null,
      last_error: null,
      dedupe_key: input.dedupeKey ?? null,
      created_at: now,
      updated_at: now,
      finished_at: null,
      priority: input.priority ?? 1,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return id;
}

const GAVE_UP =
  'the worker running this job stopped (crashed or was killed) on each of its attempts; it will not be retried';

/**
 * A job whose worker died (its lease ran out while it was running) has used its attempt. One that
 * has used them all is a poison job — a file or payload that kills any process that runs it — and
 * is failed here, visibly, instead of being taken again and again after every restart. Returns
 * the jobs it failed.
 */

export async function failAbandonedJobs(db: Db, now: Date): Promise<Job[]> {
  const nowIso = now.toISOString();
  const ts = timestampCast(db.dialect);
  // Looked for first with a read: workers poll often, and an UPDATE would take SQLite's write lock each time.
  const any = await sql`
    SELECT 1 FROM jobs WHERE status = 'running' AND locked_until < ${nowIso}${ts} AND attempts >= max_attempts
    LIMIT 1`.execute(db.kysely);
  if (any.rows.length === 0) return [];
  const result = await sql<Job>`
    UPDATE jobs SET status = 'failed', finished_at = ${nowIso}${ts}, updated_at = ${nowIso}${ts},
      locked_by = NULL, locked_until = NULL,
      last_error = ${GAVE_UP}
    WHERE status = 'running' AND locked_until < ${nowIso}${ts} AND attempts >= max_attempts
    RETURNING *`.execute(db.kysely);
  return result.rows;
}

/**
 * Claims the next due job (or one whose worker's lease ran out and that has attempts left: the claim counts the
 * attempt the dead worker used), a job a request waits for first (priority 0); `requestsOnly`: only such a job.
 * PostgreSQL: FOR UPDATE SKIP LOCKED lets many workers claim side by side. SQLite: the single UPDATE … RETURNING
 * statement runs under the database's one writer lock, so two workers never claim the same row.
 */
export async function claimJob(
  db: Db,
  workerId: string,
  now: Date,
  leaseMs: number,
  opts: { requestsOnly?: boolean } = {},
): Promise<Job | undefined> {
  const nowIso = now.toISOString();
  const until = new Date(now.getTime() + leaseMs).toISOString();
  const lock = db.dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
  const ts = timestampCast(db.dialect);
  const due = sql`((status = 'queued' AND run_at <= ${nowIso}${ts})
         OR (status = 'running' AND locked_until < ${nowIso}${ts} AND attempts < max_attempts))
        ${opts.requestsOnly ? sql`AND priority = 0` : sql``}`;
  // Looked for first with a read: workers poll often, and an UPDATE would take SQLite's write lock each time.
  if ((await sql`SELECT 1 FROM jobs WHERE ${due} LIMIT 1`.execute(db.kysely)).rows.length === 0) return undefined;
  const result = await sql<Job>`
    UPDATE jobs SET status = 'running', locked_by = ${workerId}, locked_until = ${until}${ts},
      attempts = attempts + 1, updated_at = ${nowIso}${ts}
    WHERE (workspace_id, id) IN (
      SELECT workspace_id, id FROM jobs
      WHERE ${due}
      ORDER BY priority, run_at, id
      LIMIT 1
      ${lock}
    )
    RETURNING *`.execute(db.kysely);
  return result.rows[0];
}

export class LeaseLost extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} was taken over by another worker (lease expired)`);
  }
}

/**
 * Marks the job done, in the handler's own transaction when given: fencing by lease owner. `result` is what the
 * handler reported (kept as JSON for a request waiting for the job).
 */
export async function completeJob(
  db: Executor,
  job: Pick<Job, 'workspace_id' | 'id'>,
  workerId: string,
  now: string,
  result?: unknown,
): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({
      status: 'done',
      finished_at: now,
      updated_at: now,
      locked_by: null,
      locked_until: null,
      last_error: null,
      result: result === undefined ? null : writeJson(result),
    })
    .where('workspace_id', '=', job.workspace_id)
    .where('id', '=', job.id)
    .where('status', '=', 'running')
    .where('locked_by', '=', workerId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export function backoffMs(attempts: number): number {
  return Math.min(2 ** attempts * 5_000, 3_600_000);
}

export async function failJob(
  db: Executor,
  job: Job,
  workerId: string,
  error: unknown,
  now: Date,
): Promise<'retry' | 'failed'> {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const final = job.attempts >= job.max_attempts;
  await db
    .updateTable('jobs')
    .set({
      status: final ? 'failed' : 'queued',
      run_at: final ? job.run_at : new Date(now.getTime() + backoffMs(job.attempts)).toISOString(),
      last_error: message.slice(0, 4000),
      locked_by: null,
      locked_until: null,
      updated_at: now.toISOString(),
      finished_at: final ? now.toISOString() : null,
    })
    .where('workspace_id', '=', job.workspace_id)
    .where('id', '=', job.id)
    .where('locked_by', '=', workerId)
    .execute();
  return final ? 'failed' : 'retry';
}

export async function extendLease(db: Executor, job: Job, workerId: string, until: string): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({ locked_until: until })
    .where('workspace_id', '=', job.workspace_id)
    .where('id', '=', job.id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** The newest jobs of a workspace (optionally of one status), as the API shows them. */
export async function listJobs(db: Executor, workspaceId: string, opts: { status?: Job['status']; limit: number }) {
  let q = db.selectFrom('jobs').selectAll().where('workspace_id', '=', workspaceId);
  if (opts.status) q = q.where('status', '=', opts.status);
  const rows = await q.orderBy('id', 'desc').limit(opts.limit).execute();
  return rows.map(jobView);
}

/** One job as the API shows it, with what it reported when done (GET /jobs/{id}); undefined when there is none. */
export async function getJob(db: Executor, workspaceId: string, id: string) {
  const row = await db
    .selectFrom('jobs')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { ...jobView(row), result: row.result === null ? null : readJson(row.result) };
}

function jobView(j: Job) {
  return {
    id: j.id,
    kind: j.kind,
    status: j.status,
    attempts: j.attempts,
    maxAttempts: j.max_attempts,
    runAt: j.run_at,
    lastError: j.last_error,
    finishedAt: j.finished_at,
  };
}
