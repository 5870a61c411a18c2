import { parseArgs } from 'node:util';
import { analytics } from './analytics.js';
import { api } from './api.js';
import { type Bench, BenchUsageError, usage } from './args.js';
import { campaign } from './campaign.js';
import { importBench } from './import.js';
import { predict } from './predict.js';
import { segments } from './segments.js';

/**
 * `npm run bench -- <name> [flags]`: benchmarks that print ratios against a baseline measured in the same run.
 * `npm run bench -- <name> --help` prints a bench's flags and exits; a flag it does not know stops it (exit 2)
 * before anything starts.
 */
const BENCHES: Record<string, Bench> = {
  analytics,
  api,
  campaign,
  import: importBench,
  segments,
  predict,
};

const list = () =>
  Object.entries(BENCHES)
    .map(([n, b]) => `  ${n.padEnd(10)} ${b.summary.split('\n')[0]}`)
    .join('\n');

const [name = 'import', ...args] = process.argv.slice(2);
if (name === '--help' || name === '-h') {
  process.stdout.write(
    `npm run bench -- <name> [flags]   (npm run bench -- <name> --help for its flags)\n\n${list()}\n`,
  );
  process.exit(0);
}
const bench = BENCHES[name];
if (!bench) {
  process.stderr.write(`unknown benchmark "${name}" (one of: ${Object.keys(BENCHES).join(', ')})\n`);
  process.exit(2);
}

const fail = (message: string): never => {
  process.stderr.write(`bench ${name}: ${message}\n\n${usage(name, bench)}`);
  process.exit(2);
};

let help = false;
try {
  const options = { ...bench.flags, help: { type: 'boolean', short: 'h' } } as const;
  help = parseArgs({ args, options, strict: true, allowPositionals: false }).values.help === true;
} catch (err) {
  fail((err as Error).message);
}
if (help) {
  process.stdout.write(usage(name, bench));
  process.exit(0);
}
try {
  await bench.run(args);
} catch (err) {
  if (err instanceof BenchUsageError) fail(err.message);
  throw err;
}
