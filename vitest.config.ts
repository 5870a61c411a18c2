import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at a time even on a 2-core machine (vitest's default there is one): most suites wait on
    // PostgreSQL, a child server or Chromium for much of their time.
    maxWorkers: 2,
    // Files in one worker share its module cache: loading the server's module graph once per worker instead of
    // once per file saves seconds per file. Suites keep their state in their own databases and servers.
    isolate: false,
    // expect.poll waits for what a screen or a server shows after an action: 1 s (vitest's default) was too short on a
    // loaded CI machine (the 数据分析 tables still showed the previous range's figures). A poll only ever waits
    // for its condition to hold, so a longer bound slows nothing but a failure.
    expect: { poll: { timeout: 10_000 } },
  },
});
