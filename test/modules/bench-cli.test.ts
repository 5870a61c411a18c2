import { readdirSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { exited, spawnTs } from '../support/processes.js';
import { scratchDir } from '../helpers.js';

/**
 * The bench runner (`npm run bench -- NAME …`, bench/index.ts) as a real process: `--help`/`-h` prints a bench's
 * flags and exits 0 without starting it, and a flag it does not know stops it before anything starts, naming the
 * flag. Each run gets an empty TMPDIR and no PostgreSQL URL: a bench that started anyway would write its files there
 * (checked empty) and would be stopped by the guard below, failing the test, rather than run for minutes.
 */
const BENCHES = ['analytics', 'api', 'campaign', 'import', 'segments', 'predict'];
const dirs: string[] = [];

async function bench(args: string[]) {
  const tmp = scratchDir('huike-bench-cli-');
  dirs.push(tmp);
  const child = spawnTs('bench/index.ts', args, { TMPDIR: tmp, HUIKE_BENCH_PG_URL: '', HUIKE_TEST_PG_URL: '' });
  // A guard, not a measurement: a run that did not stop is killed so the test fails on its exit code.
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  try {
    const code = await exited(child);
    // tsx keeps its compile cache in the temporary directory (tsx-UID).
    return { code, output: child.output(), wrote: readdirSync(tmp).filter((f) => !f.startsWith('tsx-')) };
  } finally {
    clearTimeout(guard);
  }
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('bench runner flags', () => {
  it("--help and -h print a bench's flags and exit 0 without starting it", async () => {
    const runs = await Promise.all(
      [...BENCHES.map((name) => [name, '--help']), ['analytics', '-h'], ['segments', '--keep', '/nowhere', '-h']].map(
        async ([name, ...flags]) => ({ name: name!, ...(await bench([name!, ...flags])) }),
      ),
    );
    for (const r of runs) {
      expect(r.code, `${r.name}: ${r.output}`).toBe(0);
      expect(r.output).toContain(`npm run bench -- ${r.name} [flags]`);
      expect(r.output).toContain('--help');
      expect(r.output).not.toMatch(/SQLite —|PostgreSQL —|generating|Loading/);
      expect(r.wrote).toEqual([]);
    }
    const analytics = runs.find((r) => r.name === 'analytics')!.output;
    for (const flag of ['--customers N', '--db sqlite|postgres', '--keep', '--memory', 'HUIKE_BENCH_PG_DB'])
      expect(analytics).toContain(flag);
    // The runner alone lists the benches.
    const all = await bench(['--help']);
    expect(all.code).toBe(0);
    for (const name of BENCHES) expect(all.output).toContain(name);
  }, 180_000);

  it('an unknown flag, a positional or a bad value stops the run with an error naming it', async () => {
    const [unknown, positional, value, noBench] = await Promise.all([
      bench(['analytics', '--customers', '10', '--bogus-flag']),
      bench(['segments', '1000']),
      bench(['analytics', '--db', 'mysql']),
      bench(['nosuchbench']),
    ]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.output).toContain("Unknown option '--bogus-flag'");
    expect(unknown.output).toContain('npm run bench -- analytics [flags]');
    expect(positional.code).not.toBe(0);
    expect(positional.output).toContain("Unexpected argument '1000'");
    expect(value.code).not.toBe(0);
    expect(value.output).toContain('--db takes one of sqlite, postgres, not "mysql"');
    expect(noBench.code).not.toBe(0);
    expect(noBench.output).toContain('unknown benchmark "nosuchbench"');
    for (const r of [unknown, positional, value]) {
      expect(r.output).not.toMatch(/SQLite —|PostgreSQL —|generating|Loading/);
      expect(r.wrote).toEqual([]);
    }
  }, 180_000);
});
