import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Col, Row, Segmented, Select, Space, Statistic, Switch, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import type { Query } from '../../api';
import { EmptyState, ErrorBox } from '../../components/Status';
import { count, dateTime } from '../../format';
import { useApi } from '../../hooks';
import { NewTaskModal } from './NewTaskModal';
import { PRIORITIES, PriorityTag, TASK_TYPES, type Task, TaskStatusTag, TaskTypeTag } from './shared';
import { TaskDrawer } from './TaskDrawer';

const STATUSES = ['active', 'open', 'in_progress', 'done', 'cancelled', 'all'] as const;
const PAGE = 20;

/** An agent's inbox: earliest due first; mine or all; a click opens the task beside the customer's 360. */
export function Inbox() {
  const { t } = useTranslation();
  // The view, filters and page live in the address: a reload, Back from a customer or a shared link keeps them
  // (they were the component's own and reset to 我的任务 / 未完成 / page 1). Defaults are left out of it.
  const [params, setParams] = useSearchParams();
  const view = params.get('view') === 'all' ? 'all' : 'mine';
  const status = STATUSES.find((x) => x === params.get('status')) ?? 'active';
  const type = TASK_TYPES.find((x) => x === params.get('type'));
  const priority = PRIORITIES.find((x) => x === params.get('priority'));
  const overdue = params.get('overdue') === '1';
  const page = Math.max(1, Math.floor(Number(params.get('page'))) || 1);
  const change = (to: Record<string, string | undefined>, keepPage = false) =>
    setParams((p) => {
      const next = new URLSearchParams(p);
      for (const [k, v] of Object.entries(to)) v === undefined ? next.delete(k) : next.set(k, v);
      if (!keepPage) next.delete('page');
      return next;
    });
  const [openId, setOpenId] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const query = {
    view,
    status,
    ...(type ? { type } : {}),
    ...(priority ? { priority } : {}),
    ...(overdue ? { overdue: 'true' } : {}),
    limit: PAGE,
    offset: (page - 1) * PAGE,
  } as Query<'/tasks'>;
  const list = useApi('/tasks', { query });
  const counts = useApi('/tasks/counts');
  const reload = () => {
    list.reload();
    counts.reload();
  };
  return (
    <>
      <Row gutter={16} style={{ marginBottom: 16 }}>
        {(
          [
            ['mine', counts.data?.mine],
            ['open', counts.data?.open],
            ['inProgress', counts.data?.inProgress],
            ['overdue', counts.data?.overdue],
          ] as const
        ).map(([k, v]) => (
          <Col key={k} xs={12} md={6}>
            <Card
              size="small"
              hoverable
              // Each count opens the tasks it counts: mine, or everyone's open, in progress, overdue.
              onClick={() =>
                change({
                  view: k === 'mine' ? undefined : 'all',
                  status: k === 'open' ? 'open' : k === 'inProgress' ? 'in_progress' : undefined,
                  type: undefined,
                  priority: undefined,
                  overdue: k === 'overdue' ? '1' : undefined,
                })
              }
            >
              <Statistic
                title={t(`tasks.${k}`)}
                value={v === undefined ? '—' : count(v)}
                valueStyle={k === 'overdue' && v ? { color: '#cf1322' } : undefined}
                data-testid={`task-count-${k}`}
              />
            </Card>
          </Col>
        ))}
      </Row>
      <Card size="small">
        <Space wrap style={{ marginBottom: 12, width: '100%', justifyContent: 'space-between' }}>
          <Space wrap>
            <Segmented
              value={view}
              onChange={(v) => change({ view: v === 'all' ? 'all' : undefined })}
              options={[
                { value: 'mine', label: t('tasks.mine') },
                { value: 'all', label: t('tasks.all') },
              ]}
              data-testid="task-view"
            />
            <Select
              value={status}
              onChange={(v: string) => change({ status: v === 'active' ? undefined : v })}
              style={{ width: 140 }}
              options={STATUSES.map((s) => ({ value: s, label: t(`tasks.statuses.${s}`) }))}
              data-testid="task-status-filter"
            />
            <Select
              allowClear
              placeholder={t('tasks.type')}
              value={type}
              onChange={(v?: string) => change({ type: v })}
              style={{ width: 130 }}
              options={TASK_TYPES.map((s) => ({ value: s, label: t(`tasks.types.${s}`) }))}
            />
            <Select
              allowClear
              placeholder={t('tasks.priority')}
              value={priority}
              onChange={(v?: string) => change({ priority: v })}
              style={{ width: 110 }}
              options={PRIORITIES.map((s) => ({ value: s, label: t(`tasks.priorities.${s}`) }))}
            />
            <Space>
              <Switch
                checked={overdue}
                onChange={(v) => change({ overdue: v ? '1' : undefined })}
                size="small"
                data-testid="task-overdue"
              />
              {t('tasks.overdueOnly')}
            </Space>
          </Space>
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="new-task">
            {t('tasks.newTask')}
          </Button>
        </Space>
        {list.error ? (
          <ErrorBox error={list.error} onRetry={list.reload} />
        ) : (
          <Table<Task>
            rowKey="id"
            size="middle"
            loading={list.loading}
            dataSource={list.data?.items ?? []}
            onRow={(r) => ({ onClick: () => setOpenId(r.id), style: { cursor: 'pointer' } })}
            pagination={{
              current: page,
              pageSize: PAGE,
              total: list.data?.total ?? 0,
              onChange: (p) => change({ page: p > 1 ? String(p) : undefined }, true),
              showTotal: (n) => t('tasks.total', { n: count(n) }),
              showSizeChanger: false,
            }}
            locale={{
              emptyText: (
                <EmptyState
                  title={view === 'mine' ? t('tasks.emptyMine') : t('tasks.empty')}
                  hint={t('tasks.emptyHint')}
                />
              ),
            }}
            data-testid="task-table"
            columns={[
              {
                title: t('tasks.dueAt'),
                width: 150,
                render: (_, r) => (
                  <Typography.Text
                    type={r.overdue ? 'danger' : undefined}
                    data-testid={r.overdue ? 'overdue' : undefined}
                  >
                    {dateTime(r.dueAt)}
                  </Typography.Text>
                ),
              },
              { title: t('tasks.priority'), width: 80, render: (_, r) => <PriorityTag value={r.priority} /> },
              { title: t('tasks.type'), width: 150, render: (_, r) => <TaskTypeTag value={r.type} /> },
              { title: t('tasks.title'), dataIndex: 'title', ellipsis: true },
              {
                title: t('tasks.customer'),
                render: (_, r) => (
                  <Link to={`/customers/${encodeURIComponent(r.customerId)}`} onClick={(e) => e.stopPropagation()}>
                    {r.customerName ?? r.customerId}
                  </Link>
                ),
              },
              { title: t('tasks.order'), render: (_, r) => r.orderExternalId ?? '—' },
              { title: t('tasks.assignee'), render: (_, r) => r.assigneeName ?? t('tasks.unassigned') },
              { title: t('tasks.status'), width: 90, render: (_, r) => <TaskStatusTag value={r.status} /> },
            ]}
          />
        )}
      </Card>
      <TaskDrawer id={openId} onClose={() => setOpenId(null)} onChanged={reload} />
      <NewTaskModal open={creating} onClose={() => setCreating(false)} onCreated={reload} />
    </>
  );
}
