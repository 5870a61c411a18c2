import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  choose,
  logIn,
  sessionCookie,
  shot,
  startConsole,
  type ConsoleUnderTest,
} from '../support/console.js';
import { nameKeys } from '../../src/core/pinyin-keys.js';

/**
 * The customer list's count and empty states, 修改密码 from the user menu (as a user made for this
 * suite, so the demo owner's password stays), the segment editor's leave guard, and the settings screens
 * (workspace time zone, RFM thresholds, points rewards), in Chromium against the real server. Screenshots go to
 * artifacts/screenshots/.
 */
describe.skipIf(!existsSync(CHROMIUM))('customer list, password, leave guard and settings in Chromium', () => {
  let app: ConsoleUnderTest | undefined;
  let base = '';
  let browser: Browser;
  let cookie = '';

  async function call<T>(method: string, path: string, body?: unknown, status = 200): Promise<T> {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { cookie, 'x-huike-client': 'e2e', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status !== status) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
  async function newPage(): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    (page as Page & { errors: string[] }).errors = errors;
    return page;
  }
  const errorsOf = (page: Page) => (page as Page & { errors: string[] }).errors;
  const totalOf = async (page: Page) =>
    Number(await page.locator('[data-testid="customer-total"]').getAttribute('data-total'));

  beforeAll(async () => {
    app = await startConsole({ prefix: 'huike-e2e-listui-', demoCustomers: 300 });
    ({ base, browser } = app);
    cookie = await sessionCookie(base);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  it('shows the API total for a search, marks what matched, and tells no match from no customers', async () => {
    const page = await newPage();
    await logIn(page, base);
    await page.goto(`${base}/customers`);
    await page.waitForSelector('[data-testid="customer-total"]');
    const all = await call<{ total: number }>('GET', '/customers?limit=20');
    expect(all.total).toBe(300);
    expect(await totalOf(page)).toBe(all.total);
    await expect(page.locator('[data-testid="customer-total"]').innerText()).resolves.toBe('共 300 位客户');
    // The column the list is sorted by is shown (sorted by 最近下单, only 最近购买 was, and the list looked unsorted).
    const headers = () => page.locator('[data-testid="customer-table"] thead th').allInnerTexts();
    expect(await headers()).toContain('最近下单');
    await page.goto(`${base}/customers?sort=newest`);
    await page.waitForSelector('[data-testid="customer-total"]');
    await expect.poll(async () => (await headers()).includes('客户')).toBe(true);
    expect(await headers()).not.toContain('最近下单');
    await page.goto(`${base}/customers`);
    await page.waitForSelector('[data-testid="customer-total"]');
    // 下一页 is below the list: the next page is shown from its first row, not left scrolled to the bottom.
    const next = page.getByTestId('customers-next');
    await next.scrollIntoViewIfNeeded();
    const firstRow = page.locator('[data-testid="customer-table"] tbody tr.ant-table-row').first();
    const before = await firstRow.innerText();
    await next.click();
    await expect.poll(() => firstRow.innerText()).not.toBe(before);
    await expect.poll(() => page.locator('[data-testid="customer-total"]').isVisible()).toBe(true);
    const top = await page.locator('[data-testid="customer-total"]').boundingBox();
    expect(top && top.y >= 0 && top.y < 900).toBe(true);
    await page.getByRole('button', { name: '上一页' }).click();
    await expect.poll(() => firstRow.innerText()).toBe(before);

    const search = page.locator('[data-testid="customer-search"] input, input[data-testid="customer-search"]').first();
    await search.fill('TB');
    await search.press('Enter');
    await page.waitForURL(/q=TB/);
    const api = await call<{ total: number; items: { matched: string }[] }>('GET', '/customers?q=TB&limit=20');
    expect(api.total).toBeGreaterThan(0);
    await page.waitForSelector(`[data-testid="customer-total"][data-total="${api.total}"]`);
    expect(await page.locator('mark').count()).toBeGreaterThan(0);
    await expect(page.locator('[data-testid="matched-field"]').first().innerText()).resolves.toBe('匹配：昵称');
    await shot(page, 'customers-search-count');

    await search.fill('没有这个客户zz');
    await search.press('Enter');
    await page.waitForSelector('text=搜索无结果');
    expect(await totalOf(page)).toBe(0);
    expect(await page.locator('text=还没有客户').count()).toBe(0);
    await shot(page, 'customers-no-match');
    await page.click('[data-testid="clear-search"]');
    await page.waitForSelector(`[data-testid="customer-total"][data-total="${all.total}"]`);
    expect(new URL(page.url()).searchParams.get('q')).toBeNull();
    expect(errorsOf(page)).toEqual([]);
  }, 120_000);

  it('finds a customer by the pinyin initials of a Chinese name, typed without switching the IME', async () => {
    const list = await call<{ items: { id: string; name: string; realName: string | null }[] }>(
      'GET',
      '/customers?limit=100&sort=newest',
    );
    // A customer whose real name is Chinese, searched by its initials (张佳怡 → zjy).
    const target = list.items.find((i) => i.realName && /^\p{Script=Han}{2,}$/u.test(i.realName))!;
    expect(target).toBeDefined();
    const initials = nameKeys(target.realName!)[1]!;
    const api = await call<{ total: number; items: { id: string; matched: string }[] }>(
      'GET',
      `/customers?q=${initials}&limit=100`,
    );
    expect(api.items.find((i) => i.id === target.id)?.matched).toBe('realName');

    const page = await newPage();
    await logIn(page, base);
    await page.goto(`${base}/customers`);
    const search = page.locator('[data-testid="customer-search"] input, input[data-testid="customer-search"]').first();
    await search.fill(initials.toUpperCase());
    await search.press('Enter');
    await page.waitForSelector(`[data-testid="customer-total"][data-total="${api.total}"]`);
    const row = page.locator('[data-matched="realName"]', { hasText: target.realName! }).first();
    await expect(row.locator('[data-testid="matched-field"]').innerText()).resolves.toBe('匹配：姓名（拼音）');
    await shot(page, 'customers-search-pinyin');
    expect(errorsOf(page)).toEqual([]);
  }, 120_000);

  it('the segment editor asks before leaving unsaved edits', async () => {
    const page = await newPage();
    await logIn(page, base);
    await page.goto(`${base}/segments/new`);
    await page.waitForSelector('#name');
    await page.fill('#name', '未保存的分群');
    await page.click('[data-testid="side-menu"] >> text=客户');
    await page.waitForSelector('text=有未保存的修改 >> visible=true');
    await shot(page, 'segment-leave-guard');
    await page.click('button:has-text("继续编辑")');
    expect(new URL(page.url()).pathname).toBe('/segments/new');
    await page.click('[data-testid="side-menu"] >> text=客户');
    await page.click('[data-testid="leave-confirm"]');
    await page.waitForURL((u) => u.pathname === '/customers');
    expect(errorsOf(page)).toEqual([]);
  }, 120_000);

  it('a user changes their own password from the user menu and logs in with the new one', async () => {
    const user = { login: 'pw-e2e', password: 'old-pass-123', name: '改密测试', role: 'marketer' };
    await call('POST', '/users', user, 201);
    const page = await newPage();
    await logIn(page, base, user);
    await page.hover('[data-testid="user-menu"]');
    await page.click('text=修改密码');
    await page.waitForSelector('[data-testid="password-form"]');
    // Validation first: too short, then two different new passwords.
    await page.fill('#currentPassword', 'wrong-pass-1');
    await page.fill('#newPassword', 'short');
    await page.fill('#confirm', 'other');
    await page.click('button:has-text("确认修改")');
    await page.waitForSelector('text=新密码至少 8 位');
    await page.waitForSelector('text=两次输入的新密码不一致');
    await page.fill('#newPassword', 'new-pass-456');
    await page.fill('#confirm', 'new-pass-456');
    await page.click('button:has-text("确认修改")');
    await page.waitForSelector('text=当前密码不正确');
    await page.fill('#currentPassword', user.password);
    await page.click('button:has-text("确认修改")');
    await page.waitForSelector('text=密码已修改');
    await shot(page, 'password-changed');
    // This browser stays signed in (the server gave it a new session).
    await page.goto(`${base}/customers`);
    await page.waitForSelector('[data-testid="customer-total"]');
    expect(errorsOf(page)).toEqual([]);

    const old = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: user.login, password: user.password }),
    });
    expect(old.status).toBe(401);
    const fresh = await newPage();
    await logIn(fresh, base, { login: user.login, password: 'new-pass-456' });
    expect(new URL(fresh.url()).pathname).not.toMatch(/^\/login/);
  }, 120_000);

  it('sets fixed RFM thresholds in 设置 and recomputes', async () => {
    type Rfm = { dormantDays: number; scoring: string; thresholds?: Record<string, number[]> };
    const before = await call<Rfm>('GET', '/rfm/settings');
    const page = await newPage();
    await logIn(page, base);
    await page.goto(`${base}/settings?tab=rfm`);
    await page.locator('#dormantDays').fill('100');
    await page.getByText('固定阈值', { exact: true }).click();
    const values: Record<string, number[]> = {
      recencyDays: [30, 60, 120, 240],
      orders: [1, 2, 3, 5],
      spentFen: [10000, 30000, 80000, 200000],
    };
    // Spend is typed in yuan on screen, stored in fen.
    const typed = { ...values, spentFen: [100, 300, 800, 2000] };
    for (const [k, v] of Object.entries(typed))
      for (const [i, n] of v.entries()) await page.locator(`#thresholds_${k}_${i}`).fill(String(n));
    await shot(page, 'settings-rfm-thresholds');
    await page.getByRole('button', { name: '保存并重新计算' }).click();
    await page.getByText('已重新计算 RFM 与生命周期').waitFor();
    const after = await call<Rfm>('GET', '/rfm/settings');
    expect(after).toMatchObject({ dormantDays: 100, scoring: 'thresholds', thresholds: values });
    expect(errorsOf(page)).toEqual([]);
    await call('PUT', '/rfm/settings', before);
  }, 120_000);

  it('adds, edits and archives a points reward; archived ones show on request', async () => {
    type Rewards = { items: { name: string; pointsCost: number; stock: number | null; archivedAt: string | null }[] };
    const page = await newPage();
    await logIn(page, base);
    await page.goto(`${base}/points`);
    await page.getByTestId('reward-new').click();
    const dialog = page.locator('.ant-modal:visible');
    await dialog.locator('#name').fill('保温杯');
    await dialog.locator('#pointsCost').fill('500');
    await dialog.locator('#stock').fill('10');
    await dialog.locator('.ant-btn-primary').click();
    const row = page.locator('tr.ant-table-row', { hasText: '保温杯' });
    await row.waitFor();
    await row.getByRole('button', { name: '编辑' }).click();
    await page.locator('.ant-modal:visible #pointsCost').fill('600');
    await shot(page, 'points-reward-edit');
    await page.locator('.ant-modal:visible .ant-btn-primary').click();
    await expect.poll(() => row.textContent()).toContain('600');
    const listed = await call<Rewards>('GET', '/points/rewards');
    expect(listed.items.find((r) => r.name === '保温杯')).toMatchObject({
      pointsCost: 600,
      stock: 10,
      archivedAt: null,
    });
    // Archiving asks first, then the reward leaves the list; it stays, marked, among the archived.
    await page.getByTestId('reward-actions-保温杯').getByRole('button', { name: '归档' }).click();
    await page.locator('.ant-popconfirm .ant-btn-primary').click();
    await row.waitFor({ state: 'detached' });
    await page.getByTestId('rewards-show-archived').click();
    const archived = page.locator('tr.ant-table-row', { hasText: '保温杯' });
    await expect.poll(() => archived.textContent()).toContain('已归档');
    await shot(page, 'points-rewards-archived');
    expect(errorsOf(page)).toEqual([]);
  }, 120_000);

  it('changes the workspace time zone from a pick-list after a warning of what is recomputed', async () => {
    const page = await newPage();
    await logIn(page, base);
    await page.goto(`${base}/settings?tab=workspace`);
    const select = page.getByTestId('workspace-timezone');
    await expect.poll(() => select.textContent()).toContain('中国标准时间');
    // Typing the city's Chinese name finds the zone.
    await choose(select, /英国（伦敦）/, { type: '伦敦' });
    await page.getByTestId('workspace-timezone-save').click();
    const confirm = page.getByTestId('timezone-confirm');
    await confirm.waitFor();
    // The zones by the names the seller picked them by, not their IANA ids.
    expect(await page.locator('.ant-modal-confirm-title').textContent()).toBe(
      '把时区从 中国标准时间（北京、上海） 改为 英国（伦敦）？',
    );
    expect(await confirm.textContent()).toContain('RFM 分层和预测将在后台按新时区重新计算');
    await shot(page, 'settings-timezone-confirm');
    await page.locator('.ant-modal-confirm-btns .ant-btn-primary').click();
    await page.getByText('时区已改为 英国（伦敦）').waitFor();
    await expect
      .poll(async () => (await call<{ workspace: { timezone: string } }>('GET', '/auth/me')).workspace.timezone)
      .toBe('Europe/London');
    // The page's own subtitle follows without a reload.
    await page.getByText('时区 英国（伦敦）').first().waitFor();
    expect(errorsOf(page)).toEqual([]);
    // Last in the file: the rebuilds it queued run while the server closes, and nothing after reads its zone.
  }, 120_000);
});
