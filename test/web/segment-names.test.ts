import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_PRESETS } from '../../src/core/analytics-views.js';
import { LIFECYCLES, RFM_CLASSES } from '../../src/core/segments/fields.js';
import {
  activitySegment,
  lifecycleSegment,
  rfmCellSegment,
  rfmClassSegment,
  sourceSegment,
  SYSTEM_SEGMENTS,
} from '../../src/core/segments/system.js';
import { en } from '../../web/src/i18n/en.js';
import { zhCN } from '../../web/src/i18n/zh-CN.js';
import { segmentName } from '../../web/src/segment-names.js';

async function translator(lng: 'zh-CN' | 'en') {
  const i18n = i18next.createInstance();
  await i18n.init({
    resources: { 'zh-CN': { translation: zhCN }, en: { translation: en } },
    lng,
    fallbackLng: 'zh-CN',
    interpolation: { escapeValue: false },
  });
  return i18n.t;
}

/** Every system segment the server names, as the console lists them (`sys:` + key). */
const system = [
  ...SYSTEM_SEGMENTS,
  rfmCellSegment('rfm:R3F4')!,
  ...RFM_CLASSES.map((c) => rfmClassSegment(`rfmclass:${c}`)!),
  ...LIFECYCLES.map((l) => lifecycleSegment(`lifecycle:${l}`)!),
  activitySegment('Black Friday'),
  sourceSegment('Live'),
].map((s) => ({ id: `sys:${s.key}`, name: s.name }));

describe('segment and festival names in the console language', () => {
  it('the Chinese console names each system segment as the server does', async () => {
    const t = await translator('zh-CN');
    expect(system.map((s) => segmentName(t, s))).toEqual(system.map((s) => s.name));
  });

  it('the English console names system segments without Chinese; a seller’s own name stays as written', async () => {
    const t = await translator('en');
    expect(system.map((s) => segmentName(t, s)).filter((n) => /[\u4e00-\u9fff]/.test(n))).toEqual([]);
    expect(segmentName(t, { id: 'sys:buyers', name: '成交客户' })).toBe('Buyers');
    expect(segmentName(t, { id: '01ABC', name: '江浙沪女装复购客' })).toBe('江浙沪女装复购客');
    expect(segmentName(t, { id: 'sys:from-a-newer-server', name: '新系统分群' })).toBe('新系统分群');
  });

  it('each festival preset is named in both languages, the Chinese as the server names it', async () => {
    const zh = await translator('zh-CN');
    const english = await translator('en');
    expect(ACTIVITY_PRESETS.map((f) => zh(`analytics.festivals.${f.key}`))).toEqual(
      ACTIVITY_PRESETS.map((f) => f.name),
    );
    expect(ACTIVITY_PRESETS.map((f) => english(`analytics.festivals.${f.key}`)).join(' ')).not.toMatch(
      /[\u4e00-\u9fff]/,
    );
  });
});
