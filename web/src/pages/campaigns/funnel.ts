/** The report's numbers the funnel reads (a subset of GET /campaigns/{id}/report). */
export type FunnelCounts = { targeted: number; sent: number; delivered: number; clicked: number };

/**
 * Whether a campaign's channel confirms no delivery: messages went out and none is confirmed delivered (the outbox,
 * a webhook that sends no receipts). Its 已送达 is then unknown, not zero — the report, the comparison and the funnel
 * say so alike.
 */
export function withoutReceipts(r: { sent: number; delivered: number }): boolean {
  return r.delivered === 0 && r.sent > 0;
}

/**
 * The campaign funnel's stages in order: 目标客户 (targeted, control left out) → 已发送 → 已送达 (a provider's
 * receipt confirmed it) → 已点击. Held-back recipients are not a stage (they leave between targeted and sent; the
 * report lists them by rule beside the chart). Without receipts (`withoutReceipts`) there is no 已送达 stage: a bar
 * of 0 read as every message lost.
 */
export function funnelStages(r: FunnelCounts, label: (key: keyof FunnelCounts) => string) {
  return (['targeted', 'sent', 'delivered', 'clicked'] as const)
    .filter((key) => key !== 'delivered' || !withoutReceipts(r))
    .map((key) => ({ name: label(key), value: r[key] }));
}

/**
 * Why the queued wait: a throttled campaign sends a few a minute, its next one within the minute or two; a wait of
 * longer is the next send window (it said 等待发送时段 under a throttle of 5 a minute).
 */
export function throttledNow(nextSendAt: string, throttlePerMinute: number | null, now = Date.now()): boolean {
  return throttlePerMinute !== null && Date.parse(nextSendAt) - now <= 2 * 60_000;
}
