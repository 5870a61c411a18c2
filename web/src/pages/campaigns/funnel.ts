/** The report's numbers the funnel reads (a subset of GET /campaigns/{id}/report). */
export type FunnelCounts = { targeted: number; sent: number; delivered: number; clicked: number };

/**
 * The campaign funnel's stages in order: 目标客户 (targeted, control left out) → 已发送 → 已送达 (a provider's
 * receipt confirmed it) → 已点击. Held-back recipients are not a stage (they leave between targeted and sent; the
 * report lists them by rule beside the chart). A channel without receipts (the outbox, a webhook that sends none)
 * delivers none on record: when messages went out and none is confirmed, 已送达 says so (`noReceipts`) rather than
 * reading as a drop to zero.
 */
export function funnelStages(r: FunnelCounts, label: (key: keyof FunnelCounts) => string, noReceipts: string) {
  return (['targeted', 'sent', 'delivered', 'clicked'] as const).map((key) => ({
    name: key === 'delivered' && r.delivered === 0 && r.sent > 0 ? `${label(key)} (${noReceipts})` : label(key),
    value: r[key],
  }));
}

/**
 * Why the queued wait: a throttled campaign sends a few a minute, its next one within the minute or two; a wait of
 * longer is the next send window (it said 等待发送时段 under a throttle of 5 a minute).
 */
export function throttledNow(nextSendAt: string, throttlePerMinute: number | null, now = Date.now()): boolean {
  return throttlePerMinute !== null && Date.parse(nextSendAt) - now <= 2 * 60_000;
}
