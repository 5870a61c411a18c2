import { fieldLabel } from '../../../src/core/field-labels.js';

/**
 * An audit entry's details as a reader reads them: what was sent (the body, the query) as 「积分：100；原因：客服补偿」,
 * each field by its label (core/field-labels.ts), lists joined with 、, yes/no in the reader's words, a nested
 * value (a rule, a ladder) as compact JSON cut at 160 characters. The HTTP status and the route's parameters (the
 * target column says them) are left out. Pure: test/web/audit-details.test.ts.
 */
export function auditDetailsText(
  details: Record<string, unknown> | null,
  lang: 'zh-CN' | 'en',
  yesNo: { yes: string; no: string },
): string {
  if (!details) return '';
  const value = (v: unknown): string => {
    if (v === null || v === undefined || v === '') return '—';
    if (typeof v === 'boolean') return v ? yesNo.yes : yesNo.no;
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number'))
      return v.length === 0 ? '—' : v.join(lang === 'en' ? ', ' : '、');
    const json = JSON.stringify(v);
    return json.length > 160 ? `${json.slice(0, 159)}…` : json;
  };
  const parts: string[] = [];
  for (const part of ['body', 'query'] as const) {
    const fields = details[part];
    if (!fields || typeof fields !== 'object' || Array.isArray(fields)) continue;
    for (const [k, v] of Object.entries(fields as Record<string, unknown>))
      parts.push(`${fieldLabel(k, lang)}${lang === 'en' ? ': ' : '：'}${value(v)}`);
  }
  return parts.join(lang === 'en' ? '; ' : '；');
}
