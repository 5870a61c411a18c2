import type { TFunction } from 'i18next';

/**
 * Where a customer's marketing consent came from, in the reader's language. The server stores a code — `import:taobao`,
 * `api`, `webhook:shopify`, `staff:<user>`, `demo:<detail>`, `erasure` — never a sentence; an unknown code shows as it
 * is. Pure (no React), so it is unit-tested directly (test/web/consent-source.test.ts).
 */
export function consentSourceText(source: string | null, t: TFunction, exists: (key: string) => boolean): string {
  if (!source) return '—';
  const [kind = '', ...rest] = source.split(':');
  if (!exists(`consentSources.${kind}`)) return source;
  const name = t(`consentSources.${kind}`);
  const raw = rest.join(':');
  // Staff changes carry the user's id: the audit log names who; here the kind is enough.
  if (!raw || kind === 'staff') return name;
  // An import names its file format, a webhook its platform.
  const key = kind === 'import' ? `imports.formats.${raw}` : `platforms.${raw}`;
  const detail = exists(key) ? t(key) : raw;
  return t('consentSources.withDetail', { source: name, detail });
}

/**
 * Where one change of the 授权记录 came from: an import's or the demo's change names its code in the detail
 * (`import:shopify run …`, `demo:会员入会`), said as the profile's 授权来源 says it (the run is in the import history);
 * another names its kind (`reply`, `console`…) and any detail beside it, then who made it.
 */
export function consentEventSource(
  e: { source: string; detail: string | null; by: string | null },
  t: TFunction,
  exists: (key: string) => boolean,
): string {
  const code = e.detail ? /^([a-z]+:\S+)( run \S+)?$/.exec(e.detail)?.[1] : undefined;
  const where = code
    ? consentSourceText(code, t, exists)
    : [t(`privacy.sources.${e.source}`, { defaultValue: e.source }), e.detail].filter(Boolean).join(' · ');
  return [where, e.by].filter(Boolean).join(' · ');
}
