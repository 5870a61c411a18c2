#!/usr/bin/env node
// `npm run lint` runs this: no line of code or test over 120 characters (Biome's formatter keeps code
// within the width but leaves long strings and comments alone). Generated and data files are skipped.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const DIRS = ['src/', 'web/src/', 'test/', 'bench/', 'scripts/'];
const CODE = /\.(ts|tsx|mts|js|mjs|cjs)$/;
const SKIP = new Set(['web/src/api/schema.d.ts']);

const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...DIRS], {
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => CODE.test(f) && !SKIP.has(f));
const long = [];
for (const f of files) {
  let text;
  try {
    text = readFileSync(f, 'utf8');
  } catch {
    continue; // deleted in the work tree
  }
  text.split('\n').forEach((line, i) => {
    if ([...line].length > MAX) long.push(`${f}:${i + 1}: ${[...line].length} characters`);
  });
}
if (long.length > 0) {
  console.error(`${long.length} line(s) over ${MAX} characters (split the string or the comment):`);
  for (const l of long) console.error(`  ${l}`);
  process.exit(1);
}
console.log(`no line over ${MAX} characters in ${files.length} files`);
