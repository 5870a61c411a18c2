#!/usr/bin/env node
// The `huike` command runs the compiled CLI; `npm start` and `npm run build` produce it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('huike: the CLI is not built yet. Run `npm run build` (or `npm start`) first.\n');
  process.exit(1);
}
await import(entry.href);
