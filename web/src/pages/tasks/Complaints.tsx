import { Card, Col, Row, Segmented, Space, Statistic, Table, Tag } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import type { Answer } from '../../api';
import { Chart, type ChartOption } from '../../components/Chart';
import { EmptyState, ErrorBox, Loading } from '../../components/Status';
import { count, dateTime } from '../../format';
import { useApi } from '../../hooks';

type Category = Answer<'/feedback/complaints'>['categories'][number];
type Feedback = Answer<'/feedback'>['items'][number];
const SENTIMENT_COLOR: Record<string, string> = { positive: 'green', neutral: 'default', negative: 'red' };

/**
 * The top complaint categories of a period (bad reviews, low survey scores, chat complaints) and the latest
 * feedback.
 */
export function Complaints() {
  const { t } = useTranslation();
  const [days, setDays] = useState(30);
  const top = useApi('/feedback/complaints', { query: { days } });
  const recent = useApi('/feedback', { query: { days, limit: 50 } });
  const option = useMemo<ChartOption | null>(() => {
    if (!top.data) return null;
    const cats = [...top.data.categories].reverse();
    return {
      grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
      tooltip: {},
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', data: cats.map((c) => t(`feedback.categories.${c.category}`)) },
      series: [
        {
          type: 'bar',
          data: cats.map((c) => c.count),
          itemStyle: { color: '#fa541c' },
          label: { show: true, position: 'right' },
        },
      ],
    };
  }, [top.data, t]);
  if (top.error) return <ErrorBox error={top.error} onRetry={top.reload} />;
  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        {t('feedback.period')}
        <Segmented
          value={days}
          onChange={(v) => setDays(Number(v))}
          options={[7, 30, 90, 365].map((n) => ({ value: n, label: t('feedback.lastDays', { n }) }))}
          data-testid="complaint-days"
        />
      </Space>
      {!top.data ? (
        <Loading />
      ) : (
        <Row gutter={16}>
          <Col xs={24} lg={10}>
            <Card size="small" title={t('tasks.complaints')}>
              <Space size="large" style={{ marginBottom: 8 }}>
                <Statistic title={t('feedback.total')} value={count(top.data.total)} />
                {(['review', 'survey', 'chat'] as const).map((s) => (
                  <Statistic key={s} title={t(`feedback.sources.${s}`)} value={count(top.data!.bySource[s] ?? 0)} />
                ))}
              </Space>
              {top.data.categories.length === 0 ? (
                <EmptyState title={t('feedback.none')} hint={t('feedback.noneHint')} />
              ) : (
                option && <Chart option={option} height={240} testId="complaint-chart" />
              )}
            </Card>
          </Col>
          <Col xs={24} lg={14}>
            <Card size="small" title={t('feedback.category')}>
              <Table<Category>
                rowKey="category"
                size="small"
                pagination={false}
                dataSource={top.data.categories}
                data-testid="complaint-table"
                locale={{ emptyText: <EmptyState title={t('feedback.none')} /> }}
                columns={[
                  { title: t('feedback.category'), render: (_, c) => t(`feedback.categories.${c.category}`) },
                  { title: t('feedback.count'), align: 'right', render: (_, c) => count(c.count) },
                  { title: t('feedback.share'), align: 'right', render: (_, c) => `${c.share}%` },
                  {
                    title: t('feedback.examples'),
                    render: (_, c) => (
                      <div style={{ color: '#595959' }}>
                        {c.examples.map((e, i) => (
                          <div key={i}>{e}</div>
                        ))}
                      </div>
                    ),
                  },
                ]}
              />
            </Card>
          </Col>
          <Col span={24} style={{ marginTop: 16 }}>
            <Card size="small" title={t('feedback.recent')}>
              <Table<Feedback>
                rowKey="id"
                size="small"
                loading={!recent.data}
                dataSource={recent.data?.items ?? []}
                pagination={{ pageSize: 10, hideOnSinglePage: true }}
                columns={[
                  { title: t('feedback.at'), width: 150, render: (_, f) => dateTime(f.occurredAt) },
                  {
                    title: t('tasks.customer'),
                    render: (_, f) => (
                      <Link to={`/customers/${encodeURIComponent(f.customerId)}`}>
                        {f.customerName ?? f.customerId}
                      </Link>
                    ),
                  },
                  { title: t('tasks.source'), render: (_, f) => t(`feedback.sources.${f.source}`) },
                  { title: t('feedback.category'), render: (_, f) => t(`feedback.categories.${f.category}`) },
                  {
                    title: t('feedback.sentiment'),
                    render: (_, f) => (
                      <Tag color={SENTIMENT_COLOR[f.sentiment]}>{t(`feedback.sentiments.${f.sentiment}`)}</Tag>
                    ),
                  },
                  { title: t('feedback.body'), dataIndex: 'body', ellipsis: true },
                ]}
              />
            </Card>
          </Col>
        </Row>
      )}
    </>
  );
}
