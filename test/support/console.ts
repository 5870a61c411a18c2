import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { exited, ROOT, spawnTs, waitFor } from './processes.js';

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

/**
 * Builds the console from the current sources, starts `huike serve` with a demo shop of the given size on a
 * random port from `portFrom`, and launches Chromium with its background networking off (no traffic leaves
 * the machine).
 */
export async function startConsole(opts: {
  prefix: string;
  demoCustomers: number;
  portFrom: number;
}): Promise<ConsoleUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), opts.prefix));
  mkdirSync(SHOTS, { recursive: true });
  await build({
    configFile: join(ROOT, 'web', 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir: join(dir, 'web'), emptyOutDir: true },
  });
  const port = opts.portFrom + Math.floor(Math.random() * 2000);
  const server = spawnTs(
    join(ROOT, 'src/cli/index.ts'),
    ['serve', '--port', String(port), '--demo-customers', String(opts.demoCustomers)],
    { DATABASE_URL: `sqlite:${join(dir, 'huike.db')}`, HUIKE_WEB_DIR: join(dir, 'web'), LOG_LEVEL: 'error' },
  );
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    server.kill('SIGTERM');
    await exited(server);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'the server',
      async () =>
        /is running/.test(server.output()) || (server.exitCode !== null && Promise.reject(new Error(server.output()))),
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
  return { base: `http://127.0.0.1:${port}`, dir, browser, close };
}

/** A screenshot once the page has settled (network idle, chart animations done). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle');
  await page.waitForTimeout(600); // chart animations
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}
