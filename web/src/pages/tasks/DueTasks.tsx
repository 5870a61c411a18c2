import { List, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { EmptyState } from '../../components/Status';
import { dateTime } from '../../format';
import { useApi } from '../../hooks';
import { PriorityTag } from './shared';

/** The dashboard card: the unfinished tasks due first. */
export function DueTasks() {
  const { t } = useTranslation();
  const list = useApi('/tasks', { query: { view: 'all', status: 'active', limit: 5 } });
  const items = list.data?.items ?? [];
  if (list.data && items.length === 0) return <EmptyState title={t('dashboard.noTasks')} hint={t('tasks.emptyHint')} />;
  return (
    <List
      size="small"
      loading={!list.data && !list.error}
      dataSource={items}
      renderItem={(r) => (
        <List.Item extra={<PriorityTag value={r.priority} />}>
          <List.Item.Meta
            title={
              <Link to="/tasks?view=all">
                <Typography.Text ellipsis style={{ maxWidth: 200 }}>
                  {r.title}
                </Typography.Text>
              </Link>
            }
            description={
              <Typography.Text type={r.overdue ? 'danger' : 'secondary'}>
                {dateTime(r.dueAt)} · {r.customerName ?? ''}
              </Typography.Text>
            }
          />
        </List.Item>
      )}
    />
  );
}
