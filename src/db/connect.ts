import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  sql,
  type LogEvent,
  type PostgresPool,
  type PostgresPoolClient,
  type QueryResult,
} from 'kysely';
import pg from 'pg';
import { registerDrawRank } from './draw.js';
import { registerNameGrams } from './name-grams.js';
import type { Database } from './types.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: Dialect;
  /** The URL without its password, for logs. */
  label: string;
  /** The URL it was opened with (backups open their own connection to it). */
  url: string;
  /** PostgreSQL: opened with `serialReads` (its statements plan no parallel workers unless a heavy read asks). */
  serialReads?: boolean;
  close(): Promise<void>;
}

export const DEFAULT_DATABASE_URL = 'sqlite:data/huike.db';

export function databaseUrlFromEnv(): string {
  return process.env.DATABASE_URL?.trim() || DEFAULT_DATABASE_URL;
}

/** `sqlite:data/huike.db`, `sqlite:///abs/path.db`, `sqlite::memory:` → a file path for better-sqlite3. */
export function sqlitePath(url: string): string {
  const rest = url.replace(/^sqlite:/, '').replace(/^file:/, '');
  if (rest === ':memory:') return rest;
  return rest.startsWith('///') ? rest.slice(2) : rest.replace(/^\/\//, '');
}

// PostgreSQL hands back numbers and times the way SQLite does: bigint/numeric as JS numbers
// (fen stay far below 2^53), timestamptz as UTC ISO text.
const baseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ);
const UTC_TEXT = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.(\d+))?\+00$/;

/**
 * A timestamp as PostgreSQL writes it in UTC (the connection's time zone), e.g. `2026-11-28 12:03:58.1234+00`,
 * as ISO text with milliseconds, rearranged without a Date: parsing every time of a 50-row page into a Date
 * and back took ~6% of a list request. Anything else (another offset, a year past 9999, BC, infinity) goes
 * through pg's own parser and a Date, as before; both give the same text (test/core/pg-dates.test.ts).
 */
export function pgTimestampToIso(v: string): string {
  const m = UTC_TEXT.exec(v);
  if (!m || v.startsWith('0000')) return (baseTimestamptz(v) as Date).toISOString();
  const ms = m[1] === undefined ? '000' : m[1].length >= 3 ? m[1].slice(0, 3) : m[1].padEnd(3, '0');
  return `${v.slice(0, 10)}T${v.slice(11, 19)}.${ms}Z`;
}
/**
 * Named statements a connection prepares at most: Kysely writes a text per shape (an IN list of each length is its
 * own), so the texts are bounded only by the shapes in use; past this many a connection sends the rest unnamed, and
 * its statements go with it when the pool closes it (idle for 10 s).
 */
export const PREPARED_PER_CONNECTION = 200;

/**
 * The pool as Kysely's dialect sees it, with every SELECT sent as a named statement: node-pg parses it once per
 * connection and PostgreSQL keeps its plan (custom plans first, then a generic one when that costs no more). At 1M
 * customers a list page's statement took 1.98 ms to plan and 0.64 ms to run. Only SELECTs: a write's plan is
 * cheap beside its work, and DDL never goes through here twice with different meanings.
 */
function namedSelects(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let mine = wrapped.get(client);
      if (!mine) {
        const names = new Map<string, string>();
        mine = {
          release: () => client.release(),
          query: ((text: unknown, values?: readonly unknown[]) => {
            if (typeof text !== 'string') return client.query(text as pg.Submittable);
            let name = names.get(text);
            if (name === undefined && names.size < PREPARED_PER_CONNECTION && /^select\s/i.test(text)) {
              name = `huike_${names.size}`;
              names.set(text, name);
            }
            return client.query(
              name ? { name, text, values: values as unknown[] } : { text, values: values as unknown[] },
            );
          }) as unknown as PostgresPoolClient['query'],
        };
        wrapped.set(client, mine);
      }
      return mine;
    },
    end: () => pool.end(),
  };
}

const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    switch (oid) {
      case pg.types.builtins.INT8:
      case pg.types.builtins.NUMERIC:
        return (v: string) => Number(v);
      case pg.types.builtins.TIMESTAMPTZ:
      case pg.types.builtins.TIMESTAMP:
        return pgTimestampToIso;
      case pg.types.builtins.DATE:
        return (v: string) => v;
      default:
        return format === 'binary' ? pg.types.getTypeParser(oid, 'binary') : pg.types.getTypeParser(oid, 'text');
    }
  },
};

export function openDatabase(
  url: string = databaseUrlFromEnv(),
  opts: {
    poolSize?: number;
    log?: (e: LogEvent) => void;
    /** SQLite: a read-only connection (the heavy-read threads; the file must exist). */
    readonly?: boolean;
    /** SQLite: how long a statement waits for another connection's write lock before it fails (default 10 s). */
    busyWaitMs?: number;
    /**
     * PostgreSQL: the connections plan no parallel workers (`max_parallel_workers_per_gather = 0`, set on each as it
     * opens; a heavy read sets the database's own value back for its transaction, heavy/run.ts). For the server's
     * requests: a short search at 1M customers started two workers for ~4 ms of work and took 13 ms, and under load
     * the workers only compete with the other requests for the same cores (name searches 103 → 171 a second).
     */
    serialReads?: boolean;
    /**
     * PostgreSQL: each connection prepares its SELECTs as named statements (the first PREPARED_PER_CONNECTION texts
     * it sees), so PostgreSQL plans a text once per connection instead of at every call (namedSelects).
     */
    prepared?: boolean;
  } = {},
): Db {
  if (/^postgres(ql)?:\/\//.test(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      types: pgTypes as unknown as pg.CustomTypesConfig,
      options: '-c timezone=UTC',
    });
    // An idle connection the server drops (a restart, an administrator) is discarded by the pool;
    // without a listener, Node would treat the error as uncaught and stop the whole server.
    pool.on('error', () => {});
    // Queued before the query the connection was opened for (a pg client runs its queries in order).
    if (opts.serialReads)
      pool.on('connect', (client) => void client.query('SET max_parallel_workers_per_gather = 0').catch(() => {}));
    // pool.end() resolves before its connections have finished closing: count them down.
    let open = 0;
    pool.on('connect', () => (open += 1));
    pool.on('remove', () => (open -= 1));
    const kysely = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: opts.prepared ? namedSelects(pool) : pool }),
      log: opts.log,
    });
    return {
      kysely,
      dialect: 'postgres',
      url,
      ...(opts.serialReads ? { serialReads: true } : {}),
      label: url.replace(/:\/\/([^:@/]+):[^@/]*@/, '://$1:***@'),
      close: async () => {
        await kysely.destroy();
        for (let i = 0; open > 0 && i < 500; i++) await new Promise((r) => setTimeout(r, 10));
      },
    };
  }
  if (!/^(sqlite|file):/.test(url)) {
    throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got "${url.split(':')[0]}:")`);
  }
  const path = sqlitePath(url);
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  if (opts.readonly) {
    // WAL lets readers run beside the one writer; a reader sees the last committed state.
    const reader = new SqliteDatabase(path, { readonly: true, fileMustExist: true });
    reader.pragma(`busy_timeout = ${BUSY_SPIN_MS}`);
    registerDrawRank(reader);
    registerNameGrams(reader);
    const kysely = new Kysely<Database>({
      dialect: new WaitingSqliteDialect(withStatementCache(reader), opts.busyWaitMs ?? BUSY_WAIT_MS, false),
      log: opts.log,
    });
    return { kysely, dialect: 'sqlite', url, label: `sqlite:${path} (read-only)`, close: () => kysely.destroy() };
  }
  const sqlite = new SqliteDatabase(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${BUSY_SPIN_MS}`);
  sqlite.pragma('synchronous = NORMAL');
  registerDrawRank(sqlite);
  registerNameGrams(sqlite);
  // Checkpoint every ~160 MB of WAL instead of 4 MB: an import rewrites the same index pages in
  // every batch, and fewer checkpoints write each of them once (15 % faster at 300k rows).
  // Imports truncate the WAL when they finish (checkpointWal).
  sqlite.pragma('wal_autocheckpoint = 40000');
  // A 64 MB page cache (the default is 2 MB): the writer's index pages (orders, identities,
  // events) stay in memory as the database grows, so an import's cost per row stays flat instead
  // of rising with every page that must be read back and written again.
  sqlite.pragma('cache_size = -65536');
  // A file's reads made outside a transaction run on a second, read-only connection (ReadsBeside): in the server,
  // a write that waits for a job's write lock holds the writer connection meanwhile, and every other request's read
  // would queue behind it. Opened once the writer has made the file (and its WAL mode).
  let reader: SqliteDatabase.Database | undefined;
  if (path !== ':memory:') {
    reader = new SqliteDatabase(path, { readonly: true, fileMustExist: true });
    reader.pragma(`busy_timeout = ${BUSY_SPIN_MS}`);
    reader.pragma('cache_size = -65536');
    registerDrawRank(reader);
    registerNameGrams(reader);
  }
  const kysely = new Kysely<Database>({
    dialect: new WaitingSqliteDialect(
      withStatementCache(sqlite),
      opts.busyWaitMs ?? BUSY_WAIT_MS,
      true,
      reader && withStatementCache(reader),
    ),
    log: opts.log,
  });
  // The reader first: the last connection to close folds the WAL into the file (a read-only one cannot), and a copy
  // of the file alone (the tests' template) must hold everything.
  const close = async () => {
    reader?.close();
    await kysely.destroy();
  };
  return { kysely, dialect: 'sqlite', url, label: `sqlite:${path}`, close };
}

/**
 * SQLite has one writer: while a job's transaction holds the write lock, another connection's write waits. SQLite's
 * own busy handler waits synchronously — on the server's connection that would stop every request for as long — so
 * it only spins briefly (BUSY_SPIN_MS), and the statement is retried after an asynchronous pause until BUSY_WAIT_MS
 * have passed; then the SQLITE_BUSY error stands (the HTTP layer answers it 503 "busy, retry"). A statement that
 * failed with SQLITE_BUSY did nothing, so running it again is safe, inside a transaction too. The writer's
 * transactions begin IMMEDIATE (take the write lock first, waiting the same way): a deferred one that read first
 * could not write after another connection's commit (SQLITE_BUSY_SNAPSHOT), however long it waited.
 */
const BUSY_SPIN_MS = 20;
const BUSY_WAIT_MS = 10_000;

export function isSqliteBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

class WaitingSqliteDialect extends SqliteDialect {
  constructor(
    database: SqliteDatabase.Database,
    private readonly waitMs: number,
    private readonly immediate: boolean,
    private readonly reader?: SqliteDatabase.Database,
  ) {
    super({ database });
  }
  override createDriver(): Driver {
    const inner = super.createDriver();
    const { waitMs, immediate, reader } = this;
    const wrapped = new Map<DatabaseConnection, DatabaseConnection>();
    const unwrap = (c: DatabaseConnection) => (c as { inner?: DatabaseConnection }).inner ?? c;
    // The writer connection, behind Kysely's mutex (SQLite's one connection per driver).
    const writer = async () => {
      const c = await inner.acquireConnection();
      let w = wrapped.get(c);
      if (!w) {
        w = {
          inner: c,
          executeQuery: <R>(q: CompiledQuery) => retryBusy(() => c.executeQuery<R>(q), waitMs),
          streamQuery: <R>(q: CompiledQuery, chunk?: number) => c.streamQuery<R>(q, chunk),
        } as DatabaseConnection;
        wrapped.set(c, w);
      }
      return w;
    };
    const held = (c: DatabaseConnection) => (c instanceof ReadsBeside ? c.hold() : Promise.resolve(c));
    return {
      init: () => inner.init(),
      destroy: () => inner.destroy(),
      acquireConnection: () => (reader ? Promise.resolve(new ReadsBeside(reader, writer, waitMs)) : writer()),
      releaseConnection: async (c) => {
        const w = c instanceof ReadsBeside ? c.release() : c;
        if (w) await inner.releaseConnection(unwrap(w));
      },
      // The transaction statements go through the wrapper, so a `begin`/`commit` that meets the lock waits too.
      beginTransaction: async (c, settings) => {
        const w = await held(c);
        if (immediate) await w.executeQuery(CompiledQuery.raw('begin immediate'));
        else await inner.beginTransaction(w, settings);
      },
      commitTransaction: async (c) => inner.commitTransaction(await held(c)),
      rollbackTransaction: async (c) => inner.rollbackTransaction(await held(c)),
      savepoint: async (c, name, compile) => inner.savepoint!(await held(c), name, compile),
      rollbackToSavepoint: async (c, name, compile) => inner.rollbackToSavepoint!(await held(c), name, compile),
      releaseSavepoint: async (c, name, compile) => inner.releaseSavepoint!(await held(c), name, compile),
    };
  }
}

/**
 * A connection of the driver with a reader beside the writer (a file database, openDatabase). Until it writes or
 * begins a transaction it takes no writer: a SELECT that only reads the shop's file runs on the read-only connection,
 * which sees the last committed state (WAL) — so a write that waits for another connection's lock (retryBusy) holds
 * up the other writes of the process, not its reads. From its first other statement on, it holds the writer until it
 * is released, as Kysely's one connection would: a transaction's statements, a temporary table's (only the writer
 * has it; a read of one fails to prepare on the reader and runs on the writer) and streams.
 */
class ReadsBeside implements DatabaseConnection {
  private writer: DatabaseConnection | null = null;
  // Taken once, however many statements of the connection ask for it at the same time.
  private taking: Promise<DatabaseConnection> | null = null;
  constructor(
    private readonly reader: SqliteDatabase.Database,
    private readonly takeWriter: () => Promise<DatabaseConnection>,
    private readonly waitMs: number,
  ) {}
  hold(): Promise<DatabaseConnection> {
    this.taking ??= this.takeWriter().then((w) => (this.writer = w));
    return this.taking;
  }
  release(): DatabaseConnection | null {
    const w = this.writer;
    this.writer = null;
    this.taking = null;
    return w;
  }
  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.taking && /^\s*(select|with)\b/i.test(q.sql)) {
      let stmt: SqliteDatabase.Statement | undefined;
      try {
        stmt = this.reader.prepare(q.sql);
      } catch {
        // (a temporary table of the writer's, say)
      }
      if (stmt?.readonly && stmt.reader) {
        const read = stmt;
        return retryBusy(async () => ({ rows: read.all(q.parameters as unknown[]) as R[] }), this.waitMs);
      }
    }
    return (await this.hold()).executeQuery<R>(q);
  }
  async *streamQuery<R>(q: CompiledQuery, chunk?: number): AsyncIterableIterator<QueryResult<R>> {
    yield* (await this.hold()).streamQuery<R>(q, chunk);
  }
}

/** The longest pause between two retries of a statement that found the write lock taken (retryBusy). */
const BUSY_RETRY_MAX_MS = 100;

/**
 * Between two write transactions of a long job (the stats recompute, the analytics rebuild): on SQLite a pause as
 * long as a waiting writer's longest between retries, so one on another connection gets the lock. Back to back, the
 * few ms of reads between two chunks let a writer miss the lock chunk after chunk (10.2 s at 1M customers).
 */
export async function letWritersIn(dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await new Promise((r) => setTimeout(r, BUSY_RETRY_MAX_MS));
}

async function retryBusy<R>(run: () => Promise<QueryResult<R>>, waitMs: number): Promise<QueryResult<R>> {
  const until = Date.now() + waitMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, BUSY_RETRY_MAX_MS)) {
    try {
      return await run();
    } catch (e) {
      // SQLITE_BUSY_SNAPSHOT (a read transaction that others wrote past) cannot succeed by waiting.
      if ((e as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= until) throw e;
      await new Promise((r) => setTimeout(r, pause));
    }
  }
}

/**
 * Kysely prepares every query anew; better-sqlite3 statements are reusable, and preparing a
 * 250-row INSERT costs more than running it. Keep the most recent statements by SQL text.
 */
function withStatementCache(db: SqliteDatabase.Database, size = 200): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') {
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      }
      return (source: string) => {
        let stmt = cache.get(source);
        if (stmt) {
          cache.delete(source); // re-insert: Map order is the LRU order
        } else {
          stmt = target.prepare(source);
          if (cache.size >= size) cache.delete(cache.keys().next().value!);
        }
        cache.set(source, stmt);
        return stmt;
      };
    },
  });
}

/** Folds the WAL back into the database file and truncates it (SQLite; nothing on PostgreSQL). */
export async function checkpointWal(db: Db): Promise<void> {
  if (db.dialect === 'sqlite') await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db.kysely);
}
