import { App, Button, Card, Col, Input, InputNumber, Row, Space, Table, Typography } from 'antd';
import { type ReactNode, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Answer } from '../../api';
import { Chart, PALETTE, type ChartOption } from '../../components/Chart';
import { ErrorBox, Loading } from '../../components/Status';
import { count, money, moneyShort, percent, points, ratio, shopDay, spansZero } from '../../format';
import { monthLabel } from './months';
import { errorText } from '../../errors';
import { useApi } from '../../hooks';
import { Hinted } from '../../components/Hinted';
import type { Range } from './MemberAnalytics';

// Axis labels with thousands separators, and room for them (containLabel) so none is clipped.
const GRID = { left: 8, right: 16, top: 36, bottom: 8, containLabel: true };
const countAxis = { type: 'value', minInterval: 1, axisLabel: { formatter: (v: number) => count(v) } };
const pctAxis = { type: 'value', axisLabel: { formatter: (v: number) => percent(v, 0) } };

function Loaded<T>({
  v,
  children,
}: {
  v: { data?: T; error?: Error; reload: () => void };
  children: (d: T) => React.ReactNode;
}) {
  if (v.error) return <ErrorBox error={v.error} onRetry={v.reload} />;
  if (!v.data) return <Loading />;
  return <>{children(v.data)}</>;
}

function ReferenceForm({ onSaved }: { onSaved: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const s = useApi('/analytics/settings');
  const [label, setLabel] = useState('');
  const [low, setLow] = useState<number | null>(null);
  const [high, setHigh] = useState<number | null>(null);
  useEffect(() => {
    const r = s.data?.repurchaseReference;
    setLabel(r?.label ?? '');
    setLow(r ? Math.round(r.low * 1000) / 10 : null);
    setHigh(r ? Math.round(r.high * 1000) / 10 : null);
  }, [s.data]);
  const save = async () => {
    try {
      const repurchaseReference = low !== null && high !== null ? { label, low: low / 100, high: high / 100 } : null;
      await api.put('/analytics/settings', { repurchaseReference });
      void message.success(t('common.saved'));
      onSaved();
    } catch (e) {
      void message.error(errorText(e));
    }
  };
  return (
    <Space wrap>
      <span>{t('memberAnalytics.reference')}</span>
      <Input
        style={{ width: 120 }}
        placeholder={t('memberAnalytics.industry')}
        value={label}
        onChange={(e) => setLabel(e.target.value)}
      />
      <InputNumber min={0} max={100} value={low} onChange={setLow} addonAfter="%" style={{ width: 110 }} />
      <span>—</span>
      <InputNumber min={0} max={100} value={high} onChange={setHigh} addonAfter="%" style={{ width: 110 }} />
      <Button size="small" onClick={() => void save()}>
        {t('common.save')}
      </Button>
    </Space>
  );
}

export function RepurchaseView({ range }: { range: Range }) {
  const { t } = useTranslation();
  const v = useApi('/analytics/repurchase', { query: range });
  const option = useMemo<ChartOption | null>(() => {
    if (!v.data) return null;
    const m = v.data.months;
    const ref = v.data.reference;
    const flat = (x: number) => m.map(() => x);
    return {
      color: PALETTE,
      tooltip: { trigger: 'axis', valueFormatter: (x: number) => percent(x) },
      legend: { top: 0 },
      grid: GRID,
      // A month the range holds only part of says so (2026-12 of two days read as a sudden rise to 80 %).
      xAxis: { type: 'category', data: m.map((x) => monthLabel(t, x.month, v.data!.from, v.data!.to)) },
      yAxis: pctAxis,
      series: [
        { name: t('memberAnalytics.repurchaseRate'), type: 'line', data: m.map((x) => x.rate) },
        ...(ref
          ? [
              {
                name: t('memberAnalytics.refLow'),
                type: 'line',
                symbol: 'none',
                lineStyle: { type: 'dashed' },
                data: flat(ref.low),
              },
              {
                name: t('memberAnalytics.refHigh'),
                type: 'line',
                symbol: 'none',
                lineStyle: { type: 'dashed' },
                data: flat(ref.high),
              },
            ]
          : []),
      ],
    };
  }, [v.data, t]);
  return (
    <Loaded v={v}>
      {(d) => (
        <>
          <ReferenceForm onSaved={v.reload} />
          {option && <Chart option={option} height={280} testId="repurchase-chart" />}
          <Table
            size="small"
            rowKey="month"
            pagination={false}
            dataSource={d.months}
            columns={[
              {
                title: t('memberAnalytics.month'),
                dataIndex: 'month',
                render: (m: string) => monthLabel(t, m, d.from, d.to),
              },
              { title: t('memberAnalytics.buyers'), dataIndex: 'buyers', align: 'right', render: count },
              { title: t('memberAnalytics.repeatBuyers'), dataIndex: 'repeatBuyers', align: 'right', render: count },
              {
                title: (
                  <Hinted
                    title={t('memberAnalytics.repurchaseRate')}
                    hint={t('memberAnalytics.repurchaseRateHint')}
                    testId="repurchase-hint"
                  />
                ),
                dataIndex: 'rate',
                align: 'right',
                render: (x: number) => percent(x),
              },
              {
                title: t('memberAnalytics.gap'),
                dataIndex: 'gap',
                align: 'right',
                render: (x: number | null) => (x === null ? '—' : x === 0 ? t('memberAnalytics.inBand') : percent(x)),
              },
            ]}
          />
        </>
      )}
    </Loaded>
  );
}

export function CohortsView({ range }: { range: Range }) {
  const { t } = useTranslation();
  const v = useApi('/analytics/cohorts', { query: range });
  const option = useMemo<ChartOption | null>(() => {
    if (!v.data) return null;
    const c = v.data.cohorts;
    const dataEnd = v.data.builtAt ? shopDay(v.data.builtAt) : v.data.to;
    const width = Math.max(1, ...c.map((x) => x.retention.length));
    const data = c.flatMap((row, y) => row.retention.map((r, x) => [x, y, Math.round(r * 1000) / 10]));
    return {
      tooltip: { formatter: (p: { value: number[] }) => `${c[p.value[1]!]!.cohort} +${p.value[0]}: ${p.value[2]}%` },
      grid: { ...GRID, top: 8, bottom: 56 },
      xAxis: { type: 'category', data: Array.from({ length: width }, (_, i) => t('memberAnalytics.monthN', { n: i })) },
      // The cohorts are the data's whole months up to its last build: the build's month holds only its days so far.
      yAxis: {
        type: 'category',
        data: c.map((x) => `${monthLabel(t, x.cohort, `${x.cohort}-01`, dataEnd)} (${count(x.buyers)})`),
      },
      visualMap: {
        min: 0,
        max: 100,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        calculable: true,
        formatter: (x: number) => `${Math.round(x)}%`,
      },
      series: [
        {
          type: 'heatmap',
          data,
          label: { show: width <= 13, formatter: (p: { value: number[] }) => `${p.value[2]}%` },
        },
      ],
    };
  }, [v.data, t]);
  return (
    <Loaded v={v}>
      {(d) =>
        d.cohorts.length ? (
          option && <Chart option={option} height={Math.max(260, 28 * d.cohorts.length + 90)} testId="cohort-heatmap" />
        ) : (
          <div className="muted">{t('analytics.noData')}</div>
        )
      }
    </Loaded>
  );
}

type Band = { key: string; buyers: number; share: number; revenueFen?: number };

/** One band of buyers: a bar chart, and the same figures as a table (the export has them too). */
function BandCard({
  id,
  title,
  rows,
  label,
  currency,
}: {
  id: string;
  title: string;
  rows: Band[];
  label: (k: string) => string;
  currency: string;
}) {
  const { t } = useTranslation();
  const option: ChartOption = {
    color: PALETTE,
    tooltip: { trigger: 'axis', valueFormatter: (x: number) => count(x) },
    grid: { ...GRID, top: 24 },
    xAxis: { type: 'category', data: rows.map((r) => label(r.key)), axisLabel: { interval: 0 } },
    yAxis: countAxis,
    series: [
      {
        type: 'bar',
        data: rows.map((r) => r.buyers),
        label: {
          show: true,
          position: 'top',
          formatter: (p: { dataIndex: number }) => percent(rows[p.dataIndex]!.share),
        },
      },
    ],
  };
  const withRevenue = rows.some((r) => r.revenueFen !== undefined);
  return (
    <Col xs={24} lg={12} xl={8}>
      <Card size="small" title={title}>
        <Chart option={option} height={200} />
        <Table<Band>
          size="small"
          rowKey="key"
          pagination={false}
          dataSource={rows}
          data-testid={`band-${id}`}
          columns={[
            { title: t('memberAnalytics.bandGroup'), dataIndex: 'key', render: (k: string) => label(k) },
            { title: t('memberAnalytics.bandBuyers'), dataIndex: 'buyers', align: 'right', render: count },
            { title: t('analytics.share'), dataIndex: 'share', align: 'right', render: (x: number) => percent(x) },
            ...(withRevenue
              ? [
                  {
                    title: t('memberAnalytics.revenue'),
                    dataIndex: 'revenueFen',
                    align: 'right' as const,
                    render: (x: number) => money(x, currency),
                  },
                ]
              : []),
          ]}
        />
      </Card>
    </Col>
  );
}

export function StructureView({ range }: { range: Range }) {
  const { t } = useTranslation();
  const v = useApi('/analytics/distribution', { query: range });
  const band = (k: string) => t(`memberAnalytics.band.${k}`, { defaultValue: k });
  return (
    <Loaded v={v}>
      {(d) => (
        <Row gutter={[16, 16]} data-testid="structure">
          <BandCard
            id="frequency"
            title={t('memberAnalytics.frequency')}
            rows={d.frequency}
            label={(k) => t('memberAnalytics.timesN', { n: k })}
            currency={d.currency}
          />
          <BandCard
            id="aov"
            title={t('memberAnalytics.aovBands')}
            rows={d.aov}
            label={(k) => `¥${k}`}
            currency={d.currency}
          />
          <BandCard
            id="churn"
            title={t('memberAnalytics.churn')}
            rows={d.churn}
            label={(k) => t('memberAnalytics.daysN', { n: k })}
            currency={d.currency}
          />
          <BandCard id="age" title={t('memberAnalytics.age')} rows={d.age} label={band} currency={d.currency} />
          <BandCard
            id="gender"
            title={t('memberAnalytics.gender')}
            rows={d.gender}
            label={band}
            currency={d.currency}
          />
          <BandCard
            id="city-tier"
            title={t('memberAnalytics.cityTier')}
            rows={d.cityTier}
            label={band}
            currency={d.currency}
          />
        </Row>
      )}
    </Loaded>
  );
}

type ProductRow = Answer<'/analytics/products'>['bestByUnits'][number];

export function ProductsView({ range }: { range: Range }) {
  const { t } = useTranslation();
  const v = useApi('/analytics/products', { query: range });
  const table = (title: string, rows: ProductRow[]) => (
    <Col xs={24} xl={12}>
      <Card size="small" title={title}>
        <Table<ProductRow>
          size="small"
          rowKey="product"
          pagination={false}
          dataSource={rows}
          className="nowrap-table"
          columns={[
            // The figures get the widths their numbers and headers need, on one line (¥158,478.00 broke after the
            // point at 1280 px); the name takes what is left and ends in … when longer.
            { title: t('memberAnalytics.product'), dataIndex: 'product', ellipsis: true },
            { title: t('memberAnalytics.units'), dataIndex: 'units', align: 'right', width: 64, render: count },
            {
              title: t('memberAnalytics.revenue'),
              dataIndex: 'revenueFen',
              align: 'right',
              width: 116,
              render: (x: number) => money(x),
            },
            {
              title: t('memberAnalytics.productBuyers'),
              dataIndex: 'buyers',
              align: 'right',
              width: 72,
              render: count,
            },
            {
              width: 112,
              title: (
                <Hinted
                  title={t('memberAnalytics.productRepurchaseRate')}
                  hint={t('memberAnalytics.productRepurchaseHint')}
                />
              ),
              dataIndex: 'repurchaseRate',
              align: 'right',
              render: (x: number) => percent(x),
            },
          ]}
        />
      </Card>
    </Col>
  );
  return (
    <Loaded v={v}>
      {(d) => (
        <Row gutter={[16, 16]}>
          {table(t('memberAnalytics.bestByUnits'), d.bestByUnits)}
          {table(t('memberAnalytics.slowByUnits'), d.slowByUnits)}
          {table(t('memberAnalytics.bestByRepurchase'), d.bestByRepurchase)}
          {table(t('memberAnalytics.slowByRepurchase'), d.slowByRepurchase)}
        </Row>
      )}
    </Loaded>
  );
}

export function TimingView({ range }: { range: Range }) {
  const { t } = useTranslation();
  const v = useApi('/analytics/timing', { query: range });
  const bars = (labels: string[], rows: { orders: number; revenueFen: number }[], currency: string): ChartOption => ({
    color: PALETTE,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: GRID,
    xAxis: { type: 'category', data: labels },
    yAxis: [countAxis, { type: 'value', axisLabel: { formatter: (x: number) => moneyShort(x * 100, currency) } }],
    series: [
      { name: t('memberAnalytics.orders'), type: 'bar', data: rows.map((r) => r.orders) },
      { name: t('memberAnalytics.revenue'), type: 'line', yAxisIndex: 1, data: rows.map((r) => r.revenueFen / 100) },
    ],
  });
  const change = (x: number | null) => (x === null ? '—' : `${x >= 0 ? '+' : ''}${percent(x)}`);
  return (
    <Loaded v={v}>
      {(d) => (
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={14}>
            <Card size="small" title={t('memberAnalytics.byHour')}>
              <Chart
                option={bars(
                  d.hours.map((h) => String(h.hour)),
                  d.hours,
                  d.currency,
                )}
                height={260}
                testId="timing-hours"
              />
            </Card>
          </Col>
          <Col xs={24} xl={10}>
            <Card size="small" title={t('memberAnalytics.byWeekday')}>
              <Chart
                option={bars(
                  d.weekdays.map((w) => t(`memberAnalytics.weekday.${w.weekday}`)),
                  d.weekdays,
                  d.currency,
                )}
                height={260}
              />
            </Card>
          </Col>
          <Col span={24}>
            <Table
              size="small"
              rowKey="month"
              pagination={false}
              dataSource={d.months}
              columns={[
                {
                  title: t('memberAnalytics.month'),
                  key: 'month',
                  render: (_: unknown, m: (typeof d.months)[number]) =>
                    m.whole
                      ? m.month
                      : t('memberAnalytics.monthPart', {
                          month: m.month,
                          from: Number(m.from.slice(8)),
                          to: Number(m.to.slice(8)),
                        }),
                },
                { title: t('memberAnalytics.orders'), dataIndex: 'orders', align: 'right', render: count },
                {
                  title: t('memberAnalytics.revenue'),
                  dataIndex: 'revenueFen',
                  align: 'right',
                  render: (x: number) => money(x, d.currency),
                },
                { title: t('memberAnalytics.revenueMom'), dataIndex: 'revenueMom', align: 'right', render: change },
                { title: t('memberAnalytics.revenueYoy'), dataIndex: 'revenueYoy', align: 'right', render: change },
              ]}
              data-testid="timing-months"
            />
            <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
              {t('memberAnalytics.monthsNote', { first: d.dataFrom ?? '—' })}
            </Typography.Paragraph>
          </Col>
        </Row>
      )}
    </Loaded>
  );
}

/**
 * A campaign's figure with what its 95 % interval says, as the report and the comparison say it: the range under it
 * when asked (`span`), and 不显著 when the interval spans 0 (the difference may be chance).
 */
function Uncertain({
  range,
  span,
  children,
}: {
  range: { low: number; high: number } | null;
  span?: (r: { low: number; high: number }) => string;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  if (!range) return <>{children}</>;
  const unsure = spansZero(range);
  return (
    <span>
      {children}
      {(span || unsure) && (
        <>
          <br />
          <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid={unsure ? 'effect-unsure' : undefined}>
            {span?.(range)}
            {unsure && t('campaigns.notSignificantParen')}
          </Typography.Text>
        </>
      )}
    </span>
  );
}

export function EffectsView({ range }: { range: Range }) {
  const { t } = useTranslation();
  const v = useApi('/analytics/effects', { query: range });
  return (
    <Loaded v={v}>
      {(d) => (
        <Row gutter={[16, 16]}>
          {range.storeId && d.allStores && (
            <Col span={24}>
              <Typography.Text type="warning" data-testid="effects-all-stores">
                {t('memberAnalytics.effectsAllStores')}
              </Typography.Text>
            </Col>
          )}
          <Col xs={24} xxl={12}>
            <Card size="small" title={t('memberAnalytics.campaigns')}>
              <Typography.Paragraph type="secondary">{t('memberAnalytics.campaignsNote')}</Typography.Paragraph>
              <Table
                size="small"
                rowKey="id"
                pagination={false}
                dataSource={d.campaigns}
                columns={[
                  { title: t('memberAnalytics.campaign'), dataIndex: 'name', ellipsis: true },
                  { title: t('memberAnalytics.treated'), dataIndex: 'treated', align: 'right', render: count },
                  {
                    title: t('memberAnalytics.lift'),
                    dataIndex: 'conversionLift',
                    align: 'right',
                    render: (x: number | null, r) => (
                      <Uncertain range={r.conversionLiftRange}>{points(x, t('campaigns.ppUnit'))}</Uncertain>
                    ),
                  },
                  {
                    title: t('memberAnalytics.incremental'),
                    dataIndex: 'incrementalRevenueFen',
                    align: 'right',
                    render: (x: number | null, r) => (
                      <Uncertain
                        range={r.incrementalRevenueRangeFen}
                        span={(v) => `${money(v.low)} ~ ${money(v.high)}`}
                      >
                        {money(x)}
                      </Uncertain>
                    ),
                  },
                  {
                    title: t('memberAnalytics.roi'),
                    dataIndex: 'roi',
                    align: 'right',
                    // An ROI of an effect not yet told apart from none is no return yet: said beside it.
                    render: (x: number | null, r) => (
                      <Uncertain range={r.incrementalRevenueRangeFen}>{ratio(x)}</Uncertain>
                    ),
                  },
                ]}
              />
            </Card>
          </Col>
          <Col xs={24} xxl={12}>
            <Card size="small" title={t('memberAnalytics.coupons')}>
              <Typography.Paragraph type="secondary" data-testid="coupons-note">
                {t('memberAnalytics.couponsNote')}
              </Typography.Paragraph>
              <Table
                size="small"
                rowKey="id"
                pagination={false}
                dataSource={d.coupons}
                columns={[
                  { title: t('memberAnalytics.coupon'), dataIndex: 'name', ellipsis: true },
                  { title: t('memberAnalytics.holders'), dataIndex: 'holders', align: 'right', render: count },
                  {
                    title: t('memberAnalytics.useRate'),
                    dataIndex: 'useRate',
                    align: 'right',
                    render: (x: number) => percent(x),
                  },
                  {
                    title: t('memberAnalytics.lift'),
                    dataIndex: 'conversionLift',
                    align: 'right',
                    render: (x: number | null) => points(x, t('campaigns.ppUnit')),
                  },
                  {
                    title: t('memberAnalytics.incremental'),
                    dataIndex: 'incrementalRevenueFen',
                    align: 'right',
                    render: (x: number | null) => money(x),
                  },
                  {
                    title: t('memberAnalytics.discount'),
                    dataIndex: 'discountFen',
                    align: 'right',
                    render: (x: number) => money(x),
                  },
                  { title: t('memberAnalytics.roi'), dataIndex: 'roi', align: 'right', render: ratio },
                ]}
              />
            </Card>
          </Col>
        </Row>
      )}
    </Loaded>
  );
}
