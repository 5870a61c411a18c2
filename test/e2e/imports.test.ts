import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';
import {
  CHROMIUM,
  choose,
  logIn,
  sessionCookie,
  shot,
  startConsole,
  type ConsoleUnderTest,
} from '../support/console.js';

/**
 * The generic import in Chromium: mapping the file's status values ("Done"/"Cancelled") to Huike's
 * statuses on screen, and a run that imported nothing shown as a warning with its rejected rows listed.
 */
describe.skipIf(!existsSync(CHROMIUM))('generic import with status mapping in Chromium', () => {
  let app: ConsoleUnderTest | undefined;
  let base = '';
  let browser: Browser;
  let cookie = '';

  async function call<T>(path: string): Promise<T> {
    const res = await fetch(`${base}/api/v1${path}`, { headers: { cookie, 'x-huike-client': 'e2e' } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
  async function newPage(): Promise<Page & { errors: string[] }> {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    const page = (await ctx.newPage()) as Page & { errors: string[] };
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e.message));
    await logIn(page, base);
    return page;
  }
  async function chooseGeneric(page: Page, store: string, file: string) {
    await page.goto(`${base}/imports`);
    await choose(page.getByTestId('import-format'), /^其他表格/);
    await page.getByTestId('import-store').locator('input').fill(store);
    await page.locator('input[type=file]').setInputFiles(file);
  }
  /**
   * The run's status as the table shows it, read without waiting: a finished run's tag, `(running)` while its
   * progress bar shows, the upload's error when it was refused, or `(no row)`. A failed poll then names what the
   * page showed last (on a loaded CI machine a run can stay queued behind the shop's background jobs a while).
   */
  async function statusOf(page: Page, fileName: string): Promise<string> {
    const row = page.getByTestId('import-runs').locator('tbody tr.ant-table-row', { hasText: fileName });
    if ((await row.count()) === 0) {
      const error = page.getByTestId('import-error');
      return (await error.count()) > 0 ? `(error: ${await error.textContent()})` : '(no row)';
    }
    const tag = row.getByTestId('import-status');
    if ((await tag.count()) === 0) return '(running)';
    return (await tag.textContent()) ?? '';
  }

  /** Runs fn on the server's database file, beside the server, with the shop's first store. */
  function withServerDb(fn: (db: Database.Database, store: { workspace_id: string; id: string }) => unknown): void {
    const db = new Database(join(app!.dir, 'huike.db'));
    db.pragma('busy_timeout = 10000');
    try {
      fn(
        db,
        db.prepare('SELECT workspace_id, id FROM stores ORDER BY id LIMIT 1').get() as {
          workspace_id: string;
          id: string;
        },
      );
    } finally {
      db.close();
    }
  }

  beforeAll(async () => {
    app = await startConsole({ prefix: 'huike-e2e-imports-', demoCustomers: 50 });
    ({ base, browser } = app);
    cookie = await sessionCookie(base);
  }, 300_000);
  afterAll(async () => {
    await app?.close();
  });

  it('lists the status values of the file and sends how each maps', async () => {
    const page = await newPage();
    await chooseGeneric(page, '线下店', fixture('generic-orders.csv'));
    const map = page.getByTestId('import-status-map');
    await map.waitFor();
    // Both values are listed, guessed from their words; the seller changes one.
    await expect.poll(() => map.getByTestId('status-map-Done').textContent()).toContain('交易成功');
    await expect.poll(() => map.getByTestId('status-map-Cancelled').textContent()).toContain('交易关闭');
    await choose(map.getByTestId('status-map-Cancelled'), '已退款');
    await shot(page, 'imports-status-map');
    await page.getByTestId('import-submit').click();
    await expect.poll(() => statusOf(page, 'generic-orders.csv'), { timeout: 90_000, interval: 500 }).toBe('完成');
    const runs = await call<{ items: { fileName: string; ordersCreated: number; rowsRejected: number }[] }>('/imports');
    const run = runs.items.find((r) => r.fileName === 'generic-orders.csv')!;
    expect([run.ordersCreated, run.rowsRejected]).toEqual([3, 0]);
    expect(page.errors).toEqual([]);
  }, 180_000);

  it("starting without a store shows the form's message, and no error of the page", async () => {
    const page = await newPage();
    await page.goto(`${base}/imports`);
    await page.getByTestId('import-submit').click();
    await page.locator('.ant-form-item-explain-error').first().waitFor();
    // The rejected validation reached the page as an uncaught error ("Object").
    await page.waitForTimeout(300);
    expect(page.errors).toEqual([]);
  }, 60_000);

  it('a run that imported nothing is a warning, and its rejected rows show on screen', async () => {
    const file = join(app!.dir, 'nothing.csv');
    writeFileSync(file, 'Order No,Date,State\nN-1,not a date,Done\nN-2,yesterday,Lost\n');
    const page = await newPage();
    await chooseGeneric(page, '线下店', file);
    await page.getByTestId('status-map-Done').waitFor();
    // "Lost" has no guess: starting is refused, naming it.
    await page.getByTestId('import-submit').click();
    await page.getByText('状态值「Lost」还没有对应到回客的订单状态').waitFor();
    await choose(page.getByTestId('status-map-Lost'), '已付款');
    // Every row has a bad date: nothing comes in, and the run says so rather than 完成.
    await page.getByTestId('import-submit').click();
    await expect.poll(() => statusOf(page, 'nothing.csv'), { timeout: 90_000, interval: 500 }).toBe('未导入任何订单');
    const rejected = page.getByTestId('import-rejected-rows');
    await rejected.waitFor();
    await expect.poll(() => rejected.textContent()).toContain('not a date');
    await rejected.scrollIntoViewIfNeeded();
    await shot(page, 'imports-rejected-rows');
    expect(page.errors).toEqual([]);
  }, 180_000);

  it('a run queued for a while with nothing running says it waits for the job worker', async () => {
    // As a server started with --no-worker leaves it: the run recorded two minutes ago, no job taking it.
    const queuedAt = new Date(Date.now() - 120_000).toISOString();
    withServerDb((db, store) =>
      db
        .prepare(
          `INSERT INTO import_runs (workspace_id, id, store_id, format, file_name, status, rows_read, orders_created,
           orders_updated, orders_unchanged, items_written, customers_created, rows_rejected, bytes_total, bytes_read,
           started_at, updated_at)
         VALUES (?, 'e2e-waiting', ?, 'taobao', '淘宝订单-等待.csv', 'queued', 0, 0, 0, 0, 0, 0, 0, 1000, 0, ?, ?)`,
        )
        .run(store.workspace_id, store.id, queuedAt, queuedAt),
    );
    const page = await newPage();
    await page.goto(`${base}/imports`);
    const row = page.getByTestId('import-runs').locator('tbody tr.ant-table-row', { hasText: '淘宝订单-等待.csv' });
    await row.getByTestId('import-waiting').waitFor();
    expect(await row.getByTestId('import-waiting').textContent()).toContain('--no-worker');
    await shot(page, 'imports-waiting-for-worker');
    expect(page.errors).toEqual([]);
    // The run is taken off the list again (the next test counts the running one).
    withServerDb((db) => db.prepare("DELETE FROM import_runs WHERE id = 'e2e-waiting'").run());
  }, 120_000);

  it("shows a run's last step, its buyers' stats refreshed, with how many of how many", async () => {
    // A run as the server records it while it refreshes 2,000 of 12,345 buyers after its last row (the step's API is
    // tested in imports.test.ts); its owner is this process, alive, so the run counts as running.
    const now = new Date().toISOString();
    withServerDb((db, store) =>
      db
        .prepare(
          `INSERT INTO import_runs (workspace_id, id, store_id, format, file_name, status, rows_read, orders_created,
           orders_updated, orders_unchanged, items_written, customers_created, rows_rejected, owner, heartbeat_at,
           bytes_total, bytes_read, stats_total, stats_done, started_at, updated_at)
         VALUES (?, 'e2e-refreshing', ?, 'taobao', '淘宝订单-双11.csv', 'running', 30000, 30000, 0, 0, 0, 12345, 0, ?, ?,
           1000, 1000, 12345, 2000, ?, ?)`,
        )
        .run(store.workspace_id, store.id, `${hostname()}:${process.pid}`, now, now, now),
    );
    const page = await newPage();
    await page.goto(`${base}/imports`);
    const step = page
      .getByTestId('import-runs')
      .locator('tbody tr.ant-table-row', { hasText: '淘宝订单-双11.csv' })
      .getByTestId('import-stats-refresh');
    await step.waitFor();
    expect(await step.textContent()).toContain('更新买家统计 2,000 / 12,345');
    expect(await step.locator('.ant-progress').getAttribute('aria-valuenow')).toBe('16');
    await shot(page, 'imports-stats-refresh');
    expect(page.errors).toEqual([]);
  }, 120_000);
});
