import { Card, Col, Row, Segmented, Table } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart, PALETTE, registerMap, type ChartOption } from '../components/Chart';
import { EmptyState, ErrorBox, Loading } from '../components/Status';
import { count, money, moneyShort, percent } from '../format';
import { useApi } from '../hooks';
import { PageHeader } from '../layout/Shell';
import { PredictModel } from './predict/PredictModel';
import { defaultRange, ExportButtons, MemberAnalytics, type Range } from './analytics/MemberAnalytics';
import type { Answer } from '../api';

type ProvinceRow = Answer<'/analytics/provinces'>['items'][number];

/** The China map (Apache-2.0 GeoJSON from echarts 4.9.0), loaded only when this page opens. */
function useChinaMap(): boolean {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let live = true;
    void import('../assets/maps/china.json').then((m) => {
      registerMap('china', m.default);
      if (live) setReady(true);
    });
    return () => {
      live = false;
    };
  }, []);
  return ready;
}

export default function Analytics() {
  const { t } = useTranslation();
  const [metric, setMetric] = useState<'spentFen' | 'buyers'>('spentFen');
  // One range and store for the whole page: the tabs above, the map and the daily buyers below.
  const [range, setRange] = useState<Range>(defaultRange);
  const provinces = useApi('/analytics/provinces', { query: range });
  const daily = useApi('/analytics/daily', { query: range });
  const mapReady = useChinaMap();
  const mapOption = useMemo<ChartOption | null>(() => {
    if (!provinces.data || !mapReady) return null;
    const rows = provinces.data.items.filter((r) => r.short);
    const cur = provinces.data.items[0]?.currency ?? 'CNY';
    const values = rows.map((r) => (metric === 'spentFen' ? r.spentFen / 100 : r.buyers));
    return {
      tooltip: {
        trigger: 'item',
        formatter: (p: { name: string; value: number }) =>
          `${p.name}<br/>` +
          (metric === 'spentFen'
            ? moneyShort((p.value || 0) * 100, cur)
            : t('analytics.buyersN', { n: count(p.value || 0) })),
      },
      visualMap: {
        min: 0,
        max: Math.max(1, ...values),
        left: 10,
        bottom: 10,
        calculable: true,
        inRange: { color: ['#fff7e6', '#ffbb96', '#fa541c', '#ad2102'] },
        formatter: (v: number) => (metric === 'spentFen' ? moneyShort(v * 100, cur) : count(Math.round(v))),
      },
      series: [
        {
          type: 'map',
          map: 'china',
          roam: false,
          zoom: 1.15,
          top: 40,
          emphasis: { label: { show: true } },
          data: rows.map((r) => ({ name: r.short, value: metric === 'spentFen' ? r.spentFen / 100 : r.buyers })),
        },
      ],
    };
  }, [provinces.data, mapReady, metric, t]);
  const trendOption = useMemo<ChartOption | null>(() => {
    if (!daily.data) return null;
    const tr = daily.data.days;
    return {
      color: PALETTE,
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 8, right: 20, top: 30, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: tr.map((d) => (tr.length > 366 ? d.day : d.day.slice(5))) },
      // People come whole: no 0.5 buyer ticks on a quiet range.
      yAxis: { type: 'value', minInterval: 1, axisLabel: { formatter: (v: number) => count(v) } },
      series: [
        { name: t('dashboard.newBuyers'), type: 'bar', stack: 'b', data: tr.map((d) => d.newBuyers) },
        {
          name: t('analytics.returningBuyers'),
          type: 'bar',
          stack: 'b',
          data: tr.map((d) => Math.max(0, d.buyers - d.newBuyers)),
        },
      ],
    };
  }, [daily.data, t]);
  if (provinces.error) return <ErrorBox error={provinces.error} onRetry={provinces.reload} />;
  const rows = provinces.data?.items ?? [];
  return (
    <>
      <PageHeader title={t('menu.analytics')} subtitle={t('analytics.subtitle')} />
      <MemberAnalytics range={range} setRange={setRange} />
      <Row gutter={16}>
        <Col xs={24} xl={14}>
          <Card
            size="small"
            title={`${t('analytics.provinceMap')} · ${t('analytics.rangeOf', { from: range.from, to: range.to })}`}
            extra={
              <Segmented
                data-testid="map-metric"
                size="small"
                value={metric}
                onChange={(v) => setMetric(v as 'spentFen' | 'buyers')}
                options={[
                  { value: 'spentFen', label: t('analytics.bySpend') },
                  { value: 'buyers', label: t('analytics.byBuyers') },
                ]}
              />
            }
          >
            {mapOption ? <Chart option={mapOption} height={460} testId="china-map" /> : <Loading />}
          </Card>
        </Col>
        <Col xs={24} xl={10}>
          <Card
            size="small"
            title={t('analytics.provinceRanking')}
            extra={<ExportButtons view="provinces" range={range} />}
          >
            <Table<ProvinceRow>
              data-testid="province-ranking"
              rowKey={(r) => r.province ?? '-'}
              size="small"
              loading={provinces.loading}
              dataSource={rows}
              pagination={{ pageSize: 12, hideOnSinglePage: true, size: 'small' }}
              locale={{ emptyText: <EmptyState title={t('analytics.noData')} /> }}
              columns={[
                { title: '#', key: 'rank', width: 40, render: (_, __, i) => i + 1 },
                {
                  title: t('analytics.province'),
                  dataIndex: 'province',
                  render: (v: string | null) => v ?? t('analytics.unknown'),
                },
                {
                  title: t('analytics.buyersInRange'),
                  dataIndex: 'buyers',
                  align: 'right',
                  render: (n: number) => count(n),
                },
                {
                  title: t('analytics.spendInRange'),
                  dataIndex: 'spentFen',
                  align: 'right',
                  render: (n: number, r: ProvinceRow) => money(n, r.currency),
                },
                {
                  title: t('analytics.share'),
                  dataIndex: 'spentShare',
                  align: 'right',
                  render: (n: number) => percent(n),
                },
              ]}
            />
          </Card>
        </Col>
      </Row>
      <Card
        size="small"
        title={`${t('analytics.dailyBuyers')} · ${t('analytics.rangeOf', { from: range.from, to: range.to })}`}
        extra={<ExportButtons view="daily" range={range} />}
        style={{ marginTop: 16 }}
      >
        {daily.error ? (
          <ErrorBox error={daily.error} onRetry={daily.reload} />
        ) : trendOption ? (
          <Chart option={trendOption} height={280} testId="daily-buyers" />
        ) : (
          <Loading />
        )}
      </Card>
      <PredictModel />
    </>
  );
}
