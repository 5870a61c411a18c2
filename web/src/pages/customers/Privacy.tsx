import { DeleteOutlined, DownOutlined, DownloadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Dropdown, Input, Modal, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, apiUrl } from '../../api';
import { ErrorBox } from '../../components/Status';
import { dateTime } from '../../format';
import { useAction, useApi } from '../../hooks';
import { can, useMe } from '../../session';
import { consentEventSource } from './consent-source';

/** 导出个人信息 (owners/admins: everything held, as a zip of CSVs) and 删除个人信息 with a typed confirmation. */
export function PrivacyActions({ id, name, onErased }: { id: string; name: string; onErased(): void }) {
  const { t } = useTranslation();
  const me = useMe();
  const { message } = App.useApp();
  const { run, busy } = useAction();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [reason, setReason] = useState('');
  const erase = () =>
    run(async () => {
      await api.post('/customers/{id}/erase', { confirm: typed.trim(), reason: reason || null }, { params: { id } });
      setOpen(false);
      void message.success(t('privacy.erased'));
      onErased();
    });
  // One quiet menu beside the everyday actions: erasing sat as a red button next to the customer's name.
  const items = [
    ...(can(me, 'pii:read')
      ? [
          {
            key: 'export',
            icon: <DownloadOutlined />,
            label: (
              <a href={apiUrl('/customers/{id}/data-export.zip', { id })} data-testid="privacy-export">
                {t('privacy.export')}
              </a>
            ),
          },
        ]
      : []),
    ...(can(me, 'customers:erase')
      ? [
          {
            key: 'erase',
            icon: <DeleteOutlined />,
            danger: true,
            label: <span data-testid="privacy-erase">{t('privacy.erase')}</span>,
            onClick: () => setOpen(true),
          },
        ]
      : []),
  ];
  if (items.length === 0) return null;
  return (
    <>
      <Dropdown menu={{ items }} trigger={['click']}>
        <Button data-testid="privacy-menu">
          {t('privacy.menu')} <DownOutlined />
        </Button>
      </Dropdown>
      <Modal
        open={open}
        title={t('privacy.eraseTitle')}
        okText={t('privacy.eraseOk')}
        okButtonProps={{ danger: true, disabled: typed.trim() !== name, loading: busy }}
        onOk={() => void erase()}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <Alert type="warning" showIcon message={t('privacy.eraseWarning')} style={{ marginBottom: 12 }} />
        <Typography.Paragraph>{t('privacy.typeName', { name })}</Typography.Paragraph>
        <Input value={typed} onChange={(e) => setTyped(e.target.value)} data-testid="privacy-confirm" />
        <Input.TextArea
          style={{ marginTop: 12 }}
          rows={2}
          maxLength={500}
          placeholder={t('privacy.reason')}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
      </Modal>
    </>
  );
}

/** 授权记录: every consent and opt-out change with its channel, source and time. */
export function ConsentHistory({ id }: { id: string }) {
  const { t, i18n } = useTranslation();
  const h = useApi('/customers/{id}/consent', { params: { id } });
  if (h.error) return <ErrorBox error={h.error} onRetry={h.reload} />;
  const value = (channel: string, v: string | null) =>
    v === null ? '—' : t(channel === 'marketing' ? `consent.${v}` : `privacy.values.${v}`, { defaultValue: v });
  return (
    <Table
      size="small"
      rowKey="id"
      loading={!h.data}
      dataSource={h.data?.items ?? []}
      pagination={{ pageSize: 20, hideOnSinglePage: true }}
      locale={{ emptyText: t('privacy.noConsent') }}
      columns={[
        { title: t('privacy.at'), dataIndex: 'at', render: (v: string) => dateTime(v), width: 170 },
        {
          title: t('privacy.channel'),
          dataIndex: 'channel',
          render: (v: string) => <Tag>{t(`privacy.channels.${v}`, { defaultValue: v })}</Tag>,
        },
        {
          title: t('privacy.change'),
          key: 'change',
          render: (_, r) => (
            <span
              style={{ whiteSpace: 'nowrap' }}
            >{`${value(r.channel, r.oldValue)} → ${value(r.channel, r.newValue)}`}</span>
          ),
        },
        {
          title: t('privacy.source'),
          dataIndex: 'source',
          render: (_: string, r) => consentEventSource(r, t, (k) => i18n.exists(k)),
        },
      ]}
    />
  );
}
