import { bgnbdLogLikelihood, expectedPurchases, fitBgNbd, groupRft, type Rft } from '../src/core/clv/bgnbd.js';
import { Random } from '../src/core/random.js';
import { type Bench, benchArgs, countFlag } from './args.js';

/**
 * `npm run bench -- predict [--customers 25000,1000000]`: BG/NBD fit time on customers simulated
 * from a known BG/NBD in whole days (r = 0.25, α = 30, a = 0.8, b = 2.4, ages up to two years).
 * Baseline, measured in the same run: one pass of the log-likelihood over the same sample, so the
 * fit reads as "this many likelihood passes". Also prints the recovered parameters and the time to
 * score every customer (30/90/365-day expectations). Target: fit < 2 s at 25k customers.
 */
const TRUE = { r: 0.25, alpha: 30, a: 0.8, b: 2.4 };

function gamma(rnd: Random, shape: number): number {
  if (shape < 1) return gamma(rnd, shape + 1) * rnd.next() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box–Muller normal
      x = Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rnd.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function simulate(n: number, seed = 5): Rft[] {
  const rnd = new Random(seed);
  const out: Rft[] = [];
  for (let i = 0; i < n; i++) {
    const lambda = gamma(rnd, TRUE.r) / TRUE.alpha;
    const ga = gamma(rnd, TRUE.a);
    const p = ga / (ga + gamma(rnd, TRUE.b));
    const T = rnd.int(0, 730);
    const days = new Set<number>();
    let t = 0;
    for (;;) {
      t += -Math.log(1 - rnd.next()) / lambda;
      if (t > T) break;
      days.add(Math.floor(t));
      if (rnd.chance(p)) break;
    }
    days.delete(0);
    const last = days.size ? Math.max(...days) : 0;
    out.push({ x: days.size, tx: last, T });
  }
  return out;
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
}

const PREDICT_FLAGS = {
  customers: { type: 'string', arg: 'N,N,…', help: 'sample sizes, comma-separated (default 25000,1000000)' },
} as const;

export const predict: Bench = {
  summary:
    'BG/NBD fit time on buyers simulated from a known BG/NBD, against one pass of the log-likelihood over the same ' +
    'sample; the recovered parameters and the time to score every customer.',
  flags: PREDICT_FLAGS,
  run: benchPredict,
};

async function benchPredict(args: string[]): Promise<void> {
  const list = benchArgs(args, PREDICT_FLAGS).customers ?? '25000,1000000';
  const sizes = list.split(',').map((n) => countFlag(n.trim(), 'customers', 0));
  for (const n of sizes) {
    const rows = simulate(n);
    const [groups, groupMs] = time(() => groupRft(rows));
    bgnbdLogLikelihood(TRUE, groups); // warm up
    const passes = 20;
    const [, llMs] = time(() => {
      for (let k = 0; k < passes; k++) bgnbdLogLikelihood({ ...TRUE, b: TRUE.b + k * 1e-9 }, groups);
    });
    const baseline = llMs / passes;
    const [fit, fitMs] = time(() => fitBgNbd(groups));
    const [, scoreMs] = time(() => {
      for (const c of rows) for (const t of [30, 90, 365]) expectedPurchases(fit.params, c, t);
    });
    const p = fit.params;
    console.log(
      [
        `predict: ${n.toLocaleString('en')} customers (${groups.x.length.toLocaleString('en')} distinct x/tx/T)`,
        `  group ${groupMs.toFixed(0)} ms; one likelihood pass (baseline) ${baseline.toFixed(2)} ms`,
        `  fit ${fitMs.toFixed(0)} ms = ${(fitMs / baseline).toFixed(0)} × baseline ` +
          `${n === 25_000 ? (fitMs < 2000 ? '(target < 2 s: met)' : '(target < 2 s: MISSED)') : ''}`,
        `  recovered r ${p.r.toFixed(3)} α ${p.alpha.toFixed(1)} a ${p.a.toFixed(3)} ` +
          `b ${p.b.toFixed(3)} (true ${TRUE.r}, ${TRUE.alpha}, ${TRUE.a}, ${TRUE.b})`,
        `  scoring 30/90/365-day expectations ${scoreMs.toFixed(0)} ` +
          `ms (${((scoreMs * 1000) / n).toFixed(1)} µs a customer)`,
      ].join('\n'),
    );
  }
}
