import type { TFunction } from 'i18next';

/**
 * When an automation starts a customer's run, in the reader's words: a date trigger is checked every day at 00:05 in
 * the shop's zone (the automations-daily schedule), an order event when the order arrives (import, sync, webhook),
 * a review when it is recorded, a segment entry every 15 minutes, a schedule by its cron. Shown under the name and
 * before switching one on. Pure (no React): test/web/trigger-when.test.ts.
 */
export function triggerWhen(trigger: unknown, t: TFunction): string {
  const tr = (trigger ?? {}) as { type?: string; event?: string; cron?: string };
  switch (tr.type) {
    case 'date':
      return t('automations.when.date');
    case 'order_event':
      return t('automations.when.order', { event: t(`automations.when.events.${tr.event ?? 'created'}`) });
    case 'review':
      return t('automations.when.review');
    case 'segment_entry':
      return t('automations.when.segment');
    case 'schedule':
      return t('automations.when.schedule', { cron: tr.cron ?? '' });
    default:
      return '';
  }
}
