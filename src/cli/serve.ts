import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildServer, defaultWebDir } from '../server.js';
import { jobHandlers } from '../jobs/handlers.js';
import { startWorker } from '../jobs/worker.js';
import { startWorkerThread, type JobThread } from '../jobs/worker-thread.js';
import { startReadPool } from '../modules/heavy/pool.js';
import { databaseUrlFromEnv, sqlitePath } from '../db/connect.js';
import { createUser } from '../modules/auth/service.js';
import { isEmpty, loadDemo } from '../modules/demo/service.js';
import { listWorkspaces, resolveWorkspace } from '../modules/workspaces/service.js';
import { ensureDefaultSchedules } from '../jobs/schedules.js';
import { DEMO_LOGIN, DEMO_PASSWORD, openApp } from './app.js';

export interface ServeOptions {
  port: number;
  host: string;
  worker: boolean;
  demo: boolean;
  demoCustomers: number;
}

export async function serve(opts: ServeOptions): Promise<void> {
  const ctx = await openApp();
  const ws = await resolveWorkspace(ctx);
  // Schedules added by upgrades reach workspaces created before them.
  for (const w of await listWorkspaces(ctx)) await ensureDefaultSchedules(ctx, w.id, w.timezone);
  const users = await ctx.db.kysely.selectFrom('users').select('login').where('workspace_id', '=', ws.id).execute();
  let createdLogin = false;
  if (users.length === 0) {
    await createUser(ctx, ws.id, {
      login: DEMO_LOGIN,
      password: process.env.HUIKE_ADMIN_PASSWORD ?? DEMO_PASSWORD,
      name: '店长',
      role: 'owner',
    });
    createdLogin = true;
  }
  if (opts.demo && (await isEmpty(ctx, ws.id))) {
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
  const app = await buildServer(ctx, { logger: { level: process.env.LOG_LEVEL ?? 'warn' } });
  await app.listen({ port: opts.port, host: opts.host });
  let worker: JobThread | null = null;
  if (opts.worker) {
    const log = (msg: string, extra?: Record<string, unknown>) => app.log.info(extra ?? {}, msg);
    worker =
      ctx.db.dialect === 'postgres' || fileDb
        ? startWorkerThread(dbUrl, { log })
        : startWorker(ctx, { handlers: jobHandlers, schedules: true, log });
  }

  const hasConsole = existsSync(join(defaultWebDir(), 'index.html'));
  const shown = opts.host === '0.0.0.0' || opts.host === '::' ? 'localhost' : opts.host;
  const url = `http://${shown}:${opts.port}`;
  // The password is only known when this start created the user; later starts name the logins.
  const login = createdLogin
    ? `${DEMO_LOGIN} / ${process.env.HUIKE_ADMIN_PASSWORD ? '(the password in HUIKE_ADMIN_PASSWORD)' : DEMO_PASSWORD}`
    : `${users.map((u) => u.login).join(', ')} (demo password: ${DEMO_PASSWORD}, unless changed)`;
  process.stdout.write(
    [
      '',
      '  Huike 回客 is running',
      `  Console         ${url}${hasConsole ? '' : '  (not built yet: run npm run build)'}`,
      `  API docs        ${url}/docs`,
      `  Login           ` +
        `${login}${createdLogin ? '   (change it: npx huike user passwd --login admin --password …)' : ''}`,
      `  Database        ${ctx.db.label}`,
      `  Worker          ${worker ? 'running in a thread of this process' : 'off (start one with: npx huike worker)'}`,
      '',
    ].join('\n') + '\n',
  );

  const stop = async () => {
    await worker?.stop();
    await app.close();
    await ctx.readPool?.close();
    await ctx.db.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
