import { Alert, Button, Card, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { EmptyState, ErrorBox } from '../../components/Status';
import { dateTime } from '../../format';
import { api } from '../../api';
import { useAction, useApi } from '../../hooks';
import { reasonLabel } from './shared';
import type { Message } from './types';

const COLORS: Record<string, string> = { sent: 'success', failed: 'error', skipped: 'warning', queued: 'processing' };

/** Messages fetched at a time: newest first, older ones on asking (the list said nothing of those past 200). */
const PAGE = 200;

/** What the outbox channels stored instead of sending (the demo shop and tests send there). */
export function Outbox() {
  const { t } = useTranslation();
  const channels = useApi('/messaging/channels');
  const outbox = channels.data?.items.find((c) => c.kind === 'outbox');
  const query = { channelId: outbox?.id, status: 'sent' as const, limit: PAGE };
  const messages = useApi(outbox ? '/messages' : null, { query });
  // Older pages fetched by 加载更早的消息, after the first (kept until the first page is read again).
  const [older, setOlder] = useState<{ items: Message[]; next: string | null } | null>(null);
  const action = useAction();
  const first = messages.data;
  useEffect(() => setOlder(null), [first]);
  const next = older ? older.next : (first?.nextBefore ?? null);
  const items = [...(first?.items ?? []), ...(older?.items ?? [])];
  const more = () =>
    action.run(async () => {
      if (!next) return;
      const page = await api.get('/messages', { query: { ...query, before: next } });
      setOlder((o) => ({ items: [...(o?.items ?? []), ...page.items], next: page.nextBefore }));
    });
  if (channels.error) return <ErrorBox error={channels.error} onRetry={channels.reload} />;
  if (messages.error) return <ErrorBox error={messages.error} onRetry={messages.reload} />;
  return (
    <Card>
      <Alert type="info" showIcon message={t('campaigns.outboxHint')} style={{ marginBottom: 16 }} />
      {channels.data && (!outbox || first?.items.length === 0) ? (
        <EmptyState title={t('campaigns.outboxEmpty')} />
      ) : (
        <>
          <Table<Message>
            rowKey="id"
            size="small"
            loading={messages.loading || channels.loading}
            dataSource={items}
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
          <Space style={{ marginTop: 12 }}>
            <Typography.Text type="secondary" data-testid="outbox-shown">
              {next
                ? t('campaigns.outboxShownMore', { n: items.length })
                : t('campaigns.outboxShownAll', { n: items.length })}
            </Typography.Text>
            {next && (
              <Button onClick={() => void more()} loading={action.busy} data-testid="outbox-more">
                {t('campaigns.outboxMore')}
              </Button>
            )}
          </Space>
        </>
      )}
    </Card>
  );
}
