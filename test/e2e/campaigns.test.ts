import { parseLocalDateTime } from '../../src/core/time.js';
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  choose,
  clickInStillDialog,
  logIn,
  noticesSeen,
  recordNotices,
  sessionCookie,
  pickOption,
  SETTLED,
  shot,
  startConsole,
  type ConsoleUnderTest,
} from '../support/console.js';

/**
 * 营销活动 in Debian's Chromium against the real server (demo shop + worker): a campaign created by
 * clicking through the wizard, dry-run, sent to the outbox and read back in its report. Screenshots
 * at 1440×900 go to artifacts/screenshots/.
 */
const HAN = /[\u4e00-\u9fff]/;

/** OK on the launch's confirm, once it stands still (a click on it zooming in missed twice in CI runs). */
async function confirmLaunch(page: Page): Promise<void> {
  const confirm = page.locator('.ant-modal-confirm');
  await clickInStillDialog(confirm, confirm.locator('.ant-modal-confirm-btns .ant-btn-primary'));
}

describe.skipIf(!existsSync(CHROMIUM))('营销活动 in Chromium', () => {
  let app: ConsoleUnderTest | undefined;
  let base: string;
  let browser: Browser;
  let cookie: string;

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
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return (await res.json()) as T;
  }
  async function newPage(): Promise<Page & { errors: string[] }> {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN' });
    const page = (await ctx.newPage()) as Page & { errors: string[] };
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e.message));
    await logIn(page, base);
    return page;
  }
  /** Visible text of the page content that is an English sentence (3+ Latin words in a row). */
  async function englishOnScreen(page: Page): Promise<string[]> {
    const text = await page.locator('main, .ant-layout-content').first().innerText();
    return text.split('\n').filter((l) => /[A-Za-z]{2,}(\s+[A-Za-z]{2,}){2,}/.test(l) && !HAN.test(l));
  }

  beforeAll(async () => {
    app = await startConsole({ prefix: 'huike-e2e-campaigns-', demoCustomers: 600 });
    ({ base, browser } = app);
    cookie = await sessionCookie(base);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
  });

  it('creates a campaign by clicking, dry-runs it, sends it to the outbox and reads its report', async () => {
    // Marketing SMS must carry the shop's signature: set once, as a seller would in 设置 → 发送规则.
    // The windows open all day long, so the campaign goes out now whenever 08:00–22:00 in Shanghai (marketing SMS
    // never goes outside those hours, whatever the settings); at night it waits, and the test checks that instead.
    await apiCall('PUT', '/messaging/settings', {
      windows: [{ start: '08:00', end: '22:00' }],
    });
    const hour = Number(
      new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: 'Asia/Shanghai' }).format(
        new Date(),
      ),
    );
    const daytime = hour >= 8 && hour < 22;
    const page = await newPage();
    // 设置 → 发送规则: the shop signature every marketing SMS must carry.
    await page.goto(`${base}/settings?tab=sendRules`);
    await page.getByTestId('sms-signature').fill('回客旗舰店');
    await page.getByTestId('save-rules').click();
    await expect
      .poll(
        async () => (await apiCall<{ settings: { smsSignature: string } }>('GET', '/messaging/settings')).settings,
        SETTLED,
      )
      .toMatchObject({ smsSignature: '回客旗舰店' });
    expect(await englishOnScreen(page)).toEqual([]);
    await shot(page, '46-send-rules');
    // 设置 → 渠道: the built-in outbox is listed; a test send goes through it.
    await page.goto(`${base}/settings?tab=channels`);
    await page.getByTestId('channels').getByText('发件箱（不真实发送）').waitFor();
    await page.getByTestId('test-send').first().click();
    await page.getByTestId('test-to').fill('13800000000');
    await page.locator('.ant-modal-footer .ant-btn-primary').click();
    await page.locator('.ant-message-success', { hasText: '测试消息已发出' }).waitFor();
    expect(await englishOnScreen(page)).toEqual([]);
    await shot(page, '47-channels');

    await page.goto(`${base}/campaigns`);
    await page.getByTestId('new-campaign').click();

    // 1. Audience
    await page.getByTestId('campaign-name').fill('回头客感恩回馈');
    await choose(page.getByTestId('campaign-segment'), /^回头客（≥2 单）/);
    // The chosen segment's size shows at once (it showed first at the dry run, three steps on).
    const returning = await apiCall<{ count: number }>('GET', '/segments/sys:returning');
    await expect
      .poll(() => page.getByTestId('segment-count').textContent())
      .toContain(`当前 ${returning.count.toLocaleString('zh-CN')} 位客户`);
    await shot(page, '39-campaign-wizard-audience');
    await page.getByTestId('next').click();
    // 2. Channel: the built-in outbox is offered and chosen
    await expect.poll(() => page.getByTestId('channel').locator('.ant-radio-wrapper-checked').count(), SETTLED).toBe(1);
    await page.getByTestId('next').click();
    // 3. Content, A and B, with a live preview for one customer
    const text = (i: number) =>
      page.locator(`textarea[data-testid="variant-text-${i}"], [data-testid="variant-text-${i}"] textarea`).first();
    // 下一步 with no text yet: the form says so in Chinese and nothing goes to the server (whose refusal would name
    // the field 「variants.0.content.text」).
    const posted: string[] = [];
    const onRequest = (r: { method(): string; url(): string }) => {
      if (r.method() !== 'GET' && new URL(r.url()).pathname.startsWith('/api/v1/campaigns')) posted.push(r.url());
    };
    page.on('request', onRequest);
    await text(0).waitFor();
    await page.getByTestId('next').click();
    await page.locator('.ant-form-item-explain-error', { hasText: '请填写正文' }).waitFor();
    page.off('request', onRequest);
    expect(posted).toEqual([]);
    await text(0).fill('#客户昵称#，感谢一直以来的支持，老客专享 9 折，本周有效');
    await page.getByTestId('add-variant').click();
    await text(1).fill('#客户昵称#，您有一份回头客礼物待领取，本周下单立减 20 元');
    await text(0).click();
    await pickOption(page.getByTestId('preview-customer'), /./);
    await expect
      .poll(() => page.getByTestId('preview-text').textContent(), SETTLED)
      .toMatch(/^【回客旗舰店】.*拒收请回复R/);
    await expect.poll(() => page.getByTestId('preview-parts').textContent(), SETTLED).toMatch(/^共 1 条计费短信$/);
    await shot(page, '40-campaign-wizard-content');
    // 4. Dry run: nothing queued, holds counted per rule
    await page.getByTestId('next').click();
    await page.getByTestId('dry-run').waitFor();
    const campaigns = await apiCall<{ items: { id: string; name: string; status: string }[] }>('GET', '/campaigns');
    const draft = campaigns.items.find((c) => c.name === '回头客感恩回馈')!;
    expect(draft.status).toBe('draft');
    const dry = await apiCall<{
      wouldReceive: number;
      deferred: number;
      opensAt: string | null;
      localLinks: string | null;
      heldBack: Record<string, number>;
      audience: number;
      variantsReceiving: Record<string, number>;
    }>('POST', `/campaigns/${draft.id}/dry-run`);
    expect(dry.wouldReceive).toBeGreaterThan(0);
    // Outside the send windows the step says when the messages go out; links to this machine are said too.
    expect(await page.getByTestId('opens-at').count()).toBe(dry.opensAt && dry.deferred > 0 ? 1 : 0);
    if (dry.opensAt && dry.deferred > 0)
      expect(await page.getByTestId('opens-at').textContent()).toContain(`${dry.deferred} 条消息将于`);
    expect(await page.getByTestId('local-links').count()).toBe(dry.localLinks ? 1 : 0);
    // Per variant: drawn, and of those who would receive it (the held-back ones not counted).
    const perVariant = page.getByTestId('per-variant').locator('tbody tr.ant-table-row');
    expect(await perVariant.count()).toBe(2);
    for (const [i, key] of ['A', 'B'].entries())
      expect((await perVariant.nth(i).locator('td').last().textContent())?.replace(/,/g, '')).toBe(
        String(dry.variantsReceiving[key]),
      );
    const queued = await apiCall<{ items: unknown[] }>('GET', `/messages?sourceId=${draft.id}`);
    expect(queued.items).toEqual([]);
    const heldRows = page.getByTestId('held-back').locator('tbody tr.ant-table-row');
    expect(await heldRows.count()).toBe(Object.keys(dry.heldBack).length);
    expect(await englishOnScreen(page)).toEqual([]);
    await shot(page, '41-campaign-dry-run');
    // 5. Review and launch
    await page.getByTestId('next').click();
    await page.getByTestId('review').waitFor();
    // No throttle was set: the review says 不限速, not the input's hint 留空为不限速.
    expect(await page.getByTestId('review').textContent()).toMatch(/限速（条\/分钟）不限速/);
    await page.getByTestId('launch').click();
    // The launch snapshots the audience and draws the groups before it answers: on a loaded CI machine that can take
    // longer than a navigation's default 30 s, so wait for its answer (and show it if it failed), then for the page.
    const isLaunch = (r: { url(): string; method(): string }) =>
      r.url().endsWith(`/campaigns/${draft.id}/launch`) && r.method() === 'POST';
    const launched = page.waitForResponse((r) => isLaunch(r.request()), { timeout: 120_000 });
    // Once a CI run waited the whole 120 s here: whether the request left the browser tells a click that did not
    // reach the server from a server that did not answer.
    let sent = false;
    page.on('request', (r) => {
      if (isLaunch(r)) sent = true;
    });
    // The launch first saves the draft (PUT): what became of that save, and any message on screen, name the step
    // that held it when no launch left the browser (a CI run once waited the whole 120 s).
    const saves: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PUT' && r.url().endsWith(`/campaigns/${draft.id}`)) saves.push('sent');
    });
    page.on('response', (r) => {
      if (r.request().method() === 'PUT' && r.url().endsWith(`/campaigns/${draft.id}`)) saves.push(String(r.status()));
    });
    // Every notice shown from here on, kept (a message is gone long before the 120 s), and the browser's errors.
    await recordNotices(page);
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await confirmLaunch(page);
    const answer = await launched.catch(async (e: Error) => {
      const shown = (await noticesSeen(page)).join(' | ');
      const confirmOpen = await page
        .locator('.ant-modal-confirm')
        .isVisible()
        .catch(() => false);
      const errors = [...page.errors, ...consoleErrors].join(' | ') || 'none';
      throw new Error(
        `${sent ? 'the launch was sent and not answered' : 'no launch request was sent'} ` +
          `(the draft's save: ${saves.join(', ') || 'not sent'}; shown: ${shown || 'no message'}; ` +
          `confirm still open: ${confirmOpen}; page errors: ${errors}): ${e.message}`,
      );
    });
    expect(answer.status(), await answer.text()).toBe(200);
    await page.waitForURL(new RegExp(`/campaigns/${draft.id}$`), { timeout: 60_000 });

    // The report: the worker sends what is due to the outbox; the page follows until only deferred ones wait.
    await expect
      .poll(
        async () => {
          const r = await apiCall<{
            targeted: number;
            queued: number;
            deferred: number;
            sent: number;
            failed: number;
            heldBack: Record<string, number>;
          }>('GET', `/campaigns/${draft.id}/report`);
          // Every targeted customer has a decision (the launch queues them in a job), and only deferred ones wait.
          const decided = r.sent + r.failed + r.queued + Object.values(r.heldBack).reduce((a, b) => a + b, 0);
          return r.targeted > 0 && decided >= r.targeted && r.queued === r.deferred;
        },
        { timeout: 60_000, interval: 500 },
      )
      .toBe(true);
    const report = await apiCall<{ sent: number; deferred: number }>('GET', `/campaigns/${draft.id}/report`);
    if (daytime) expect(report.sent).toBeGreaterThan(0);
    else expect(report.deferred).toBeGreaterThan(0);
    // Without a reload, the page the launch opened shows the lift against the control group (it said "no control
    // group" until reloaded: its attribution was read before the audience was drawn).
    await page.getByTestId('treated-vs-control').waitFor({ timeout: 20_000 });
    await page.reload();
    const counts = page.getByTestId('report-counts');
    await expect.poll(() => counts.textContent(), SETTLED).toContain(`已发送${report.sent.toLocaleString('zh-CN')}`);
    // Messages waiting for the send window say from when.
    expect(await counts.getByTestId('next-send-at').count()).toBe(report.deferred > 0 ? 1 : 0);
    await page.getByTestId('treated-vs-control').waitFor();
    await page.getByTestId('funnel').locator('canvas').waitFor();
    expect(await page.getByTestId('report-variants').locator('tbody tr.ant-table-row').count()).toBe(2);
    // An effect whose 95 % interval holds 0 is said to be unsure (it was shown as a win in green); the lift reads in
    // 个百分点, not "pp".
    const attribution = await apiCall<{ overall: { incrementalRevenueFen: { low: number; high: number } } | null }>(
      'GET',
      `/campaigns/${draft.id}/attribution`,
    );
    const interval = attribution.overall?.incrementalRevenueFen;
    expect(await page.getByTestId('not-significant').count()).toBe(
      interval && interval.low < 0 && interval.high > 0 ? 1 : 0,
    );
    expect(await page.getByTestId('treated-vs-control').locator('xpath=..').textContent()).not.toMatch(/\dpp/);
    expect(await englishOnScreen(page)).toEqual([]);
    await shot(page, '42-campaign-report');

    // What went is in the outbox, with the signature and the opt-out wording.
    await page.goto(`${base}/campaigns?tab=outbox`);
    if (daytime) {
      const rows = page.getByTestId('outbox').locator('tbody tr.ant-table-row');
      await rows.first().waitFor();
      expect(await rows.first().textContent()).toMatch(/【回客旗舰店】.*拒收请回复R/);
    }
    // How many it shows, and the older ones on asking (it showed the latest 200 and said nothing of the rest).
    const channels = await apiCall<{ items: { id: string; kind: string }[] }>('GET', '/messaging/channels');
    const outboxId = channels.items.find((c) => c.kind === 'outbox')!.id;
    const inOutbox = await apiCall<{ items: unknown[] }>(
      'GET',
      `/messages?channelId=${outboxId}&status=sent&limit=500`,
    );
    const n = inOutbox.items.length;
    if (n > 0) {
      const shown = page.getByTestId('outbox-shown');
      await expect.poll(() => shown.textContent()).toBe(n > 200 ? '显示最近的 200 条，还有更早的' : `共 ${n} 条`);
      if (n > 200) {
        await page.getByTestId('outbox-more').click();
        await expect.poll(() => shown.textContent()).toBe(n > 400 ? '显示最近的 400 条，还有更早的' : `共 ${n} 条`);
      }
    }
    await shot(page, '43-outbox');
    await page.goto(`${base}/campaigns`);
    await page.getByTestId('campaign-list').locator('tbody tr.ant-table-row').first().waitFor();
    await expect
      .poll(() => page.getByTestId('campaign-sent-held').first().textContent(), SETTLED)
      .toMatch(/^[\d,]+ \/ [\d,]+$/);
    await shot(page, '44-campaigns');

    // English: the same report reads in English.
    await page.getByTestId('language-switch').getByText('EN').click();
    await page.goto(`${base}/campaigns/${draft.id}`);
    await page
      .getByTestId('treated-vs-control')
      .getByText('Treatment (meant to be sent, held back included)')
      .waitFor();
    await shot(page, '45-campaign-report-en');
    expect(page.errors).toEqual([]);
  }, 180_000);

  it('RFM cell saved as a segment, or a list, as audience; coupon, schedule, test send, launch, compare', async () => {
    const page = await newPage();
    // The RFM matrix: a click on a cell opens that cell's customers; its 创建营销活动 opens the wizard with the cell.
    await page.goto(`${base}/segments?tab=rfm`);
    const heat = page.getByTestId('rfm-heatmap').locator('canvas').first();
    await heat.waitFor({ timeout: 60_000 });
    await heat.click();
    await page.waitForURL(/\/segments\/sys%3Arfm%3AR[1-5]F[1-5]$/);
    const cell = /R([1-5])F([1-5])$/.exec(page.url())!;
    const cellUrl = page.url();
    // The cell's rule names its fields in Chinese (it showed r_score / f_score).
    await expect
      .poll(() => page.getByTestId('condition').first().locator('.ant-select-selection-item').first().textContent())
      .toBe('R 分（最近购买）');
    // The cell saved as a segment of the seller's own counts the same customers.
    const cellCount = (await apiCall<{ count: number }>('GET', `/segments/sys%3Arfm%3AR${cell[1]}F${cell[2]}`)).count;
    expect(cellCount).toBeGreaterThan(0);
    await page.locator('#name').fill(`RFM R${cell[1]}F${cell[2]} 客户`);
    await page.getByTestId('save-segment').click();
    await page.waitForURL((u) => /\/segments\/[^/]+$/.test(u.pathname) && !u.pathname.includes('sys%3A'));
    const savedId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect((await apiCall<{ count: number; system: boolean }>('GET', `/segments/${savedId}`)).count).toBe(cellCount);
    await page.goto(cellUrl);
    await page.getByTestId('action-campaign').click();
    await page.waitForURL(new RegExp(`/campaigns/new\\?segment=sys%3Arfm%3AR${cell[1]}F${cell[2]}$`));
    const kind = page.getByTestId('audience-kind');
    await expect.poll(() => kind.locator('.ant-radio-wrapper-checked').textContent(), SETTLED).toBe('RFM 单元');
    const shown = (id: string) => page.getByTestId(id).locator('.ant-select-selection-item').textContent();
    await expect.poll(() => shown('rfmR'), SETTLED).toBe(cell[1]);
    await expect.poll(() => shown('rfmF'), SETTLED).toBe(cell[2]);
    await shot(page, '48-campaign-audience-rfm');

    // An uploaded list instead: five customers by id and a line that matches nobody.
    const some = await apiCall<{ items: { id: string }[] }>('GET', '/customers?limit=5');
    expect(some.items).toHaveLength(5);
    await kind.getByText('上传名单').click();
    await page.locator('input[type=file]').setInputFiles({
      name: '老客名单.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(['客户ID', ...some.items.map((c) => c.id), 'nobody-here'].join('\n')),
    });
    await expect
      .poll(() => page.getByTestId('list-matched').textContent(), SETTLED)
      .toBe('共 6 行，匹配 5 位客户，未匹配 1 行');
    await page.getByTestId('campaign-name').fill('名单老客送券');
    expect(await englishOnScreen(page)).toEqual([]);
    await shot(page, '49-campaign-audience-list');
    await page.getByTestId('next').click();

    // Channel step: a coupon issued with each message, a start time, a throttle.
    await choose(page.getByTestId('coupon-template'), '短信专享 满150减25');
    // As care the coupon is taken off and the choice greyed, saying why (a coupon is marketing); back to marketing.
    await page.getByText('关怀', { exact: true }).click();
    await page.getByText('关怀消息不附带优惠券').waitFor();
    await expect
      .poll(() => page.getByTestId('coupon-template').getAttribute('class'), SETTLED)
      .toContain('ant-select-disabled');
    expect(await page.getByTestId('coupon-template').textContent()).not.toContain('满150减25');
    await shot(page, '50-campaign-care-no-coupon');
    await page.getByText('营销', { exact: true }).click();
    await choose(page.getByTestId('coupon-template'), '短信专享 满150减25');
    await page.getByTestId('schedule').getByText('指定时间').click();
    const start = new Date(Date.now() + 3 * 86_400_000);
    const p2 = (n: number) => String(n).padStart(2, '0');
    const local = `${start.getFullYear()}-${p2(start.getMonth() + 1)}-${p2(start.getDate())}T10:00`;
    await page.getByTestId('start-at').fill(local);
    await page.locator('input[data-testid="throttle"], [data-testid="throttle"] input').first().fill('600');
    expect(await englishOnScreen(page)).toEqual([]);
    await shot(page, '50-campaign-coupon-schedule');
    await page.getByTestId('next').click();
    await page
      .locator('textarea[data-testid="variant-text-0"], [data-testid="variant-text-0"] textarea')
      .first()
      .fill('#客户昵称#，送您一张#优惠券金额#元券，券码#优惠券#，本周有效');
    await page.getByTestId('next').click();
    await page.getByTestId('dry-run').waitFor();
    await page.getByTestId('next').click();

    // Review: the schedule as chosen, then a test send to staff before the launch.
    const review = page.getByTestId('review');
    await review.waitFor();
    expect(await review.textContent()).toContain(`指定时间 ${local.replace('T', ' ')}`);
    expect(await review.textContent()).toContain('600');
    // The list uploaded on the first step is named as the audience (it was blank).
    expect(await review.textContent()).toMatch(/人群老客名单/);
    // The coupon each message issues is named on the review (it went unmentioned before the launch).
    expect(await page.getByTestId('review-coupon').textContent()).toBe('短信专享 满150减25');
    await page.getByTestId('test-to').last().fill('13800000009');
    await page.getByTestId('test-send').last().click();
    await page.locator('.ant-message-success', { hasText: '已发出 1 条测试消息' }).waitFor();
    const tests = await apiCall<{ items: { body: string | null; contact: string | null }[] }>(
      'GET',
      '/messages?sourceType=test',
    );
    const sent = tests.items.find((m) => m.contact === '13800000009');
    // The shop's signature (set in the first test) leads a marketing SMS, then the test marker; sample values.
    expect(sent?.body).toMatch(/^【回客旗舰店】【测试】.*元券，券码\S+，本周有效/);
    expect(await englishOnScreen(page)).toEqual([]);
    await shot(page, '51-campaign-review-test-send');
    await page.getByTestId('launch').click();
    const launched = page.waitForResponse(
      (r) => /\/campaigns\/[0-9A-Z]+\/launch$/.test(r.url()) && r.request().method() === 'POST',
      { timeout: 120_000 },
    );
    await confirmLaunch(page);
    const answer = await launched;
    expect(answer.status(), await answer.text()).toBe(200);
    await page.waitForURL(/\/campaigns\/[0-9A-Z]+$/, { timeout: 60_000 });
    const id = new URL(page.url()).pathname.split('/').pop()!;
    const saved = await apiCall<{
      status: string;
      segmentId: string;
      startAt: string;
      couponTemplateId: string | null;
      throttlePerMinute: number | null;
    }>('GET', `/campaigns/${id}`);
    expect(saved).toMatchObject({ status: 'scheduled', throttlePerMinute: 600 });
    expect(saved.segmentId).toMatch(/^list:/);
    expect(saved.couponTemplateId).not.toBeNull();
    // The typed time is the shop's wall clock (Asia/Shanghai), whatever the browser's zone.
    expect(saved.startAt).toBe(parseLocalDateTime(local.replace('T', ' '), 'Asia/Shanghai'));
    // The report leads back to the list.
    await page.getByTestId('back-to-campaigns').click();
    await page.waitForURL((u) => u.pathname === '/campaigns');
    // The dashboard's 进行中的营销活动 lists it, 待开始, with a link to its report.
    await page.goto(`${base}/`);
    const running = page.getByTestId('running-campaigns');
    await running.getByRole('link', { name: '名单老客送券' }).waitFor();
    expect(await running.locator('.ant-list-item', { hasText: '名单老客送券' }).textContent()).toContain('待开始');

    // Two sent campaigns side by side.
    await page.goto(`${base}/campaigns`);
    const list = page.getByTestId('campaign-list');
    await list.locator('tbody tr.ant-table-row').first().waitFor();
    const boxes = list.locator('tbody tr.ant-table-row .ant-checkbox-input:not([disabled])');
    expect(await boxes.count()).toBeGreaterThanOrEqual(2);
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByTestId('compare').click();
    await page.waitForURL(/\/campaigns\/compare\?ids=/);
    const ids = new URL(page.url()).searchParams.get('ids')!;
    const compared = await apiCall<{
      items: { name: string; variants: unknown[]; overall: { sent: number; delivered: number } }[];
    }>('GET', `/campaigns/compare?ids=${ids}`);
    expect(compared.items).toHaveLength(2);
    const table = page.getByTestId('compare-table');
    await table.locator('tbody tr.ant-table-row').first().waitFor();
    expect(await table.locator('tbody tr.ant-table-row').count()).toBe(
      compared.items.reduce((n, c) => n + 1 + c.variants.length, 0),
    );
    for (const c of compared.items) await table.getByRole('link', { name: c.name }).waitFor();
    // Sent through the outbox, which gives no receipts: 已送达 unknown, as the report says it, never "0" (this test's
    // campaign went out; the first test's waits for the send window at night).
    const noReceipts = compared.items.filter((c) => c.overall.sent > 0 && c.overall.delivered === 0).length;
    expect(noReceipts).toBeGreaterThanOrEqual(1);
    expect(await table.getByText('—（渠道无回执）').count()).toBeGreaterThanOrEqual(noReceipts);
    expect(await englishOnScreen(page)).toEqual([]);
    await shot(page, '52-campaign-compare');
    expect(page.errors).toEqual([]);
  }, 120_000);
});
