import i18next from 'i18next';
import { expect, it } from 'vitest';
import { en } from '../../web/src/i18n/en.js';
import { zhCN } from '../../web/src/i18n/zh-CN.js';
import { triggerWhen } from '../../web/src/pages/automations/trigger-when.js';

async function tOf(lng: 'en' | 'zh-CN') {
  const i18n = i18next.createInstance();
  await i18n.init({
    lng,
    resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
    interpolation: { escapeValue: false },
  });
  return i18n.t.bind(i18n);
}

it('says when each kind of trigger starts a run, in both languages', async () => {
  const zh = await tOf('zh-CN');
  expect(triggerWhen({ type: 'date', date: 'dormant' }, zh)).toMatch(/^每天 00:05/);
  expect(triggerWhen({ type: 'order_event', event: 'paid' }, zh)).toBe('付款时开始（订单导入、同步或推送进来时）');
  expect(triggerWhen({ type: 'schedule', cron: '0 10 * * 1' }, zh)).toBe('按时间表 0 10 * * 1 运行');
  const english = await tOf('en');
  for (const trigger of [
    { type: 'date' },
    { type: 'review' },
    { type: 'segment_entry' },
    ...['created', 'paid', 'shipped', 'signed', 'refunded'].map((event) => ({ type: 'order_event', event })),
  ]) {
    const zhText = triggerWhen(trigger, zh);
    const enText = triggerWhen(trigger, english);
    // A missing key would come back as the key itself.
    expect(zhText).not.toMatch(/automations\./);
    expect(enText).not.toMatch(/automations\.|[\u4e00-\u9fff]/);
    expect(zhText).not.toBe(enText);
  }
  expect(triggerWhen(undefined, zh)).toBe('');
});

it('every festival 节日关怀 greets on has an English name', async () => {
  const { HOLIDAYS } = await import('../../src/core/automations/holidays.js');
  const english = await tOf('en');
  for (const h of HOLIDAYS)
    expect(english(`automations.holidayNames.${h}`), h).not.toMatch(/[\u4e00-\u9fff]|holidayNames/);
});
