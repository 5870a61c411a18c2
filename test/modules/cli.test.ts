import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeBothDatabases, fixture, scratchDir } from '../helpers.js';
import { exited, servedAt, spawnTs, waitFor } from '../support/processes.js';

const CLI = 'src/cli/index.ts';

async function run(args: string[], url: string) {
  const child = spawnTs(CLI, args, { DATABASE_URL: url });
  const code = await exited(child);
  return { code, out: child.output() };
}

describeBothDatabases('huike CLI', (env) => {
  it('serve on an empty database loads the demo shop and prints the URL and a login that works', async () => {
    const { url } = env();
    const child = spawnTs(CLI, ['serve', '--port', '0', '--demo-customers', '300'], { DATABASE_URL: url });
    try {
      const banner = await waitFor(
        'the banner',
        async () => (child.output().includes('API docs') ? child.output() : null),
        60_000,
        100,
      );
      // --port 0: the banner names the free port the system gave, and it is the one that answers below.
      const base = servedAt(banner)!;
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      const login = /Login\s+(\S+) \/ (\S+)/.exec(banner)!;
      expect(login[1]).toBe('admin');
      const res = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: login[1], password: login[2] }),
      });
      expect(res.status).toBe(200);
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      const customers = (await (await fetch(`${base}/api/v1/customers?limit=5`, { headers: { cookie } })).json()) as {
        items: { stats: { paidOrders: number } }[];
      };
      expect(customers.items).toHaveLength(5);
      expect(customers.items[0]!.stats.paidOrders).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
      await exited(child);
    }
  });

  it('import prints a summary, writes rejected rows, and a second run changes nothing', async () => {
    const { url } = env();
    const errors = join(scratchDir('huike-cli-'), 'errors.csv');
    const first = await run(
      ['import', fixture('taobao-orders-gbk.csv'), '--store', '命令行店', '--format', 'taobao', '--errors-out', errors],
      url,
    );
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/orders created\s+12/);
    expect(first.out).toMatch(/rows rejected\s+5/);
    expect(first.out).toMatch(/line 14, 订单状态: unknown order status "神秘状态"/);
    expect(readFileSync(errors, 'utf8').split('\r\n').filter(Boolean)).toHaveLength(6);
    const second = await run(
      ['import', fixture('taobao-orders-gbk.csv'), '--store', '命令行店', '--format', 'taobao'],
      url,
    );
    expect(second.out).toMatch(/orders created\s+0/);
    expect(second.out).toMatch(/orders unchanged\s+12/);
  });

  it('bad input is refused with a message and a non-zero exit', async () => {
    const { url } = env();
    const bad = await run(['import', fixture('taobao-orders-gbk.csv'), '--store', 'x', '--format', 'ebay'], url);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/--format must be one of/);
    const missing = await run(['import', '/nonexistent.csv', '--store', 'x', '--format', 'taobao'], url);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/cannot read the file \/nonexistent.csv/);
  });

  it('recompute and token create work from the command line', async () => {
    const { url } = env();
    const r = await run(['recompute'], url);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/stats of \d+ customers recomputed/);
    const t = await run(['token', 'create', '--name', 'erp'], url);
    expect(t.code, t.out).toBe(0);
    expect(t.out).toMatch(/^t\.[0-9A-Z]+\.[0-9A-Z]+\.\S+/);
  });

  it('analytics rebuild --from-scratch clears and rebuilds the pre-aggregates', async () => {
    const { url } = env();
    const r = await run(['analytics', 'rebuild', '--from-scratch', '--no-progress'], url);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/clearing the analytics pre-aggregates/);
    expect(r.out).toMatch(/analytics figures of [1-9]\d* orders rebuilt/);
  });

  it('segment count / export and rfm evaluate rules from files', async () => {
    const { url } = env();
    const dir = scratchDir('huike-seg-cli-');
    const rule = join(dir, 'rule.json');
    writeFileSync(
      rule,
      JSON.stringify({
        all: [
          { field: 'paid_orders', op: '>=', value: 1 },
          { field: 'province', op: 'eq', value: '浙江省' },
        ],
      }),
    );
    const count = await run(['segment', 'count', '--rule', rule], url);
    expect(count.code, count.out).toBe(0);
    const n = Number(count.out.trim());
    expect(n).toBeGreaterThan(0);
    const out = join(dir, 'out.csv');
    const exp = await run(['segment', 'export', '--rule', rule, '--out', out], url);
    expect(exp.out).toContain(`${n} customers written`);
    expect(readFileSync(out, 'utf8').split('\r\n').filter(Boolean)).toHaveLength(n + 1);
    writeFileSync(rule, '{"field":"nope"}');
    const bad = await run(['segment', 'count', '--rule', rule], url);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/unknown field "nope"/);
    // As of a day before any order: everyone is still a prospect, nobody has churned.
    const past = await run(['rfm', '--as-of', '2000-01-01'], url);
    expect(past.code, past.out).toBe(0);
    expect(past.out).toMatch(/as of 2000-01-01/);
    expect(past.out).toMatch(/潜客 prospect/);
    expect(past.out).not.toMatch(/new|growing|mature|dormant|churned/);
    const wrong = await run(['rfm', '--as-of', 'yesterday'], url);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/asOf: expected a date like 2018-06-30/);
    const rfm = await run(['rfm'], url);
    expect(rfm.code, rfm.out).toBe(0);
    expect(rfm.out).toMatch(/RFM 分类[\s\S]*生命周期/);
  });
});
