import { ArrowLeftOutlined, PlusOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Input,
  Row,
  Space,
  Statistic,
  Switch,
  Table,
  Tabs,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { type Answer, api, type Body } from '../../api';
import { ConsentTag, LifecycleTag, OrderStatusTag, RfmTag } from '../../components/labels';
import { EmptyState, ErrorBox, Loading } from '../../components/Status';
import { count, date, dateTime, lastDay, money } from '../../format';
import { useAction, useApi } from '../../hooks';
import { PredictionCard } from '../predict/PredictionCard';
import { RevealPhone } from '../../components/RevealPhone';
import { CustomerTasks } from '../tasks/CustomerTasks';
import { ConsentHistory, PrivacyActions } from './Privacy';
import { CustomerActions, MergeHistory } from './CustomerActions';
import { reasonText } from '../../errors';
import { CustomerTimeline } from './CustomerTimeline';
import { OrderView } from './OrderView';
import { can, useMe } from '../../session';
import { consentSourceText } from './consent-source';
import { ProfileDialog } from './ProfileDialog';

type Order = Answer<'/customers/{id}'>['orders'][number];
type CouponRow = Answer<'/customers/{id}/coupons'>['items'][number];
type TierData = Answer<'/customers/{id}/tier'>;

const FLAGS = ['isBlacklisted', 'isBadReviewer', 'isPicky', 'optOutSms', 'optOutEmail', 'optOutWechat'] as const;

export default function CustomerDetail() {
  const { id = '' } = useParams();
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  // Tags and switches change the customer: shown read-only to a role that may not (the server refuses anyway).
  const me = useMe();
  const c = useApi('/customers/{id}', { params: { id } });
  const tier = useApi('/customers/{id}/tier', { params: { id } });
  const tiers = useApi('/tiers');
  const tags = useApi('/customers/{id}/tags', { params: { id } });
  const [newTag, setNewTag] = useState('');
  const [timelineKey, setTimelineKey] = useState(0);
  const { run } = useAction();
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState(false);
  const refresh = () => {
    c.reload();
    tier.reload();
    tags.reload();
    setVersion((v) => v + 1);
    setTimelineKey((k) => k + 1);
  };

  if (c.error) return <ErrorBox error={c.error} onRetry={c.reload} />;
  if (!c.data) return <Loading />;
  const d = c.data;
  // An erased customer (PIPL) changes no more: shown read-only, whatever the role.
  const writes = can(me, 'customers:write') && !d.erased;
  const s = d.stats;
  const tierName = tier.data?.tier?.name ?? (s.paidOrders > 0 ? tiers.data?.tiers[0]?.name : undefined);

  const patch = (body: Body<'/customers/{id}', 'patch'>) =>
    run(async () => {
      await api.patch('/customers/{id}', body, { params: { id } });
      void message.success(t('common.saved'));
      c.reload();
    });
  const changeTags = (add: string[], remove: string[]) =>
    run(async () => {
      await api.post('/tags/apply', { customerIds: [id], add, remove });
      setNewTag('');
      tags.reload();
      // The timeline lists the tags too: it showed the old ones until the page was opened again.
      setTimelineKey((k) => k + 1);
    });

  return (
    <>
      {editing && (
        <ProfileDialog
          customer={d}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            refresh();
          }}
        />
      )}
      <Link to="/customers">
        <ArrowLeftOutlined /> {t('customerDetail.back')}
      </Link>
      <Card style={{ margin: '12px 0 16px' }}>
        <Row gutter={[24, 16]} align="middle">
          <Col flex="auto">
            <Space align="center" wrap>
              <Typography.Title level={4} style={{ margin: 0 }} data-testid="customer-name">
                {d.name}
              </Typography.Title>
              {tierName && <Tag color="gold">{tierName}</Tag>}
              <RfmTag value={d.rfmClass} />
              <LifecycleTag value={d.lifecycle} />
              <ConsentTag value={d.marketingConsent} long />
              {d.flags.isBlacklisted && <Tag color="black">{t('flags.isBlacklisted')}</Tag>}
              {d.flags.isBadReviewer && <Tag color="red">{t('flags.isBadReviewer')}</Tag>}
              {d.erased && <Tag data-testid="customer-erased">{t('customerDetail.erased')}</Tag>}
            </Space>
            <div style={{ marginTop: 8 }}>
              <Space wrap>
                {(tags.data?.items ?? []).map((tag) => (
                  <Tag
                    key={tag.id}
                    color={tag.color}
                    closable={writes}
                    onClose={(e) => {
                      e.preventDefault();
                      void changeTags([], [tag.name]);
                    }}
                  >
                    {tag.name}
                  </Tag>
                ))}
                {writes && (
                  <Input
                    size="small"
                    style={{ width: 120 }}
                    placeholder={t('customerDetail.addTag')}
                    value={newTag}
                    onChange={(e) => setNewTag(e.target.value)}
                    onPressEnter={() => newTag.trim() && void changeTags([newTag.trim()], [])}
                    suffix={<PlusOutlined />}
                    data-testid="add-tag"
                  />
                )}
              </Space>
            </div>
            {!d.erased && (
              <Space wrap style={{ marginTop: 12 }} align="start">
                <CustomerActions id={id} onChanged={refresh} />
                <PrivacyActions id={id} name={d.name} onErased={() => c.reload()} />
              </Space>
            )}
          </Col>
          <Col>
            <Row gutter={32}>
              <Col>
                <Statistic title={t('customers.totalSpent')} value={money(s.totalSpentFen, s.currency)} />
              </Col>
              <Col>
                <Statistic title={t('customers.paidOrders')} value={count(s.paidOrders)} />
              </Col>
              <Col>
                <Statistic title={t('customers.aov')} value={money(s.aovFen, s.currency)} />
              </Col>
              <Col>
                <Statistic title={t('customerDetail.spent12m')} value={money(s.spent12mFen, s.currency)} />
              </Col>
            </Row>
          </Col>
        </Row>
      </Card>
      <Row gutter={16}>
        <Col xs={24} xl={8}>
          <Card
            title={t('customerDetail.profile')}
            size="small"
            style={{ marginBottom: 16 }}
            extra={
              writes && (
                <Button size="small" type="link" onClick={() => setEditing(true)} data-testid="profile-edit">
                  {t('profile.edit')}
                </Button>
              )
            }
          >
            <Descriptions column={1} size="small" labelStyle={{ whiteSpace: 'nowrap' }}>
              <Descriptions.Item label={t('customers.realName')}>{d.realName ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('customers.phone')}>
                <RevealPhone customerId={d.id} phone={d.phone} />
              </Descriptions.Item>
              <Descriptions.Item label={t('customerDetail.email')}>{d.email ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('customers.region')}>
                {[d.province, d.city].filter(Boolean).join(' ') || '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('customerDetail.gender')}>
                {d.gender ? t(`gender.${d.gender}`) : '—'}
              </Descriptions.Item>
              <Descriptions.Item label={t('customerDetail.birthday')}>{d.birthday ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('customers.category')}>{s.favouriteCategory ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('customerDetail.firstOrder')}>{dateTime(s.firstOrderAt)}</Descriptions.Item>
              <Descriptions.Item label={t('customers.lastPaid')}>{dateTime(s.lastPaidAt)}</Descriptions.Item>
              <Descriptions.Item label={t('customerDetail.refunds')}>
                {t('customerDetail.refundsValue', { n: s.refundOrders, v: money(s.refundFen, s.currency) })}
              </Descriptions.Item>
              <Descriptions.Item label={t('customerDetail.consentSource')}>
                {consentSourceText(d.consentSource, t, (k) => i18n.exists(k))}
              </Descriptions.Item>
            </Descriptions>
          </Card>
          <Card title={t('customerDetail.identities')} size="small" style={{ marginBottom: 16 }}>
            {d.identities.map((i) => (
              <div key={i.id} style={{ marginBottom: 4 }}>
                <Tag>{t(`identity.${i.kind}`, i.kind)}</Tag>
                {i.value} <span className="kpi-foot">{i.storeName}</span>
              </div>
            ))}
          </Card>
          <Card title={t('customerDetail.flags')} size="small" style={{ marginBottom: 16 }}>
            {FLAGS.map((f) => (
              <div key={f} style={{ display: 'flex', justifyContent: 'space-between', marginBottom: 8 }}>
                <span>{t(`flags.${f}`)}</span>
                <Switch size="small" checked={d.flags[f]} disabled={!writes} onChange={(v) => void patch({ [f]: v })} />
              </div>
            ))}
          </Card>
          <PredictionCard prediction={d.prediction} />
        </Col>
        <Col xs={24} xl={16}>
          <Card size="small">
            <Tabs
              tabBarGutter={20}
              items={[
                {
                  key: 'timeline',
                  label: t('customerDetail.timeline'),
                  children: <CustomerTimeline key={timelineKey} id={id} />,
                },
                {
                  key: 'orders',
                  label: `${t('customerDetail.orders')} (${d.orders.length}${d.moreOrders ? '+' : ''})`,
                  children: <Orders orders={d.orders} />,
                },
                { key: 'points', label: t('menu.points'), children: <CustomerPoints key={version} id={id} /> },
                { key: 'coupons', label: t('menu.coupons'), children: <CustomerCoupons key={version} id={id} /> },
                { key: 'tier', label: t('customerDetail.tabs.tier'), children: <TierHistory data={tier.data} /> },
                {
                  key: 'notes',
                  label: t('customerDetail.notes'),
                  children: <Notes id={id} onAdded={() => setTimelineKey((k) => k + 1)} />,
                },
                { key: 'consent', label: t('customerDetail.tabs.consent'), children: <ConsentHistory id={id} /> },
                {
                  key: 'merges',
                  label: t('customerDetail.tabs.merges'),
                  children: <MergeHistory key={version} id={id} onChanged={refresh} />,
                },
                {
                  key: 'tasks',
                  label: t('customerDetail.tabs.tasks'),
                  children: (
                    <CustomerTasks
                      customerId={id}
                      onChanged={() => {
                        tags.reload();
                        setTimelineKey((k) => k + 1);
                      }}
                    />
                  ),
                },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </>
  );
}

function Orders({ orders }: { orders: Order[] }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <Table<Order>
        rowKey="id"
        size="small"
        dataSource={orders}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        onRow={(o) => ({ onClick: () => setOpen(o.id), style: { cursor: 'pointer' } })}
        columns={[
          { title: t('orders.createdAt'), render: (_, o) => dateTime(o.createdAt) },
          {
            title: t('orders.title'),
            key: 'title',
            ellipsis: true,
            // The order's title is its first product's: how many pieces it holds says there are more.
            render: (_, o) =>
              o.itemCount !== null && o.itemCount > 1
                ? t('orders.titleWithCount', { title: o.title ?? '', n: count(o.itemCount) })
                : o.title,
          },
          { title: t('orders.store'), dataIndex: 'storeName' },
          { title: t('orders.status'), render: (_, o) => <OrderStatusTag value={o.status} /> },
          { title: t('orders.paid'), align: 'right', render: (_, o) => money(o.paidFen, o.currency) },
          {
            title: t('orders.refunded'),
            align: 'right',
            render: (_, o) => (o.refundedFen ? money(o.refundedFen, o.currency) : '—'),
          },
        ]}
      />
      <OrderView id={open} onClose={() => setOpen(null)} />
    </>
  );
}

function CustomerPoints({ id }: { id: string }) {
  const { t } = useTranslation();
  const p = useApi('/customers/{id}/points', { params: { id } });
  if (p.error) return <ErrorBox error={p.error} />;
  if (!p.data) return <Loading />;
  const s = p.data.summary;
  return (
    <>
      <Row gutter={16} style={{ marginBottom: 16 }}>
        {(['spendable', 'pending', 'spent', 'expired', 'lifetime'] as const).map((k) => (
          <Col key={k} span={4}>
            <Statistic title={t(`points.${k}`)} value={count(s[k])} />
          </Col>
        ))}
      </Row>
      <Table
        rowKey="id"
        size="small"
        dataSource={p.data.entries}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        locale={{ emptyText: <EmptyState title={t('points.noEntries')} /> }}
        columns={[
          { title: t('points.kind'), render: (_, e) => <Tag>{t(`points.kinds.${e.kind}`, e.kind)}</Tag> },
          {
            title: t('points.amount'),
            align: 'right',
            render: (_, e) => (
              <span style={{ color: e.points < 0 ? '#cf1322' : '#389e0d' }}>
                {e.points > 0 ? '+' : ''}
                {count(e.points)}
              </span>
            ),
          },
          // The server's source codes (order, grant …), named as on the timeline; an unknown one shows as written.
          { title: t('points.source'), render: (_, e) => t(`timeline.pointSources.${e.source}`, e.source) },
          { title: t('customerActions.reason'), render: (_, e) => (e.orderId ? '' : (e.reason ?? '')) },
          {
            title: t('points.availableAt'),
            render: (_, e) => (e.awaitingDelivery ? t('points.awaitingDelivery') : date(e.availableAt)),
          },
          { title: t('points.expiresAt'), render: (_, e) => lastDay(e.expiresAt) },
        ]}
      />
    </>
  );
}

function CustomerCoupons({ id }: { id: string }) {
  const { t } = useTranslation();
  const c = useApi('/customers/{id}/coupons', { params: { id } });
  if (c.error) return <ErrorBox error={c.error} />;
  return (
    <Table<CouponRow>
      rowKey="id"
      size="small"
      loading={!c.data}
      dataSource={c.data?.items ?? []}
      pagination={{ pageSize: 10, hideOnSinglePage: true }}
      locale={{
        emptyText: <EmptyState title={t('coupons.noneForCustomer')} hint={t('coupons.noneForCustomerHint')} />,
      }}
      columns={[
        { title: t('coupons.template'), dataIndex: 'name' },
        { title: t('coupons.code'), dataIndex: 'code' },
        {
          title: t('coupons.status'),
          render: (_, r) => (
            <Tag color={r.status === 'used' ? 'green' : r.status === 'issued' ? 'blue' : 'default'}>
              {t(`coupons.statuses.${r.status}`, r.status)}
            </Tag>
          ),
        },
        { title: t('coupons.validTo'), render: (_, r) => date(r.validTo) },
      ]}
    />
  );
}

function TierHistory({ data }: { data: TierData | undefined }) {
  const { t } = useTranslation();
  if (!data) return <Loading />;
  return (
    <>
      <Statistic title={t('customerDetail.growth')} value={count(data.growth)} style={{ marginBottom: 16 }} />
      {data.history.length === 0 ? (
        <EmptyState title={t('customerDetail.noTierHistory')} hint={t('customerDetail.noTierHistoryHint')} />
      ) : (
        <Timeline
          items={data.history.map((h, i) => ({
            key: i,
            children: (
              <div>
                <Typography.Text strong>
                  {h.fromName ?? '—'} → {h.toName}
                </Typography.Text>{' '}
                <span className="kpi-foot">{dateTime(h.at)}</span>
                <div>{reasonText(h.why, h.reason)}</div>
              </div>
            ),
          }))}
        />
      )}
    </>
  );
}

function Notes({ id, onAdded }: { id: string; onAdded: () => void }) {
  const { t } = useTranslation();
  const notes = useApi('/customers/{id}/notes', { params: { id } });
  const [text, setText] = useState('');
  const { run } = useAction();
  const add = () =>
    run(async () => {
      await api.post('/customers/{id}/notes', { body: text }, { params: { id } });
      setText('');
      notes.reload();
      onAdded();
    });
  return (
    <>
      <Space.Compact style={{ width: '100%', marginBottom: 16 }}>
        <Input.TextArea
          rows={2}
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={t('customerDetail.notePlaceholder')}
          maxLength={2000}
        />
        <Button type="primary" disabled={!text.trim()} onClick={() => void add()} style={{ height: 'auto' }}>
          {t('common.add')}
        </Button>
      </Space.Compact>
      {(notes.data?.items ?? []).length === 0 ? (
        <EmptyState title={t('customerDetail.noNotes')} />
      ) : (
        notes.data!.items.map((n) => (
          <Card key={n.id} size="small" style={{ marginBottom: 8 }}>
            <div style={{ whiteSpace: 'pre-wrap' }}>{n.body}</div>
            <div className="kpi-foot">
              {n.author ?? ''} · {dateTime(n.createdAt)}
            </div>
          </Card>
        ))
      )}
    </>
  );
}
