import { QuestionCircleOutlined } from '@ant-design/icons';
import { App, Button, Card, Collapse, Descriptions, Tooltip, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { Chart, PALETTE, type ChartOption } from '../../components/Chart';
import { ErrorBox, Loading } from '../../components/Status';
import { count, dateTime, money, moneyShort } from '../../format';
import { useAction, useApi } from '../../hooks';

/**
 * The analytics page's predictive-value card: the fitted model, a refit button and the
 * calibration plot (mean predicted vs actual orders in the holdout, by orders before it).
 */
export function PredictModel() {
  const { t } = useTranslation();
  const model = useApi('/predict/model');
  const { message } = App.useApp();
  const action = useAction();
  const refit = () =>
    action.run(async () => {
      await api.post('/predict/refit');
      void message.success(t('predict.refitQueued'));
    });
  const cal = model.data?.calibration;
  const option = useMemo<ChartOption | null>(() => {
    if (!cal || cal.rows.length === 0) return null;
    return {
      color: [PALETTE[1]!, PALETTE[0]!],
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 8, right: 20, top: 30, bottom: 28 },
      xAxis: {
        type: 'category',
        name: t('predict.calFrequency'),
        nameLocation: 'middle',
        nameGap: 26,
        data: cal.rows.map((r) => r.frequency),
      },
      yAxis: { type: 'value' },
      series: [
        { name: t('predict.calActual'), type: 'bar', data: cal.rows.map((r) => Number(r.actual.toFixed(3))) },
        { name: t('predict.calPredicted'), type: 'line', data: cal.rows.map((r) => Number(r.predicted.toFixed(3))) },
      ],
    };
  }, [cal, t]);
  if (model.error) return <ErrorBox error={model.error} onRetry={model.reload} />;
  if (!model.data) return <Loading />;
  const m = model.data;
  return (
    <Card
      size="small"
      title={t('predict.modelTitle')}
      style={{ marginTop: 16 }}
      data-testid="predict-model"
      extra={
        <Button size="small" loading={action.busy} onClick={() => void refit()}>
          {t('predict.refit')}
        </Button>
      }
    >
      {m.status === 'fitted' && m.params ? (
        <>
          <Descriptions size="small" column={{ xs: 1, md: 3 }}>
            <Descriptions.Item label={t('predict.fittedAt')}>{dateTime(m.fittedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('predict.buyers')}>
              {/* One run of text: the item lays out its children side by side, and the count fell out of its
                  parentheses onto a line of its own. */}
              <span>
                {count(m.customers)}
                {t('predict.repeatOpen')}
                {t('predict.repeatBuyers', { n: count(m.params.repeatCustomers) })}
                <Tooltip title={t('predict.repeatBuyersHint')}>
                  <QuestionCircleOutlined style={{ marginLeft: 4 }} data-testid="predict-repeat-hint" />
                </Tooltip>
                {t('predict.repeatClose')}
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t('predict.meanOrderValue')}>
              {money(m.params.spend.meanOrderValueFen)}
            </Descriptions.Item>
            <Descriptions.Item label={t('predict.clvSettings')}>
              {t('predict.clvSettingsValue', {
                months: m.settings.horizonMonths,
                rate: (m.settings.monthlyDiscount * 100).toFixed(1),
              })}
            </Descriptions.Item>
          </Descriptions>
          {/* The fitted parameters are for whoever checks the model, not for the seller's first look: folded. */}
          <Collapse
            size="small"
            ghost
            items={[
              {
                key: 'params',
                label: t('predict.params'),
                children: (
                  <Descriptions size="small" column={1} data-testid="predict-params">
                    <Descriptions.Item label={t('predict.frequencyModel')}>
                      r {m.params.bgnbd.r.toFixed(3)} · α {m.params.bgnbd.alpha.toFixed(2)} · a{' '}
                      {m.params.bgnbd.a.toFixed(3)} · b {m.params.bgnbd.b.toFixed(3)}
                    </Descriptions.Item>
                    <Descriptions.Item label={t('predict.spendModel')}>
                      {m.params.spend.p !== null
                        ? `p ${m.params.spend.p.toFixed(2)} · q ${m.params.spend.q!.toFixed(2)} ` +
                          `· γ ${moneyShort(m.params.spend.gamma!)}`
                        : t('predict.spendAverage')}
                    </Descriptions.Item>
                  </Descriptions>
                ),
              },
            ]}
          />
          <Typography.Title level={5} style={{ marginTop: 8 }}>
            {t('predict.calTitle', { days: m.settings.holdoutDays })}
          </Typography.Title>
          {option && cal ? (
            <>
              <Chart option={option} height={260} testId="predict-calibration" />
              <Typography.Text type="secondary">
                {t('predict.calSummary', {
                  predicted: count(Math.round(cal.predictedTotal)),
                  actual: count(cal.actualTotal),
                  customers: count(cal.customers),
                })}
              </Typography.Text>
            </>
          ) : (
            <Typography.Text type="secondary">{t('predict.calMissing')}</Typography.Text>
          )}
        </>
      ) : (
        <Typography.Text type="secondary">
          {m.status === 'never_fitted' ? t('predict.neverFitted') : t('predict.insufficient')}
        </Typography.Text>
      )}
    </Card>
  );
}
