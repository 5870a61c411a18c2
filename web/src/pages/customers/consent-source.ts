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
