import { Alert, Card, Table, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { EmptyState, ErrorBox } from '../../components/Status';
import { dateTime } from '../../format';
import { useApi } from '../../hooks';
import { reasonLabel } from './shared';
import type { Message } from './types';

const COLORS: Record<string, string> = { sent: 'success', failed: 'error', skipped: 'warning', queued: 'processing' };

/** What the outbox channels stored instead of sending (the demo shop and tests send there). */
export function Outbox() {
  const { t } = useTranslation();
  const channels = useApi('/messaging/channels');
  const outbox = channels.data?.items.find((c) => c.kind === 'outbox');
  const messages = useApi(outbox ? '/messages' : null, {
    query: { channelId: outbox?.id, status: 'sent', limit: 200 },
  });
  if (channels.error) return <ErrorBox error={channels.error} onRetry={channels.reload} />;
  if (messages.error) return <ErrorBox error={messages.error} onRetry={messages.reload} />;
  return (
    <Card>
      <Alert type="info" showIcon message={t('campaigns.outboxHint')} style={{ marginBottom: 16 }} />
      {channels.data && (!outbox || messages.data?.items.length === 0) ? (
        <EmptyState title={t('campaigns.outboxEmpty')} />
      ) : (
        <Table<Message>
          rowKey="id"
          size="small"
          loading={messages.loading || channels.loading}
          dataSource={messages.data?.items}
          data-testid="outbox"
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          columns={[
            {
              title: t('campaigns.to'),
              dataIndex: 'contact',
              render: (v: string | null, m) => <Link to={`/customers/${m.customerId}`}>{v ?? m.customerId}</Link>,
            },
            {
              title: t('campaigns.body'),
              dataIndex: 'body',
              render: (v: string | null, m) => (
                <>
                  {m.subject && <div style={{ fontWeight: 500 }}>{m.subject}</div>}
                  <div style={{ whiteSpace: 'pre-wrap', maxWidth: 640 }}>{v}</div>
                </>
              ),
            },
            { title: t('campaigns.variant', { key: '' }), dataIndex: 'variant', width: 90 },
            {
              title: t('campaigns.status'),
              dataIndex: 'status',
              width: 110,
              render: (s: string, m) => (
                <Tag color={COLORS[s]} title={reasonLabel(t, m.reason)}>
                  {t(`campaigns.messageStatus.${s}`, { defaultValue: s })}
                </Tag>
              ),
            },
            { title: t('campaigns.sentAt'), dataIndex: 'sentAt', width: 170, render: dateTime },
          ]}
        />
      )}
    </Card>
  );
}
