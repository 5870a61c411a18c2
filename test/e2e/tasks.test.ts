import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  clickInStillDialog,
  logIn,
  sessionCookie,
  shot,
  startConsole,
  type ConsoleUnderTest,
} from '../support/console.js';

/**
 * 服务任务 in Chromium against the real server: the public survey page on a 390 px phone, the agent's
 * inbox with the task drawer beside the customer's 360, a task made by hand from the customer page,
 * and the survey results and complaint categories. Screenshots go to artifacts/screenshots/.
 */
describe.skipIf(!existsSync(CHROMIUM))('service tasks and surveys in Chromium', () => {
  let app: ConsoleUnderTest | undefined;
  let base = '';
  let browser: Browser;
  let cookie = '';
  let me = '';
  let customer: { id: string; name: string } = { id: '', name: '' };
  let surveyCode = '';

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { cookie, 'x-huike-client': 'e2e', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }
  async function newPage(viewport = { width: 1440, height: 900 }, mobile = false, timezoneId?: string): Promise<Page> {
    const ctx = await browser.newContext({
      viewport,
      locale: 'zh-CN',
      ...(timezoneId ? { timezoneId } : {}),
      ...(mobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    (page as Page & { errors: string[] }).errors = errors;
    return page;
  }
  const errorsOf = (page: Page) => (page as Page & { errors: string[] }).errors;

  beforeAll(async () => {
    app = await startConsole({ prefix: 'huike-e2e-tasks-', demoCustomers: 300 });
    ({ base, browser } = app);
    cookie = await sessionCookie(base);
    me = (await call<{ user: { id: string } }>('GET', '/auth/me')).user.id;
    const top = await call<{ items: { id: string; name: string }[] }>('GET', '/customers?sort=spent&limit=2');
    customer = top.items[0]!;
    const survey = await call<{ id: string }>('POST', '/surveys', {
      name: '签收满意度',
      title: '请为本次购物打分',
      intro: '只需 30 秒',
      thanks: '感谢您的反馈，我们会做得更好！',
      questions: [
        { id: 'overall', kind: 'score', label: '您对这次购物整体满意吗？' },
        { id: 'nps', kind: 'nps', label: '您有多大可能把我们推荐给朋友？' },
        {
          id: 'issue',
          kind: 'choice',
          label: '哪方面最需要改进？',
          options: ['商品质量', '物流快递', '客服服务', '价格', '都很好'],
          required: false,
        },
        { id: 'comment', kind: 'text', label: '还有什么想对我们说的？', required: false },
      ],
    });
    surveyCode = (
      await call<{ code: string }>('POST', `/surveys/${survey.id}/invitations`, { customerId: customer.id })
    ).code;
    const due = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
    await call('POST', '/tasks', {
      type: 'logistics',
      customerId: customer.id,
      dueAt: due(-2),
      priority: 'high',
      assigneeId: me,
      title: '物流 5 天未签收，联系客户',
    });
    await call('POST', '/tasks', {
      type: 'revisit',
      customerId: top.items[1]!.id,
      dueAt: due(24),
      assigneeId: me,
      title: '回访面霜使用效果',
    });
  }, 240_000);

  afterAll(async () => {
    await app?.close();
  });

  it('the survey page fits a 390 px phone, takes one answer and refuses the second politely', async () => {
    const page = await newPage({ width: 390, height: 844 }, true);
    await page.goto(`${base}/s/${surveyCode}`);
    await page.getByText('请为本次购物打分').first().waitFor();
    // Nothing wider than the phone: no sideways scrolling.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    // Every score box is a thumb-sized target inside the screen.
    const boxes = await page.locator('input[name="nps"] + span').evaluateAll((els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { left: r.left, right: r.right, height: r.height };
      }),
    );
    expect(boxes).toHaveLength(11);
    for (const b of boxes) {
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.right).toBeLessThanOrEqual(390);
      expect(b.height).toBeGreaterThanOrEqual(40);
    }
    await shot(page, '40-survey-phone');
    // Submitting without the required answers keeps the page and says what is missing.
    await page.locator('input[name="overall"][value="2"] + span').tap();
    await page.locator('input[name="nps"][value="6"] + span').tap();
    await page.locator('input[name="issue"][value="物流快递"] + span').tap();
    await page.fill('textarea[name="comment"]', '快递太慢了');
    await page.locator('button[type=submit]').tap();
    await page.getByText('提交成功').waitFor();
    await shot(page, '41-survey-thanks');
    await page.goto(`${base}/s/${surveyCode}`);
    await page.getByText('您已提交过这份问卷').waitFor();
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const unknown = await page.goto(`${base}/s/nope.nothing`);
    expect(unknown?.status()).toBe(404);
    await page.getByText('问卷链接无效').first().waitFor();
    expect(errorsOf(page)).toEqual([]);
  });

  it('the inbox lists my tasks earliest due first; the drawer shows the customer and completes the task', async () => {
    const page = await newPage();
    await logIn(page, base);
    await page.goto(`${base}/tasks`);
    const rows = page.getByTestId('task-table').locator('tbody tr.ant-table-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    await expect.poll(() => rows.first().textContent()).toContain('物流 5 天未签收');
    expect(await rows.nth(1).textContent()).toContain('回访面霜使用效果');
    await rows.first().getByTestId('overdue').waitFor();
    await shot(page, '42-tasks-inbox');
    await rows.first().getByText('物流 5 天未签收，联系客户').click();
    const drawer = page.getByTestId('task-drawer');
    await expect.poll(() => drawer.getByTestId('task-customer-name').textContent()).toBe(customer.name);
    await drawer.getByTestId('task-take-up').click();
    await drawer.getByText('处理中').first().waitFor();
    await drawer.getByTestId('task-outcome-input').fill('已联系快递加急派送，客户表示理解');
    await drawer.getByTestId('task-tag-input').fill('物流已安抚');
    await shot(page, '43-task-drawer');
    await drawer.getByTestId('task-complete').click();
    await drawer.getByTestId('task-outcome').waitFor();
    const tasks = await call<{ items: { title: string; status: string; outcome: string | null }[] }>(
      'GET',
      `/customers/${customer.id}/tasks`,
    );
    expect(tasks.items.find((x) => x.title.startsWith('物流'))).toMatchObject({
      status: 'done',
      outcome: '已联系快递加急派送，客户表示理解',
    });
    const tags = await call<{ items: { name: string }[] }>('GET', `/customers/${customer.id}/tags`);
    expect(tags.items.map((x) => x.name)).toContain('物流已安抚');
    const tl = await call<{ items: { kind: string; detail: string | null }[] }>(
      'GET',
      `/customers/${customer.id}/timeline`,
    );
    expect(tl.items.find((x) => x.kind === 'task.done')?.detail).toBe('已联系快递加急派送，客户表示理解');
    // The finished task leaves the unfinished list.
    await page.keyboard.press('Escape');
    await expect.poll(() => rows.count()).toBe(1);
    // The view and filters are in the address: a reload keeps 已完成 and says how many there are.
    await page.locator('.ant-drawer-close').click();
    await drawer.waitFor({ state: 'hidden' });
    await page.getByTestId('task-status-filter').click();
    await page.locator('.ant-select-item-option').filter({ hasText: '已完成' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('done');
    await expect.poll(() => rows.count()).toBe(1);
    await page.reload();
    await expect.poll(() => rows.first().textContent()).toContain('物流 5 天未签收');
    expect(await page.getByTestId('task-status-filter').textContent()).toContain('已完成');
    expect(await page.locator('.ant-pagination-total-text').textContent()).toBe('共 1 个任务');
    // The 已逾期 count opens everyone's overdue tasks.
    await page.getByTestId('task-count-overdue').click();
    await expect.poll(() => new URL(page.url()).search).toBe('?view=all&overdue=1');
    expect(errorsOf(page)).toEqual([]);
  });

  it('a task made by hand from the customer page lands in the inbox', async () => {
    // A browser far from the shop (Los Angeles): the due time offered and saved is the shop's 10:00 tomorrow.
    const page = await newPage(undefined, false, 'America/Los_Angeles');
    await logIn(page, base);
    await page.goto(`${base}/customers/${customer.id}`);
    await page.getByRole('tab', { name: '服务任务' }).click();
    await page.getByTestId('customer-new-task').click();
    const form = page.getByTestId('new-task-form');
    await form.getByTestId('task-title').fill('售后换货跟进');
    const dialog = page.locator('.ant-modal:visible');
    // A time already past is refused in the form (today picked kept 10:00: an evening's task was overdue when made).
    const due = form.locator('.ant-picker input');
    const kept = await due.inputValue();
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    await due.click();
    await due.fill(`${today} 00:00`);
    await due.press('Enter');
    await clickInStillDialog(dialog, dialog.locator('.ant-modal-footer .ant-btn-primary'));
    await form.getByText('截止时间已经过了：请选一个以后的时间').waitFor();
    await due.click();
    await due.fill(kept);
    await due.press('Enter');
    // The dialog is open and still by now (its opening zoom is long over).
    await dialog.locator('.ant-modal-footer .ant-btn-primary').click();
    await page.getByTestId('customer-task-table').getByText('售后换货跟进').waitFor();
    const list = await call<{ items: { title: string; source: string; customerId: string; dueAt: string }[] }>(
      'GET',
      '/tasks?view=all',
    );
    const made = list.items.find((x) => x.title === '售后换货跟进');
    expect(made).toMatchObject({ source: 'manual', customerId: customer.id });
    // 10:00 in Shanghai (UTC+8) is 02:00 UTC: it was saved as the browser's 10:00 (18:00 in Shanghai).
    expect(made!.dueAt.slice(11, 16)).toBe('02:00');
    await shot(page, '44-customer-tasks');
    expect(errorsOf(page)).toEqual([]);
  });

  it('shows the survey results and the complaint categories', async () => {
    const page = await newPage();
    await logIn(page, base);
    await page.goto(`${base}/tasks?tab=surveys`);
    const results = page.getByTestId('survey-results');
    await results.getByText('签收满意度').waitFor();
    await results.getByText('您对这次购物整体满意吗？').first().waitFor();
    await shot(page, '45-survey-results');
    await page.goto(`${base}/tasks?tab=complaints`);
    await page.getByTestId('complaint-table').getByText('物流快递').waitFor();
    await page.getByTestId('complaint-chart').locator('canvas').waitFor();
    await shot(page, '46-complaints');
    expect(errorsOf(page)).toEqual([]);
    // No English sentence on the zh-CN screens.
    const text = await page.locator('main, .ant-layout-content').first().innerText();
    expect(text).not.toMatch(/\b(the|and|survey|task|complaint)\b/i);
  });
});
