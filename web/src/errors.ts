/**
 * What the console says when something fails or was rejected, in the reader's language: the server gives errors
 * and reasons as a code and parameters (src/core/reasons.ts, shared with the server's exports); its English
 * message is shown only in English, and an error without a code reads as its kind in Chinese.
 */
import { type ReasonLanguage, renderReason } from '../../src/core/reasons';
import { ApiError } from './api';
import i18n from './i18n';

export interface ReasonCode {
  key: string;
  params: Record<string, string | number>;
}

function language(): ReasonLanguage {
  return i18n.language === 'en' ? 'en' : 'zh-CN';
}

/** A reason the server gave as a code, else its English text in English and `fallback` in Chinese. */
export function reasonText(why: ReasonCode | null | undefined, english: string): string {
  const text = why ? renderReason(why, language()) : null;
  return text ?? english;
}

/** "第 2 个条件：" for all[1].value, "第 1 组第 3 个条件：" for all[0].any[2].op. */
function conditionLabel(path: string): string {
  const idx = [...path.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]) + 1);
  if (idx.length === 0) return '';
  if (idx.length === 1) return i18n.t('errors.condition', { n: idx[0] });
  return i18n.t('errors.nestedCondition', { group: idx[idx.length - 2], n: idx[idx.length - 1] });
}

/** An error as the reader should see it. */
export function errorText(e: unknown): string {
  const text = errorTextAsGiven(e);
  // The server's English reasons begin in lower case, as API messages do ("customer X not found"): on screen a
  // sentence.
  return language() === 'en' ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

function errorTextAsGiven(e: unknown): string {
  const en = language() === 'en';
  if (e instanceof ApiError) {
    // Problems with their own codes: `details.issues` (a rule, a survey, a settings form) or, for what the
    // server's schema refused at the edge, `details` itself.
    const details = e.details as { issues?: (ReasonCode & { path: string })[] } | unknown[] | null;
    const issues = Array.isArray(details)
      ? (details as (ReasonCode & { path: string })[]).filter((i) => typeof i?.key === 'string')
      : details?.issues;
    if (Array.isArray(issues) && issues.length > 0) {
      return issues
        .map(
          (i) => `${conditionLabel(i.path)}${renderReason(i, language()) ?? (en ? i.path : i18n.t('errors.invalid'))}`,
        )
        .join(en ? '; ' : '；');
    }
    const why = e.reason ? renderReason(e.reason, language()) : null;
    if (why) return why;
    if (en) return e.message;
    return i18n.t(`errors.${e.code}`, { defaultValue: i18n.t('errors.other', { status: e.status }) });
  }
  if (e instanceof Error && en) return e.message;
  return i18n.t('errors.unexpected');
}
