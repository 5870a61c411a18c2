import { DownloadOutlined } from '@ant-design/icons';
import { Button, Card, Col, DatePicker, Row, Select, Space, Statistic, Tabs, Tag, Tooltip } from 'antd';
import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { apiUrl } from '../../api';
import { ErrorBox, Loading } from '../../components/Status';
import { count, dateTime, money, percent, shopToday } from '../../format';
import { useApi } from '../../hooks';
import { CohortsView, EffectsView, ProductsView, RepurchaseView, StructureView, TimingView } from './Views';

export interface Range {
  from: string;
  to: string;
  storeId?: string;
}

type View =
  | 'overview'
  | 'repurchase'
  | 'cohorts'
  | 'distribution'
  | 'products'
  | 'timing'
  | 'effects'
  | 'provinces'
  | 'daily';

/** The views with a tab of their own (the map and the daily buyers sit below the tabs). */
const TABS: readonly View[] = ['overview', 'repurchase', 'cohorts', 'distribution', 'products', 'timing', 'effects'];

/** CSV and Excel of the tables of one view, for the range on screen (the server neutralises formulas). */
export function ExportButtons({ view, range }: { view: View; range: Range }) {
  const { t } = useTranslation();
  const query = { view, from: range.from, to: range.to, ...(range.storeId ? { storeId: range.storeId } : {}) };
  return (
    <Space size="small">
      <Button size="small" icon={<DownloadOutlined />} href={apiUrl('/analytics/export.csv', undefined, query)}>
        {t('memberAnalytics.exportCsv')}
      </Button>
      <Button size="small" icon={<DownloadOutlined />} href={apiUrl('/analytics/export.xlsx', undefined, query)}>
        {t('memberAnalytics.exportXlsx')}
      </Button>
    </Space>
  );
}

/**
 * 环比 / 同比 as a small tag, — without a base (with the reason as a tooltip when one is given). A rise is red and a
 * fall green in Chinese, as 生意参谋 and every Chinese market screen shows them (green read as good news for a fall);
 * green up, red down in English.
 */
export function Change({ label, value, hint }: { label: string; value: number | null; hint?: string }) {
  const { i18n } = useTranslation();
  if (value === null)
    return hint ? (
      <Tooltip title={hint}>
        <Tag data-testid="change-none">{`${label} —`}</Tag>
      </Tooltip>
    ) : (
      <Tag>{`${label} —`}</Tag>
    );
  const up = value >= 0;
  const rise = i18n.language === 'en' ? 'green' : 'red';
  const fall = i18n.language === 'en' ? 'red' : 'green';
  return <Tag color={up ? rise : fall} data-testid="change">{`${label} ${up ? '+' : ''}${percent(value)}`}</Tag>;
}

function Overview({ range }: { range: Range }) {
  const { t } = useTranslation();
  const v = useApi('/analytics/overview', { query: range });
  if (v.error) return <ErrorBox error={v.error} onRetry={v.reload} />;
  if (!v.data) return <Loading />;
  const d = v.data;
  const k = d.kpis;
  const kpi = (id: string, title: string, value: string, mom: number | null, yoy: number | null, sub?: string) => (
    <Col xs={12} lg={6}>
      <Card size="small" className="kpi-card">
        <Statistic title={title} value={value} valueRender={() => <span data-testid={`kpi-${id}`}>{value}</span>} />
        <Space size={4} wrap>
          <Change label={t('memberAnalytics.mom')} value={mom} hint={notComparable(d.previous)} />
          <Change label={t('memberAnalytics.yoy')} value={yoy} hint={notComparable(d.yearAgo)} />
          {sub && <span className="muted">{sub}</span>}
        </Space>
      </Card>
    </Col>
  );
  // A comparison range the shop's data starts within is not compared: the tag's tooltip says why.
  const notComparable = (c: { from: string; to: string; comparable: boolean }) =>
    c.comparable || !d.dataFrom ? undefined : t('memberAnalytics.notComparable', { ...c, first: d.dataFrom });
  return (
    <>
      <Row gutter={[16, 16]}>
        {kpi('buyers', t('memberAnalytics.buyers'), count(k.buyers), d.mom.buyers, d.yoy.buyers)}
        {kpi(
          'revenue',
          t('memberAnalytics.revenue'),
          money(k.revenueFen, d.currency),
          d.mom.revenueFen,
          d.yoy.revenueFen,
        )}
        {kpi(
          'returning-buyer-share',
          t('memberAnalytics.returningBuyerShare'),
          percent(k.returningBuyerShare),
          d.mom.returningBuyerShare,
          d.yoy.returningBuyerShare,
          t('memberAnalytics.returningN', { n: count(k.returningBuyers) }),
        )}
        {kpi(
          'returning-revenue-share',
          t('memberAnalytics.returningRevenueShare'),
          percent(k.returningRevenueShare),
          d.mom.returningRevenueShare,
          d.yoy.returningRevenueShare,
          money(k.returningRevenueFen, d.currency),
        )}
      </Row>
      <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
        <Col xs={12} lg={6}>
          <Card size="small">
            <Statistic title={t('memberAnalytics.orders')} value={count(k.orders)} />
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card size="small">
            <Statistic title={t('memberAnalytics.aov')} value={money(k.aovFen, d.currency)} />
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card size="small">
            <Statistic
              title={t('memberAnalytics.paymentRate')}
              value={percent(d.payment.paymentRate)}
              suffix={
                <span className="muted" style={{ fontSize: 13 }}>
                  {t('memberAnalytics.paidOfCreated', {
                    a: count(d.payment.paidOrders),
                    b: count(d.payment.createdOrders),
                  })}
                </span>
              }
            />
          </Card>
        </Col>
        <Col xs={12} lg={6}>
          <Card size="small">
            <Statistic
              title={t('memberAnalytics.recovered')}
              value={count(d.payment.recoveredOrders)}
              // "3 单 · ¥258.00": the count and the amount read apart (they ran together as 0¥0.00).
              suffix={
                <span style={{ fontSize: 13 }}>
                  {t('memberAnalytics.recoveredAmount', { amount: money(d.payment.recoveredFen, d.currency) })}
                </span>
              }
            />
          </Card>
        </Col>
      </Row>
      <div className="muted" style={{ marginTop: 8 }}>
        {t('memberAnalytics.definition')}
        {d.builtAt ? ` ${t('memberAnalytics.builtAt', { at: dateTime(d.builtAt) })}` : ''}
      </div>
    </>
  );
}

/**
 * Today as the shop counts days (format.ts shopToday): a browser in UTC opened the page on yesterday's range before
 * 08:00 Beijing time, and its 近 30 天 disagreed with the dashboard's.
 */
const today = () => dayjs(shopToday());

/** The last 30 days up to today, all stores: what the page opens with. */
export const defaultRange = (): Range => ({
  from: today().subtract(29, 'day').format('YYYY-MM-DD'),
  to: today().format('YYYY-MM-DD'),
});

/**
 * The picker's quick ranges: the ones whose answers the server keeps ready (src/core/analytics-ranges.ts), so the
 * distribution, the province map and the products answer at once on a large shop; any other range still works.
 */
const rangePresets = (t: (key: string) => string) => {
  const day = today();
  const last = (days: number) => [day.subtract(days - 1, 'day'), day] as [dayjs.Dayjs, dayjs.Dayjs];
  const lastMonth = day.subtract(1, 'month');
  const lastYear = day.subtract(1, 'year');
  return [
    { label: t('memberAnalytics.presets.last7'), value: last(7) },
    { label: t('memberAnalytics.presets.last30'), value: last(30) },
    { label: t('memberAnalytics.presets.last90'), value: last(90) },
    { label: t('memberAnalytics.presets.last365'), value: last(365) },
    {
      label: t('memberAnalytics.presets.thisMonth'),
      value: [day.startOf('month'), day] as [dayjs.Dayjs, dayjs.Dayjs],
    },
    {
      label: t('memberAnalytics.presets.lastMonth'),
      value: [lastMonth.startOf('month'), lastMonth.endOf('month').startOf('day')] as [dayjs.Dayjs, dayjs.Dayjs],
    },
    {
      label: t('memberAnalytics.presets.thisYear'),
      value: [day.startOf('year'), day] as [dayjs.Dayjs, dayjs.Dayjs],
    },
    {
      label: t('memberAnalytics.presets.lastYear'),
      value: [lastYear.startOf('year'), lastYear.endOf('year').startOf('day')] as [dayjs.Dayjs, dayjs.Dayjs],
    },
  ];
};

/**
 * The 数据分析 views for any range of days and one store or all: the seller's Monday page. The range and store
 * belong to the page (the map and the daily buyers below follow them too).
 */
export function MemberAnalytics({ range, setRange }: { range: Range; setRange: (r: Range) => void }) {
  const { t } = useTranslation();
  const [year, setYear] = useState(today().year());
  // The tab is in the address, as on the other pages with tabs: a reload or Back returns to it.
  const [params, setParams] = useSearchParams();
  const tab: View = TABS.find((v) => v === params.get('tab')) ?? 'overview';
  const setTab = (v: View) =>
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        v === 'overview' ? next.delete('tab') : next.set('tab', v);
        return next;
      },
      { replace: true },
    );
  const stores = useApi('/stores');
  const festivals = useApi('/analytics/activities', { query: { year } });
  const years = useMemo(() => [0, 1, 2].map((i) => today().year() - i), []);
  const view = (key: View, label: string, node: React.ReactNode) => ({
    key,
    label,
    children: (
      <>
        <div style={{ display: 'flex', justifyContent: 'flex-end', marginBottom: 8 }}>
          <ExportButtons view={key} range={range} />
        </div>
        {node}
      </>
    ),
  });
  return (
    <Card size="small" style={{ marginBottom: 16 }} data-testid="member-analytics">
      <Space wrap style={{ marginBottom: 8 }}>
        <DatePicker.RangePicker
          allowClear={false}
          presets={rangePresets(t)}
          data-testid="analytics-range"
          value={[dayjs(range.from), dayjs(range.to)]}
          onChange={(r) => {
            if (r?.[0] && r[1]) setRange({ ...range, from: r[0].format('YYYY-MM-DD'), to: r[1].format('YYYY-MM-DD') });
          }}
        />
        <Select
          style={{ width: 160 }}
          data-testid="analytics-store"
          value={range.storeId ?? ''}
          onChange={(v) => setRange({ ...range, storeId: v || undefined })}
          options={[
            { value: '', label: t('memberAnalytics.allStores') },
            ...(stores.data?.items ?? []).map((s) => ({ value: s.id, label: s.name })),
          ]}
        />
        <span>{t('memberAnalytics.activity')}</span>
        <Select
          style={{ width: 90 }}
          value={year}
          onChange={setYear}
          options={years.map((y) => ({ value: y, label: y }))}
        />
        {(festivals.data?.items ?? []).map((f) => (
          <Button
            key={f.key}
            size="small"
            data-testid={`festival-${f.key}`}
            type={range.from === f.from && range.to === f.to ? 'primary' : 'default'}
            onClick={() => setRange({ ...range, from: f.from, to: f.to })}
          >
            {t(`analytics.festivals.${f.key}`, f.name)}
          </Button>
        ))}
      </Space>
      <Tabs
        activeKey={tab}
        onChange={(k) => setTab(k as View)}
        items={[
          view('overview', t('memberAnalytics.tabs.overview'), <Overview range={range} />),
          view('repurchase', t('memberAnalytics.tabs.repurchase'), <RepurchaseView range={range} />),
          view('cohorts', t('memberAnalytics.tabs.cohorts'), <CohortsView range={range} />),
          view('distribution', t('memberAnalytics.tabs.structure'), <StructureView range={range} />),
          view('products', t('memberAnalytics.tabs.products'), <ProductsView range={range} />),
          view('timing', t('memberAnalytics.tabs.timing'), <TimingView range={range} />),
          view('effects', t('memberAnalytics.tabs.effects'), <EffectsView range={range} />),
        ]}
      />
    </Card>
  );
}
