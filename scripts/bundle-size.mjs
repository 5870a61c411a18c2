#!/usr/bin/env node
// Gzip sizes of the built console (dist/web): what the login screen loads, and every chunk.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dir = process.argv[2] ?? 'dist/web';
const gz = (f) => gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const html = readFileSync(join(dir, 'index.html'), 'utf8');
const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const all = readdirSync(join(dir, 'assets')).map((f) => `assets/${f}`);
const size = (list) => list.reduce((a, f) => a + gz(f), 0);
console.log(`first load (index.html + ${initial.length} files): ${kb(size(initial) + gzipSync(html).length)} gzip`);
console.log(`whole console (${all.length} files): ${kb(size(all))} gzip`);
for (const f of all
  .map((f) => [f, gz(f)])
  .sort((a, b) => b[1] - a[1])
  .slice(0, 6))
  console.log(`  ${f[0].padEnd(40)} ${kb(f[1])}`);
