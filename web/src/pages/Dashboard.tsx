import { ArrowRightOutlined } from '@ant-design/icons';
import { Card, Col, List, Progress, Row, Segmented, Skeleton, Space, Statistic, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { Chart, PALETTE, type ChartOption } from '../components/Chart';
import { Hinted } from '../components/Hinted';
import { EmptyState, ErrorBox, Loading } from '../components/Status';
import { zoneName } from '../components/TimeZoneSelect';
import { count, dateTime, money, moneyShort, percent } from '../format';
import { useApi } from '../hooks';
import { PageHeader } from '../layout/Shell';
import type { Answer } from '../api';
import { DueTasks } from './tasks/DueTasks';
import { RunningCampaigns } from './campaigns/RunningCampaigns';
import { can, useMe } from '../session';

type PeriodKpis = Answer<'/analytics/dashboard'>['period'];

/** "另有 £90.00 (1 笔)": revenue in the workspace's other currencies, never added to the main figure. */
function otherCurrencies(k: PeriodKpis, main: string, label: (v: string) => string): string {
  const others = k.revenueByCurrency.filter((c) => c.currency !== main);
  return others.length ? ` · ${label(others.map((c) => money(c.revenueFen, c.currency)).join(' / '))}` : '';
}

function Kpi({
  title,
  value,
  foot,
  testId,
}: {
  title: React.ReactNode;
  value: string;
  foot?: string;
  testId?: string;
}) {
  return (
    <Card className="kpi-card" size="small" data-testid={testId}>
      <Statistic title={title} value={value} />
      {foot && <div className="kpi-foot">{foot}</div>}
    </Card>
  );
}

export default function Dashboard() {
  const { t } = useTranslation();
  const [days, setDays] = useState(30);
  const showCampaigns = can(useMe(), 'campaigns:read');
  const dash = useApi('/analytics/dashboard', { query: { days } });
  const tiers = useApi('/tiers');
  const imports = useApi('/imports');
  const expiring = useApi('/coupons/expiring', { query: { days: 7, limit: 1 } });

  const trendOption = useMemo<ChartOption | null>(() => {
    if (!dash.data) return null;
    const tr = dash.data.trend;
    return {
      color: PALETTE,
      tooltip: { trigger: 'axis' },
      legend: { data: [t('dashboard.revenue'), t('dashboard.buyers'), t('dashboard.newBuyers')], top: 0 },
      grid: { left: 8, right: 8, top: 36, bottom: 8 },
      xAxis: { type: 'category', data: tr.map((d) => d.day.slice(5)) },
      yAxis: [
        { type: 'value', axisLabel: { formatter: (v: number) => moneyShort(v * 100, dash.data!.currency) } },
        { type: 'value', splitLine: { show: false } },
      ],
      series: [
        {
          name: t('dashboard.revenue'),
          type: 'bar',
          data: tr.map((d) => d.revenueFen / 100),
          barMaxWidth: 18,
          itemStyle: { borderRadius: [3, 3, 0, 0] },
        },
        { name: t('dashboard.buyers'), type: 'line', yAxisIndex: 1, smooth: true, data: tr.map((d) => d.buyers) },
        { name: t('dashboard.newBuyers'), type: 'line', yAxisIndex: 1, smooth: true, data: tr.map((d) => d.newBuyers) },
      ],
    };
  }, [dash.data, t]);

  if (dash.error) return <ErrorBox error={dash.error} onRetry={dash.reload} />;
  if (!dash.data || !trendOption) return <Loading />;
  const { today, period, totals, currency } = dash.data;
  const others = (k: PeriodKpis) => otherCurrencies(k, currency, (v) => t('dashboard.otherCurrencies', { v }));
  const tierMembers = tiers.data
    ? tiers.data.tiers.map((tier, i) => ({
        tier,
        n:
          i === 0
            ? Math.max(
                0,
                totals.buyers -
                  Object.entries(tiers.data!.members)
                    .filter(([k]) => k !== tier.key)
                    .reduce((a, [, n]) => a + n, 0),
              )
            : (tiers.data!.members[tier.key] ?? 0),
      }))
    : [];

  if (totals.customers === 0) {
    return (
      <>
        <PageHeader title={t('menu.dashboard')} />
        <Card>
          <EmptyState
            title={t('dashboard.emptyTitle')}
            hint={t('dashboard.emptyHint')}
            action={
              <Link to="/imports">
                {t('dashboard.goImport')} <ArrowRightOutlined />
              </Link>
            }
          />
        </Card>
      </>
    );
  }
  return (
    <>
      <PageHeader
        title={t('menu.dashboard')}
        subtitle={t('dashboard.subtitle', { tz: zoneName(t, dash.data.timezone) })}
        extra={
          <Segmented
            value={days}
            onChange={(v) => setDays(Number(v))}
            options={[7, 30, 90].map((d) => ({ label: t('dashboard.lastDays', { n: d }), value: d }))}
          />
        }
      />
      <Typography.Text strong>{t('dashboard.today')}</Typography.Text>
      <Row gutter={[16, 16]} style={{ margin: '8px 0 20px' }}>
        <Col xs={12} lg={6}>
          <Kpi
            testId="kpi-today-revenue"
            title={t('dashboard.revenue')}
            value={money(today.revenueFen, currency)}
            foot={t('dashboard.ordersN', { n: count(today.orders) }) + others(today)}
          />
        </Col>
        <Col xs={12} lg={6}>
          <Kpi
            title={t('dashboard.buyers')}
            value={count(today.buyers)}
            foot={t('dashboard.newVsReturning', { a: count(today.newBuyers), b: count(today.returningBuyers) })}
          />
        </Col>
        <Col xs={12} lg={6}>
          <Kpi title={t('dashboard.aov')} value={money(today.aovFen, currency)} />
        </Col>
        <Col xs={12} lg={6}>
          {/* Beside 新客 (first paid purchase) under 买家: a first order of any kind, said in a line. */}
          <Kpi
            title={t('dashboard.newCustomers')}
            value={count(today.newCustomers)}
            foot={t('dashboard.newCustomersFoot')}
          />
        </Col>
      </Row>
      <Typography.Text strong>{t('dashboard.lastDays', { n: days })}</Typography.Text>
      <Row gutter={[16, 16]} style={{ margin: '8px 0 20px' }}>
        <Col xs={12} lg={6}>
          <Kpi
            testId="kpi-period-revenue"
            title={t('dashboard.revenue')}
            value={money(period.revenueFen, currency)}
            foot={t('dashboard.ordersN', { n: count(period.orders) }) + others(period)}
          />
        </Col>
        <Col xs={12} lg={6}>
          <Kpi
            title={t('dashboard.buyers')}
            value={count(period.buyers)}
            foot={t('dashboard.newVsReturning', { a: count(period.newBuyers), b: count(period.returningBuyers) })}
          />
        </Col>
        <Col xs={12} lg={6}>
          <Kpi
            testId="kpi-returning-share"
            title={t('dashboard.returningShare')}
            value={percent(period.returningShare)}
            foot={t('dashboard.returningRevenueShare', { p: percent(period.returningRevenueShare) })}
          />
        </Col>
        <Col xs={12} lg={6}>
          <Kpi
            title={<Hinted title={t('dashboard.repurchaseRate')} hint={t('dashboard.repurchaseRateHint')} />}
            value={percent(period.repurchaseRate)}
            foot={t('dashboard.aovIs', { v: money(period.aovFen, currency) })}
          />
        </Col>
      </Row>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={16}>
          <Card title={t('dashboard.trend')} size="small">
            <Chart option={trendOption} height={320} testId="trend-chart" />
          </Card>
        </Col>
        <Col xs={24} xl={8}>
          <Card title={t('dashboard.customerFile')} size="small" style={{ marginBottom: 16 }}>
            <Row gutter={8}>
              <Col span={8}>
                <Statistic
                  title={t('dashboard.customers')}
                  value={count(totals.customers)}
                  valueStyle={{ fontSize: 20 }}
                />
              </Col>
              <Col span={8}>
                <Statistic
                  title={t('dashboard.allBuyers')}
                  value={count(totals.buyers)}
                  valueStyle={{ fontSize: 20 }}
                />
              </Col>
              <Col span={8}>
                <Statistic
                  title={
                    <Hinted title={t('dashboard.lifetimeRepurchase')} hint={t('dashboard.lifetimeRepurchaseHint')} />
                  }
                  value={percent(totals.repurchaseRate)}
                  valueStyle={{ fontSize: 20 }}
                />
              </Col>
            </Row>
            <div className="kpi-foot">
              {t('dashboard.consented', {
                n: count(totals.consented),
                p: percent(totals.consented / totals.customers),
              })}
            </div>
          </Card>
          <Card title={t('dashboard.tiers')} size="small" extra={<Link to="/members">{t('common.manage')}</Link>}>
            {/* Its own answer: while it comes, or if it fails, the card says so (it stood empty under its title). */}
            {tiers.error && <ErrorBox error={tiers.error} onRetry={tiers.reload} />}
            {!tiers.data && !tiers.error && (
              <Skeleton active title={false} paragraph={{ rows: 4 }} data-testid="tiers-loading" />
            )}
            {tierMembers.map(({ tier, n }) => (
              <div key={tier.key} style={{ marginBottom: 6 }}>
                <Space style={{ width: '100%', justifyContent: 'space-between' }}>
                  <span>{tier.name}</span>
                  <span>{count(n)}</span>
                </Space>
                <Progress
                  percent={totals.buyers ? (n / totals.buyers) * 100 : 0}
                  showInfo={false}
                  size="small"
                  strokeColor="#fa541c"
                />
              </div>
            ))}
          </Card>
        </Col>
      </Row>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={24} lg={8}>
          <Card
            title={t('dashboard.tasksDue')}
            size="small"
            extra={<Link to="/tasks?view=all">{t('common.all')}</Link>}
          >
            <DueTasks />
          </Card>
        </Col>
        <Col xs={24} lg={8}>
          <Card
            title={t('dashboard.runningCampaigns')}
            size="small"
            extra={showCampaigns && <Link to="/campaigns">{t('common.all')}</Link>}
          >
            {showCampaigns ? (
              <RunningCampaigns />
            ) : (
              <EmptyState title={t('dashboard.noCampaigns')} hint={t('dashboard.noCampaignsHint')} />
            )}
          </Card>
        </Col>
        <Col xs={24} lg={8}>
          <Card title={t('dashboard.recentImports')} size="small" extra={<Link to="/imports">{t('common.all')}</Link>}>
            {imports.data && imports.data.items.length > 0 ? (
              <List
                size="small"
                dataSource={imports.data.items.slice(0, 4)}
                renderItem={(r) => (
                  <List.Item>
                    <Typography.Text ellipsis style={{ maxWidth: 180 }}>
                      {r.fileName}
                    </Typography.Text>
                    <Space>
                      <Tag color={r.status === 'done' ? 'green' : r.status === 'failed' ? 'red' : 'blue'}>
                        {t(`imports.status.${r.status}`, r.status)}
                      </Tag>
                      <span className="kpi-foot">{dateTime(r.startedAt)}</span>
                    </Space>
                  </List.Item>
                )}
              />
            ) : (
              <EmptyState title={t('dashboard.noImports')} hint={t('dashboard.noImportsHint')} />
            )}
            {expiring.data && expiring.data.total > 0 && (
              <div className="kpi-foot">{t('dashboard.couponsExpiring', { n: expiring.data.total })}</div>
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}
