import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, logIn, sessionCookie, shot, startConsole, type ConsoleUnderTest } from '../support/console.js';

/**
 * The customer list's count and empty states, 修改密码 from the user menu (as a user made for this
 * suite, so the demo owner's password stays) and the segment editor's leave guard, in Chromium
 * against the real server. Screenshots go to artifacts/screenshots/.
 */
describe.skipIf(!existsSync(CHROMIUM))('customer list, password and leave guard in Chromium', () => {
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
    app = await startConsole({ prefix: 'huike-e2e-listui-', demoCustomers: 300, portFrom: 47000 });
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
});
