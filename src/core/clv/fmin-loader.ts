import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Fmin from 'fmin';

/**
 * fmin 0.0.4 (the optimiser) ships only a UMD build, inside a package marked "type": "module".
 * Imported, it exports nothing: Node runs it as an ES module and it falls through to setting a
 * global, which other loaders (tsx in a worker thread) do not even do; its ES entry is unusable
 * (extensionless imports). So the UMD script is run here as the CommonJS module it is written as.
 */
export function loadFmin(): typeof Fmin {
  const file = createRequire(import.meta.url).resolve('fmin');
  const exports: Record<string, unknown> = {};
  new Function('exports', 'module', readFileSync(file, 'utf8'))(exports, { exports });
  if (typeof exports.conjugateGradient !== 'function') throw new Error(`the fmin optimiser did not load from ${file}`);
  return exports as unknown as typeof Fmin;
}
