import { zoneOffsetMinutes } from '../time.js';

/**
 * Send windows: the local times of day, in the store's time zone, when a message may go out.
 * Outside them a message waits for the next window (never dropped). A window whose end is before
 * its start runs across midnight (21:00–01:00).
 */
export interface SendWindow {
  start: string;
  end: string;
}

/** [from, to) in minutes of the local day, never wrapping. */
export type Interval = readonly [number, number];

export const DEFAULT_WINDOWS: SendWindow[] = [
  { start: '09:30', end: '12:00' },
  { start: '14:00', end: '18:00' },
  { start: '20:00', end: '21:30' },
];

/** 08:00–22:00: a marketing SMS never goes out beyond it, whatever the windows say; nor does care. */
export const DAYTIME: Interval = [8 * 60, 22 * 60];

const HM = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function minutesOf(hm: string): number {
  const m = HM.exec(hm);
  if (!m) throw new Error(`not a time of day "${hm}" (HH:MM, 00:00–23:59)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export function windowProblems(windows: readonly SendWindow[]): string[] {
  const p: string[] = [];
  windows.forEach((w, i) => {
    if (!HM.test(w.start)) p.push(`windows[${i}].start: not a time of day "${w.start}" (HH:MM)`);
    if (!HM.test(w.end)) p.push(`windows[${i}].end: not a time of day "${w.end}" (HH:MM)`);
    if (w.start === w.end) p.push(`windows[${i}]: start and end are the same`);
  });
  return p;
}

/** The windows as non-wrapping intervals, sorted and merged. */
export function intervalsOf(windows: readonly SendWindow[]): Interval[] {
  const raw: Interval[] = [];
  for (const w of windows) {
    const s = minutesOf(w.start);
    const e = minutesOf(w.end);
    if (e > s) raw.push([s, e]);
    else {
      raw.push([s, 1440]);
      if (e > 0) raw.push([0, e]);
    }
  }
  return merge(raw);
}

function merge(list: Interval[]): Interval[] {
  const sorted = [...list].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [s, e] of sorted) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

export function intersect(list: readonly Interval[], band: Interval): Interval[] {
  const out: Interval[] = [];
  for (const [s, e] of list) {
    const a = Math.max(s, band[0]);
    const b = Math.min(e, band[1]);
    if (b > a) out.push([a, b]);
  }
  return out;
}

/** The UTC instant of a local wall-clock time (ms as if the wall clock were UTC) in a zone. */
function wallToUtc(wallMs: number, timeZone: string): number {
  let offset = zoneOffsetMinutes(timeZone, wallMs);
  offset = zoneOffsetMinutes(timeZone, wallMs - offset * 60_000);
  return wallMs - offset * 60_000;
}

/**
 * The earliest instant at or after `now` inside one of the intervals, in `timeZone`:
 * `now` itself when it is inside one, else the start of the next (later today, or a later day).
 * Null when there is no interval at all.
 */
export function nextOpening(now: Date, timeZone: string, intervals: readonly Interval[]): Date | null {
  if (intervals.length === 0) return null;
  const ms = now.getTime();
  const wall = ms + zoneOffsetMinutes(timeZone, ms) * 60_000;
  const dayStart = Math.floor(wall / 86_400_000) * 86_400_000;
  const minute = (wall - dayStart) / 60_000;
  for (const [s, e] of intervals) if (minute >= s && minute < e) return now;
  for (let day = 0; day < 3; day++) {
    for (const [s] of intervals) {
      if (day === 0 && s <= minute) continue;
      const at = wallToUtc(dayStart + day * 86_400_000 + s * 60_000, timeZone);
      if (at > ms) return new Date(at);
    }
  }
  return null;
}
