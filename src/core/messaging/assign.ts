import { createHash } from 'node:crypto';

/**
 * Hold-out control and A/B variants, drawn with a stored seed: the same audience and seed always
 * give the same groups, whatever order the audience comes in. Sizes are exact: the control is
 * round(n × holdout %), and the rest is split by the variants' weights (largest remainder).
 */
export interface VariantWeight {
  key: string;
  weight: number;
}

export const CONTROL = 'control';

function rank(seed: string, id: string): string {
  return createHash('sha256').update(seed).update('\u0000').update(id).digest('hex').slice(0, 16);
}

/** How many of n go to each variant, by weight (largest remainder, ties to the first listed). */
export function splitSizes(n: number, variants: readonly VariantWeight[]): number[] {
  const total = variants.reduce((s, v) => s + v.weight, 0);
  if (total <= 0) throw new Error('variant weights must add up to more than 0');
  const exact = variants.map((v) => (n * v.weight) / total);
  const sizes = exact.map(Math.floor);
  let left = n - sizes.reduce((s, x) => s + x, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    sizes[i]! += 1;
    left -= 1;
  }
  return sizes;
}

/** customer id → 'control' or a variant key. */
export function assignGroups(
  customerIds: readonly string[],
  opts: { seed: string; holdoutPct: number; variants: readonly VariantWeight[] },
): Map<string, string> {
  if (opts.holdoutPct < 0 || opts.holdoutPct > 100) throw new Error('holdout % must be between 0 and 100');
  const ordered = [...new Set(customerIds)]
    .map((id) => ({ id, r: rank(opts.seed, id) }))
    .sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : a.id < b.id ? -1 : 1));
  const control = Math.round((ordered.length * opts.holdoutPct) / 100);
  const sizes = splitSizes(ordered.length - control, opts.variants);
  const out = new Map<string, string>();
  let i = 0;
  for (; i < control; i++) out.set(ordered[i]!.id, CONTROL);
  opts.variants.forEach((v, vi) => {
    for (let k = 0; k < sizes[vi]!; k++, i++) out.set(ordered[i]!.id, v.key);
  });
  return out;
}
