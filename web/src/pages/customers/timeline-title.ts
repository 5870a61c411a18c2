import type { TFunction } from 'i18next';
import type { paths } from '../../api/schema.js';
import { count, money } from '../../format.js';

type Timeline = paths['/api/v1/customers/{id}/timeline']['get']['responses'][200]['content']['application/json'];
/** Pure (no React), so it is unit-tested directly (test/web/timeline-titles.test.ts). */
type Event = Pick<Timeline['items'][number], 'kind' | 'title' | 'params'>;

/**
 * The event in the reader's language from its kind and parameters; the server's Chinese title only for a kind the
 * console does not know. The parameters are values (names, codes, numbers); the words around them come from here.
 */
export function eventTitle(e: Event, t: TFunction, exists: (key: string) => boolean): string {
  const key = `timeline.kinds.${e.kind}`;
  if (!exists(key)) return e.title;
  const p = e.params ?? {};
  const str = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : '');
  const label = (prefix: string, v: string) => (v && exists(`${prefix}.${v}`) ? t(`${prefix}.${v}`) : v);
  // Grouped as the 积分 tab writes them (+1,125).
  const points = typeof p.points === 'number' ? `${p.points > 0 ? '+' : ''}${count(p.points)}` : '';
  const score = p.score;
  let text = t(key, {
    amount: money(typeof p.fen === 'number' ? p.fen : 0),
    points,
    name: p.name,
    from: p.from,
    to: p.to,
    step: p.step,
    body: p.body,
    by: str('author') ? t('timeline.by', { name: str('author') }) : '',
    photo: p.photo ? t('timeline.withPhoto') : '',
    typeLabel: label('tasks.types', str('type')),
    tagged: str('tag') ? t('timeline.taggedWith', { tag: str('tag') }) : '',
    scoreText: typeof score === 'number' ? t('timeline.score', { score }) : '',
    mediumLabel: label('timeline.mediums', str('medium')),
    purposeLabel: label('timeline.purposes', str('purpose')),
    reasonText: str('reason') ? t('timeline.reasonSep', { reason: label('campaigns.reasons', str('reason')) }) : '',
  });
  if (e.kind === 'coupon.used' && typeof p.fen === 'number' && p.fen > 0)
    text += ` ${t('timeline.saved', { amount: money(p.fen) })}`;
  if (e.kind.startsWith('points.') && typeof p.source === 'string' && exists(`timeline.pointSources.${p.source}`))
    text += ` · ${t(`timeline.pointSources.${p.source}`)}`;
  return text;
}
