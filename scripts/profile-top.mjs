// Usage: node scripts/profile-top.mjs FILE.cpuprofile [N]: the N functions with the most self time,
// and the total time under each (inclusive), from a V8 CPU profile.
import { readFileSync } from 'node:fs';

const [file, nArg] = process.argv.slice(2);
const n = Number(nArg ?? 30);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const parent = new Map();
for (const x of prof.nodes) for (const c of x.children ?? []) parent.set(c, x.id);
const hits = new Map();
for (const s of prof.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const total = prof.samples.length;
const label = (x) => {
  const f = x.callFrame;
  const url = f.url.replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}`;
};
const self = new Map();
const incl = new Map();
for (const [id, h] of hits) {
  const x = byId.get(id);
  self.set(label(x), (self.get(label(x)) ?? 0) + h);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const l = label(byId.get(cur));
    if (seen.has(l)) continue;
    seen.add(l);
    incl.set(l, (incl.get(l) ?? 0) + h);
  }
}
const ms = (prof.endTime - prof.startTime) / 1000;
const pct = (h) => `${((100 * h) / total).toFixed(1).padStart(5)} %`;
console.log(`${total} samples over ${(ms / 1000).toFixed(2)} s`);
console.log('self:');
for (const [l, h] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${pct(h)}  ${l}`);
console.log('inclusive:');
for (const [l, h] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${pct(h)}  ${l}`);
