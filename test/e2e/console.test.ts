import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.js';
import { newRun } from '../../src/modules/imports/service.js';
import { fixture } from '../helpers.js';
import {
  CHROMIUM,
  choose,
  consolePages,
  DEMO_LOGIN as LOGIN,
  englishRuns,
  shot,
  startConsole,
  visibleText,
  type ConsoleUnderTest,
} from '../support/console.js';

/**
 * The console in Debian's Chromium against the real server (`huike serve` with its demo shop and
 * worker), built from the current sources. Screenshots of every main page at 1440×900 go to
 * artifacts/screenshots/.
 */

describe.skipIf(!existsSync(CHROMIUM))('web console in Chromium', () => {
  let app: ConsoleUnderTest | undefined;
  let dir: string;
  let base: string;
  const pages = consolePages(() => app);

  /** The API as the logged-in owner, to check what the console did. */
  async function apiGet<T>(path: string, cookie: string): Promise<T> {
    const res = await fetch(`${base}/api/v1${path}`, { headers: { cookie } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }
  /** The text box of a form control, wherever antd put the test id (wrapper or the input itself). */
  const box = (scope: Page | ReturnType<Page['locator']>, id: string) =>
    scope.locator(`[data-testid="${id}"] input, input[data-testid="${id}"]`).first();

  beforeAll(async () => {
    app = await startConsole({ prefix: 'huike-e2e-', demoCustomers: 1500 });
    ({ dir, base } = app);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  it('a wrong password shows the reason; the right one opens the dashboard with the KPIs', async () => {
    const page = await pages.open({ login: false });
    await page.goto(`${base}/customers`);
    await page.waitForURL(/\/login$/);
    await page.fill('#login', 'admin');
    await page.fill('#password', 'not-the-password');
    await page.click('button[type=submit]');
    await expect.poll(() => page.getByTestId('login-error').textContent()).toMatch(/password|密码|login/i);
    await shot(page, '00-login');
    await page.fill('#password', LOGIN.password);
    await page.click('button[type=submit]');
    // Back to the page asked for before the login.
    await page.waitForURL(/\/customers$/);
    await page.goto(`${base}/`);
    const revenue = page.getByTestId('kpi-period-revenue');
    await expect.poll(() => revenue.textContent()).toMatch(/¥[\d,]+\.\d\d/);
    const cookie = await pages.cookie();
    const dash = await apiGet<{ period: { revenueFen: number } }>('/analytics/dashboard?days=30', cookie);
    const shown = (await revenue.textContent())!.match(/¥([\d,]+\.\d\d)/)![1]!.replace(/,/g, '');
    expect(Math.round(Number(shown) * 100)).toBe(dash.period.revenueFen);
    await page.getByTestId('trend-chart').locator('canvas').waitFor();
    await shot(page, '01-dashboard');
    // The tier card answers on its own: a failing /tiers says so in the card (it stood empty under its title).
    await page.route('**/api/v1/tiers', (r) =>
      r.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"internal","message":"x"}}' }),
    );
    await page.reload();
    await revenue.waitFor();
    const tierCard = page.locator('.ant-card').filter({ hasText: '会员等级分布' });
    await tierCard.locator('.ant-alert-error').waitFor();
    await page.unroute('**/api/v1/tiers');
  });

  it('finds a customer by the last digits of the phone, opens the file and adds a note and a tag', async () => {
    const cookie = await pages.cookie();
    const top = await apiGet<{ items: { id: string; name: string; phone: string; marketingConsent: string }[] }>(
      '/customers?sort=spent&limit=1',
      cookie,
    );
    const target = top.items[0]!;
    const page = await pages.open();
    await page.goto(`${base}/customers`);
    await page.getByTestId('customer-table').locator('tbody tr.ant-table-row').first().waitFor();
    await shot(page, '02-customers');
    await box(page, 'customer-search').fill(target.phone.slice(-6));
    await box(page, 'customer-search').press('Enter');
    const row = page.getByTestId('customer-table').locator('tbody tr.ant-table-row', { hasText: target.name });
    await row.waitFor();
    await row.click();
    await page.waitForURL(new RegExp(`/customers/${target.id}$`));
    await expect.poll(() => page.getByTestId('customer-name').textContent()).toBe(target.name);
    // The header's consent tag says what it is about (a bare 未知 said nothing).
    expect(await page.getByTestId('consent-tag').first().textContent()).toBe(
      { granted: '已授权营销', denied: '拒绝营销', unknown: '营销授权未知' }[target.marketingConsent],
    );
    await page.getByRole('tab', { name: '备注' }).click();
    await page.getByPlaceholder('记录一次沟通').fill('偏好羊毛材质，双12 前回访');
    await page
      .getByRole('button', { name: '添 加' })
      .or(page.getByRole('button', { name: '添加' }))
      .click();
    await page.getByRole('tabpanel').getByText('偏好羊毛材质，双12 前回访').waitFor();
    await box(page, 'add-tag').fill('高复购');
    await box(page, 'add-tag').press('Enter');
    await page.locator('.ant-tag', { hasText: '高复购' }).waitFor();
    const notes = await apiGet<{ items: { body: string }[] }>(`/customers/${target.id}/notes`, cookie);
    expect(notes.items.map((n) => n.body)).toContain('偏好羊毛材质，双12 前回访');
    const tags = await apiGet<{ items: { name: string }[] }>(`/customers/${target.id}/tags`, cookie);
    expect(tags.items.map((x) => x.name)).toContain('高复购');
    await page.getByRole('tab', { name: '时间线' }).click();
    // The timeline (open since the page loaded) shows the new note and tag without reopening the page.
    const timeline = page.getByRole('tabpanel').getByTestId('timeline');
    await expect.poll(() => timeline.innerText()).toContain('打标签「高复购」');
    expect(await timeline.innerText()).toContain('偏好羊毛材质，双12 前回访');
    // Taken off again, the tag stays on the timeline with its 去标签 (its entry vanished with it).
    await page.locator('.ant-tag', { hasText: '高复购' }).locator('.ant-tag-close-icon').click();
    await expect.poll(() => timeline.innerText()).toContain('去标签「高复购」');
    expect(await timeline.innerText()).toContain('打标签「高复购」');
    await shot(page, '03-customer-detail');
  });

  it('builds a segment visually, shows the live count the API computes, and saves it', async () => {
    const cookie = await pages.cookie();
    const page = await pages.open();
    await page.goto(`${base}/segments/new`);
    // The editor starts with "total spent ≥ ¥500"; add "paid orders ≥ 3" in the same AND group.
    await page.getByTestId('condition').first().waitFor();
    await page.getByTestId('add-condition').first().click();
    const second = page.getByTestId('condition').nth(1);
    await choose(second.getByTestId('condition-field'), '成交单数');
    await choose(second.getByTestId('condition-op'), '大于等于');
    await box(second, 'condition-value').fill('3');
    const rule = {
      all: [
        { field: 'total_spent', op: 'gte', value: 50000 },
        { field: 'paid_orders', op: 'gte', value: 3 },
      ],
    };
    const expected = await fetch(`${base}/api/v1/segments/evaluate`, {
      method: 'POST',
      headers: { cookie, 'x-huike-client': 'test', 'content-type': 'application/json' },
      body: JSON.stringify({ rule, limit: 0 }),
    }).then((r) => r.json() as Promise<{ count: number }>);
    expect(expected.count).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId('live-count').getAttribute('data-count'), { timeout: 10_000 })
      .toBe(String(expected.count));
    await box(page, 'segment-name').fill('高价值回头客');
    await page.getByTestId('save-segment').click();
    await page.waitForURL(/\/segments\/(?!new)[^/]+$/);
    await shot(page, '04-segment-builder');
    const list = await apiGet<{ items: { id: string; name: string; rule: unknown; system: boolean }[] }>(
      '/segments',
      cookie,
    );
    const saved = list.items.find((s) => s.name === '高价值回头客');
    expect(saved?.system).toBe(false);
    expect(saved?.rule).toEqual(rule);
    await page.goto(`${base}/segments`);
    await page.getByTestId('saved-segments').getByText('高价值回头客').waitFor();
    await shot(page, '05-segments');
    await page.goto(`${base}/segments?tab=rfm`);
    await page.getByTestId('rfm-heatmap').locator('canvas').waitFor();
    await shot(page, '06-rfm');
  });

  it('the segment list counts a few rows at a time; the next visit shows the kept counts, counting none', async () => {
    const cookie = await pages.cookie();
    const page = await pages.open();
    // Counted in the page, where the queue runs: a count is in flight from its fetch until the fetch settles (answered
    // or aborted). The browser's own request events arrive late for aborted fetches and overlapped the next ones.
    await page.addInitScript(`{
      const counts = { requests: 0, inFlight: 0, most: 0 };
      window.segmentCounts = counts;
      const real = window.fetch.bind(window);
      window.fetch = (input, init) => {
        const url = new URL(input instanceof Request ? input.url : String(input), location.href);
        if ((init?.method ?? 'GET') !== 'GET' || !/^\\/api\\/v1\\/segments\\/[^/]+$/.test(url.pathname)) {
          return real(input, init);
        }
        counts.requests += 1;
        counts.inFlight += 1;
        counts.most = Math.max(counts.most, counts.inFlight);
        return real(input, init).finally(() => { counts.inFlight -= 1; });
      };
    }`);
    const seen = () => page.evaluate<{ requests: number; most: number }>('window.segmentCounts');
    // The system segments' second page: rows no earlier visit counted.
    const secondPage = async () => {
      await page.goto(`${base}/segments`);
      await page.locator('.ant-pagination-item-2').click();
      await page.locator('.ant-table-row').first().waitFor();
      await expect.poll(() => page.locator('.ant-table-row .ant-spin').count(), { timeout: 30_000 }).toBe(0);
    };
    await secondPage();
    const first = await seen();
    expect(first.requests).toBeGreaterThan(2);
    expect(first.most).toBeLessThanOrEqual(2);
    await shot(page, '05b-segments-page-2');
    await secondPage(); // a new document: its counts start at zero
    expect((await seen()).requests).toBe(0);
    // What the rows show is what the API kept, with when it was counted.
    const list = await apiGet<{ items: { id: string; count: number | null; countedAt: string | null }[] }>(
      '/segments',
      cookie,
    );
    const shown = page.locator('[data-testid^="segment-count-"]');
    expect(await shown.count()).toBeGreaterThan(0);
    for (const el of await shown.all()) {
      const id = (await el.getAttribute('data-testid'))!.slice('segment-count-'.length);
      const kept = list.items.find((s) => s.id === id)!;
      expect(kept.countedAt).not.toBeNull();
      expect((await el.textContent())!.replace(/,/g, '')).toBe(String(kept.count));
    }
  });

  it('picks 浙江 and 女装 from lists; a new condition waits, incomplete, without changing the count', async () => {
    const cookie = await pages.cookie();
    const page = await pages.open();
    await page.goto(`${base}/segments/new`);
    const option = (text: RegExp) =>
      page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: text });
    const first = page.getByTestId('condition').first();
    await choose(first.getByTestId('condition-field'), '省份', { type: '省份' });
    await choose(first.getByTestId('condition-value'), '浙江省', { type: '浙江' });
    const evaluate = (rule: unknown) =>
      fetch(`${base}/api/v1/segments/evaluate`, {
        method: 'POST',
        headers: { cookie, 'x-huike-client': 'test', 'content-type': 'application/json' },
        body: JSON.stringify({ rule, limit: 0 }),
      }).then((r) => r.json() as Promise<{ count: number }>);
    const province = { field: 'province', op: 'eq', value: '浙江省' };
    const onlyProvince = await evaluate({ all: [province] });
    const liveCount = () => page.getByTestId('live-count').getAttribute('data-count');
    await expect.poll(liveCount, { timeout: 10_000 }).toBe(String(onlyProvince.count));
    // A new condition has no field yet: it is flagged in Chinese and leaves the count alone.
    await page.getByTestId('add-condition').first().click();
    await page.getByTestId('rule-incomplete').waitFor();
    expect(await page.getByTestId('rule-incomplete').textContent()).toMatch(/第 2 个条件还没选字段/);
    expect(await liveCount()).toBe(String(onlyProvince.count));
    const second = page.getByTestId('condition').nth(1);
    await choose(second.getByTestId('condition-field'), '订单（按条件）', { type: '订单' });
    await second.getByTestId('where-category').click();
    await page.keyboard.type('女装');
    await option(/^女装$/).click();
    const both = await evaluate({ all: [province, { field: 'orders', op: 'exists', where: { category: ['女装'] } }] });
    expect(both.count).toBeGreaterThan(0);
    expect(both.count).toBeLessThan(onlyProvince.count);
    await expect.poll(liveCount, { timeout: 10_000 }).toBe(String(both.count));
    await page.getByTestId('rule-incomplete').waitFor({ state: 'detached' });
    await shot(page, '04b-segment-picks');
  });

  it('imports a Taobao export, watches it finish and shows what it added', async () => {
    const page = await pages.open();
    await page.goto(`${base}/imports`);
    await box(page, 'import-store').fill('回客淘宝店');
    await page.locator('input[type=file]').setInputFiles(fixture('taobao-orders-gbk.csv'));
    await page.getByText('taobao-orders-gbk.csv').waitFor();
    await page.getByTestId('import-submit').click();
    const row = page.getByTestId('import-runs').locator('tbody tr.ant-table-row', { hasText: 'taobao-orders-gbk.csv' });
    await expect
      .poll(
        () =>
          row
            .getByTestId('import-status')
            .textContent()
            .catch(() => null),
        { timeout: 30_000 },
      )
      .toBe('完成');
    const cookie = await pages.cookie();
    const runs = await apiGet<{
      items: { fileName: string; status: string; ordersCreated: number; rowsRejected: number }[];
    }>('/imports', cookie);
    const run = runs.items.find((r) => r.fileName === 'taobao-orders-gbk.csv')!;
    expect(run.status).toBe('done');
    expect(run.ordersCreated).toBeGreaterThan(0);
    await expect.poll(() => row.textContent()).toContain(String(run.ordersCreated));
    await shot(page, '07-imports');
  });

  it('an interrupted import shows as 已中断 with 继续导入, which finishes it', async () => {
    // A run whose process (on another machine) stopped two minutes ago, written as it would have left it.
    const db = openDatabase(`sqlite:${join(dir, 'huike.db')}`);
    const file = join(dir, 'interrupted.csv');
    copyFileSync(fixture('taobao-orders-gbk.csv'), file);
    try {
      const ws = await db.kysely.selectFrom('workspaces').select('id').executeTakeFirstOrThrow();
      const store = await db.kysely
        .selectFrom('stores')
        .selectAll()
        .where('workspace_id', '=', ws.id)
        .executeTakeFirstOrThrow();
      const ctx = { db, now: () => new Date() };
      const run = newRun(ctx, { workspaceId: ws.id, store, format: 'taobao', filePath: file }, 'running');
      await db.kysely
        .insertInto('import_runs')
        .values({ ...run, owner: 'elsewhere:4242', heartbeat_at: new Date(Date.now() - 120_000).toISOString() })
        .execute();
    } finally {
      await db.close();
    }
    const page = await pages.open();
    await page.goto(`${base}/imports`);
    const row = page.getByTestId('import-runs').locator('tbody tr.ant-table-row', { hasText: 'interrupted.csv' });
    await expect.poll(() => row.getByTestId('import-status').textContent()).toBe('已中断');
    await row.getByTestId('import-resume').click();
    await expect
      .poll(
        () =>
          row
            .getByTestId('import-status')
            .textContent()
            .catch(() => null),
        { timeout: 30_000 },
      )
      .toBe('完成');
    // 5 rows rejected in 5 orders (one row per order in this export).
    await expect.poll(() => row.getByTestId('import-rejected').textContent()).toContain('5 / 5');
  });

  it('switches to English and keeps it after a reload', async () => {
    const page = await pages.open();
    await page.goto(`${base}/customers`);
    await page.getByTestId('side-menu').getByText('客户', { exact: true }).waitFor();
    await page.getByTestId('language-switch').getByText('EN').click();
    await page.getByTestId('side-menu').getByText('Customers', { exact: true }).waitFor();
    await page.reload();
    await page.getByTestId('side-menu').getByText('Segments', { exact: true }).waitFor();
    await page.locator('thead th', { hasText: 'Total spent' }).first().waitFor();
    expect(await page.locator('thead th', { hasText: '累计消费' }).count()).toBe(0);
    await shot(page, '08-customers-en');
  });

  it('shows the predicted value on the customer page and the calibration plot on 数据分析', async () => {
    const cookie = await pages.cookie();
    // The demo shop queues its first fit; the worker in the server runs it.
    await expect
      .poll(async () => (await apiGet<{ status: string }>('/predict/model', cookie)).status, { timeout: 90_000 })
      .toBe('fitted');
    const top = await apiGet<{ items: { id: string }[] }>('/customers?sort=spent&limit=1', cookie);
    const detail = await apiGet<{ prediction: { pAlive: number; clvFen: number } | null }>(
      `/customers/${top.items[0]!.id}`,
      cookie,
    );
    expect(detail.prediction).not.toBeNull();
    const page = await pages.open();
    await page.goto(`${base}/customers/${top.items[0]!.id}`);
    const card = page.getByTestId('prediction-card');
    // The one-line explanation carries the same CLV the API computed (¥ with two decimals).
    const yuan = { minimumFractionDigits: 2, maximumFractionDigits: 2 };
    const clv = `¥${(detail.prediction!.clvFen / 100).toLocaleString('en-US', yuan)}`;
    await expect.poll(() => card.textContent()).toContain(clv);
    await page.goto(`${base}/analytics`);
    await page.getByTestId('predict-calibration').locator('canvas').waitFor();
    await page.getByTestId('predict-model').scrollIntoViewIfNeeded();
    // The fitted parameters are folded away until asked for, then named in words.
    expect(await page.getByTestId('predict-params').count()).toBe(0);
    await page.getByTestId('predict-model').getByText('模型参数（供核对）').click();
    await page.getByTestId('predict-params').getByText('购买频次模型（BG/NBD）').waitFor();
    await shot(page, '16-predict-calibration');
  }, 150_000);

  type WalkIds = { customer: string; segment: string; campaigns: string[] };

  /**
   * Walks `routes` (every tab of each) in zh-CN: no English sentence on screen, no script error, no request the API
   * refuses; screenshots of the named ones. The pages go in two tests of about ten, each within its own time limit.
   */
  async function walk(routes: (ids: WalkIds) => [string, string | null][]) {
    const cookie = await pages.cookie();
    const page = await pages.open();
    const top = await apiGet<{ items: { id: string }[] }>('/customers?sort=spent&limit=1', cookie);
    const segments = await apiGet<{ items: { id: string; system: boolean }[] }>('/segments', cookie);
    const campaigns = await apiGet<{ items: { id: string }[] }>('/campaigns', cookie);
    const ids = {
      customer: top.items[0]!.id,
      segment: segments.items.find((s) => !s.system)!.id,
      campaigns: campaigns.items.slice(0, 1).map((c) => c.id),
    };
    const english: string[] = [];
    // No page asks the API for something it refuses while nobody has done anything: a 4xx here is a page asking
    // wrongly (the compare page asked for no campaigns and showed the server's "请填写「ids」").
    const refused: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400 && new URL(r.url()).pathname.startsWith('/api/')) refused.push(`${r.status()} ${r.url()}`);
    });
    const read = async (where: string) => {
      await page.waitForLoadState('networkidle');
      for (const run of englishRuns(await visibleText(page))) english.push(`${where}: ${run}`);
    };
    for (const [path, name] of routes(ids)) {
      await page.goto(`${base}${path}`);
      await page.locator('.ant-layout-content').first().waitFor();
      if (path === '/analytics') await page.getByTestId('china-map').locator('canvas').waitFor();
      // The audit log lists at least this session's own login.
      if (path.endsWith('tab=audit')) await page.locator('.ant-table-row', { hasText: '登录' }).first().waitFor();
      // Opened without campaigns to compare: it says how to pick them.
      if (path === '/campaigns/compare') await page.getByText('还没有选择要对比的活动').waitFor();
      if (name) await shot(page, name);
      await read(path);
      // Every tab of the page's own tab bar.
      const tabs = page.locator('.ant-layout-content .ant-tabs-nav').first().locator('.ant-tabs-tab');
      const n = path.includes('?') ? 0 : await tabs.count();
      for (let i = 1; i < n; i++) {
        await tabs.nth(i).click();
        await read(`${path} [${(await tabs.nth(i).textContent())?.trim()}]`);
      }
    }
    expect(english).toEqual([]);
    expect(refused).toEqual([]);
  }

  it('walks the customer and segment pages in zh-CN: no English sentence, no script error (screenshots)', async () => {
    await walk((ids) => [
      ['/', null],
      ['/customers', null],
      [`/customers/${ids.customer}`, null],
      ['/segments', null],
      ['/segments/new', null],
      [`/segments/${encodeURIComponent(ids.segment)}`, null],
      ['/segments?tab=lifecycle', '14-lifecycle'],
      ['/members', '09-members'],
      ['/points', '10-points'],
      ['/coupons', '11-coupons'],
    ]);
  }, 180_000);

  it('walks the campaign, service, analytics and settings pages in zh-CN: no English, no script error', async () => {
    await walk((ids) => [
      ['/campaigns', '15-campaigns'],
      ['/campaigns/new', null],
      ['/campaigns/compare', null],
      ...ids.campaigns.map((id): [string, null] => [`/campaigns/${id}`, null]),
      ['/automations', null],
      ['/tasks', null],
      ['/analytics', '12-analytics'],
      ['/imports', null],
      ['/settings', '13-settings'],
      ['/settings?tab=audit', '17-audit-log'],
    ]);
  }, 180_000);
});
