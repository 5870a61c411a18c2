import i18next from 'i18next';
import { expect, it } from 'vitest';
import { en } from '../../web/src/i18n/en.js';
import { zhCN } from '../../web/src/i18n/zh-CN.js';
import { consentEventSource, consentSourceText } from '../../web/src/pages/customers/consent-source.js';

/** The consent source codes the server stores (ingest, webhooks, profile edits, the demo, erasure) read as words. */
const CODES = [
  'import:taobao',
  'import:generic',
  'api',
  'webhook:shopify',
  'staff:01KUSER',
  'demo:会员入会',
  'erasure',
];

async function texts(lng: 'en' | 'zh-CN') {
  const i18n = i18next.createInstance();
  await i18n.init({
    resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
    lng,
    interpolation: { escapeValue: false },
  });
  return CODES.map((c) => consentSourceText(c, i18n.t, (k) => i18n.exists(k)));
}

it('the consent source shows as words in the reader’s language, never as the stored code', async () => {
  expect(await texts('zh-CN')).toEqual([
    '导入订单（淘宝/天猫 订单报表）',
    '导入订单（其他表格（自定义列））',
    '订单接口',
    '平台推送（Shopify）',
    '后台修改',
    '演示数据（会员入会）',
    '个人信息删除',
  ]);
  const english = await texts('en');
  expect(english[0]).toMatch(/^order import \(.+\)$/);
  expect(english[4]).toBe('changed by staff');
  // Nothing unknown is hidden: a code the console does not know shows as it is; no source is a dash.
  const i18n = i18next.createInstance();
  await i18n.init({ resources: { 'zh-CN': { translation: zhCN } }, lng: 'zh-CN' });
  expect(consentSourceText('sync:jst', i18n.t, (k) => i18n.exists(k))).toBe('sync:jst');
  expect(consentSourceText(null, i18n.t, (k) => i18n.exists(k))).toBe('—');
});

it('a 授权记录 line names an import or the demo as the profile does, other changes by kind and who', async () => {
  const i18n = i18next.createInstance();
  await i18n.init({
    resources: { 'zh-CN': { translation: zhCN } },
    lng: 'zh-CN',
    interpolation: { escapeValue: false },
  });
  const say = (source: string, detail: string | null, by: string | null = null) =>
    consentEventSource({ source, detail, by }, i18n.t, (k) => i18n.exists(k));
  expect(say('import', 'import:shopify run 01M8VKS2HNAD9V4AJA3NEK6SK6')).toBe('导入订单（Shopify 订单）');
  expect(say('demo', 'demo:会员入会')).toBe('演示数据（会员入会）');
  expect(say('reply', '拒收 R')).toBe('回复退订 · 拒收 R');
  expect(say('console', null, 'amy')).toBe('后台修改 · amy');
});
