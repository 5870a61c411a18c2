import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { en } from '../../web/src/i18n/en.js';
import { zhCN } from '../../web/src/i18n/zh-CN.js';
import { eventTitle } from '../../web/src/pages/customers/timeline-title.js';

/**
 * Every kind of event the server puts on a customer's timeline (src/modules/customers/timeline.ts, messaging and
 * automations) with the parameters it sends: the console says each in the reader's language, never the server's
 * Chinese title in the English console.
 */
const EVENTS: { kind: string; params: Record<string, string | number> | null }[] = [
  { kind: 'order.created', params: { fen: 25800 } },
  { kind: 'order.paid', params: { fen: 25800 } },
  { kind: 'order.shipped', params: null },
  { kind: 'order.signed', params: null },
  { kind: 'order.refunded', params: { fen: 100 } },
  { kind: 'order.closed', params: null },
  { kind: 'note', params: { author: 'Lee' } },
  { kind: 'note', params: { author: '' } },
  { kind: 'tag.added', params: { name: 'VIP' } },
  { kind: 'group.joined', params: { name: 'Club' } },
  { kind: 'customer.merged', params: { name: 'Amy' } },
  { kind: 'customer.unmerged', params: { name: 'Amy' } },
  { kind: 'review.good', params: { photo: 1 } },
  { kind: 'review.neutral', params: { photo: 0 } },
  { kind: 'review.bad', params: { photo: 0 } },
  ...['earn', 'redeem', 'expire', 'adjust', 'reverse'].map((k) => ({
    kind: `points.${k}`,
    params: { points: 10, source: 'order' },
  })),
  { kind: 'coupon.issued', params: { name: 'Spring' } },
  { kind: 'coupon.used', params: { name: 'Spring', fen: 500 } },
  { kind: 'tier.changed', params: { from: 'Silver', to: 'Gold' } },
  { kind: 'task.created', params: { name: 'Call back', type: 'revisit' } },
  { kind: 'task.done', params: { name: 'Call back', tag: 'happy' } },
  { kind: 'task.cancelled', params: { name: 'Call back' } },
  { kind: 'survey.answered', params: { name: 'NPS', score: 4.5 } },
  ...['queued', 'sent', 'failed', 'skipped', 'cancelled'].map((s) => ({
    kind: `message.${s}`,
    params: { medium: 'sms', purpose: 'marketing', reason: s === 'skipped' ? 'frequency_cap' : '' },
  })),
  { kind: 'message.reply', params: { body: 'ok' } },
  { kind: 'message.opt_out', params: { body: 'TD' } },
  ...['started', 'waiting', 'done', 'exited', 'skipped', 'failed'].map((s) => ({
    kind: `automation.${s}`,
    params: { name: 'Welcome' },
  })),
  { kind: 'automation.step_skipped', params: { name: 'Welcome', step: 's2' } },
  { kind: 'points.earn', params: { points: 1125, source: 'order' } },
];

async function titlesIn(lng: 'en' | 'zh-CN') {
  const i18n = i18next.createInstance();
  await i18n.init({
    resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
    lng,
    interpolation: { escapeValue: false },
  });
  const exists = (k: string) => i18n.exists(k);
  return EVENTS.map((e) => eventTitle({ ...e, title: '服务器标题' }, i18n.t, exists));
}

describe('customer timeline titles', () => {
  it('says every kind in English in the English console, with its values', async () => {
    const titles = await titlesIn('en');
    expect(titles.filter((t) => /[\u3000-\u9fff\uff00-\uffef]/.test(t))).toEqual([]);
    expect(titles).toContain('Shipped');
    expect(titles).toContain('Note (Lee)');
    expect(titles).toContain('Positive review (with photos)');
    expect(titles).toContain('Service task "Call back" (Follow-up)');
    expect(titles).toContain('SMS marketing message not sent: Frequency cap');
    expect(titles).toContain('Answered survey "NPS", satisfaction 4.5/5');
  });

  it('says every kind in Chinese in the Chinese console, never the raw code', async () => {
    const titles = await titlesIn('zh-CN');
    expect(titles.filter((t) => !/[\u4e00-\u9fff]/.test(t) || t === '服务器标题')).toEqual([]);
    expect(titles).toContain('备注（Lee）');
    // Points grouped as everywhere else (it said +1125).
    expect(titles.some((t) => t.includes('+1,125'))).toBe(true);
    expect(titles).toContain('好评（有图）');
    expect(titles).toContain('短信营销消息 未发送：触达频次上限');
    expect(titles).toContain('完成服务任务「Call back」，打标签「happy」');
    expect(titles.filter((t) => /\{\{|undefined|timeline\./.test(t))).toEqual([]);
  });
});
