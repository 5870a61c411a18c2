import type { TFunction } from 'i18next';

/**
 * A segment's name in the UI language. The server names its system segments (`sys:…`) in Chinese; they are
 * named here from their id, so the English console does not show 成交客户. A seller's own segment keeps its name,
 * and a system one this console does not know shows the server's name.
 */
export function segmentName(t: TFunction, s: { id: string; name: string }): string {
  if (!s.id.startsWith('sys:')) return s.name;
  const key = s.id.slice(4);
  const rfm = /^rfm:R([1-5])F([1-5])$/.exec(key);
  if (rfm) return t('campaignExtras.rfmCell', { r: rfm[1], f: rfm[2] });
  const [kind, value] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)];
  if (kind === 'rfmclass') return t('segments.systemNames.rfmClass', { name: t(`rfm.class.${value}`, value) });
  if (kind === 'lifecycle') return t('segments.systemNames.lifecycle', { name: t(`lifecycle.${value}`, value) });
  if (kind === 'activity') return t('segments.systemNames.activity', { name: value });
  if (kind === 'source') return t('segments.systemNames.source', { name: value });
  return t(`segments.systemNames.${key}`, s.name);
}
