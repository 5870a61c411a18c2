/** Types for `fmin` (Ben Frederickson's optimisers), which ships none. Only what Huike uses. */
declare module 'fmin' {
  export interface Solution {
    x: number[];
    fx: number;
  }
  /** Polak–Ribière conjugate gradient; f returns the value and writes the gradient into its second argument. */
  export function conjugateGradient(
    f: (x: number[], gradient: number[]) => number,
    initial: number[],
    options?: { maxIterations?: number },
  ): Solution;
}
