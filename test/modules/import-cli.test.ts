import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { presentRun } from '../../src/modules/imports/service.js';
import { findStoreByName } from '../../src/modules/stores/service.js';
import { describeBothDatabases, fixture, scratchDir } from '../helpers.js';
import { exited, spawnTs } from '../support/processes.js';

const CLI = 'src/cli/index.ts';

async function run(args: string[], url: string) {
  const child = spawnTs(CLI, args, { DATABASE_URL: url });
  const code = await exited(child);
  return { code, out: child.output() };
}

function tempFiles(files: Record<string, string>): Record<string, string> {
  const dir = scratchDir('huike-import-cli-');
  const paths: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    paths[name] = join(dir, name);
    writeFileSync(paths[name], text);
  }
  return paths;
}

const MAPPING = JSON.stringify({
  columns: {
    externalId: 'Order',
    createdAt: 'Date',
    status: 'State',
    paid: 'Amount',
    buyerNick: 'Customer',
    itemTitle: 'Product',
    itemQuantity: 'Qty',
  },
  statuses: { Done: 'completed' },
  rowsPerOrder: 'group',
});

describeBothDatabases('huike import from the command line', (env) => {
  it('--timezone and --currency create the store with them, and its orders are read in that zone', async () => {
    const { url, ctx, db, workspaceId } = env();
    const f = tempFiles({
      'uk.csv': 'Order,Date,State,Amount,Customer,Product,Qty\nUK-1,2025-07-01 10:00:00,Done,90.00,alice,Tea,1\n',
      'mapping.json': MAPPING,
    });
    const args = ['import', f['uk.csv']!, '--store', 'UK Shop', '--format', 'generic', '--mapping', f['mapping.json']!];
    const r = await run([...args, '--timezone', 'Europe/London', '--currency', 'gbp', '--no-followups'], url);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('Europe/London, GBP');
    const store = (await findStoreByName(ctx, workspaceId, 'UK Shop'))!;
    expect([store.timezone, store.currency]).toEqual(['Europe/London', 'GBP']);
    const order = await db.kysely
      .selectFrom('orders')
      .select('created_at')
      .where('workspace_id', '=', workspaceId)
      .where('external_id', '=', 'UK-1')
      .executeTakeFirstOrThrow();
    // 10:00 in London in July (BST) is 09:00 UTC; read as Shanghai time it would be 02:00.
    expect(new Date(order.created_at).toISOString()).toBe('2025-07-01T09:00:00.000Z');

    // An existing store keeps its own zone: a different one on the command line is refused.
    const clash = await run([...args, '--timezone', 'Asia/Shanghai', '--no-followups'], url);
    expect(clash.code).toBe(1);
    expect(clash.out).toMatch(/uses timezone Europe\/London.*huike store set "UK Shop" --timezone Asia\/Shanghai/);

    const set = await run(['store', 'set', 'UK Shop', '--currency', 'EUR', '--timezone', 'Europe/Dublin'], url);
    expect(set.code, set.out).toBe(0);
    expect(set.out).toContain('store UK Shop: other, Europe/Dublin, EUR');
    const changed = (await findStoreByName(ctx, workspaceId, 'UK Shop'))!;
    expect([changed.timezone, changed.currency]).toEqual(['Europe/Dublin', 'EUR']);
    const bad = await run(['store', 'set', 'UK Shop', '--currency', 'POUNDS'], url);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/currency: not an ISO 4217 currency code/);
    const list = await run(['store', 'list'], url);
    expect(list.out).toMatch(/UK Shop\tother\tEurope\/Dublin\tEUR/);
  });

  it('rows rejected counts rows and orders rejected counts orders', async () => {
    const { url, ctx, db, workspaceId } = env();
    // Order B-2 has three lines and an unknown status: three rows, one order.
    const f = tempFiles({
      'lines.csv': [
        'Order,Date,State,Amount,Customer,Product,Qty',
        'B-1,2025-07-01 10:00:00,Done,10.00,bob,Tea,1',
        'B-2,2025-07-01 11:00:00,Lost,30.00,bob,Tea,1',
        'B-2,2025-07-01 11:00:00,Lost,30.00,bob,Cup,1',
        'B-2,2025-07-01 11:00:00,Lost,30.00,bob,Pot,1',
        'B-3,2025-07-01 12:00:00,Done,5.00,carl,Tea,1',
        '',
      ].join('\n'),
      'mapping.json': MAPPING,
    });
    const r = await run(
      ['import', f['lines.csv']!, '--store', '线下店', '--format', 'generic', '--mapping', f['mapping.json']!],
      url,
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/rows rejected\s+3\n/);
    expect(r.out).toMatch(/orders rejected\s+1\n/);
    const runRow = await db.kysely
      .selectFrom('import_runs')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('file_name', '=', 'lines.csv')
      .executeTakeFirstOrThrow();
    expect(presentRun(runRow, ctx.now())).toMatchObject({ rowsRead: 5, rowsRejected: 3, ordersRejected: 1 });
  });

  it('runs the RFM, tier and points follow-ups at the end, unless --no-followups', async () => {
    const { url, db, workspaceId } = env();
    const jobsOf = async (runId: string) =>
      db.kysely
        .selectFrom('jobs')
        .select(['kind', 'status'])
        .where('workspace_id', '=', workspaceId)
        .where('dedupe_key', '=', `import:${runId}`)
        .orderBy('kind')
        .execute();
    const runId = (out: string) => /run id\s+(\S+)/.exec(out)![1]!;

    const later = await run(
      ['import', fixture('taobao-orders-gbk.csv'), '--store', '稍后店', '--format', 'taobao', '--no-followups'],
      url,
    );
    expect(later.code, later.out).toBe(0);
    expect(later.out).toMatch(/queued for "huike worker"/);
    const queued = await jobsOf(runId(later.out));
    expect(queued.map((j) => j.status)).toEqual(['queued', 'queued', 'queued', 'queued', 'queued']);

    const now = await run(['import', fixture('taobao-orders-gbk.csv'), '--store', '现在店', '--format', 'taobao'], url);
    expect(now.code, now.out).toBe(0);
    expect(now.out).toMatch(/follow-ups\s+5 done/);
    expect(now.out).toMatch(/follow-up 1\/5: RFM classes/);
    const jobs = await jobsOf(runId(now.out));
    expect(jobs).toEqual([
      { kind: 'analytics.rebuild', status: 'done' },
      { kind: 'coupons.sync', status: 'done' },
      { kind: 'points.sync', status: 'done' },
      { kind: 'rfm.recompute', status: 'done' },
      { kind: 'tiers.evaluate', status: 'done' },
    ]);
    // RFM classes exist for the buyers: RFM segments match someone without a worker.
    const rfm = await db.kysely
      .selectFrom('customer_rfm')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirstOrThrow();
    expect(Number(rfm.n)).toBeGreaterThan(0);
  });
});
