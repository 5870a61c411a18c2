import gammalnImpl from '@stdlib/math-base-special-gammaln';
import hyp2f1Impl from '@stdlib/math-base-special-hyp2f1';
import type * as Fmin from 'fmin';
import { loadFmin } from './fmin-loader.js';

const fmin: typeof Fmin = loadFmin();
const { conjugateGradient } = fmin;

/** ln Γ(x), accurate for large x (Γ itself overflows past 171). */
export const gammaln: (x: number) => number = gammalnImpl;
/** Gauss's hypergeometric function ₂F₁(a, b; c; z). */
export const hyp2f1: (a: number, b: number, c: number, z: number) => number = hyp2f1Impl;

/** ln(e^u + e^v) without overflow; either may be −∞. */
export function logAddExp(u: number, v: number): number {
  if (u === Number.NEGATIVE_INFINITY) return v;
  if (v === Number.NEGATIVE_INFINITY) return u;
  const m = Math.max(u, v);
  return m + Math.log1p(Math.exp(-Math.abs(u - v)));
}

/** 1 / (1 + e^u) without overflow. */
export function logisticOfNegative(u: number): number {
  return u > 0 ? Math.exp(-u) / (1 + Math.exp(-u)) : 1 / (1 + Math.exp(u));
}

/**
 * Minimises f over positive parameters, on their logarithms so every step stays positive.
 * f should be a mean over customers, so that its size does not depend on the sample.
 * 1. fmin's Polak–Ribière conjugate gradient (Wolfe line search, central-difference gradient)
 *    brings the parameters near the optimum from a rough start;
 * 2. damped Newton steps on a finite-difference Hessian then settle them: fmin stops at a fixed
 *    |∇| ≤ 1e-5, which leaves the strongly correlated r and α of BG/NBD a few 1e-3 off, and
 *    Newton converges quadratically from there in a handful of steps.
 * (fmin's Nelder-Mead is not used: in 0.0.4 its shrink step assigns an undeclared variable and
 * throws in strict mode.)
 */
export function minimisePositive(
  f: (params: number[]) => number,
  initial: number[],
): { params: number[]; value: number; evaluations: number } {
  const bound = 40; // |ln θ| beyond this is a degenerate fit, and its Γ terms lose every digit
  let evaluations = 0;
  const at = (logs: number[]) => {
    if (logs.some((l) => Math.abs(l) > bound)) return Number.POSITIVE_INFINITY;
    evaluations += 1;
    const v = f(logs.map(Math.exp));
    return Number.isFinite(v) ? v : Number.POSITIVE_INFINITY;
  };
  const gradient = (logs: number[], h: number, grad: number[]) => {
    const probe = logs.slice();
    for (let i = 0; i < logs.length; i++) {
      probe[i] = logs[i]! + h;
      const up = at(probe);
      probe[i] = logs[i]! - h;
      const down = at(probe);
      probe[i] = logs[i]!;
      grad[i] = Number.isFinite(up) && Number.isFinite(down) ? (up - down) / (2 * h) : 0;
    }
    return grad;
  };
  const coarse = conjugateGradient(
    (logs, grad) => {
      const value = at(logs);
      if (!Number.isFinite(value)) {
        grad.fill(0);
        return Number.MAX_VALUE;
      }
      gradient(logs, 1e-6, grad);
      return value;
    },
    initial.map(Math.log),
    { maxIterations: 5 },
  );
  let x = coarse.x.slice();
  let fx = at(x);
  // Levenberg–Marquardt damping: plain Newton while the Hessian leads downhill, more weight on
  // the gradient direction when it does not.
  let damping = 0;
  for (let iteration = 0; iteration < 100; iteration++) {
    const g = gradient(x, 1e-5, new Array<number>(x.length).fill(0));
    const H = hessian(at, x, fx, 1e-4);
    const scale = Math.max(...H.map((row, i) => Math.abs(row[i]!)), 1e-12);
    const step = solve(
      H.map((row, i) => row.map((v, j) => (i === j ? v + damping * scale : v))),
      g.map((v) => -v),
    );
    const size = step ? Math.max(...step.map(Math.abs)) : Number.POSITIVE_INFINITY;
    const next = step ? x.map((v, i) => v + step[i]!) : null;
    const fn = next ? at(next) : Number.POSITIVE_INFINITY;
    if (next && fn <= fx) {
      const change = fx - fn;
      x = next;
      fx = fn;
      damping = damping > 1e-6 ? damping / 10 : 0;
      if (size < 1e-9 || change < 1e-13) break;
    } else {
      // A tiny step that does not go down: the optimum, to the precision f is computed with.
      if (size < 1e-7) break;
      damping = damping === 0 ? 1e-4 : damping * 10;
      if (damping > 1e6) break;
    }
  }
  return { params: x.map(Math.exp), value: fx, evaluations };
}

function hessian(f: (x: number[]) => number, x: number[], fx: number, h: number): number[][] {
  const n = x.length;
  const H = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const shifted = (di: number, i: number, dj: number, j: number) => {
    const p = x.slice();
    p[i] = p[i]! + di;
    p[j] = p[j]! + dj;
    return f(p);
  };
  for (let i = 0; i < n; i++) {
    H[i]![i] = (shifted(h, i, 0, i) - 2 * fx + shifted(-h, i, 0, i)) / (h * h);
    for (let j = 0; j < i; j++) {
      const v =
        (shifted(h, i, h, j) - shifted(h, i, -h, j) - shifted(-h, i, h, j) + shifted(-h, i, -h, j)) / (4 * h * h);
      H[i]![j] = v;
      H[j]![i] = v;
    }
  }
  return H;
}

/** Solves A·s = y by Gaussian elimination with partial pivoting; null when A is singular or not a descent direction. */
function solve(A: number[][], y: number[]): number[] | null {
  const n = y.length;
  const M = A.map((row, i) => [...row, y[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    if (!(Math.abs(M[p]![c]!) > 1e-300)) return null;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const k = M[r]![c]! / M[c]![c]!;
      for (let k2 = c; k2 <= n; k2++) M[r]![k2] = M[r]![k2]! - k * M[c]![k2]!;
    }
  }
  const s = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let v = M[r]![n]!;
    for (let c = r + 1; c < n; c++) v -= M[r]![c]! * s[c]!;
    s[r] = v / M[r]![r]!;
  }
  // Newton's step must go downhill (the Hessian is positive definite near a minimum).
  const slope = s.reduce((acc, v, i) => acc - v * y[i]!, 0);
  return s.every(Number.isFinite) && slope < 0 ? s : null;
}
