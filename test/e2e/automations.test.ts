import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/db/connect.js';
import { jobHandlers } from '../../src/jobs/handlers.js';
import { createWorker } from '../../src/jobs/worker.js';
import { CHROMIUM, DEMO_LOGIN as LOGIN, startConsole, type ConsoleUnderTest } from '../support/console.js';

/**
 * 自动化 in Chromium against the real server: 催付 switched on by its switch, an unpaid order posted through
 * the API, a worker on a clock the test moves 31 minutes on (and to 08:00 when that falls at night) puts the
 * reminder in the outbox, and the run shows in the run log and on the customer's timeline.
 */
describe.skipIf(!existsSync(CHROMIUM))('自动化 in Chromium', () => {
  let app: ConsoleUnderTest | undefined;
  let base: string;
  let browser: Browser;
  let cookie: string;
  let db: Db;

  async function apiCall<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        cookie,
        'x-huike-client': 'test',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return (await res.json()) as T;
  }

  beforeAll(async () => {
    app = await startConsole({ prefix: 'huike-e2e-auto-', demoCustomers: 200, portFrom: 45000 });
    ({ base, browser } = app);
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(LOGIN),
    });
    cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    db = openDatabase(`sqlite:${join(app.dir, 'huike.db')}`);
  }, 180_000);

  afterAll(async () => {
    await db?.close();
    await app?.close();
  });

  it('switch on 催付, post an unpaid order, the reminder reaches the outbox after the delay', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    await page.goto(`${base}/login`);
    await page.fill('#login', LOGIN.login);
    await page.fill('#password', LOGIN.password);
    await page.click('button[type=submit]');
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.goto(`${base}/automations`);
    const sw = page.getByTestId('automation-switch-cart_reminder');
    await sw.waitFor();
    const saved = page.waitForResponse(
      (r) => r.url().endsWith('/api/v1/automations') && r.request().method() === 'POST',
    );
    await sw.click();
    const r = await saved;
    expect(r.status(), await r.text()).toBe(200);
    await expect.poll(async () => sw.getAttribute('aria-checked')).toBe('true');

    const stores = await apiCall<{ items: { id: string }[] }>('GET', '/stores');
    const created = new Date();
    await apiCall('POST', '/orders', {
      storeId: stores.items[0]!.id,
      order: {
        externalId: 'E2E-UNPAID-1',
        status: 'created',
        createdAt: created.toISOString(),
        totalFen: 12_900,
        title: '精华液',
        buyer: { nick: '自动化测试买家', phone: '13911112222' },
      },
    });
    // The worker's clock: 31 minutes after the order, then on to when the message may go (08:00 at night).
    let now = new Date(created.getTime() + 31 * 60_000);
    const worker = () => createWorker({ db, now: () => now }, { handlers: jobHandlers }).drain();
    await expect
      .poll(async () => {
        await worker();
        return (await db.kysely.selectFrom('messages').select('id').where('source_type', '=', 'automation').execute())
          .length;
      })
      .toBe(1);
    const msg = await db.kysely
      .selectFrom('messages')
      .selectAll()
      .where('source_type', '=', 'automation')
      .executeTakeFirstOrThrow();
    now = new Date(Math.max(now.getTime(), Date.parse(msg.send_at!)));
    await worker();
    const outbox = await apiCall<{ items: { status: string; body: string; customerId: string }[] }>(
      'GET',
      '/messages?sourceType=automation',
    );
    expect(outbox.items).toHaveLength(1);
    expect(outbox.items[0]).toMatchObject({ status: 'sent' });
    expect(outbox.items[0]!.body).toContain('E2E-UNPAID-1');

    await page.reload();
    await page.getByTestId('automation-runs-cart_reminder').click();
    await expect.poll(async () => page.getByTestId('automation-run-log').innerText()).toContain('自动化测试买家');
    const tl = await apiCall<{ items: { kind: string; title: string }[] }>(
      'GET',
      `/customers/${outbox.items[0]!.customerId}/timeline`,
    );
    expect(tl.items.filter((e) => e.kind.startsWith('automation.')).map((e) => e.title)).toContain(
      '自动化「催付」已完成',
    );
  }, 180_000);
});
