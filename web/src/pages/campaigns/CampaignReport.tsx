import { ArrowLeftOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, Descriptions, Row, Space, Statistic, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router-dom';
import { Chart } from '../../components/Chart';
import { ErrorBox, Loading } from '../../components/Status';
import { count, date, dateTime, money, percent, points, ratio, spansZero } from '../../format';
import { useApi, useInterval } from '../../hooks';
import { PageHeader } from '../../layout/Shell';
import { CampaignActions } from './Campaigns';
import { reasonLabel, StatusTag } from './shared';
import { funnelStages, throttledNow, withoutReceipts } from './funnel';
import type { AttributionOf, Estimate, Report } from './types';

function Interval({ e, fmt }: { e: Estimate; fmt: (x: number) => string }) {
  const { t } = useTranslation();
  return (
    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
      {t('campaigns.interval', { low: fmt(e.low), high: fmt(e.high) })}
    </Typography.Text>
  );
}

/** Treated against control: conversion, orders, revenue, and the lift with its 95 % interval. */
function Lift({ a, roi, costFen }: { a: AttributionOf; roi: number | null; costFen: number }) {
  const { t } = useTranslation();
  const pts = (x: number) => points(x, t('campaigns.ppUnit'));
  // The revenue's interval across 0: the campaign may have made nothing (a +¥14,694 in green with ROI 400× read as a
  // win where the interval ran from −¥16,877 to +¥46,266).
  const unsure = spansZero(a.incrementalRevenueFen);
  const rows = [
    { key: 'treated', label: t('campaigns.treated'), ...a.treated },
    { key: 'control', label: t('campaigns.control'), ...a.control },
  ];
  return (
    <>
      <Table
        size="small"
        rowKey="key"
        pagination={false}
        dataSource={rows}
        data-testid="treated-vs-control"
        columns={[
          { title: t('campaigns.group'), dataIndex: 'label' },
          { title: t('campaigns.customers'), dataIndex: 'customers', align: 'right', render: count },
          { title: t('campaigns.conversion'), dataIndex: 'conversion', align: 'right', render: (x) => percent(x, 2) },
          { title: t('campaigns.orders'), dataIndex: 'orders', align: 'right', render: count },
          { title: t('campaigns.revenue'), dataIndex: 'revenueFen', align: 'right', render: (x) => money(x) },
        ]}
      />
      {unsure && (
        <Alert
          type="warning"
          showIcon
          style={{ marginTop: 16 }}
          data-testid="not-significant"
          message={t('campaigns.notSignificant')}
        />
      )}
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col span={6}>
          <Statistic
            title={t('campaigns.lift')}
            value={pts(a.conversionLift.value)}
            valueStyle={{ whiteSpace: 'nowrap' }}
          />
          <Interval e={a.conversionLift} fmt={pts} />
          {a.relativeLift !== null && (
            <div>
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('campaigns.relativeLift', { v: percent(a.relativeLift) })}
              </Typography.Text>
            </div>
          )}
        </Col>
        <Col span={6}>
          <Statistic title={t('campaigns.incrementalOrders')} value={a.incrementalOrders.value.toFixed(1)} />
          <Interval e={a.incrementalOrders} fmt={(x) => x.toFixed(1)} />
        </Col>
        <Col span={6}>
          <Statistic
            title={t('campaigns.incrementalRevenue')}
            value={money(Math.round(a.incrementalRevenueFen.value))}
            valueStyle={unsure ? undefined : { color: a.incrementalRevenueFen.value >= 0 ? '#389e0d' : '#cf1322' }}
          />
          <Interval e={a.incrementalRevenueFen} fmt={(x) => money(Math.round(x))} />
        </Col>
        <Col span={6}>
          <Statistic
            title={t('campaigns.roi')}
            value={ratio(roi)}
            suffix={roi === null ? <small>{t('campaigns.roiNone')}</small> : undefined}
          />
          {/* Under the figure (as a suffix it wrapped inside the figure's large type). */}
          {roi !== null && unsure && (
            <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block' }}>
              {t('campaigns.estimateOnly')}
            </Typography.Text>
          )}
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('campaigns.spent')} {money(costFen)}
          </Typography.Text>
        </Col>
      </Row>
    </>
  );
}

function Funnel({ r, throttle, coupon }: { r: Report; throttle: number | null; coupon: boolean }) {
  const { t } = useTranslation();
  const stages = funnelStages(r, (key) => t(key === 'delivered' ? 'campaignExtras.delivered' : `campaigns.${key}`));
  return (
    <Row gutter={24}>
      <Col span={12}>
        <Chart
          height={260}
          testId="funnel"
          option={{
            tooltip: { trigger: 'item' },
            series: [
              {
                type: 'funnel',
                sort: 'none',
                minSize: '12%',
                // Grouped figures (目标客户 1,109) beside the funnel, with room left for them: a long English label
                // was cut at the chart's edge.
                left: 8,
                width: '58%',
                label: { formatter: (p: { name: string; value: number }) => `${p.name} ${count(p.value)}` },
                data: stages,
              },
            ],
          }}
        />
      </Col>
      <Col span={12}>
        <Descriptions size="small" column={2} bordered data-testid="report-counts" className="figures">
          <Descriptions.Item label={t('campaigns.controlN')}>{count(r.control)}</Descriptions.Item>
          <Descriptions.Item label={t('campaigns.targeted')}>{count(r.targeted)}</Descriptions.Item>
          <Descriptions.Item label={t('campaigns.sent')}>{count(r.sent)}</Descriptions.Item>
          <Descriptions.Item label={t('campaigns.queued')}>
            {count(r.queued)}
            {r.nextSendAt && (
              <Typography.Text type="secondary" data-testid="next-send-at" className="wrap">
                {throttledNow(r.nextSendAt, throttle)
                  ? t('campaigns.nextSendThrottled', { n: throttle, at: dateTime(r.nextSendAt) })
                  : t('campaigns.nextSendAt', { at: dateTime(r.nextSendAt) })}
              </Typography.Text>
            )}
          </Descriptions.Item>
          <Descriptions.Item label={t('campaignExtras.delivered')}>
            {/* Sent and none confirmed: the channel gives no receipts (as the funnel says), not "0 delivered". */}
            {withoutReceipts(r) ? (
              <span className="wrap">{t('campaignExtras.deliveredNoReceipts')}</span>
            ) : (
              count(r.delivered)
            )}
          </Descriptions.Item>
          <Descriptions.Item label={t('campaigns.failed')}>{count(r.failed)}</Descriptions.Item>
          {r.cancelled > 0 && (
            // A cancelled campaign's messages that never went out, and what became of their coupons.
            <Descriptions.Item label={t('campaigns.cancelledN')} span={2}>
              <span data-testid="report-cancelled" className="wrap">
                {count(r.cancelled)}
                <Typography.Text type="secondary">
                  {coupon ? t('campaigns.cancelledCoupons') : t('campaigns.cancelledHint')}
                </Typography.Text>
              </span>
            </Descriptions.Item>
          )}
          <Descriptions.Item label={t('campaigns.clicked')}>{count(r.clicked)}</Descriptions.Item>
          <Descriptions.Item label={t('campaigns.optedOut')}>{count(r.optedOut)}</Descriptions.Item>
          <Descriptions.Item label={t('campaigns.spent')}>{money(r.costFen)}</Descriptions.Item>
        </Descriptions>
        <Table
          size="small"
          style={{ marginTop: 12 }}
          rowKey="0"
          pagination={false}
          dataSource={Object.entries(r.heldBack).sort((a, b) => b[1] - a[1])}
          locale={{ emptyText: t('campaigns.noneHeld') }}
          title={() => t('campaigns.heldBack')}
          columns={[
            { title: t('campaigns.rule'), key: 'r', render: (_: unknown, x) => reasonLabel(t, x[0]) },
            { title: t('campaigns.heldN'), key: 'n', align: 'right', render: (_: unknown, x) => count(x[1]) },
          ]}
        />
      </Col>
    </Row>
  );
}

export default function CampaignReport() {
  const { t } = useTranslation();
  const { id } = useParams();
  const campaign = useApi('/campaigns/{id}', { params: { id: id ?? '' } });
  const launched = campaign.data && campaign.data.status !== 'draft' && campaign.data.launchedAt !== null;
  const report = useApi(launched ? '/campaigns/{id}/report' : null, { params: { id: id ?? '' } });
  const attribution = useApi(launched ? '/campaigns/{id}/attribution' : null, { params: { id: id ?? '' } });
  const channels = useApi('/messaging/channels');
  const handoff = channels.data?.items.find((x) => x.id === campaign.data?.channelId)?.kind === 'platform';
  // Launched but not planned yet (the worker freezes and draws the audience, then plans it): the
  // counts are still zero, so the page follows it as it does a campaign that is sending.
  const preparing = campaign.data?.status === 'running' && campaign.data.plannedAt === null;
  const sending = preparing || (campaign.data?.status === 'running' && (report.data?.queued ?? 0) > 0);
  // The attribution too: read at launch, before the audience was drawn, it said "no control group" until a reload.
  useInterval(
    () => {
      campaign.reload();
      report.reload();
      attribution.reload();
    },
    3000,
    sending,
  );
  if (campaign.error) return <ErrorBox error={campaign.error} onRetry={campaign.reload} />;
  if (!campaign.data) return <Loading />;
  const c = campaign.data;
  const reload = () => {
    campaign.reload();
    report.reload();
    attribution.reload();
  };
  const a = attribution.data;
  return (
    <>
      <Link to="/campaigns" data-testid="back-to-campaigns">
        <ArrowLeftOutlined /> {t('campaigns.back')}
      </Link>
      <PageHeader
        title={
          <Space>
            {c.name}
            <StatusTag status={c.status} />
          </Space>
        }
        subtitle={c.launchedAt ? dateTime(c.launchedAt) : undefined}
        extra={
          <Space>
            <CampaignActions c={c} onDone={reload} />
            {launched && handoff && (
              <Space.Compact size="small">
                <Button href={`/api/v1/campaigns/${c.id}/handoff.csv`} size="small">
                  {t('campaigns.handoff')} CSV
                </Button>
                <Button href={`/api/v1/campaigns/${c.id}/handoff.xlsx`} size="small">
                  Excel
                </Button>
              </Space.Compact>
            )}
          </Space>
        }
      />
      {!launched && (
        <Alert
          type="info"
          showIcon
          message={
            c.status === 'scheduled' && c.startAt
              ? t('campaignExtras.scheduledAt', { at: dateTime(c.startAt) })
              : t('campaigns.notLaunched')
          }
        />
      )}
      {preparing && (
        <Alert
          type="info"
          showIcon
          message={t('campaigns.preparing')}
          style={{ marginBottom: 16 }}
          data-testid="preparing"
        />
      )}
      {report.error && <ErrorBox error={report.error} onRetry={report.reload} />}
      {report.data && (
        <Card title={t('campaigns.funnel')} style={{ marginBottom: 16 }}>
          <Funnel
            r={report.data}
            throttle={campaign.data?.throttlePerMinute ?? null}
            coupon={Boolean(campaign.data?.couponTemplateId)}
          />
        </Card>
      )}
      {attribution.error && <ErrorBox error={attribution.error} onRetry={attribution.reload} />}
      {a && (
        <Card
          title={t('campaigns.attribution', { days: a.days })}
          extra={
            <Typography.Text type="secondary">
              {t('campaigns.attributionWindow', { from: date(a.from), to: date(a.to) })}
            </Typography.Text>
          }
          style={{ marginBottom: 16 }}
          data-testid="attribution"
        >
          {a.overall ? (
            <Lift a={a.overall} roi={a.roi} costFen={a.costFen} />
          ) : (
            <Alert type="info" showIcon message={t('campaigns.noControl')} />
          )}
        </Card>
      )}
      {report.data && report.data.variants.length > 0 && (
        <Card title={t('campaigns.variants')}>
          <Table
            size="small"
            rowKey="key"
            pagination={false}
            dataSource={report.data.variants.map((v) => ({
              ...v,
              a: a?.variants.find((x) => x.key === v.key)?.attribution ?? null,
            }))}
            data-testid="report-variants"
            columns={[
              { title: t('campaigns.variant', { key: '' }), dataIndex: 'key' },
              { title: t('campaigns.targeted'), dataIndex: 'targeted', align: 'right', render: count },
              { title: t('campaigns.sent'), dataIndex: 'sent', align: 'right', render: count },
              { title: t('campaigns.clicked'), dataIndex: 'clicked', align: 'right', render: count },
              {
                title: t('campaigns.conversion'),
                key: 'conv',
                align: 'right',
                render: (_: unknown, v) => (v.a ? percent(v.a.treated.conversion, 2) : '—'),
              },
              {
                title: t('campaigns.lift'),
                key: 'lift',
                align: 'right',
                render: (_: unknown, v) =>
                  v.a ? (
                    <>
                      {points(v.a.conversionLift.value, t('campaigns.ppUnit'))}
                      <div>
                        <Interval e={v.a.conversionLift} fmt={(x) => points(x, t('campaigns.ppUnit'))} />
                      </div>
                    </>
                  ) : (
                    '—'
                  ),
              },
              {
                title: t('campaigns.incrementalRevenue'),
                key: 'rev',
                align: 'right',
                render: (_: unknown, v) =>
                  v.a ? (
                    <>
                      {money(Math.round(v.a.incrementalRevenueFen.value))}
                      {spansZero(v.a.incrementalRevenueFen) && (
                        <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block' }}>
                          {t('campaigns.notSignificantParen')}
                        </Typography.Text>
                      )}
                    </>
                  ) : (
                    '—'
                  ),
              },
            ]}
          />
        </Card>
      )}
    </>
  );
}
