import { expect, it } from 'vitest';
import { describeBothDatabases } from '../helpers.js';
import { exited, servedAt, spawnTs, waitFor } from '../support/processes.js';

const CLI = 'src/cli/index.ts';

describeBothDatabases('first start without the demo, and user/token commands', (env) => {
  const login = (base: string, password: string) =>
    fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ login: 'admin', password }),
    });

  it('serve --no-demo gives the owner a random password shown once, never the demo one', async () => {
    const { url } = env();
    const start = () =>
      spawnTs(CLI, ['serve', '--port', '0', '--no-demo', '--no-worker'], {
        DATABASE_URL: url,
        HUIKE_ADMIN_PASSWORD: '',
        HUIKE_PUBLIC_URL: '',
      });
    const first = start();
    let password = '';
    try {
      const banner = await waitFor(
        'the banner',
        async () => (first.output().includes('API docs') ? first.output() : null),
        60_000,
        100,
      );
      const m = /Login\s+admin \/ (\S+)\s+\(random, shown only this once/.exec(banner);
      expect(m, banner).not.toBeNull();
      password = m![1]!;
      expect(password).not.toBe('huike-demo');
      const base = servedAt(banner)!;
      expect((await login(base, 'huike-demo')).status).toBe(401);
      const ok = await login(base, password);
      expect(ok.status).toBe(200);
      // Links in messages point where this server answers (its free port), until the send rules name an address.
      const cookie = String(ok.headers.get('set-cookie')).split(';')[0]!;
      const settings = await fetch(`${base}/api/v1/messaging/settings`, { headers: { cookie } });
      expect(((await settings.json()) as { settings: { publicUrl: string } }).settings.publicUrl).toBe(base);
    } finally {
      first.kill('SIGTERM');
      await exited(first);
    }
    const again = start();
    try {
      const banner = await waitFor(
        'the banner',
        async () => (again.output().includes('API docs') ? again.output() : null),
        60_000,
        100,
      );
      expect(banner).not.toContain(password);
      expect(banner).not.toContain('huike-demo');
    } finally {
      again.kill('SIGTERM');
      await exited(again);
    }
  });

  it('huike user disable and token list work from the command line', async () => {
    const { url } = env();
    const run = async (args: string[]) => {
      const child = spawnTs(CLI, args, { DATABASE_URL: url });
      const code = await exited(child);
      return { code, out: child.output() };
    };
    expect(
      (await run(['user', 'create', '--login', 'clerk', '--password', 'clerk-pass-1', '--role', 'agent'])).code,
    ).toBe(0);
    const made = await run(['token', 'create', '--name', 'nightly', '--login', 'clerk', '--scopes', 'read']);
    expect(made.code, made.out).toBe(0);
    const listed = await run(['token', 'list']);
    expect(listed.out).toMatch(/\tnightly\tclerk\tread\tnever\tactive/);
    const id = listed.out
      .split('\n')
      .find((l) => l.includes('nightly'))!
      .split('\t')[0]!;
    expect((await run(['user', 'disable', '--login', 'clerk'])).code).toBe(0);
    expect((await run(['token', 'list'])).out).toContain(`${id}\tnightly\tclerk\tread\tnever\trevoked`);
    const nobody = await run(['user', 'disable', '--login', 'nobody']);
    expect(nobody.code).toBe(1);
    expect(nobody.out).toMatch(/no user with login "nobody"/);
  }, 240_000);
});
