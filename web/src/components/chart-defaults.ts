import { count } from '../format.js';

type Loose = Record<string, unknown>;
const asList = (x: unknown): Loose[] => (Array.isArray(x) ? x : x && typeof x === 'object' ? [x as Loose] : []);

/**
 * What every chart gets unless its option says otherwise: the grid holds its axis labels
 * (`containLabel`: a long label such as 15,000,000 is never clipped at the edge), and a value axis
 * without its own formatter shows thousands separators.
 */
export function readable<T extends object>(option: T): T {
  const o: Loose = { ...(option as Loose) };
  if (o.grid !== undefined) {
    const grids = asList(o.grid).map((g) => ({ containLabel: true, ...g }));
    o.grid = Array.isArray(o.grid) ? grids : grids[0];
  }
  for (const key of ['xAxis', 'yAxis'] as const) {
    if (o[key] === undefined) continue;
    const axes = asList(o[key]).map((a) => {
      const label = (a.axisLabel ?? {}) as Loose;
      if (a.type !== 'value' || label.formatter !== undefined) return a;
      return { ...a, axisLabel: { ...label, formatter: (v: number) => count(v) } };
    });
    o[key] = Array.isArray(o[key]) ? axes : axes[0];
  }
  return o as T;
}
