import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildServer, defaultWebDir } from '../server.js';
import { jobHandlers } from '../jobs/handlers.js';
import { startWorker } from '../jobs/worker.js';
import { startJobThreads, type JobThread } from '../jobs/worker-thread.js';
import { jobWaitMs } from '../jobs/wait.js';
import { startReadPool } from '../modules/heavy/pool.js';
import { AnalyticsMemory, type MemoryLog, memoryCapBytes } from '../modules/analytics/memory.js';
import { memoryDirFor } from '../modules/analytics/memory-file.js';
import { warmAnalyticsMemory } from '../modules/analytics/reads.js';
import { databaseUrlFromEnv, sqlitePath } from '../db/connect.js';
import { createInterface } from 'node:readline/promises';
import { createUser } from '../modules/auth/service.js';
import { newSecret, verifyPassword } from '../modules/auth/passwords.js';
import { isEmpty, loadDemo } from '../modules/demo/service.js';
import { listWorkspaces, resolveWorkspace } from '../modules/workspaces/service.js';
import { ensureDefaultSchedules } from '../jobs/schedules.js';
import { ensureBackupSchedule } from '../modules/backups/schedule.js';
import { DEMO_LOGIN, DEMO_PASSWORD, openApp } from './app.js';

export interface ServeOptions {
  port: number;
  host: string;
  worker: boolean;
  demo: boolean;
  demoCustomers: number;
}

export async function serve(opts: ServeOptions): Promise<void> {
  // Links in messages point where this server is reached until the send rules name a public address (the demo's
  // messages, and the threads started below, which read it from their copy of the environment).
  const shown = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
  const ownUrl = (port: number) => `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
  const namedUrl = !!process.env.HUIKE_PUBLIC_URL?.trim();
  if (!namedUrl && opts.port) process.env.HUIKE_PUBLIC_URL = ownUrl(opts.port);
  // Named statements unless a pooler in transaction mode cannot keep them (HUIKE_PG_PREPARED=0).
  const ctx = await openApp({ serialReads: true, prepared: process.env.HUIKE_PG_PREPARED !== '0' });
  const ws = await resolveWorkspace(ctx);
  // Schedules added by upgrades reach workspaces created before them.
  for (const w of await listWorkspaces(ctx)) await ensureDefaultSchedules(ctx, w.id, w.timezone);
  await ensureBackupSchedule(ctx);
  const users = await ctx.db.kysely
    .selectFrom('users')
    .select(['login', 'password_hash'])
    .where('workspace_id', '=', ws.id)
    .execute();
  const loadsDemo = opts.demo && (await isEmpty(ctx, ws.id));
  // The known demo password only ever goes on the demo shop; a real installation gets the password its owner
  // types (or HUIKE_ADMIN_PASSWORD), or a random one printed once.
  let created: { password: string; shown: string } | null = null;
  const fromEnv = process.env.HUIKE_ADMIN_PASSWORD;
  if (users.length === 0) {
    created = loadsDemo
      ? fromEnv
        ? { password: fromEnv, shown: '(the password in HUIKE_ADMIN_PASSWORD)' }
        : { password: DEMO_PASSWORD, shown: DEMO_PASSWORD }
      : await ownerPassword();
    await createUser(ctx, ws.id, { login: DEMO_LOGIN, password: created.password, name: '店长', role: 'owner' });
  }
  if (loadsDemo) {
    process.stdout.write(`Loading the demo shop (${opts.demoCustomers.toLocaleString('en-US')} customers)…\n`);
    const t0 = Date.now();
    const s = await loadDemo(ctx, ws.id, {
      customers: opts.demoCustomers,
      onProgress: (done, total) => process.stdout.write(`\r  ${Math.round((done / total) * 100)}%`),
    });
    process.stdout.write(
      `\r  ${s.customers.toLocaleString('en-US')} customers, ${s.orders.toLocaleString('en-US')} ` +
        `orders in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  }

  // SQLite answers on the event loop: heavy reads go to read threads, jobs to a thread of their own,
  // so one long query or job never stalls the other requests (PostgreSQL is asynchronous already).
  const dbUrl = databaseUrlFromEnv();
  const fileDb = ctx.db.dialect === 'sqlite' && sqlitePath(dbUrl) !== ':memory:';
  if (fileDb) ctx.readPool = startReadPool(dbUrl);
  let logInfo: MemoryLog = () => {};
  // PostgreSQL: the views run here, so the analytics held in memory live here (SQLite: on the read thread).
  if (ctx.db.dialect === 'postgres' && memoryCapBytes() > 0)
    ctx.analyticsMemory = new AnalyticsMemory(ctx.db, { log: (f, m) => logInfo(f, m), dir: memoryDirFor(dbUrl) });
  const app = await buildServer(ctx, { logger: { level: process.env.LOG_LEVEL ?? 'warn' } });
  logInfo = (f, m) => app.log.info(f, m);
  await app.listen({ port: opts.port, host: opts.host });
  // The port bound, which `--port 0` leaves to the system (a free one).
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : opts.port;
  if (!namedUrl) process.env.HUIKE_PUBLIC_URL = ownUrl(port);
  // Loaded after start, then every minute caught up (the change log) or reloaded after a rebuild, besides the asks.
  const warm = () => {
    warmAnalyticsMemory(ctx).catch((e) => app.log.warn({ err: String(e) }, 'analytics memory: warm-up failed'));
  };
  warm();
  const warming = setInterval(warm, 60_000);
  warming.unref();
  let worker: Pick<JobThread, 'stop' | 'wake'> | null = null;
  if (opts.worker) {
    const log = (msg: string, extra?: Record<string, unknown>) => app.log.info(extra ?? {}, msg);
    worker =
      ctx.db.dialect === 'postgres' || fileDb
        ? startJobThreads(dbUrl, { log })
        : startWorker(ctx, { handlers: jobHandlers, schedules: true, log });
  }
  // Long writes a request asks for (tier evaluation, RFM, syncs, segment-wide writes) run as jobs, here on the worker's
  // thread or in a `huike worker` process, and the request waits for them without holding the event loop.
  ctx.jobs = { waitMs: jobWaitMs(), wake: worker ? () => worker.wake() : undefined };

  const hasConsole = existsSync(join(defaultWebDir(), 'index.html'));
  const url = ownUrl(port);
  // The password is only known when this start created the user; later starts name the logins and warn while the
  // owner still has the demo password.
  let stillDemo = false;
  for (const u of users) if (u.login === DEMO_LOGIN) stillDemo = await verifyPassword(DEMO_PASSWORD, u.password_hash);
  const login = created
    ? `${DEMO_LOGIN} / ${created.shown}`
    : users.map((u) => u.login).join(', ') +
      (stillDemo ? `  (${DEMO_LOGIN} still has the demo password ${DEMO_PASSWORD}: change it)` : '');
  process.stdout.write(
    [
      '',
      '  Huike 回客 is running',
      `  Console         ${url}${hasConsole ? '' : '  (not built yet: run npm run build)'}`,
      `  API docs        ${url}/docs`,
      `  Login           ${login}`,
      `  Database        ${ctx.db.label}`,
      `  Worker          ${worker ? 'running in threads of this process' : 'off (start one with: npx huike worker)'}`,
      '',
    ].join('\n') + '\n',
  );

  const stop = async () => {
    clearInterval(warming);
    await worker?.stop();
    await app.close();
    await ctx.readPool?.close();
    await ctx.db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

/**
 * The first owner's password on an installation without the demo: HUIKE_ADMIN_PASSWORD, else asked on a terminal,
 * else (or when left empty) a random one that the banner shows this once.
 */
async function ownerPassword(): Promise<{ password: string; shown: string }> {
  const env = process.env.HUIKE_ADMIN_PASSWORD;
  if (env) return { password: env, shown: '(the password in HUIKE_ADMIN_PASSWORD)' };
  if (process.stdin.isTTY && process.stdout.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
      for (;;) {
        const typed = await rl.question(
          `Password for the owner "${DEMO_LOGIN}" (at least 8 characters, empty: random): `,
        );
        if (!typed) break;
        if (typed.length >= 8) return { password: typed, shown: '(the password you typed)' };
        process.stdout.write('  too short: at least 8 characters\n');
      }
    } finally {
      rl.close();
    }
  }
  const password = newSecret().slice(0, 16);
  return { password, shown: `${password}   (random, shown only this once: change it with npx huike user passwd)` };
}
