import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, logIn, sessionCookie, shot, startConsole, type ConsoleUnderTest } from '../support/console.js';

/**
 * What each role is offered on screen: the controls a role may not use are not shown (a seller's walk found an
 * agent offered 调整积分 and 发一张券, an analyst 新建优惠券 and 保存分群, a marketer the tier ladder's 保存 — each
 * answered with the server's refusal, and an agent's segment CSV opened that refusal as a page of English JSON).
 */
describe.skipIf(!existsSync(CHROMIUM))('controls by role in Chromium', () => {
  let app: ConsoleUnderTest | undefined;
  let base = '';
  let browser: Browser;
  let customerId = '';
  let segmentId = '';

  async function call<T>(cookie: string, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { cookie, 'x-huike-client': 'e2e', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
  async function pageAs(login: string): Promise<Page & { errors: string[] }> {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    const page = (await ctx.newPage()) as Page & { errors: string[] };
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e.message));
    await logIn(page, base, { login, password: 'role-pass-123' });
    return page;
  }

  beforeAll(async () => {
    app = await startConsole({ prefix: 'huike-e2e-roles-', demoCustomers: 50 });
    ({ base, browser } = app);
    const owner = await sessionCookie(base);
    for (const role of ['agent', 'analyst', 'marketer'])
      await call(owner, 'POST', '/users', { login: `e2e-${role}`, password: 'role-pass-123', role, name: role });
    customerId = (await call<{ items: { id: string }[] }>(owner, 'GET', '/customers?limit=1')).items[0]!.id;
    segmentId = (await call<{ items: { id: string; system: boolean }[] }>(owner, 'GET', '/segments')).items.find(
      (s) => !s.system,
    )!.id;
  }, 300_000);
  afterAll(async () => {
    await app?.close();
  });

  it('an agent sees no points, tier or coupon action on a customer and no export on a segment', async () => {
    const page = await pageAs('e2e-agent');
    await page.goto(`${base}/customers/${customerId}`);
    await page.getByTestId('customer-name').waitFor();
    // Merging and tags are an agent's work; points, tiers and coupons are not.
    await page.getByTestId('action-merge').waitFor();
    for (const id of ['action-points', 'action-tier', 'action-coupon'])
      expect(await page.getByTestId(id).count(), id).toBe(0);
    await shot(page, 'roles-agent-customer');
    await page.goto(`${base}/segments/${encodeURIComponent(segmentId)}`);
    await page.getByText('返回分群列表').or(page.locator('a[href="/segments"]')).first().waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByRole('link', { name: /CSV/ }).count()).toBe(0);
    expect(await page.getByTestId('save-segment').count()).toBe(0);
    // No 新建活动 (the wizard refused its fourth step), no 测试发送 on a channel (refused: 修改设置).
    await page.goto(`${base}/campaigns`);
    await page.getByTestId('campaign-list').or(page.locator('.ant-empty')).first().waitFor();
    expect(await page.getByTestId('new-campaign').count()).toBe(0);
    await page.goto(`${base}/settings?tab=channels`);
    await page.getByTestId('channels').waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByTestId('test-send').count()).toBe(0);
    // RFM settings: one line why (it was a failed load with 重试).
    await page.goto(`${base}/settings?tab=rfm`);
    await expect.poll(() => page.getByTestId('rfm-no-access').textContent()).toContain('查看数据分析');
    expect(page.errors).toEqual([]);
  }, 120_000);

  it('an analyst reads coupons and points without their buttons; a marketer previews tiers, saves not', async () => {
    const analyst = await pageAs('e2e-analyst');
    await analyst.goto(`${base}/coupons`);
    await analyst.locator('.ant-table-row').first().waitFor();
    expect(await analyst.getByTestId('new-coupon').count()).toBe(0);
    expect(await analyst.locator('[data-testid^="coupon-actions-"]').count()).toBe(0);
    await analyst.goto(`${base}/points`);
    await analyst.getByText('积分规则').first().waitFor();
    expect(await analyst.getByTestId('reward-new').count()).toBe(0);
    // A page the menu hides, opened by its address: one line why, not the import form beside a refusal.
    await analyst.goto(`${base}/imports`);
    await expect.poll(() => analyst.getByTestId('page-forbidden').textContent()).toContain('需要「导入」权限');
    expect(await analyst.locator('input[type=file]').count()).toBe(0);
    // Automations: read, with their runs; no switch that moves, no settings, dry run, import or new one.
    await analyst.goto(`${base}/automations`);
    await analyst.getByTestId('automation-switch-cart_reminder').waitFor();
    expect(await analyst.getByTestId('automation-switch-cart_reminder').isDisabled()).toBe(true);
    for (const id of ['automation-dry-cart_reminder', 'automation-settings-cart_reminder', 'automation-new'])
      expect(await analyst.getByTestId(id).count(), id).toBe(0);
    await analyst.getByTestId('automation-flow-cart_reminder').click();
    await analyst.getByText('你的角色只能查看自动化').waitFor();
    expect(await analyst.getByTestId('automation-copy').count()).toBe(0);
    expect(await analyst.getByTestId('editor-dry-run-button').count()).toBe(0);
    await shot(analyst, 'roles-analyst-automation');
    const marketer = await pageAs('e2e-marketer');
    await marketer.goto(`${base}/members`);
    await marketer.getByTestId('tiers-preview').waitFor();
    await marketer.getByText('只有店主和管理员可以保存会员等级设置').waitFor();
    expect(await marketer.getByRole('button', { name: /立即评估/ }).count()).toBe(0);
    await shot(marketer, 'roles-marketer-members');
    expect([...analyst.errors, ...marketer.errors]).toEqual([]);
  }, 120_000);

  it("an erased customer's page is read-only: no actions, no tag editing, a tag saying why", async () => {
    const owner = await sessionCookie(base);
    const list = await call<{ items: { id: string }[] }>(owner, 'GET', '/customers?limit=3');
    const target = list.items[2]!.id;
    await call(owner, 'POST', `/customers/${target}/erase`, { confirm: target, reason: '客户要求删除' });
    const page = await pageAs('e2e-marketer');
    await page.goto(`${base}/customers/${target}`);
    await page.getByTestId('customer-erased').waitFor();
    for (const id of ['action-merge', 'action-points', 'action-coupon', 'add-tag'])
      expect(await page.getByTestId(id).count(), id).toBe(0);
    await shot(page, 'roles-erased-customer');
    expect(page.errors).toEqual([]);
  }, 120_000);
});
