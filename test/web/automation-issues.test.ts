import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../src/core/automations/builtins.js';
import { definitionSchema } from '../../src/core/automations/definition.js';
import { inputIssues } from '../../src/core/validation.js';
import { en } from '../../web/src/i18n/en.js';
import { zhCN } from '../../web/src/i18n/zh-CN.js';
import { issueText } from '../../web/src/pages/automations/definition.js';

/**
 * The step editor words the server's problems with a definition from their codes (src/core/reasons.ts), not by
 * matching zod's English: every problem a broken definition can have reads as its own sentence in both languages.
 */
const broken = {
  name: '',
  trigger: { type: 'nope' },
  steps: [
    { id: 'a', type: 'message', medium: 'sms', kind: 'care', text: '您好 #不存在#' },
    { id: 'a', type: 'branch', when: [], else: 'a' },
    { id: 'w', type: 'wait', untilLocal: '25:00', minutes: -1, days: 9999 },
    { id: 'm', type: 'message', medium: 'sms', kind: 'care', text: ' ' },
    { id: 'x', type: 'zzz' },
  ],
};
/** The definition's own checks run once each step is valid on its own. */
const misordered = {
  name: '跳错了',
  trigger: { type: 'order_event', event: 'paid' },
  steps: [
    { id: 'a', type: 'message', medium: 'sms', kind: 'care', text: '您好' },
    { id: 'a', type: 'branch', when: [], else: 'a' },
  ],
};

async function textsIn(lng: 'en' | 'zh-CN') {
  const i18n = i18next.createInstance();
  await i18n.init({
    resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
    lng,
    interpolation: { escapeValue: false },
  });
  const issues = [broken, misordered].flatMap((d) => inputIssues(definitionSchema.safeParse(d).error!.issues, d));
  return Object.fromEntries(issues.map((i) => [i.path, issueText(i18n.t, i)]));
}

describe('the step editor’s problems, by code', () => {
  it('names each problem in Chinese: the limit, the unknown variable, a duplicate id, a jump backwards', async () => {
    const texts = await textsIn('zh-CN');
    expect(texts).toMatchObject({
      name: '至少 1 个字',
      'trigger.type': '请从列表中选择',
      'steps.0.text': '未知变量 #不存在#',
      'steps.1.id': '步骤编号重复',
      'steps.1.else': '只能跳到后面的步骤或结束流程',
      'steps.2.untilLocal': '格式不对',
      'steps.2.minutes': '不能小于 0',
      'steps.2.days': '不能大于 400',
      'steps.3.text': '内容不能为空',
      'steps.4.type': '请从列表中选择',
    });
    expect(Object.values(texts).filter((t) => /[A-Za-z]/.test(t.replace(/#.*#/, '')))).toEqual([]);
  });

  it('names each problem in English in the English console', async () => {
    const texts = await textsIn('en');
    expect(Object.values(texts).filter((t) => /[\u3000-\u9fff]/.test(t.replace(/#.*#/, '')))).toEqual([]);
    expect(texts['steps.2.days']).toMatch(/400/);
    expect(new Set(Object.values(texts)).size).toBeGreaterThanOrEqual(8);
  });

  it('a problem with its own code reads as the server’s sentence for it, in the reader’s language', async () => {
    const odd = {
      name: '\u200b',
      trigger: { type: 'date', date: 'holiday', holidays: ['constructor'] },
      conditions: [{ fact: 'customer.paidOrders', op: 'gte', value: 'lots' }],
      steps: [{ id: 'w', type: 'wait' }],
    };
    const issues = inputIssues(definitionSchema.safeParse(odd).error!.issues, odd);
    for (const [lng, translation, pattern] of [
      ['zh-CN', zhCN, /[\u4e00-\u9fff]/],
      // English sentences (a holiday's own name stays Chinese: it is what the seller picks).
      ['en', en, /^[\x20-\x7e]{12}/],
    ] as const) {
      const i18n = i18next.createInstance();
      await i18n.init({ resources: { [lng]: { translation } }, lng, interpolation: { escapeValue: false } });
      const texts = issues.map((i) => issueText(i18n.t, i));
      expect(texts).toHaveLength(4);
      for (const text of texts) {
        expect(text, lng).toMatch(pattern);
        expect(text).not.toBe(i18n.t('automationEditor.issue.other'));
      }
    }
  });

  it('a code this console does not know reads as a general problem, not as the server’s English', async () => {
    const i18n = i18next.createInstance();
    await i18n.init({ resources: { 'zh-CN': { translation: zhCN } }, lng: 'zh-CN' });
    expect(issueText(i18n.t, { path: 'x', message: 'Something new', key: 'input.newKind', params: {} })).toBe(
      '此项不符合要求',
    );
  });
});

describe('the built-ins in the reader’s language', () => {
  it('every built-in has an English name and description; the Chinese ones are the server’s', () => {
    const enB = en.automations.builtin as Record<string, { name: string; description: string }>;
    const zhB = zhCN.automations.builtin as Record<string, { name: string; description: string }>;
    for (const b of BUILTINS) {
      expect(zhB[b.key], b.key).toEqual({ name: b.name, description: b.description });
      expect(enB[b.key]?.name, b.key).toMatch(/^[\x20-\x7e]+$/);
      expect(enB[b.key]?.description, b.key).toMatch(/^[\x20-\x7e]+$/);
    }
  });
});
