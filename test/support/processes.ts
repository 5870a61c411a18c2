import { spawn, type ChildProcess } from 'node:child_process';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Runs a TypeScript entry point (a path from the project's root) in a child process, as a user's process would:
 * its JavaScript compiled once per run (test/global-setup.ts), or through tsx outside such a run.
 */
export function spawnTs(
  entry: string,
  args: string[],
  env: Record<string, string>,
): ChildProcess & { output: () => string } {
  const compiled = inject('compiledRoot');
  const argv = compiled
    ? [join(compiled, relative(ROOT, resolve(ROOT, entry)).replace(/\.ts$/, '.js'))]
    : ['--import', 'tsx', entry];
  const child = spawn(process.execPath, [...argv, ...args], {
    cwd: ROOT,
    // The console the compiled server serves by default is the one next to the sources (dist/web), as under tsx.
    env: { ...process.env, ...(compiled ? { HUIKE_WEB_DIR: join(ROOT, 'dist', 'web') } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  return Object.assign(child, { output: () => out });
}

/** The console's address a started `huike serve` printed (its real port, also after `--port 0`), or null before. */
export function servedAt(output: string): string | null {
  // The whole line, so a URL cut between two chunks of output is not taken for a shorter one.
  return /Console\s+(http:\/\/\S+)[^\n]*\n/.exec(output)?.[1] ?? null;
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  everyMs = 25,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
