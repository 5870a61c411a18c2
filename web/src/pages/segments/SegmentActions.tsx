import { GiftOutlined, NotificationOutlined, TagsOutlined, TrophyOutlined } from '@ant-design/icons';
import { Button, Card, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router-dom';
import {
  actionResult,
  type Audience,
  type BulkAction,
  GrantPointsModal,
  IssueCouponModal,
  TagAllModal,
} from '../../components/AudienceActions';
import { count, dateTime } from '../../format';
import { useApi } from '../../hooks';
import { can, useMe } from '../../session';

const STATUS_COLOR: Record<string, string> = {
  queued: 'default',
  running: 'processing',
  done: 'success',
  failed: 'error',
};

/**
 * What a seller does next with the customers of a segment (an RFM cell, a class, a lifecycle stage or a saved
 * segment): tag them all, issue a coupon, grant points, or open the campaign wizard with this audience. Big
 * audiences run as jobs; their progress shows in the list of recent actions, refreshed until they finish.
 */
export function SegmentActions({ audience }: { audience: Audience }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const me = useMe();
  const [open, setOpen] = useState<'tag' | 'coupon' | 'points' | null>(null);
  const actions = useApi('/segments/{id}/actions', { params: { id: audience.id } });
  const pending = (actions.data?.items ?? []).some((a) => a.status === 'queued' || a.status === 'running');
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(() => actions.reload(), 1500);
    return () => clearInterval(timer);
  }, [pending, actions]);
  const started = (_: BulkAction) => actions.reload();
  const items = actions.data?.items ?? [];
  return (
    <Card size="small" title={t('audience.title')} style={{ marginTop: 16 }} data-testid="segment-actions">
      <Space wrap>
        {can(me, 'segments:write') && (
          <Button icon={<TagsOutlined />} onClick={() => setOpen('tag')} data-testid="action-tag">
            {t('audience.tagAll')}
          </Button>
        )}
        {can(me, 'coupons:write') && (
          <Button icon={<GiftOutlined />} onClick={() => setOpen('coupon')} data-testid="action-coupon">
            {t('audience.issue')}
          </Button>
        )}
        {can(me, 'points:write') && (
          <Button icon={<TrophyOutlined />} onClick={() => setOpen('points')} data-testid="action-points">
            {t('audience.grant')}
          </Button>
        )}
        {can(me, 'campaigns:write') && (
          <Button
            icon={<NotificationOutlined />}
            onClick={() => void navigate(`/campaigns/new?segment=${encodeURIComponent(audience.id)}`)}
            data-testid="action-campaign"
          >
            {t('audience.campaign')}
          </Button>
        )}
      </Space>
      {items.length > 0 && (
        <Table<BulkAction>
          style={{ marginTop: 12 }}
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={items.slice(0, 5)}
          data-testid="segment-action-log"
          columns={[
            { title: t('audience.when'), dataIndex: 'createdAt', render: (v: string) => dateTime(v), width: 150 },
            { title: t('audience.what'), render: (_, a) => describe(a, t) },
            { title: t('audience.size'), dataIndex: 'audience', align: 'right', render: (n: number) => count(n) },
            {
              title: t('audience.result'),
              render: (_, a) =>
                a.status === 'done' ? (
                  <Typography.Text>
                    {actionResult(a, t)}
                    {a.stoppedAtStock ? ` · ${t('audience.outOfStock')}` : ''}
                  </Typography.Text>
                ) : (
                  <Tag color={STATUS_COLOR[a.status]}>{t(`audience.status.${a.status}`)}</Tag>
                ),
            },
          ]}
        />
      )}
      <TagAllModal open={open === 'tag'} audience={audience} onClose={() => setOpen(null)} onStarted={started} />
      <IssueCouponModal
        open={open === 'coupon'}
        audience={audience}
        onClose={() => setOpen(null)}
        onStarted={started}
      />
      <GrantPointsModal
        open={open === 'points'}
        audience={audience}
        onClose={() => setOpen(null)}
        onStarted={started}
      />
    </Card>
  );
}

function describe(a: BulkAction, t: (k: string, o?: Record<string, unknown>) => string): string {
  const p = a.params as Record<string, string | number>;
  if (a.kind === 'tag') return t('audience.log.tag', { tag: p.tag });
  if (a.kind === 'coupon') return t('audience.log.coupon', { batch: p.batch });
  return t('audience.log.points', { points: count(Number(p.points)), batch: p.batch });
}
