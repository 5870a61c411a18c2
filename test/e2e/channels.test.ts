import { existsSync } from 'node:fs';
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
import { ALIYUN_CRED, type FakeProviders, startFakeProviders } from '../support/fake-providers.js';

/**
 * 设置 → 渠道 in Chromium: an Aliyun SMS channel added through its form, a test send that reaches the
 * local fake provider through the SDK, and the edit dialog (receipt addresses, a new template code,
 * credentials kept).
 */
describe.skipIf(!existsSync(CHROMIUM))('设置 → 渠道 in Chromium', () => {
  let app: ConsoleUnderTest | undefined;
  let fake: FakeProviders;
  let cookie = '';
  const hadKey = process.env.HUIKE_SECRET_KEY;

  beforeAll(async () => {
    process.env.HUIKE_SECRET_KEY = 'e2e-secret-key-0123456789abcdef';
    fake = await startFakeProviders();
    app = await startConsole({ prefix: 'huike-e2e-channels-', demoCustomers: 50 });
    cookie = await sessionCookie(app.base);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await fake?.close();
    if (hadKey === undefined) delete process.env.HUIKE_SECRET_KEY;
    else process.env.HUIKE_SECRET_KEY = hadKey;
  });

  const channels = async () => {
    const res = await fetch(`${app!.base}/api/v1/messaging/channels`, {
      headers: { cookie, 'x-huike-client': 'test' },
    });
    return ((await res.json()) as { items: { id: string; name: string; kind: string; config: object }[] }).items;
  };

  it('adds an Aliyun SMS channel by its form, test-sends through the SDK and edits it', async () => {
    const ctx = await app!.browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await logIn(page, app!.base);
    await page.goto(`${app!.base}/settings?tab=channels`);
    await page.getByTestId('add-channel').click();
    const dialog = page.locator('.ant-modal:visible');
    await dialog.getByTestId('channel-name').fill('阿里云营销短信');
    await choose(dialog.locator('.ant-select').first(), '阿里云短信');
    await dialog.getByTestId('field-signName').fill('回客旗舰店');
    await dialog.getByTestId('field-templateCode').fill('SMS_154950909');
    await dialog.getByTestId('field-endpoint').fill(fake.url);
    await dialog.getByTestId('field-accessKeyId').fill(ALIYUN_CRED.accessKeyId);
    await dialog.getByTestId('field-accessKeySecret').fill(ALIYUN_CRED.accessKeySecret);
    await shot(page, 'channel-aliyun-form');
    await dialog.locator('.ant-modal-footer .ant-btn-primary').click();
    await expect.poll(async () => (await channels()).find((c) => c.name === '阿里云营销短信')?.kind).toBe('aliyun_sms');
    const created = (await channels()).find((c) => c.name === '阿里云营销短信')!;
    expect(created.config).toMatchObject({ signName: '回客旗舰店', templateCode: 'SMS_154950909', endpoint: fake.url });

    const row = page.locator('[data-testid=channels] tr', { hasText: '阿里云营销短信' });
    await row.getByTestId('test-send').click();
    const test = page.locator('.ant-modal:visible');
    await test.getByTestId('test-to').fill('13700001234');
    await test.locator('.ant-modal-footer .ant-btn-primary').click();
    // The provider's SDK loads on the first message sent: give the send a user's patience, not a second.
    await expect.poll(() => fake.sent.filter((s) => s.to === '13700001234').length, { timeout: 20_000 }).toBe(1);
    expect(fake.rejected).toEqual([]);

    await row.getByTestId('edit-channel').click();
    const edit = page.locator('.ant-modal:visible');
    await expect.poll(() => edit.getByTestId('channel-hooks').innerText()).toMatch(/\/receipts\//);
    await edit.getByTestId('field-templateCode').fill('SMS_999000111');
    await shot(page, 'channel-aliyun-edit');
    await edit.locator('.ant-modal-footer .ant-btn-primary').click();
    await expect
      .poll(async () => (await channels()).find((c) => c.id === created.id)?.config)
      .toMatchObject({ templateCode: 'SMS_999000111', signName: '回客旗舰店' });
    // Credentials left empty in the dialog were kept: the channel still signs correctly.
    await row.getByTestId('test-send').click();
    await page.locator('.ant-modal:visible').getByTestId('test-to').fill('13700001235');
    await page.locator('.ant-modal:visible .ant-modal-footer .ant-btn-primary').click();
    await expect.poll(() => fake.sent.filter((s) => s.to === '13700001235').length, { timeout: 20_000 }).toBe(1);
    expect(fake.sent.at(-1)).toMatchObject({ template: 'SMS_999000111' });
    expect(fake.rejected).toEqual([]);
    expect(errors).toEqual([]);
    await ctx.close();
  }, 120_000);
});
