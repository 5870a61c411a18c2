import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets a heap grow past what survived its last full collection before it collects again: 1.5×, where
 * V8's own choice, when collections are cheap, is up to 4×. An import allocates each batch's records and SQL
 * parameters and drops them a batch later; with ~40 MB live, V8 let the heap reach 150–190 MB between collections,
 * the peak of the process's memory (a 100k-row import: peak RSS 481 MB; 383 MB at 1.5×, in the same time). The
 * setting is the process's (every thread: the jobs thread runs the console's imports); `huike` sets it at start.
 */
export const HEAP_GROWING_PERCENT = 50;

export function tuneHeap(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
