import { PlusOutlined } from '@ant-design/icons';
import { App, Button, Card, Col, Popconfirm, Row, Spin, Table, Tabs, Tag, Tooltip, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { type Answer, api } from '../../api';
import { Chart, PALETTE, type ChartOption } from '../../components/Chart';
import { EmptyState, ErrorBox, Loading } from '../../components/Status';
import { count, dateTime, money, moneyCompact, percent } from '../../format';
import { useApi } from '../../hooks';
import { PageHeader } from '../../layout/Shell';

type Segment = Answer<'/segments'>['items'][number];

import { segmentPath } from '../../paths';
import { segmentName } from '../../segment-names';
import { errorText } from '../../errors';
import { countQueue, needsRecount } from './count-queue';

/**
 * A row's size: the last count the server kept, shown at once with its time; asked for again (a few rows at a
 * time, count-queue.ts) only when missing or older than a few minutes.
 */
function SegmentCount({ s }: { s: Segment }) {
  const { t } = useTranslation();
  const [live, setLive] = useState<{ count: number; countedAt: string } | null>(null);
  const [failed, setFailed] = useState(false);
  const stale = needsRecount(s.countedAt, Date.now());
  useEffect(() => {
    if (!stale) return;
    const ctl = new AbortController();
    countQueue(() => api.get('/segments/{id}', { params: { id: s.id }, signal: ctl.signal }), ctl.signal).then(
      (r) => setLive({ count: r.count, countedAt: r.countedAt }),
      (e: Error) => {
        if (e.name !== 'AbortError') setFailed(true);
      },
    );
    return () => ctl.abort();
  }, [s.id, stale]);
  const shown = live ?? (s.count !== null && s.countedAt !== null ? { count: s.count, countedAt: s.countedAt } : null);
  if (!shown) return failed ? <Typography.Text type="danger">!</Typography.Text> : <Spin size="small" />;
  const counting = stale && !live && !failed;
  return (
    <Tooltip title={t('segments.countedAt', { at: dateTime(shown.countedAt) })}>
      <Typography.Text type={counting ? 'secondary' : undefined} data-testid={`segment-count-${s.id}`}>
        {count(shown.count)}
      </Typography.Text>
      {counting && <Spin size="small" style={{ marginLeft: 6 }} />}
    </Tooltip>
  );
}

export default function Segments() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'list';
  return (
    <>
      <PageHeader
        title={t('menu.segments')}
        subtitle={t('segments.subtitle')}
        extra={
          <Link to="/segments/new">
            <Button type="primary" icon={<PlusOutlined />} data-testid="new-segment">
              {t('segments.new')}
            </Button>
          </Link>
        }
      />
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams({ tab: k })}
        items={[
          { key: 'list', label: t('segments.tabs.list'), children: <SegmentTable /> },
          { key: 'rfm', label: t('segments.tabs.rfm'), children: <RfmView /> },
          { key: 'lifecycle', label: t('segments.tabs.lifecycle'), children: <LifecycleView /> },
        ]}
      />
    </>
  );
}

function SegmentTable() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const list = useApi('/segments');
  if (list.error) return <ErrorBox error={list.error} onRetry={list.reload} />;
  const saved = (list.data?.items ?? []).filter((s) => !s.system);
  const system = (list.data?.items ?? []).filter((s) => s.system);
  const columns = (withActions: boolean) => [
    {
      title: t('segments.name'),
      dataIndex: 'name',
      render: (_: string, s: Segment) => <Link to={segmentPath(s.id)}>{segmentName(t, s)}</Link>,
    },
    {
      title: t('segments.description'),
      dataIndex: 'description',
      render: (v: string | null) => v ?? '—',
      ellipsis: true,
    },
    {
      title: t('segments.count'),
      key: 'count',
      align: 'right' as const,
      width: 120,
      render: (_: unknown, s: Segment) => <SegmentCount s={s} />,
    },
    ...(withActions
      ? [
          {
            title: '',
            key: 'actions',
            width: 90,
            render: (_: unknown, s: Segment) => (
              <Popconfirm
                title={t('segments.confirmDelete')}
                onConfirm={async () => {
                  try {
                    await api.delete('/segments/{id}', { params: { id: s.id } });
                    list.reload();
                  } catch (e) {
                    void message.error(errorText(e));
                  }
                }}
              >
                <Button size="small" type="link" danger onClick={(e) => e.stopPropagation()}>
                  {t('common.delete')}
                </Button>
              </Popconfirm>
            ),
          },
        ]
      : []),
  ];
  return (
    <Row gutter={16}>
      <Col xs={24} xl={12}>
        <Card size="small" title={t('segments.saved')} style={{ marginBottom: 16 }}>
          <Table<Segment>
            rowKey="id"
            size="small"
            loading={list.loading}
            dataSource={saved}
            columns={columns(true)}
            pagination={false}
            onRow={(s) => ({ onDoubleClick: () => navigate(segmentPath(s.id)) })}
            locale={{
              emptyText: (
                <EmptyState
                  title={t('segments.noSaved')}
                  hint={t('segments.noSavedHint')}
                  action={<Link to="/segments/new">{t('segments.new')}</Link>}
                />
              ),
            }}
            data-testid="saved-segments"
          />
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card
          size="small"
          title={
            <>
              {t('segments.system')} <Tag>{system.length}</Tag>
            </>
          }
        >
          <Table<Segment>
            rowKey="id"
            size="small"
            loading={list.loading}
            dataSource={system}
            columns={columns(false)}
            pagination={{ pageSize: 12, hideOnSinglePage: true }}
          />
        </Card>
      </Col>
    </Row>
  );
}

function RfmView() {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const matrix = useApi('/rfm/matrix');
  const summary = useApi('/rfm/summary');
  // F scores that hold customers: ties (many buyers with one order) leave some scores empty, and an empty row
  // reads as a bug, so those rows are folded away and the hint says why.
  const fRows = useMemo(
    () => [...new Set((matrix.data?.cells ?? []).filter((c) => c.customers > 0).map((c) => c.f))].sort((a, b) => a - b),
    [matrix.data],
  );
  const heat = useMemo<ChartOption | null>(() => {
    if (!matrix.data) return null;
    const max = Math.max(1, ...matrix.data.cells.map((c) => c.customers));
    return {
      tooltip: {
        formatter: (p: { data: [number, number, number, number] }) =>
          `R${p.data[0] + 1} · ` +
          `F${fRows[p.data[1]]}<br/>${t('segments.rfmCustomers', { n: count(p.data[2]) })}<br/>${money(p.data[3])}`,
      },
      grid: { left: 70, right: 20, top: 10, bottom: 100, containLabel: false },
      xAxis: {
        type: 'category',
        name: t('segments.recency'),
        nameLocation: 'middle',
        nameGap: 30,
        data: [1, 2, 3, 4, 5].map((n) => `R${n}`),
        splitArea: { show: true },
      },
      yAxis: {
        type: 'category',
        name: t('segments.frequency'),
        nameLocation: 'middle',
        nameGap: 45,
        data: fRows.map((n) => `F${n}`),
        splitArea: { show: true },
      },
      visualMap: {
        dimension: 2,
        min: 0,
        max,
        calculable: true,
        formatter: (v: number) => count(Math.round(v)),
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        inRange: { color: ['#fff7e6', '#ffbb96', '#fa541c', '#ad2102'] },
      },
      series: [
        {
          type: 'heatmap',
          data: matrix.data.cells
            .filter((c) => fRows.includes(c.f))
            .map((c) => [c.r - 1, fRows.indexOf(c.f), c.customers, c.spentFen]),
          label: { show: true, formatter: (p: { data: number[] }) => count(p.data[2]) },
        },
      ],
    };
  }, [matrix.data, fRows, t]);
  const bars = useMemo<ChartOption | null>(() => {
    if (!summary.data) return null;
    const rows = summary.data.rfmClass.filter((r) => r.key !== 'none').sort((a, b) => b.spentFen - a.spentFen);
    return {
      color: PALETTE,
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 76, bottom: 36 },
      // One axis per unit: customers below, spend above (in whole yuan).
      xAxis: [
        {
          type: 'value',
          position: 'bottom',
          name: t('segments.rfmCustomersAxis'),
          nameLocation: 'middle',
          nameGap: 24,
        },
        {
          type: 'value',
          position: 'top',
          name: t('segments.rfmSpend'),
          nameLocation: 'middle',
          nameGap: 24,
          splitLine: { show: false },
          axisLabel: { formatter: (v: number) => moneyCompact(v * 100, i18n.language) },
        },
      ],
      yAxis: {
        type: 'category',
        data: rows.map((r) => t(`rfm.class.${r.key}`, r.key ?? '')),
        inverse: true,
        axisLabel: { interval: 0 },
      },
      series: [
        { name: t('segments.rfmCustomersAxis'), type: 'bar', data: rows.map((r) => r.customers), barMaxWidth: 14 },
        {
          name: t('segments.rfmSpend'),
          type: 'bar',
          xAxisIndex: 1,
          data: rows.map((r) => r.spentFen / 100),
          barMaxWidth: 14,
        },
      ],
    };
  }, [summary.data, t, i18n.language]);
  if (matrix.error) return <ErrorBox error={matrix.error} onRetry={matrix.reload} />;
  if (!heat || !bars || !summary.data) return <Loading />;
  const total = summary.data.rfmClass.reduce((a, r) => a + r.spentFen, 0);
  return (
    <Row gutter={16}>
      <Col xs={24} xl={12}>
        <Card size="small" title={t('segments.rfmMatrix')}>
          <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
            {t('segments.rfmMatrixHint')} {t('segments.rfmClickHint')}
          </Typography.Paragraph>
          <Chart
            option={heat}
            height={380}
            testId="rfm-heatmap"
            onClick={(d) => {
              const [r, row] = d as number[];
              const f = row === undefined ? undefined : fRows[row];
              if (r !== undefined && f !== undefined) void navigate(segmentPath(`sys:rfm:R${r + 1}F${f}`));
            }}
          />
          <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }} data-testid="rfm-f-hint">
            {t('segments.rfmScoring')}
            {fRows.length < 5 &&
              ` ${t('segments.rfmFolded', {
                rows: [1, 2, 3, 4, 5]
                  .filter((f) => !fRows.includes(f))
                  .map((f) => `F${f}`)
                  .join('/'),
              })}`}
          </Typography.Paragraph>
        </Card>
      </Col>
      <Col xs={24} xl={12}>
        <Card size="small" title={t('segments.rfmClasses')}>
          <Chart
            option={bars}
            height={340}
            onClick={(_, name) => {
              const row = summary.data?.rfmClass.find((r) => t(`rfm.class.${r.key}`, r.key ?? '') === name);
              if (row?.key) void navigate(segmentPath(`sys:rfmclass:${row.key}`));
            }}
          />
          <Table
            size="small"
            rowKey="key"
            pagination={false}
            data-testid="rfm-classes"
            onRow={(r) => ({
              onClick: () => {
                const key = (r as { key?: string | null }).key;
                if (key) void navigate(segmentPath(`sys:rfmclass:${key}`));
              },
              className: 'clickable-row',
            })}
            dataSource={summary.data.rfmClass.filter((r) => r.key !== 'none').sort((a, b) => b.spentFen - a.spentFen)}
            columns={[
              { title: t('segments.rfmClass'), dataIndex: 'key', render: (k: string) => t(`rfm.class.${k}`, k) },
              {
                title: t('segments.rfmCustomersAxis'),
                dataIndex: 'customers',
                align: 'right',
                render: (n: number) => count(n),
              },
              { title: t('segments.rfmSpend'), dataIndex: 'spentFen', align: 'right', render: (n: number) => money(n) },
              {
                title: t('segments.spendShare'),
                key: 'share',
                align: 'right',
                render: (_: unknown, r: { spentFen: number }) => percent(r.spentFen / (total || 1)),
              },
            ]}
          />
        </Card>
      </Col>
    </Row>
  );
}

const STAGES = ['prospect', 'new', 'growing', 'mature', 'dormant', 'churned'] as const;
/** The buying path, in order; dormant and churned are where customers of any stage drift when they stop buying. */
const PATH = ['prospect', 'new', 'growing', 'mature'] as const;
const STAGE_COLOR: Record<string, string> = {
  prospect: '#8c8c8c',
  new: '#52c41a',
  growing: '#13c2c2',
  mature: '#1677ff',
  dormant: '#faad14',
  churned: '#f5222d',
};

/**
 * The lifecycle as stages with their counts and the conversion between neighbours of the buying path: of the
 * customers who reached a stage (it or a later one), the share who went on to the next. Dormant and churned are
 * drawn beside the path with their share of buyers, not as the bottom of a funnel (they are not a step after
 * 成熟). Each stage opens its customers.
 */
function LifecycleView() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const summary = useApi('/rfm/summary');
  if (summary.error) return <ErrorBox error={summary.error} onRetry={summary.reload} />;
  if (!summary.data) return <Loading />;
  const by = new Map(summary.data.lifecycle.map((l) => [l.key, l.customers]));
  const n = (s: string) => by.get(s) ?? 0;
  const total = STAGES.reduce((a, s) => a + n(s), 0);
  const buyers = total - n('prospect');
  // Reached a path stage: in it or further along the path (the lapsed are left out: their stage is unknown here).
  const reached = (i: number) => PATH.slice(i).reduce((a, s) => a + n(s), 0);
  const box = (s: (typeof STAGES)[number], share: string) => (
    <Card
      key={s}
      size="small"
      hoverable
      className="lifecycle-stage"
      data-testid={`stage-${s}`}
      onClick={() => void navigate(segmentPath(`sys:lifecycle:${s}`))}
      style={{ borderTop: `3px solid ${STAGE_COLOR[s]}`, minWidth: 150, flex: 1 }}
    >
      <Typography.Text strong>{t(`lifecycle.${s}`)}</Typography.Text>
      <div style={{ fontSize: 24, fontWeight: 600, color: STAGE_COLOR[s] }}>{count(n(s))}</div>
      <Typography.Text type="secondary">{share}</Typography.Text>
      <div className="kpi-foot" style={{ marginTop: 4 }}>
        {t(`lifecycleHint.${s}`)}
      </div>
    </Card>
  );
  return (
    <Row gutter={16}>
      <Col span={24}>
        <Card
          size="small"
          title={t('segments.lifecycleFunnel')}
          extra={<Typography.Text type="secondary">{t('segments.lifecycleClickHint')}</Typography.Text>}
          data-testid="lifecycle-stages"
        >
          <div style={{ display: 'flex', alignItems: 'stretch', gap: 8, flexWrap: 'wrap' }}>
            {PATH.map((s, i) => (
              <div key={s} style={{ display: 'flex', alignItems: 'center', gap: 8, flex: 1 }}>
                {box(s, t('segments.shareOfAll', { p: percent(n(s) / (total || 1)) }))}
                {i < PATH.length - 1 && (
                  <div style={{ textAlign: 'center', minWidth: 84 }} data-testid={`conversion-${s}`}>
                    <div style={{ fontSize: 18 }}>→</div>
                    <Typography.Text strong>{percent(reached(i + 1) / (reached(i) || 1))}</Typography.Text>
                    <div className="kpi-foot" style={{ marginTop: 0 }}>
                      {t('segments.conversion')}
                    </div>
                  </div>
                )}
              </div>
            ))}
          </div>
          <Typography.Paragraph type="secondary" style={{ margin: '12px 0' }}>
            {t('segments.conversionHint')}
          </Typography.Paragraph>
          <div style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }}>
            {(['dormant', 'churned'] as const).map((s) =>
              box(s, t('segments.shareOfBuyers', { p: percent(n(s) / (buyers || 1)) })),
            )}
          </div>
          <div style={{ marginTop: 12 }}>
            <Link to="/settings?tab=rfm">{t('segments.lifecycleSettings')}</Link>
          </div>
        </Card>
      </Col>
    </Row>
  );
}
