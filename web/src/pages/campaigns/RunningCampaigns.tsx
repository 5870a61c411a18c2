import { List, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { EmptyState } from '../../components/Status';
import { dateTime } from '../../format';
import { useApi } from '../../hooks';
import { StatusTag } from './shared';

/** What the shop is sending or about to send (scheduled, sending, paused), for the dashboard; a few at most. */
export function RunningCampaigns() {
  const { t } = useTranslation();
  const list = useApi('/campaigns');
  const items = (list.data?.items ?? []).filter((c) => ['scheduled', 'running', 'paused'].includes(c.status));
  if (list.data && items.length === 0)
    return <EmptyState title={t('dashboard.noCampaigns')} hint={t('dashboard.noCampaignsHint')} />;
  return (
    <List
      size="small"
      loading={!list.data && !list.error}
      dataSource={items.slice(0, 4)}
      data-testid="running-campaigns"
      renderItem={(c) => (
        <List.Item extra={<StatusTag status={c.status} />}>
          <List.Item.Meta
            title={
              <Link to={`/campaigns/${c.id}`}>
                <Typography.Text ellipsis style={{ maxWidth: 200 }}>
                  {c.name}
                </Typography.Text>
              </Link>
            }
            description={dateTime(c.launchedAt ?? c.plannedAt ?? c.startAt)}
          />
        </List.Item>
      )}
    />
  );
}
