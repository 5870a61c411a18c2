import {
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Divider,
  Drawer,
  Form,
  Input,
  Popconfirm,
  Row,
  Select,
  Space,
  Statistic,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { api, type Body } from '../../api';
import { LifecycleTag, RfmTag } from '../../components/labels';
import { RevealPhone } from '../../components/RevealPhone';
import { ErrorBox, Loading } from '../../components/Status';
import { count, dateTime, money } from '../../format';
import { useAction, useApi } from '../../hooks';
import { PriorityTag, type Task, TaskStatusTag, TaskTypeTag } from './shared';

/** One task beside its customer's 360: the actions on the left, who the customer is on the right. */
export function TaskDrawer({
  id,
  onClose,
  onChanged,
}: {
  id: string | null;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const task = useApi(id ? '/tasks/{id}' : null, { params: { id: id ?? '' } });
  return (
    <Drawer
      open={id !== null}
      onClose={onClose}
      width={Math.min(960, typeof window === 'undefined' ? 960 : window.innerWidth)}
      title={task.data?.title ?? t('tasks.title')}
      destroyOnHidden
    >
      <div data-testid="task-drawer">
        {task.error ? (
          <ErrorBox error={task.error} onRetry={task.reload} />
        ) : !task.data ? (
          <Loading />
        ) : (
          <Row gutter={16}>
            <Col xs={24} lg={12}>
              <TaskDetail
                task={task.data}
                onChanged={() => {
                  task.reload();
                  onChanged();
                }}
              />
            </Col>
            <Col xs={24} lg={12}>
              <CustomerSummary customerId={task.data.customerId} />
            </Col>
          </Row>
        )}
      </div>
    </Drawer>
  );
}

function TaskDetail({ task, onChanged }: { task: Task; onChanged: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { busy, run } = useAction();
  const people = useApi('/tasks/assignees');
  const [form] = Form.useForm<{ outcome: string; tag?: string }>();
  const finished = task.status === 'done' || task.status === 'cancelled';
  const patch = (body: Body<'/tasks/{id}', 'patch'>) =>
    run(async () => {
      await api.patch('/tasks/{id}', body, { params: { id: task.id } });
      void message.success(t('tasks.saved'));
      onChanged();
    });
  const complete = () =>
    run(async () => {
      const v = await form.validateFields();
      await api.post(
        '/tasks/{id}/complete',
        { outcome: v.outcome, ...(v.tag?.trim() ? { tag: v.tag.trim() } : {}) },
        { params: { id: task.id } },
      );
      void message.success(t('tasks.completed'));
      onChanged();
    });

  return (
    <>
      <Space wrap style={{ marginBottom: 12 }}>
        <TaskStatusTag value={task.status} />
        <PriorityTag value={task.priority} />
        <TaskTypeTag value={task.type} />
        {task.overdue && <Tag color="red">{t('tasks.overdue')}</Tag>}
      </Space>
      <Descriptions column={1} size="small" labelStyle={{ width: 96 }}>
        <Descriptions.Item label={t('tasks.dueAt')}>{dateTime(task.dueAt)}</Descriptions.Item>
        <Descriptions.Item label={t('tasks.order')}>{task.orderExternalId ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('tasks.source')}>
          {task.automation ? (
            <Link
              data-testid="task-automation-link"
              to={`/automations?${new URLSearchParams({ runs: task.automation.id, run: task.automation.runId })}`}
            >
              {t('tasks.fromAutomation', { name: task.automation.name })}
            </Link>
          ) : (
            t(`tasks.sources.${task.source}`, task.source)
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('tasks.createdAt')}>{dateTime(task.createdAt)}</Descriptions.Item>
        <Descriptions.Item label={t('tasks.notes')}>
          <span style={{ whiteSpace: 'pre-wrap' }}>{task.notes ?? '—'}</span>
        </Descriptions.Item>
        {task.outcome && (
          <Descriptions.Item label={t('tasks.outcome')}>
            <span data-testid="task-outcome">{task.outcome}</span>
            {task.outcomeTag && <Tag style={{ marginLeft: 8 }}>{task.outcomeTag}</Tag>}
          </Descriptions.Item>
        )}
        {task.closedAt && <Descriptions.Item label={t('tasks.closedAt')}>{dateTime(task.closedAt)}</Descriptions.Item>}
      </Descriptions>
      {!finished && (
        <>
          <Divider style={{ margin: '12px 0' }} />
          <Space wrap style={{ marginBottom: 12 }}>
            <span>{t('tasks.assign')}</span>
            <Select
              style={{ width: 180 }}
              allowClear
              placeholder={t('tasks.unassigned')}
              value={task.assigneeId ?? undefined}
              onChange={(v: string | undefined) => void patch({ assigneeId: v ?? null })}
              options={(people.data?.items ?? []).map((u) => ({ value: u.id, label: u.name }))}
              data-testid="task-assignee"
            />
            {task.status === 'open' ? (
              <Button onClick={() => void patch({ status: 'in_progress' })} loading={busy} data-testid="task-take-up">
                {t('tasks.takeUp')}
              </Button>
            ) : (
              <Button onClick={() => void patch({ status: 'open' })} loading={busy}>
                {t('tasks.handBack')}
              </Button>
            )}
            <Popconfirm title={t('tasks.cancelConfirm')} onConfirm={() => void patch({ status: 'cancelled' })}>
              <Button danger>{t('tasks.cancel')}</Button>
            </Popconfirm>
          </Space>
          <Card size="small" title={t('tasks.complete')}>
            <Form form={form} layout="vertical" data-testid="task-complete-form">
              <Form.Item
                name="outcome"
                label={t('tasks.outcome')}
                rules={[{ required: true, whitespace: true, message: t('tasks.outcomeRequired') }]}
              >
                <Input.TextArea rows={3} maxLength={2000} data-testid="task-outcome-input" />
              </Form.Item>
              <Form.Item name="tag" label={t('tasks.outcomeTag')}>
                <Input maxLength={40} placeholder={t('tasks.outcomeTagHint')} data-testid="task-tag-input" />
              </Form.Item>
              <Button type="primary" onClick={() => void complete()} loading={busy} data-testid="task-complete">
                {t('tasks.complete')}
              </Button>
            </Form>
          </Card>
        </>
      )}
    </>
  );
}

/** The customer 360 in brief: who, what they spent, tags, recent activity. */
function CustomerSummary({ customerId }: { customerId: string }) {
  const { t } = useTranslation();
  const c = useApi('/customers/{id}', { params: { id: customerId } });
  const tags = useApi('/customers/{id}/tags', { params: { id: customerId } });
  const tl = useApi('/customers/{id}/timeline', { params: { id: customerId } });
  if (c.error) return <ErrorBox error={c.error} />;
  if (!c.data) return <Loading />;
  const d = c.data;
  const s = d.stats;
  return (
    <Card
      size="small"
      title={t('tasks.summary')}
      extra={<Link to={`/customers/${encodeURIComponent(customerId)}`}>{t('tasks.openCustomer')}</Link>}
      data-testid="task-customer-summary"
    >
      <Space wrap style={{ marginBottom: 8 }}>
        <Typography.Text strong data-testid="task-customer-name">
          {d.name}
        </Typography.Text>
        <RfmTag value={d.rfmClass} />
        <LifecycleTag value={d.lifecycle} />
        {d.flags.isBadReviewer && <Tag color="red">{t('flags.isBadReviewer')}</Tag>}
      </Space>
      <div style={{ marginBottom: 8 }}>
        {(tags.data?.items ?? []).map((tag) => (
          <Tag key={tag.id} color={tag.color}>
            {tag.name}
          </Tag>
        ))}
      </div>
      <Row gutter={8} style={{ marginBottom: 8 }}>
        <Col span={8}>
          <Statistic
            title={t('customers.totalSpent')}
            value={money(s.totalSpentFen, s.currency)}
            valueStyle={{ fontSize: 16 }}
          />
        </Col>
        <Col span={8}>
          <Statistic title={t('customers.paidOrders')} value={count(s.paidOrders)} valueStyle={{ fontSize: 16 }} />
        </Col>
        <Col span={8}>
          <Statistic title={t('customers.lastPaid')} value={dateTime(s.lastPaidAt)} valueStyle={{ fontSize: 13 }} />
        </Col>
      </Row>
      <Descriptions column={1} size="small" labelStyle={{ width: 72 }}>
        <Descriptions.Item label={t('customers.phone')}>
          <RevealPhone customerId={d.id} phone={d.phone} />
        </Descriptions.Item>
        <Descriptions.Item label={t('customers.region')}>
          {[d.province, d.city].filter(Boolean).join(' ') || '—'}
        </Descriptions.Item>
      </Descriptions>
      <Typography.Text type="secondary">{t('tasks.recent')}</Typography.Text>
      <Timeline
        style={{ marginTop: 8 }}
        items={(tl.data?.items ?? []).slice(0, 6).map((e, i) => ({
          key: i,
          children: (
            <div>
              <Typography.Text>{e.title}</Typography.Text>{' '}
              <span className="kpi-foot" style={{ marginTop: 0 }}>
                {dateTime(e.at)}
              </span>
              {e.detail && <div style={{ color: '#595959' }}>{e.detail}</div>}
            </div>
          ),
        }))}
      />
    </Card>
  );
}
