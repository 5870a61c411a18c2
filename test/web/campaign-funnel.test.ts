import { describe, expect, it } from 'vitest';
import { funnelStages, throttledNow, withoutReceipts } from '../../web/src/pages/campaigns/funnel.js';

const labels = { targeted: '目标客户', sent: '已发送', delivered: '已送达', clicked: '已点击' };

describe('campaign report funnel', () => {
  it('runs targeted → sent → delivered → clicked, in that order, from the report numbers', () => {
    const stages = funnelStages({ targeted: 1000, sent: 947, delivered: 930, clicked: 120 }, (k) => labels[k]);
    expect(stages).toEqual([
      { name: '目标客户', value: 1000 },
      { name: '已发送', value: 947 },
      { name: '已送达', value: 930 },
      { name: '已点击', value: 120 },
    ]);
    // Each stage is within the one before (held-back recipients are not a stage of their own).
    for (let i = 1; i < stages.length; i++) expect(stages[i]!.value).toBeLessThanOrEqual(stages[i - 1]!.value);
  });

  it('has no 已送达 stage when messages went out and the channel confirmed none (unknown, not 0)', () => {
    const names = (delivered: number, sent: number) =>
      funnelStages({ targeted: 1560, sent, delivered, clicked: 12 }, (k) => labels[k]).map((s) => s.name);
    expect(withoutReceipts({ sent: 930, delivered: 0 })).toBe(true);
    expect(names(0, 930)).toEqual(['目标客户', '已发送', '已点击']);
    // Nothing sent yet, or receipts came: all four stages.
    expect(withoutReceipts({ sent: 0, delivered: 0 })).toBe(false);
    expect(names(0, 0)).toEqual(['目标客户', '已发送', '已送达', '已点击']);
    expect(names(900, 930)).toEqual(['目标客户', '已发送', '已送达', '已点击']);
  });

  it('says a throttle, not the send window, when the next message goes out within two minutes of a throttle', () => {
    const now = Date.parse('2026-11-23T02:00:00Z');
    expect(throttledNow('2026-11-23T02:00:40Z', 5, now)).toBe(true);
    expect(throttledNow('2026-11-23T02:00:40Z', null, now)).toBe(false);
    // Hours away: the window opens then, whatever the throttle.
    expect(throttledNow('2026-11-23T06:00:00Z', 5, now)).toBe(false);
  });
});
