import { LinkOutlined, PlusOutlined } from '@ant-design/icons';
import { App, Button, Input, Modal, Select, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api } from '../../api';
import { EmptyState, ErrorBox } from '../../components/Status';
import { dateTime } from '../../format';
import { useAction, useApi } from '../../hooks';
import { NewTaskModal } from './NewTaskModal';
import { PriorityTag, type Task, TaskStatusTag, TaskTypeTag } from './shared';
import { TaskDrawer } from './TaskDrawer';

/** The tasks tab of a customer's page: their tasks, a new one by hand, a survey link to send them. */
export function CustomerTasks({ customerId, onChanged }: { customerId: string; onChanged?: () => void }) {
  const { t } = useTranslation();
  const tasks = useApi('/customers/{id}/tasks', { params: { id: customerId } });
  const [creating, setCreating] = useState(false);
  const [linking, setLinking] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);
  const reload = () => {
    tasks.reload();
    onChanged?.();
  };
  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Button
          type="primary"
          icon={<PlusOutlined />}
          onClick={() => setCreating(true)}
          data-testid="customer-new-task"
        >
          {t('tasks.newTask')}
        </Button>
        <Button icon={<LinkOutlined />} onClick={() => setLinking(true)} data-testid="customer-survey-link">
          {t('surveys.makeLink')}
        </Button>
      </Space>
      {tasks.error ? (
        <ErrorBox error={tasks.error} onRetry={tasks.reload} />
      ) : (
        <Table<Task>
          rowKey="id"
          size="small"
          loading={!tasks.data}
          dataSource={tasks.data?.items ?? []}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          onRow={(r) => ({ onClick: () => setOpenId(r.id), style: { cursor: 'pointer' } })}
          locale={{ emptyText: <EmptyState title={t('tasks.empty')} /> }}
          data-testid="customer-task-table"
          columns={[
            { title: t('tasks.dueAt'), render: (_, r) => dateTime(r.dueAt) },
            { title: t('tasks.type'), render: (_, r) => <TaskTypeTag value={r.type} /> },
            { title: t('tasks.title'), dataIndex: 'title', ellipsis: true },
            { title: t('tasks.priority'), render: (_, r) => <PriorityTag value={r.priority} /> },
            { title: t('tasks.assignee'), render: (_, r) => r.assigneeName ?? t('tasks.unassigned') },
            { title: t('tasks.status'), render: (_, r) => <TaskStatusTag value={r.status} /> },
            { title: t('tasks.outcome'), dataIndex: 'outcome', ellipsis: true },
          ]}
        />
      )}
      <NewTaskModal open={creating} customerId={customerId} onClose={() => setCreating(false)} onCreated={reload} />
      <TaskDrawer id={openId} onClose={() => setOpenId(null)} onChanged={reload} />
      <SurveyLinkModal customerId={customerId} open={linking} onClose={() => setLinking(false)} />
    </>
  );
}

function SurveyLinkModal({ customerId, open, onClose }: { customerId: string; open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const surveys = useApi(open ? '/surveys' : null);
  const [surveyId, setSurveyId] = useState<string | undefined>();
  const [link, setLink] = useState<Answer<'/surveys/{id}/invitations', 'post'> | null>(null);
  const { busy, run } = useAction();
  const make = (id: string) =>
    run(async () => {
      setSurveyId(id);
      setLink(await api.post('/surveys/{id}/invitations', { customerId }, { params: { id } }));
    });
  return (
    <Modal
      open={open}
      title={t('surveys.link')}
      onCancel={() => {
        setLink(null);
        onClose();
      }}
      footer={null}
      destroyOnHidden
    >
      <Select
        style={{ width: '100%', marginBottom: 12 }}
        placeholder={t('surveys.pick')}
        value={surveyId}
        loading={busy}
        onChange={(v: string) => void make(v)}
        options={(surveys.data?.items ?? []).map((s) => ({ value: s.id, label: s.name }))}
        data-testid="survey-pick"
      />
      {link && (
        <>
          <Space.Compact style={{ width: '100%' }}>
            <Input readOnly value={link.url} data-testid="survey-link-url" />
            <Button
              onClick={() =>
                void navigator.clipboard?.writeText(link.url).then(() => message.success(t('surveys.copied')))
              }
            >
              {t('surveys.copy')}
            </Button>
          </Space.Compact>
          <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
            {t('surveys.linkHint')}
          </Typography.Paragraph>
        </>
      )}
    </Modal>
  );
}
