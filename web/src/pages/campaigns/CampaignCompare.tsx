import { Button, Card, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router-dom';
import type { Answer } from '../../api';
import { EmptyState, ErrorBox, Loading } from '../../components/Status';
import { count, money, percent, ratio, spansZero } from '../../format';
import { useApi } from '../../hooks';
import { PageHeader } from '../../layout/Shell';
import { withoutReceipts } from './funnel';

type Compared = Answer<'/campaigns/compare'>['items'][number];
type Row = Compared['overall'] & { rowKey: string; campaign: string; campaignId: string; first: boolean };

/** 2–4 campaigns side by side, overall and per variant: the funnel, treated vs control, increment, cost, ROI. */
export default function CampaignCompare() {
  const { t } = useTranslation();
  const [params] = useSearchParams();
  const ids = params.get('ids') ?? '';
  // Opened without two campaigns (a bookmark, the address typed): say how to pick them rather than ask the
  // server, whose refusal would name its query parameter.
  const named = new Set(
    ids
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  ).size;
  const data = useApi(named >= 2 ? '/campaigns/compare' : null, { query: { ids } });
  if (named < 2)
    return (
      <>
        <PageHeader title={t('campaignExtras.compareTitle')} />
        <Card>
          <EmptyState
            title={t('campaignExtras.compareNone')}
            hint={t('campaignExtras.compareHint')}
            action={
              <Link to="/campaigns">
                <Button type="primary">{t('campaignExtras.compareBack')}</Button>
              </Link>
            }
          />
        </Card>
      </>
    );
  if (data.error) return <ErrorBox error={data.error} onRetry={data.reload} />;
  if (!data.data) return <Loading />;
  const rows: Row[] = data.data.items.flatMap((c) => [
    { ...c.overall, rowKey: `${c.id}:`, campaign: c.name, campaignId: c.id, first: true },
    ...c.variants.map((v) => ({ ...v, rowKey: `${c.id}:${v.key}`, campaign: c.name, campaignId: c.id, first: false })),
  ]);
  const pct = (v: number | null) => (v === null ? '—' : percent(v));
  return (
    <>
      <PageHeader
        title={t('campaignExtras.compareTitle')}
        subtitle={t('campaignExtras.compareSubtitle', { n: data.data.items.length })}
        extra={
          <Link to="/campaigns">
            <Button>{t('campaignExtras.compareToList')}</Button>
          </Link>
        }
      />
      <Card>
        <Table<Row>
          rowKey="rowKey"
          size="small"
          pagination={false}
          dataSource={rows}
          data-testid="compare-table"
          scroll={{ x: 1100 }}
          // Cost and ROI are to the right at 1280 px: the scroll bar stays on screen rather than below the last row.
          sticky
          columns={[
            {
              title: t('campaigns.name'),
              key: 'name',
              render: (_: unknown, r) =>
                r.first ? (
                  <Link to={`/campaigns/${r.campaignId}`}>{r.campaign}</Link>
                ) : (
                  <Typography.Text type="secondary">{t('campaigns.variant', { key: r.key })}</Typography.Text>
                ),
            },
            {
              title: t('campaignExtras.scope'),
              key: 'scope',
              render: (_: unknown, r) => (r.first ? t('campaignExtras.overall') : ''),
            },
            { title: t('campaigns.targeted'), dataIndex: 'targeted', align: 'right', render: count },
            { title: t('campaigns.sent'), dataIndex: 'sent', align: 'right', render: count },
            {
              title: t('campaignExtras.delivered'),
              dataIndex: 'delivered',
              align: 'right',
              // As the report says it: a channel without receipts delivered an unknown number, not 0.
              render: (v: number, r) => (withoutReceipts(r) ? t('campaignExtras.deliveredNoReceipts') : count(v)),
            },
            { title: t('campaigns.clicked'), dataIndex: 'clicked', align: 'right', render: count },
            {
              title: t('campaignExtras.treatedConversion'),
              dataIndex: 'treatedConversion',
              align: 'right',
              render: pct,
            },
            {
              title: t('campaignExtras.controlConversion'),
              dataIndex: 'controlConversion',
              align: 'right',
              render: pct,
            },
            {
              title: t('campaignExtras.incrementalRevenue'),
              key: 'inc',
              align: 'right',
              render: (_: unknown, r) =>
                r.incrementalRevenueFen ? (
                  <span>
                    {money(Math.round(r.incrementalRevenueFen.value))}
                    <br />
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {money(Math.round(r.incrementalRevenueFen.low))} ~{' '}
                      {money(Math.round(r.incrementalRevenueFen.high))}
                      {spansZero(r.incrementalRevenueFen) && (
                        <span data-testid="compare-not-significant">{t('campaigns.notSignificantParen')}</span>
                      )}
                    </Typography.Text>
                  </span>
                ) : (
                  '—'
                ),
            },
            { title: t('campaignExtras.cost'), dataIndex: 'costFen', align: 'right', render: (v: number) => money(v) },
            {
              title: t('campaignExtras.roi'),
              dataIndex: 'roi',
              align: 'right',
              // A return on an effect not yet told apart from none says so, as its incremental revenue does.
              render: (v: number | null, r) => (
                <span>
                  {ratio(v)}
                  {r.incrementalRevenueFen && spansZero(r.incrementalRevenueFen) && (
                    <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block' }}>
                      {t('campaigns.notSignificantParen')}
                    </Typography.Text>
                  )}
                </span>
              ),
            },
          ]}
        />
      </Card>
    </>
  );
}
