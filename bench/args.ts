import { parseArgs } from 'node:util';

/**
 * The flags of `npm run bench -- NAME [flags]`. Each bench declares its flags once (what node's util.parseArgs reads,
 * plus a word for the value and a line of help); the runner (index.ts) prints them for `--help`/`-h` and stops on a
 * flag the bench does not know, naming it, before anything starts.
 */
export interface Flag {
  type: 'string' | 'boolean';
  /** What the value is, in the usage line (`--customers N`). */
  arg?: string;
  help: string;
}

export type Flags = Readonly<Record<string, Flag>>;

export interface Bench {
  /** `npm run bench -- NAME` and a line on what it measures. */
  summary: string;
  flags: Flags;
  /** Environment variables it reads, with what each does. */
  env?: Readonly<Record<string, string>>;
  run: (args: string[]) => Promise<void>;
}

/** The flags' values; throws (naming the flag) on one the bench does not declare, a missing value or a positional. */
export function benchArgs<const F extends Flags>(args: string[], flags: F) {
  return parseArgs({ args, options: flags, strict: true, allowPositionals: false }).values;
}

/** A whole number ≥ 1 given as `--name N` (or the default); anything else stops the run, naming the flag. */
export function countFlag(value: string | undefined, name: string, dflt: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new BenchUsageError(`--${name} takes a whole number ≥ 1, not "${value}"`);
  return n;
}

/** One of the listed words (or undefined when the flag is not given). */
export function choiceFlag<const C extends string>(value: string | undefined, name: string, choices: readonly C[]) {
  if (value === undefined) return undefined;
  if (!(choices as readonly string[]).includes(value))
    throw new BenchUsageError(`--${name} takes one of ${choices.join(', ')}, not "${value}"`);
  return value as C;
}

/** A flag's value the bench cannot use (the runner prints the message and the usage, and exits 2). */
export class BenchUsageError extends Error {}

export function usage(name: string, bench: Bench): string {
  const lines = [`npm run bench -- ${name} [flags]`, '', bench.summary, '', 'Flags:'];
  const rows: [string, string][] = Object.entries(bench.flags).map(([flag, f]) => [
    `--${flag}${f.arg ? ` ${f.arg}` : ''}`,
    f.help,
  ]);
  rows.push(['-h, --help', 'print this and exit']);
  const width = Math.max(...rows.map(([l]) => l.length));
  for (const [l, h] of rows) lines.push(`  ${l.padEnd(width)}  ${h}`);
  const env = Object.entries(bench.env ?? {});
  if (env.length) {
    lines.push('', 'Environment:');
    const w = Math.max(...env.map(([v]) => v.length));
    for (const [v, h] of env) lines.push(`  ${v.padEnd(w)}  ${h}`);
  }
  return `${lines.join('\n')}\n`;
}
