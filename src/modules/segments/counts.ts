/**
 * The last count of each segment, with when it was taken, so the segment list can show every row's size at once
 * instead of counting them all on every visit (~15–20 rows on a demo shop: 15–20 counts fired together, 1–1.5 s
 * under load, and again on the next visit). The list shows these; the console recounts only rows whose count is
 * missing or older than a few minutes, a few at a time (web/src/pages/segments/Segments.tsx).
 *
 * Kept in this process (the server is one process; after a restart the first visit counts afresh). The key has the
 * rule, so a saved segment whose rule changed is not shown its old size; data that changed since (an import) is
 * what `countedAt` is for.
 */
const MAX_KEPT = 5_000;

interface Kept {
  count: number;
  countedAt: string;
}

const kept = new Map<string, Kept>();

const keyOf = (workspaceId: string, segmentId: string, rule: unknown) =>
  `${workspaceId}\u0000${segmentId}\u0000${JSON.stringify(rule)}`;

export function rememberCount(workspaceId: string, segmentId: string, rule: unknown, count: number, at: Date): void {
  const key = keyOf(workspaceId, segmentId, rule);
  kept.delete(key); // re-inserted last: the oldest entry is the first to go
  if (kept.size >= MAX_KEPT) kept.delete(kept.keys().next().value!);
  kept.set(key, { count, countedAt: at.toISOString() });
}

/** The segment's last count and when it was taken; nulls when it was not counted (with this rule) yet. */
export function lastCount(
  workspaceId: string,
  segmentId: string,
  rule: unknown,
): Kept | { count: null; countedAt: null } {
  return kept.get(keyOf(workspaceId, segmentId, rule)) ?? { count: null, countedAt: null };
}
