import { PlusOutlined } from '@ant-design/icons';
import { App, Button, Card, Space, Table, Tabs, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api } from '../../api';
import { EmptyState, ErrorBox } from '../../components/Status';
import { count, dateTime } from '../../format';
import { useAction, useApi } from '../../hooks';
import { PageHeader } from '../../layout/Shell';
import { Outbox } from './Outbox';
import { StatusTag, sumValues } from './shared';
import type { Campaign } from './types';
import { segmentName } from '../../segment-names';
import { can, useMe } from '../../session';

/** Sent / held for a launched campaign (the list answer carries no counts). */
function SentHeld({ c }: { c: Campaign }) {
  const report = useApi(c.status === 'draft' || c.status === 'scheduled' ? null : '/campaigns/{id}/report', {
    params: { id: c.id },
  });
  if (c.status === 'draft' || c.status === 'scheduled') return <Typography.Text type="secondary">—</Typography.Text>;
  if (!report.data) return null;
  return (
    <span data-testid="campaign-sent-held">
      {count(report.data.sent)} / {count(sumValues(report.data.heldBack))}
    </span>
  );
}

/** Pause, resume and cancel, as the status allows; `onDone` reloads what shows the status. */
export function CampaignActions({ c, onDone }: { c: Campaign; onDone: () => void }) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const { busy, run } = useAction();
  const act = (action: 'pause' | 'resume' | 'cancel', done: string) =>
    run(async () => {
      const opts = { params: { id: c.id } };
      if (action === 'pause') await api.post('/campaigns/{id}/pause', undefined, opts);
      else if (action === 'resume') await api.post('/campaigns/{id}/resume', undefined, opts);
      else await api.post('/campaigns/{id}/cancel', undefined, opts);
      void message.success(done);
      onDone();
    });
  return (
    <Space size="small" wrap>
      {c.status === 'running' && (
        <Button size="small" loading={busy} onClick={() => act('pause', t('campaigns.paused'))} data-testid="pause">
          {t('campaigns.pause')}
        </Button>
      )}
      {c.status === 'paused' && (
        <Button size="small" loading={busy} onClick={() => act('resume', t('campaigns.resumed'))} data-testid="resume">
          {t('campaigns.resume')}
        </Button>
      )}
      {(c.status === 'running' || c.status === 'paused') && (
        <Button
          size="small"
          danger
          loading={busy}
          data-testid="cancel"
          onClick={() =>
            modal.confirm({
              title: t('campaigns.cancelConfirm'),
              okButtonProps: { danger: true },
              onOk: () => act('cancel', t('campaigns.cancelled')),
            })
          }
        >
          {t('campaigns.cancel')}
        </Button>
      )}
    </Space>
  );
}

function CampaignList() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  // 新建活动 only for who may save one: an agent filled three steps before the server refused the fourth.
  const writes = can(useMe(), 'campaigns:write');
  const list = useApi('/campaigns');
  const segments = useApi('/segments');
  const lists = useApi('/campaigns/audiences');
  const [picked, setPicked] = useState<string[]>([]);
  const channels = useApi('/messaging/channels');
  const segName = (id: string) => {
    if (id.startsWith('list:')) return lists.data?.items.find((l) => `list:${l.id}` === id)?.name ?? id;
    return segmentName(t, segments.data?.items.find((s) => s.id === id) ?? { id, name: id });
  };
  const channel = (id: string) => channels.data?.items.find((c) => c.id === id);
  if (list.error) return <ErrorBox error={list.error} onRetry={list.reload} />;
  if (list.data && list.data.items.length === 0)
    return (
      <Card>
        <EmptyState
          title={t('campaigns.empty')}
          hint={t('campaigns.emptyHint')}
          action={
            writes && (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/campaigns/new')}>
                {t('campaigns.create')}
              </Button>
            )
          }
        />
      </Card>
    );
  return (
    <Card>
      <Space style={{ marginBottom: 12 }}>
        <Button
          disabled={picked.length < 2 || picked.length > 4}
          onClick={() => navigate(`/campaigns/compare?ids=${picked.join(',')}`)}
          data-testid="compare"
        >
          {t('campaignExtras.compareSelected', { n: picked.length })}
        </Button>
        <Typography.Text type="secondary">{t('campaignExtras.compareHint')}</Typography.Text>
      </Space>
      <Table<Campaign>
        rowKey="id"
        rowSelection={{
          selectedRowKeys: picked,
          onChange: (keys) => setPicked(keys.map(String)),
          getCheckboxProps: (c) => ({ disabled: c.status === 'draft' || c.status === 'scheduled' }),
        }}
        loading={list.loading}
        dataSource={list.data?.items}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        data-testid="campaign-list"
        columns={[
          {
            title: t('campaigns.name'),
            dataIndex: 'name',
            render: (name: string, c) => (
              <Link to={c.status === 'draft' ? `/campaigns/${c.id}/edit` : `/campaigns/${c.id}`}>{name}</Link>
            ),
          },
          {
            title: t('campaigns.status'),
            dataIndex: 'status',
            render: (s: Campaign['status']) => <StatusTag status={s} />,
          },
          { title: t('campaigns.audience'), dataIndex: 'segmentId', render: segName },
          {
            title: t('campaigns.channel'),
            dataIndex: 'channelId',
            render: (id: string) => {
              const ch = channel(id);
              return ch ? `${ch.name} · ${t(`campaigns.mediums.${ch.medium}`)}` : '';
            },
          },
          { title: t('campaigns.sentHeld'), key: 'sent', render: (_: unknown, c) => <SentHeld c={c} /> },
          { title: t('campaigns.created'), dataIndex: 'createdAt', render: dateTime },
          {
            title: t('campaigns.actions'),
            key: 'actions',
            render: (_: unknown, c) => (
              <Space size="small" wrap>
                {c.status === 'draft' ? (
                  <Link to={`/campaigns/${c.id}/edit`}>{t('campaigns.continueEdit')}</Link>
                ) : (
                  <Link to={`/campaigns/${c.id}`}>{t('campaigns.report')}</Link>
                )}
                <CampaignActions c={c} onDone={list.reload} />
              </Space>
            ),
          },
        ]}
      />
    </Card>
  );
}

export default function Campaigns() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const writes = can(useMe(), 'campaigns:write');
  const [params, setParams] = useSearchParams();
  return (
    <>
      <PageHeader
        title={t('menu.campaigns')}
        subtitle={t('campaigns.subtitle')}
        extra={
          writes && (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => navigate('/campaigns/new')}
              data-testid="new-campaign"
            >
              {t('campaigns.create')}
            </Button>
          )
        }
      />
      <Tabs
        activeKey={params.get('tab') ?? 'list'}
        onChange={(k) => setParams({ tab: k })}
        items={[
          { key: 'list', label: t('campaigns.list'), children: <CampaignList /> },
          { key: 'outbox', label: t('campaigns.outbox'), children: <Outbox /> },
        ]}
      />
    </>
  );
}
