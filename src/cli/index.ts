import { Command, InvalidArgumentError } from 'commander';
import { recomputeAllStats } from '../modules/customers/stats.js';
import { rebuildAnalytics } from '../modules/analytics/rebuild.js';
import { createApiToken, createUser, setPassword, userByLogin } from '../modules/auth/service.js';
import { ROLES } from '../modules/auth/schema.js';
import { loadDemo } from '../modules/demo/service.js';
import { resolveWorkspace } from '../modules/workspaces/service.js';
import { jobHandlers } from '../jobs/handlers.js';
import { startWorker } from '../jobs/worker.js';
import { migrateToLatest } from '../db/migrate.js';
import { openDatabase } from '../db/connect.js';
import { fail, openApp, withApp } from './app.js';
import { importCommand } from './import.js';
import { serve } from './serve.js';
import { segmentCommands } from './segments.js';
import { customerCommands } from './customers.js';
import { storeCommands } from './stores.js';
import { accountCommands } from './accounts.js';
import { backupCommands } from './backups.js';
import { workspaceCommands } from './workspaces.js';
import { analyticsCommands } from './analytics.js';
import { ensureBackupSchedule } from '../modules/backups/schedule.js';
import { TOKEN_SCOPES, type TokenScope } from '../modules/auth/accounts.js';
import { tuneHeap } from './heap.js';

tuneHeap();

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number`);
  return n;
};

const program = new Command('huike')
  .description('Huike 回客 — customer & member-marketing CRM for online shops')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the API server (and a worker); loads the demo shop into an empty database')
  .option(
    '--port <n>',
    'port (env PORT; 0 = any free port, shown at start)',
    int('port'),
    Number(process.env.PORT ?? 3000),
  )
  .option('--host <host>', 'address to listen on (env HOST)', process.env.HOST ?? '127.0.0.1')
  .option('--no-worker', 'do not run jobs in this process')
  .option('--no-demo', 'do not load the demo shop into an empty database')
  .option(
    '--demo-customers <n>',
    'size of the demo shop',
    int('demo-customers'),
    Number(process.env.HUIKE_DEMO_CUSTOMERS ?? 20000),
  )
  .action((o) => serve(o).catch(fail));

program
  .command('migrate')
  .description('create or upgrade the database schema')
  .action(async () => {
    const db = openDatabase();
    try {
      const done = await migrateToLatest(db);
      process.stdout.write(done.length ? `applied: ${done.join(', ')}\n` : 'schema is up to date\n');
    } finally {
      await db.close();
    }
  });

program
  .command('worker')
  .description('run background jobs (imports, nightly recompute, schedules)')
  .action(async () => {
    const ctx = await openApp();
    await ensureBackupSchedule(ctx);
    const w = startWorker(ctx, {
      handlers: jobHandlers,
      schedules: true,
      log: (m, x) => process.stdout.write(`${new Date().toISOString()} ${m} ${JSON.stringify(x ?? {})}\n`),
    });
    process.stdout.write(`worker ${w.id} running on ${ctx.db.label}\n`);
    const stop = async () => {
      await w.stop();
      await ctx.db.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });

program
  .command('import')
  .description('import an orders export (then run the RFM, tier and points follow-ups)')
  .argument('[file]', 'CSV (GBK or UTF-8) or XLSX export')
  .option('--store <name>', 'store name (created when new)')
  .option('--format <format>', 'taobao | taobao-items | shopify | douyin | jd | generic')
  .option('--mapping <file.json>', 'column mapping (generic format)')
  .option('--timezone <zone>', 'time zone of a new store (default Asia/Shanghai): times are read in it')
  .option('--currency <code>', 'currency of a new store (ISO 4217, default CNY)')
  .option('--resume <run>', 'resume an interrupted import from its last saved row')
  .option('--workspace <id|name>', 'workspace (default: the first)')
  .option('--errors-out <file.csv>', 'write all rejected rows to this CSV')
  .option('--no-followups', 'leave RFM, tiers and points to a worker instead of running them now')
  .option('--no-progress', 'no progress bar')
  .action((file, o) => importCommand(file, o).catch(fail));

program
  .command('demo')
  .description('load the demo shop (deterministic)')
  .option('--customers <n>', 'number of customers', int('customers'), 20000)
  .option('--seed <n>', 'random seed', int('seed'), 20241111)
  .option('--workspace <id|name>', 'workspace (default: the first)')
  .action(async (o) => {
    await withApp(async (ctx) => {
      const ws = await resolveWorkspace(ctx, o.workspace);
      const s = await loadDemo(ctx, ws.id, {
        customers: o.customers,
        seed: o.seed,
        onProgress: (d, t) => process.stderr.write(`\r${Math.round((d / t) * 100)}%`),
      });
      process.stdout.write(
        `\rdemo shop loaded: ${s.customers} customers, ${s.orders} orders in ${s.stores.join(', ')}\n`,
      );
    });
  });

const user = program.command('user').description('manage console users');
user
  .command('create')
  .requiredOption('--login <login>')
  .requiredOption('--password <password>', 'at least 8 characters')
  .option('--name <name>')
  .option('--role <role>', ROLES.join(' | '), 'owner')
  .option('--workspace <id|name>')
  .action(async (o) => {
    await withApp(async (ctx) => {
      const ws = await resolveWorkspace(ctx, o.workspace);
      const u = await createUser(ctx, ws.id, { login: o.login, password: o.password, name: o.name, role: o.role });
      process.stdout.write(`user ${u.login} (${u.role}) created in ${ws.name}\n`);
    });
  });
user
  .command('passwd')
  .requiredOption('--login <login>')
  .requiredOption('--password <password>')
  .option('--workspace <id|name>')
  .action(async (o) => {
    await withApp(async (ctx) => {
      const ws = await resolveWorkspace(ctx, o.workspace);
      await setPassword(ctx, ws.id, o.login, o.password);
      process.stdout.write(`password of ${o.login} changed\n`);
    });
  });

program
  .command('token')
  .description('API tokens for scripts')
  .command('create')
  .requiredOption('--name <name>', 'what the token is for')
  .option('--login <login>', 'user the token acts as', 'admin')
  .option('--scopes <scopes>', 'read or read,write', 'read,write')
  .option('--expires <date>', 'when it stops working (ISO date, e.g. 2027-01-01T00:00:00+08:00)')
  .option('--workspace <id|name>')
  .action(async (o) => {
    await withApp(async (ctx) => {
      const ws = await resolveWorkspace(ctx, o.workspace);
      const u = await userByLogin(ctx.db.kysely, ws.id, o.login);
      if (!u) throw new Error(`no user "${o.login}" (create one: huike user create)`);
      const scopes = String(o.scopes)
        .split(/[,\s]+/)
        .filter((x): x is TokenScope => (TOKEN_SCOPES as readonly string[]).includes(x));
      if (scopes.length === 0) throw new Error('--scopes takes read or read,write');
      const t = await createApiToken(ctx, ws.id, u.id, o.name, { scopes, expiresAt: o.expires ?? null });
      process.stdout.write(`${t.token}\n(shown once: send it as "Authorization: Bearer <token>")\n`);
    });
  });

program
  .command('recompute')
  .description('recompute every customer statistic (SQLite: in short transactions), then the analytics figures')
  .option('--workspace <id|name>')
  .action(async (o) => {
    await withApp(async (ctx) => {
      const ws = await resolveWorkspace(ctx, o.workspace);
      const t0 = Date.now();
      const n = await recomputeAllStats(ctx.db, ws.id, new Date().toISOString());
      process.stdout.write(`stats of ${n} customers recomputed in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      const a = await rebuildAnalytics(ctx, ws.id);
      process.stdout.write(`analytics figures of ${a.orders} orders rebuilt in ${(a.ms / 1000).toFixed(1)} s\n`);
    });
  });

segmentCommands(program);
customerCommands(program);
storeCommands(program);
accountCommands(program);
backupCommands(program);
workspaceCommands(program);
analyticsCommands(program);

program.parseAsync(process.argv).catch(fail);
