import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { type Bench, benchArgs, countFlag } from './args.js';
import { nameKeys } from '../src/core/pinyin-keys.js';

/**
 * `npm run bench -- api [--customers N] [--seconds S] [--connections C]`: the real server (the
 * compiled `huike serve`) on a fresh SQLite demo shop of N customers (default 20,000), loaded by
 * autocannon with C connections (default 100) for S seconds per scenario (default 5). GET /health is
 * the floor; every other scenario prints its ratio of requests/s to it, and p50/p99 latency. The
 * server runs no job worker, so the demo's follow-up jobs do not run during the measurement.
 * `--database URL` serves an existing database instead (SQLite or PostgreSQL, e.g. the 1M-customer shop
 * kept by `bench -- segments --keep`). HUIKE_BENCH_SERVER_ARGS passes node options to the server (a profile).
 * Each scenario is measured after W seconds of the same load (`--warmup`, default 1): without it the first scenario
 * measured a freshly opened file's reads from disk (a 1M-customer list's p99 1.8 s, 0.27 s warm) and each next one
 * the requests the last left queued (a detail's p99 1.5 s, its p50 58 ms).
 */
const API_FLAGS = {
  customers: { type: 'string', arg: 'N', help: 'customers of the fresh SQLite demo shop served (default 20,000)' },
  seconds: { type: 'string', arg: 'S', help: 'seconds of load per scenario (default 5)' },
  connections: { type: 'string', arg: 'C', help: 'concurrent connections (default 100)' },
  warmup: {
    type: 'string',
    arg: 'W',
    help: 'seconds of the same load before each scenario, not measured (default 1; 0: none)',
  },
  database: {
    type: 'string',
    arg: 'URL',
    help: 'serve an existing database (SQLite or PostgreSQL URL) instead of a fresh demo shop',
  },
} as const;

export const api: Bench = {
  summary:
    'The real server (the compiled `huike serve`) under autocannon: GET /health as the floor, lists, search, detail ' +
    'and a segment evaluate, with requests/s, p50 and p99.',
  flags: API_FLAGS,
  env: { HUIKE_BENCH_SERVER_ARGS: 'node options for the server alone (e.g. --cpu-prof --cpu-prof-dir=DIR)' },
  run: benchApi,
};

async function benchApi(args: string[]): Promise<void> {
  const flags = benchArgs(args, API_FLAGS);
  const customers = countFlag(flags.customers, 'customers', 20_000);
  // --database URL: an existing database (e.g. a kept segments-bench shop of 1M customers) instead of
  // a fresh demo; a login admin / huike-demo is added to its first workspace when missing.
  const database = flags.database;
  const duration = countFlag(flags.seconds, 'seconds', 5);
  const connections = countFlag(flags.connections, 'connections', 100);
  const warmup = flags.warmup === '0' ? 0 : countFlag(flags.warmup, 'warmup', 1);
  const dir = mkdtempSync(join(tmpdir(), 'huike-bench-api-'));
  const port = 41000 + Math.floor(Math.random() * 10000);
  const base = `http://127.0.0.1:${port}`;
  const cli = fileURLToPath(new URL('../src/cli/index.js', import.meta.url));
  const env = { ...process.env, DATABASE_URL: database ?? `sqlite:${join(dir, 'api.db')}`, LOG_LEVEL: 'error' };
  if (database) {
    const login = ['user', 'create', '--login', 'admin', '--password', 'huike-demo'];
    spawnSync(process.execPath, [cli, ...login], { env, stdio: 'ignore' }); // fails harmlessly when present
  }
  // HUIKE_BENCH_SERVER_ARGS: node options for the server alone, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const serverArgs = (process.env.HUIKE_BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
  const server = spawn(
    process.execPath,
    [
      ...serverArgs,
      cli,
      'serve',
      '--port',
      String(port),
      '--no-worker',
      ...(database ? ['--no-demo'] : ['--demo-customers', String(customers)]),
    ],
    { env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let banner = '';
  server.stdout.on('data', (d) => (banner += String(d)));
  try {
    process.stdout.write(
      database
        ? `Serving ${database.replace(/\/\/[^@]*@/, '//')}…\n`
        : `Loading a ${customers.toLocaleString('en-US')}-customer demo shop…\n`,
    );
    while (!banner.includes('API docs')) {
      if (server.exitCode !== null) throw new Error(`the server stopped:\n${banner}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'admin', password: 'huike-demo' }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    // The console's header: a cookie-authenticated change without it is refused (web-security.ts).
    const headers = { cookie, 'content-type': 'application/json', 'x-huike-client': 'bench' };
    const get = async <T>(path: string) => (await (await fetch(base + path, { headers })).json()) as T;
    const list = await get<{ items: { id: string; name: string; realName: string | null; phone: string | null }[] }>(
      '/api/v1/customers?limit=50',
    );
    const someone = list.items[7]!;
    // The pinyin initials of a Chinese name (张佳怡 → zjy), as a shop operator types them without the IME.
    const initials = [someone.realName, someone.name, ...list.items.map((i) => i.realName)]
      .map((n) => (n ? nameKeys(n)[1] : undefined))
      .find((k) => k !== undefined);
    // Two characters of a real name (a given name like 佳怡, as often searched as the whole name): too short for a
    // trigram (SQLite: the index of 0086; PostgreSQL: that of 0085).
    const given = list.items
      .map((i) => (i.realName ? [...i.realName] : []))
      .find((chars) => chars.length >= 2)
      ?.slice(-2)
      .join('');
    const nick = (
      await get<{ identities: { kind: string; value: string }[] }>(`/api/v1/customers/${someone.id}`)
    ).identities.find((i) => i.kind === 'nick')?.value;
    const rule5 = {
      all: [
        { field: 'province', op: 'in', value: ['浙江省', '江苏省', '上海市', '广东省'] },
        { field: 'paid_orders', op: 'gte', value: 2 },
        { field: 'days_since_last_order', op: 'lte', value: 365 },
        { field: 'total_spent', op: 'gte', value: 10000 },
        { field: 'orders', op: 'exists', value: null, where: { category: ['女装/连衣裙'] } },
      ],
    };
    // The segment exported below; a database served before has it already (the name is taken: 409).
    const exportName = '压测：全部买家';
    const everyone = await fetch(`${base}/api/v1/segments`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: exportName, rule: { field: 'orders', op: 'exists', value: null } }),
    });
    const exportId =
      everyone.status === 409
        ? (await get<{ items: { id: string; name: string }[] }>('/api/v1/segments')).items.find(
            (x) => x.name === exportName,
          )!.id
        : ((await everyone.json()) as { id: string }).id;

    const run = async (path: string, init: { method?: string; body?: string } = {}) => {
      if (warmup > 0) await autocannon({ url: base + path, connections, duration: warmup, headers, ...init });
      const r = await autocannon({ url: base + path, connections, duration, headers, ...init });
      return {
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
      };
    };
    const rows: [string, Awaited<ReturnType<typeof run>>][] = [];
    const floor = await run('/api/v1/health');
    rows.push(['GET /health (floor)', floor]);
    rows.push(['customer list, 50 a page', await run('/api/v1/customers?limit=50')]);
    // The same load from node's own HTTP client, each request timed: autocannon's p99 on a loaded 2-core machine
    // held a few requests of 2–5 s (its longest ≈ the run's length) that this client, on the same server, never saw.
    if (warmup > 0) await plainLoad(base + '/api/v1/customers?limit=50', headers, connections, warmup);
    rows.push([
      'customer list (node http client)',
      await plainLoad(base + '/api/v1/customers?limit=50', headers, connections, duration),
    ]);
    rows.push(['search by name', await run(`/api/v1/customers?limit=50&q=${encodeURIComponent(someone.name)}`)]);
    if (given)
      rows.push([
        `search by 2 characters (${given})`,
        await run(`/api/v1/customers?limit=50&q=${encodeURIComponent(given)}`),
      ]);
    if (someone.phone)
      rows.push(['search by phone tail', await run(`/api/v1/customers?limit=50&q=${someone.phone.slice(-4)}`)]);
    if (nick) rows.push(['search by nick', await run(`/api/v1/customers?limit=50&q=${encodeURIComponent(nick)}`)]);
    if (initials)
      rows.push([`search by pinyin initials (${initials})`, await run(`/api/v1/customers?limit=50&q=${initials}`)]);
    rows.push(['customer detail', await run(`/api/v1/customers/${someone.id}`)]);
    rows.push([
      'segment evaluate, 5 conditions',
      await run('/api/v1/segments/evaluate', { method: 'POST', body: JSON.stringify({ rule: rule5, limit: 20 }) }),
    ]);
    // The list again while the whole shop's buyers are exported, one export after another.
    let exporting = true;
    let exports = 0;
    // An export cut off (its connection reset, an error status) is counted and named, and the run goes on: the
    // table of every scenario is what the bench is for.
    const failed: string[] = [];
    const exporter = (async () => {
      while (exporting) {
        try {
          const r = await fetch(`${base}/api/v1/segments/${exportId}/export.csv`, { headers });
          const body = await r.text();
          if (r.ok) exports += 1;
          else {
            // The error's code and message (too_slow: the time limit, busy: the write lock), not the status alone.
            let why = '';
            try {
              const e = (JSON.parse(body) as { error?: { code?: string; message?: string } }).error;
              why = e ? ` ${e.code}: ${e.message}` : '';
            } catch {}
            failed.push(`HTTP ${r.status}${why}`);
          }
        } catch (e) {
          failed.push(String((e as { cause?: unknown }).cause ?? e));
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })();
    const during = await run('/api/v1/customers?limit=50');
    exporting = false;
    await exporter;
    const cut = failed.length ? `, ${failed.length} failed: ${[...new Set(failed)].join('; ')}` : '';
    rows.push([`customer list during exports (${exports} done${cut})`, during]);

    const pad = (s: string, n: number) => s.padEnd(n);
    const what = database
      ? `${database.split(':')[0]} database`
      : `${customers.toLocaleString('en-US')} customers, SQLite`;
    const warm = warmup > 0 ? ` after ${warmup} s of warm-up` : ', no warm-up';
    process.stdout.write(`\n${what}, ${connections} connections, ${duration} s each${warm}\n\n`);
    process.stdout.write(
      `${pad('scenario', 44)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('ratio', 7)}errors\n`,
    );
    for (const [name, r] of rows)
      process.stdout.write(
        `${pad(name, 44)}${pad(r.rps.toFixed(0), 10)}${pad(String(r.p50), 9)}${pad(String(r.p99), 9)}` +
          `${pad((r.rps / floor.rps).toFixed(2), 7)}${r.errors}\n`,
      );
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `connections` keep-alive connections, each sending its next GET when the last is answered, for `seconds`: every
 * request's time measured alone (the check beside autocannon's figures).
 */
async function plainLoad(url: string, headers: Record<string, string>, connections: number, seconds: number) {
  const end = Date.now() + seconds * 1000;
  const times: number[] = [];
  let errors = 0;
  const one = async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (Date.now() < end) {
        const started = performance.now();
        const status = await new Promise<number>((resolve, reject) => {
          const req = http.get(url, { agent, headers }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
        }).catch(() => 0);
        if (status !== 200) errors += 1;
        times.push(performance.now() - started);
      }
    } finally {
      agent.destroy();
    }
  };
  await Promise.all(Array.from({ length: connections }, one));
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0);
  return { rps: Math.round(times.length / seconds), p50: at(0.5), p99: at(0.99), errors };
}
