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

/**
 * A customer's place in the draw: the first 16 hex digits of sha256(seed, NUL, customer id). The
 * launch computes the same value in SQL (db/draw.ts: a function registered on SQLite, sha256() on
 * PostgreSQL), so the draw there and here give the same groups.
 */
export function drawRank(seed: string, id: string): string {
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

/**
 * The groups in draw order with the last position (1-based, inclusive) each takes among n drawn
 * customers: control first, round(n × holdout %), then the variants by weight. A group of size 0
 * ends where the one before it ends.
 */
export function groupBounds(
  n: number,
  opts: { holdoutPct: number; variants: readonly VariantWeight[] },
): { grp: string; upTo: number }[] {
  if (opts.holdoutPct < 0 || opts.holdoutPct > 100) throw new Error('holdout % must be between 0 and 100');
  const control = Math.round((n * opts.holdoutPct) / 100);
  const sizes = splitSizes(n - control, opts.variants);
  const out = [{ grp: CONTROL, upTo: control }];
  let upTo = control;
  opts.variants.forEach((v, i) => {
    upTo += sizes[i]!;
    out.push({ grp: v.key, upTo });
  });
  return out;
}

/** customer id → 'control' or a variant key. */
export function assignGroups(
  customerIds: readonly string[],
  opts: { seed: string; holdoutPct: number; variants: readonly VariantWeight[] },
): Map<string, string> {
  const ordered = [...new Set(customerIds)]
    .map((id) => ({ id, r: drawRank(opts.seed, id) }))
    .sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : a.id < b.id ? -1 : 1));
  const out = new Map<string, string>();
  let i = 0;
  for (const { grp, upTo } of groupBounds(ordered.length, opts)) for (; i < upTo; i++) out.set(ordered[i]!.id, grp);
  return out;
}
