import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterEach, expect, inject } from 'vitest';
import { exited, ROOT, servedAt, spawnTs, waitFor } from './processes.js';

/** What the console e2e suites share: Debian's Chromium, where screenshots go, the demo shop's login. */
export const CHROMIUM = process.env.HUIKE_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'artifacts', 'screenshots');
export const DEMO_LOGIN = { login: 'admin', password: 'huike-demo' };

export interface ConsoleUnderTest {
  /** The server's address, e.g. http://127.0.0.1:41234. */
  base: string;
  /** The suite's own directory: the built console and the SQLite file (huike.db). */
  dir: string;
  browser: Browser;
  close(): Promise<void>;
}

const run = promisify(execFile);

/** The newest modification time of `path`, a file or a directory and everything under it. */
function newestUnder(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestUnder(join(path, name)));
  return newest;
}

/**
 * `npm run build`'s console (dist/web) when it is newer than every source it is built from (web/, the src/ modules
 * it shares, the locked packages): CI builds it just before the suite, and building it again cost half a minute.
 */
function freshBuild(): string | null {
  const web = join(ROOT, 'dist', 'web');
  const index = join(web, 'index.html');
  if (!existsSync(index)) return null;
  const sources = ['web', 'src', 'package-lock.json'].map((p) => newestUnder(join(ROOT, p)));
  return statSync(index).mtimeMs > Math.max(...sources) ? web : null;
}

/**
 * The console built from the current sources: `npm run build`'s when fresh, else built once per test run (the run's
 * directory from test/global-setup.ts, shared by every e2e suite and worker): the first suite builds it, the others
 * wait.
 */
async function builtConsole(): Promise<string> {
  const ready = freshBuild();
  if (ready) return ready;
  const runDir = inject('runDir');
  const web = join(runDir, 'web');
  const lock = join(runDir, 'web.building');
  for (;;) {
    if (existsSync(join(web, 'index.html'))) return web;
    try {
      mkdirSync(lock);
    } catch {
      await new Promise((r) => setTimeout(r, 200)); // another suite is building it
      continue;
    }
    try {
      const out = mkdtempSync(join(runDir, 'web-'));
      // The console users get, built in a process of its own: vitest's NODE_ENV=test would otherwise give React's
      // development bundle and every antd Select the same id (rc-select's test id), so a locator meant for one
      // select's dropdown could find another's.
      await run(
        process.execPath,
        [
          join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
          'build',
          '--logLevel',
          'error',
          '--config',
          join(ROOT, 'web', 'vite.config.ts'),
          '--outDir',
          out,
          '--emptyOutDir',
        ],
        {
          cwd: ROOT,
          env: { ...process.env, NODE_ENV: 'production' },
        },
      );
      renameSync(out, web);
      return web;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/**
 * With the console built from the current sources (once per run), starts `huike serve` with a demo shop of
 * the given size on a free port (`--port 0`), and launches Chromium with its background networking off
 * (no traffic leaves the machine).
 */
export async function startConsole(opts: {
  prefix: string;
  demoCustomers: number;
  /** More environment for the server (e.g. HUIKE_JOB_WAIT_MS). */
  env?: Record<string, string>;
  /** More arguments of `huike serve` (e.g. --no-worker). */
  args?: string[];
}): Promise<ConsoleUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), opts.prefix));
  mkdirSync(SHOTS, { recursive: true });
  const web = await builtConsole();
  const server = spawnTs(
    join(ROOT, 'src/cli/index.ts'),
    ['serve', '--port', '0', '--demo-customers', String(opts.demoCustomers), ...(opts.args ?? [])],
    { DATABASE_URL: `sqlite:${join(dir, 'huike.db')}`, HUIKE_WEB_DIR: web, LOG_LEVEL: 'error', ...opts.env },
  );
  let browser: Browser | undefined;
  let base = '';
  const close = async () => {
    await browser?.close();
    server.kill('SIGTERM');
    await exited(server);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    base = await waitFor(
      'the server',
      async () => servedAt(server.output()) ?? (server.exitCode !== null && Promise.reject(new Error(server.output()))),
      120_000,
      200,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    });
  } catch (e) {
    await close();
    throw e;
  }
  return { base, dir, browser, close };
}

/** The open dropdown of one antd Select: the popup holding the listbox its input controls (never another select's). */
export async function dropdownOf(select: Locator): Promise<Locator> {
  const input = select.locator('input[role=combobox]');
  // rc-select sets its id in an effect after the first render: wait for it rather than read a missing one.
  await expect.poll(async () => (await input.getAttribute('aria-controls')) ?? '', SETTLED).toMatch(/_list$/);
  const list = await input.getAttribute('aria-controls');
  const page = select.page();
  return page.locator('.ant-select-dropdown:visible', { has: page.locator(`[id="${list}"]`) });
}

const literal = (text: string) => text.replace(/[.*+?^$()|[\]{}\\]/g, '\\$&');

/** A pattern matching exactly this text. */
export function whole(text: string): RegExp {
  return new RegExp(`^${literal(text)}$`);
}

/** A pattern matching text that starts with this text (an option labelled with more after it). */
export function startingWith(text: string): RegExp {
  return new RegExp(`^${literal(text)}`);
}

/** What to do between opening a select and clicking its option. */
export interface PickOptions {
  /** Typed into the select's search once it opened (a long list shows only what matches). */
  type?: string;
}

/**
 * Opens an antd Select (unless open; then types `type` if given) and clicks `option` (a label, matched whole) in
 * its own dropdown.
 */
export async function pickOption(select: Locator, option: string | RegExp, opts: PickOptions = {}): Promise<void> {
  const label = typeof option === 'string' ? whole(option) : option;
  const dropdown = await dropdownOf(select);
  if (!(await dropdown.isVisible())) {
    await select.click();
    if (opts.type) await select.page().keyboard.type(opts.type);
  }
  await dropdown.locator('.ant-select-item-option', { hasText: label }).first().click();
}

/** How long a wait on the console's state may take on a loaded CI machine (vitest's 1 s default is too short). */
export const SETTLED = { timeout: 15_000 };

/**
 * Picks `option` in a single antd Select and waits until the select shows it: the pick is checked, not assumed. On a
 * loaded machine a click can land while the dropdown still moves (it opens, scrolls to the current value) and select
 * nothing or a neighbour; then the option is clicked again until the select shows it.
 */
export async function choose(select: Locator, option: string | RegExp, opts: PickOptions = {}): Promise<void> {
  const label = typeof option === 'string' ? whole(option) : option;
  const shows = async () =>
    (await select.locator('.ant-select-selection-item').allInnerTexts()).some((x) => label.test(x));
  await expect
    .poll(async () => {
      if (!(await shows())) await pickOption(select, option, opts);
      return shows();
    }, SETTLED)
    .toBe(true);
}

/** Logs a page in through the console's login form (the demo owner unless told) and waits until it left /login. */
export async function logIn(page: Page, base: string, who: Credentials = DEMO_LOGIN): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('#login', who.login);
  await page.fill('#password', who.password);
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

/** The session cookie of a login through the API (the demo owner unless told), for calling the API as that user. */
export async function sessionCookie(base: string, who: Credentials = DEMO_LOGIN): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(who),
  });
  if (res.status !== 200) throw new Error(`login ${who.login}: ${res.status} ${await res.text()}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/**
 * Clicks a button of a dialog once the dialog stands still: antd's modals zoom in, and a click while one still moves
 * can land beside its button on a loaded machine (no save, and nothing on screen to say so).
 */
export async function clickInStillDialog(dialog: Locator, button: Locator): Promise<void> {
  await dialog.waitFor();
  await expect.poll(() => dialog.evaluate((el) => el.getAnimations({ subtree: true }).length)).toBe(0);
  await button.click();
}

/** A screenshot once the page has settled (network idle, chart animations done). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(600); // chart animations
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

export interface Credentials {
  login: string;
  password: string;
}

/** A console page that records every uncaught error and unhandled promise rejection it saw. */
export type ConsolePage = Page & { errors: string[] };

export interface PageOptions {
  /** Who logs in first (the demo owner unless told); false opens the page logged out. */
  login?: Credentials | false;
  viewport?: { width: number; height: number };
  /** A phone: touch, 2× pixels. */
  mobile?: boolean;
  locale?: string;
}

/**
 * The pages of one e2e suite, with the hook every suite shares: each test's pages are closed after it, and the
 * test fails if any of them saw an uncaught error (`pageerror`) or an unhandled promise rejection. `app` is read
 * when a page is opened, so it may be called before the suite's beforeAll started the console.
 */
export function consolePages(app: () => ConsoleUnderTest | undefined) {
  const opened: ConsolePage[] = [];
  afterEach(async () => {
    const errors = opened.flatMap((p) => p.errors);
    await Promise.all(
      opened.splice(0).map((p) =>
        p
          .context()
          .close()
          .catch(() => undefined),
      ),
    );
    expect(errors, 'uncaught errors or unhandled rejections in the console').toEqual([]);
  });

  const logInTo = (page: Page, who: Credentials = DEMO_LOGIN) => logIn(page, app()!.base, who);

  /** A fresh browser context's page (1440×900, zh-CN unless told), logged in as the demo owner unless told. */
  async function open(opts: PageOptions = {}): Promise<ConsolePage> {
    const ctx = await app()!.browser.newContext({
      viewport: opts.viewport ?? { width: 1440, height: 900 },
      locale: opts.locale ?? 'zh-CN',
      ...(opts.mobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    });
    const page = (await ctx.newPage()) as ConsolePage;
    page.errors = [];
    opened.push(page);
    page.on('pageerror', (e) => page.errors.push(`${page.url()}: ${e.message}`));
    // Chromium reports most unhandled rejections as page errors; this catches the rest (e.g. non-Error reasons).
    await ctx.addInitScript(
      `window.addEventListener('unhandledrejection', (e) =>
        console.error('huike-unhandled-rejection: ' + String(e.reason)));`,
    );
    page.on('console', (m) => {
      if (m.type() === 'error' && m.text().startsWith('huike-unhandled-rejection:')) {
        page.errors.push(`${page.url()}: ${m.text()}`);
      }
    });
    if (opts.login !== false) await logInTo(page, opts.login ?? DEMO_LOGIN);
    return page;
  }

  /** The session cookie of a login through the API (the demo owner unless told), for checking what the console did. */
  const cookie = (who: Credentials = DEMO_LOGIN) => sessionCookie(app()!.base, who);

  return { open, logIn: logInTo, cookie };
}

/**
 * Latin words a zh-CN screen may show: product, platform and channel names, file formats, units and the
 * abbreviations sellers use as they are. Everything else in Latin letters is English that should be Chinese.
 */
export const ALLOWED_LATIN = [
  'Huike',
  'Taobao',
  'Tmall',
  'JD',
  'Pinduoduo',
  'Douyin',
  'Youzan',
  'Shopify',
  'WeChat',
  'Aliyun',
  'Tencent',
  'SMTP',
  'SMS',
  'API',
  'OpenAPI',
  'CSV',
  'XLSX',
  'Excel',
  'GBK',
  'UTF-8',
  'RFM',
  'CLV',
  'NPS',
  'BG/NBD',
  'ID',
  'URL',
  'Webhook',
  'VIP',
  'AOV',
  'R',
  'F',
  'M',
  'KB',
  'MB',
  'GB',
  'min',
  'ms',
  // Currency codes
  'CNY',
  'USD',
  'EUR',
  'GBP',
  'HKD',
];

const ALLOWED = new Set(ALLOWED_LATIN.map((w) => w.toLowerCase()));

/**
 * Runs of three or more English words in a text (words joined by spaces or sentence punctuation only), leaving
 * out the allowed words: `"in" expects a non-empty list` is one, `Taobao CSV` or `RFM 8 类` is none.
 */
export function englishRuns(text: string): string[] {
  const runs: string[] = [];
  // Time zone names (Asia/Shanghai) are ids, not English.
  const plain = text.replace(/\b[A-Z][a-z]+\/[A-Z][A-Za-z_]+\b/g, ' · ');
  for (const m of plain.matchAll(/[A-Za-z][A-Za-z'’.-]*(?:[ \t,;:!?"“”()/&-]+[A-Za-z][A-Za-z'’.-]*)+/g)) {
    const words = m[0]
      .split(/[ \t,;:!?"“”()/&]+/)
      .filter((w) => w && !ALLOWED.has(w.replace(/[.-]+$/, '').toLowerCase()));
    if (words.length >= 3) runs.push(m[0]);
  }
  return runs;
}

/** What a person reads on the page: its visible text and the placeholders of its visible inputs. */
export async function visibleText(page: Page): Promise<string> {
  // A string: this file is compiled without the DOM's types.
  return page.evaluate<string>(`(() => {
    const placeholders = [...document.querySelectorAll('input[placeholder], textarea[placeholder]')]
      .filter((i) => i.offsetParent !== null)
      .map((i) => i.placeholder);
    return [document.body.innerText, ...placeholders].join('\\n');
  })()`);
}

/**
 * Keeps every message notice the page shows from now on, in order (a notice closes after a few seconds: a read after
 * the first one found it gone on a loaded run). `noticesSeen` reads them.
 */
export async function recordNotices(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    window.notices = [];
    new MutationObserver(() => {
      for (const n of document.querySelectorAll('.ant-message-notice'))
        if (n.textContent && !window.notices.includes(n.textContent)) window.notices.push(n.textContent);
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  })()`);
}

export async function noticesSeen(page: Page): Promise<string[]> {
  return page.evaluate<string[]>('window.notices ?? []').catch(() => [] as string[]);
}
