import type { Rft } from './bgnbd.js';

/**
 * From a customer's purchases to what the models see. Time is in whole local days (day numbers
 * in the workspace's time zone); several orders on one day are one transaction, as in the BG/NBD
 * literature, and their amounts are summed.
 */
export interface PurchaseDay {
  day: number;
  fen: number;
}

export interface CustomerSummary extends Rft {
  /** Mean spend of the repeat purchase days (the first excluded), 0 without any. */
  repeatMeanFen: number;
  /** Mean spend of every purchase day. */
  meanFen: number;
  /** The same summary at the end of the calibration period, when the customer had bought by then. */
  calibration: Rft | null;
  /** Purchase days after the calibration period (the holdout). */
  holdoutPurchases: number;
}

/** Days are sorted and merged here; `today` and `calibrationEnd` are day numbers, calibrationEnd < today. */
export function summarisePurchases(purchases: readonly PurchaseDay[], today: number, calibrationEnd: number) {
  const byDay = new Map<number, number>();
  for (const p of purchases) byDay.set(p.day, (byDay.get(p.day) ?? 0) + p.fen);
  const days = [...byDay.keys()].sort((a, b) => a - b);
  if (days.length === 0) return null;
  const first = days[0]!;
  const last = days[days.length - 1]!;
  let total = 0;
  for (const v of byDay.values()) total += v;
  const x = days.length - 1;
  const inCalibration = days.filter((d) => d <= calibrationEnd);
  const summary: CustomerSummary = {
    x,
    tx: last - first,
    T: Math.max(today - first, last - first),
    repeatMeanFen: x > 0 ? (total - byDay.get(first)!) / x : 0,
    meanFen: total / days.length,
    calibration:
      inCalibration.length > 0
        ? {
            x: inCalibration.length - 1,
            tx: inCalibration[inCalibration.length - 1]! - first,
            T: calibrationEnd - first,
          }
        : null,
    holdoutPurchases: inCalibration.length > 0 ? days.length - inCalibration.length : 0,
  };
  return summary;
}

/** Day number (days since 1970-01-01) of a UTC instant in a zone whose offset is `offsetMinutes`. */
export function dayNumber(utcMs: number, offsetMinutes: number): number {
  return Math.floor((utcMs + offsetMinutes * 60_000) / 86_400_000);
}

export function dayToDate(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

export interface CalibrationInput {
  x: number;
  predicted: number;
  actual: number;
}

/**
 * Predicted vs actual holdout purchases by calibration-period frequency (0 … top−1, and top+):
 * the BG/NBD paper's figure 4, the quickest way to see whether a fit can be trusted.
 */
export function calibrationByFrequency(rows: Iterable<CalibrationInput>, top = 7) {
  const buckets = Array.from({ length: top + 1 }, (_, i) => ({
    frequency: i === top ? `${top}+` : String(i),
    customers: 0,
    predicted: 0,
    actual: 0,
  }));
  for (const r of rows) {
    const b = buckets[Math.min(r.x, top)]!;
    b.customers += 1;
    b.predicted += r.predicted;
    b.actual += r.actual;
  }
  return buckets
    .filter((b) => b.customers > 0)
    .map((b) => ({ ...b, predicted: b.predicted / b.customers, actual: b.actual / b.customers }));
}
