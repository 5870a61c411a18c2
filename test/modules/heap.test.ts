import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { spawnTs } from '../support/processes.js';

async function peakHeapMb(mode: 'tuned' | 'default'): Promise<number> {
  const child = spawnTs('test/support/heap-probe.ts', [mode], {});
  const [code] = await once(child, 'exit');
  expect(code, child.output()).toBe(0);
  return (JSON.parse(child.output().trim().split('\n').at(-1)!) as { peakMb: number }).peakMb;
}

describe('the heap as huike tunes it', () => {
  it('collects before the heap is much larger than what is alive (an import peaked at 4× it)', async () => {
    const [left, tuned] = await Promise.all([peakHeapMb('default'), peakHeapMb('tuned')]);
    // ~40 MB alive and 3 batches of ~5 MB held: V8 alone let it reach ~500 MB, tuned ~240 MB.
    expect(tuned).toBeLessThan(left * 0.7);
  }, 120_000);
});
