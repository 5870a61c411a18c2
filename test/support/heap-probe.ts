/**
 * A process shaped like an import's memory: a set that stays alive, and batches each dropped a few batches after it
 * was made (so it has lived long enough to reach the old generation). Prints the largest heap in use it saw, with
 * the heap tuned as `huike` tunes it (argument `tuned`) or left to V8.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { tuneHeap } from '../../src/cli/heap.js';

if (process.argv[2] === 'tuned') tuneHeap();
const live: { i: number; s: string }[] = [];
for (let i = 0; i < 300_000; i++) live.push({ i, s: `live-${i}-${'x'.repeat(40)}` });
const held: { b: number; i: number; s: string }[][] = [];
let peak = 0;
for (let b = 0; b < 150; b++) {
  const batch: { b: number; i: number; s: string }[] = [];
  for (let i = 0; i < 50_000; i++) batch.push({ b, i, s: `row-${b}-${i}-${'y'.repeat(20)}` });
  held.push(batch);
  if (held.length > 3) held.shift();
  await nextTurn();
  peak = Math.max(peak, process.memoryUsage().heapUsed);
}
process.stdout.write(`${JSON.stringify({ live: live.length, peakMb: Math.round(peak / 1048576) })}\n`);
