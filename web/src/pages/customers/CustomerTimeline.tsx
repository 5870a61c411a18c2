import { Button, Empty, Segmented, Space, Timeline, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Answer } from '../../api';
import { EmptyState, ErrorBox, Loading } from '../../components/Status';
import { reasonText } from '../../errors';
import { dateTime } from '../../format';
import { useApi } from '../../hooks';
import { OrderView } from './OrderView';
import { eventTitle } from './timeline-title';

type Event = Answer<'/customers/{id}/timeline'>['items'][number];

/** Which filter an event falls under, by the first part of its kind. */
const CATEGORY: Record<string, string> = {
  order: 'order',
  points: 'points',
  coupon: 'coupon',
  message: 'message',
  reply: 'message',
  tier: 'tier',
  task: 'service',
  review: 'service',
  survey: 'service',
  note: 'profile',
  tag: 'profile',
  group: 'profile',
  customer: 'profile',
  automation: 'automation',
};
const FILTERS = ['all', 'order', 'points', 'coupon', 'message', 'tier', 'service', 'profile', 'automation'];
const categoryOf = (kind: string) => CATEGORY[kind.split('.')[0]!] ?? 'profile';

const color = (k: string) =>
  k.includes('refund') ? 'red' : k.includes('paid') ? 'green' : k.startsWith('order') ? 'blue' : 'gray';

/**
 * A customer's history, newest first: an order's events (and the points, coupon and review that came with it) sit
 * under the order, named by the platform's order number and its products; the order opens beside the page.
 */
export function CustomerTimeline({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const tl = useApi('/customers/{id}/timeline', { params: { id }, query: { limit: 300 } });
  const [filter, setFilter] = useState('all');
  const [open, setOpen] = useState<string | null>(null);
  if (tl.error) return <ErrorBox error={tl.error} />;
  if (!tl.data) return <Loading />;
  if (tl.data.items.length === 0) return <Empty description={t('customerDetail.noEvents')} />;
  const exists = (key: string) => i18n.exists(key);
  const shown = tl.data.items.filter((e) => filter === 'all' || categoryOf(e.kind) === filter);
  // Newest first; an order stands where its newest event is, its events under it oldest first (how it happened).
  const groups: { order: Event['order']; events: Event[] }[] = [];
  const byOrder = new Map<string, Event[]>();
  for (const e of shown) {
    if (!e.order) {
      groups.push({ order: null, events: [e] });
      continue;
    }
    const list = byOrder.get(e.order.id);
    if (list) list.push(e);
    else {
      const events = [e];
      byOrder.set(e.order.id, events);
      groups.push({ order: e.order, events });
    }
  }
  const line = (e: Event) => (
    <div key={`${e.kind}-${e.at}-${e.ref?.id ?? ''}`}>
      <Space wrap size={8}>
        <Typography.Text strong={!e.order}>{eventTitle(e, t, exists)}</Typography.Text>
        <span className="kpi-foot" style={{ marginTop: 0 }}>
          {dateTime(e.at)}
        </span>
      </Space>
      {e.kind === 'tier.changed' ? (
        <div style={{ color: '#595959' }}>{reasonText(e.why, e.detail ?? '')}</div>
      ) : (
        e.detail && <div style={{ color: '#595959', whiteSpace: 'pre-wrap' }}>{e.detail}</div>
      )}
    </div>
  );
  return (
    <>
      <Space style={{ margin: '4px 0 16px' }} wrap>
        <span>{t('timeline.filter')}</span>
        <Segmented
          size="small"
          className="segmented-wrap"
          data-testid="timeline-filter"
          value={filter}
          onChange={(v) => setFilter(String(v))}
          options={FILTERS.map((f) => ({ value: f, label: t(`timeline.kindsFilter.${f}`) }))}
        />
      </Space>
      {groups.length === 0 ? (
        <EmptyState title={t('timeline.noneOfKind')} />
      ) : (
        <Timeline
          data-testid="timeline"
          items={groups.slice(0, 80).map((g, i) => {
            if (!g.order) return { key: i, color: color(g.events[0]!.kind), children: line(g.events[0]!) };
            const o = g.order;
            return {
              key: i,
              color: color(g.events.find((e) => e.kind.startsWith('order.'))?.kind ?? 'order'),
              children: (
                <div data-testid="timeline-order">
                  <Space wrap size={8}>
                    <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setOpen(o.id)}>
                      <Typography.Text strong>{t('timeline.order', { number: o.number })}</Typography.Text>
                    </Button>
                    {o.products && <Typography.Text>{o.products}</Typography.Text>}
                  </Space>
                  <div style={{ borderLeft: '2px solid #f0f0f0', paddingLeft: 12, marginTop: 4 }}>
                    {[...g.events].reverse().map(line)}
                  </div>
                </div>
              ),
            };
          })}
        />
      )}
      <OrderView id={open} onClose={() => setOpen(null)} />
    </>
  );
}
