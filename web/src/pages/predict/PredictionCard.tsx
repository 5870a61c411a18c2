import { Card, Descriptions, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { money, percent } from '../../format';
import type { Answer } from '../../api';

type CustomerPrediction = NonNullable<Answer<'/customers/{id}'>['prediction']>;

const BAND_COLOR = { low: 'green', medium: 'gold', high: 'red', one_time: 'default' } as const;

/** The customer's predicted value (BG/NBD + Gamma-Gamma), with the one line that says what it means. */
export function PredictionCard({ prediction }: { prediction: CustomerPrediction | null }) {
  const { t } = useTranslation();
  return (
    <Card title={t('predict.title')} size="small" style={{ marginBottom: 16 }} data-testid="prediction-card">
      {prediction ? (
        <>
          <Typography.Paragraph style={{ marginBottom: 8 }}>
            {prediction.churnBand === 'one_time'
              ? t('predict.explainOneTime', {
                  n: prediction.expectedOrders365d.toFixed(2),
                  clv: money(prediction.clvFen),
                })
              : t('predict.explain', {
                  p: percent(prediction.pAlive, 0),
                  n: prediction.expectedOrders365d.toFixed(2),
                  clv: money(prediction.clvFen),
                })}
          </Typography.Paragraph>
          <Descriptions column={1} size="small" labelStyle={{ whiteSpace: 'nowrap' }}>
            <Descriptions.Item label={t('predict.pAlive')}>
              {/* The model takes a buyer with no second purchase to be alive (100 %), shown beside "may not come
                  back" and a dormant tag: for them it is not a figure to read. */}
              {prediction.churnBand === 'one_time' ? t('predict.pAliveOneTime') : percent(prediction.pAlive)}
            </Descriptions.Item>
            <Descriptions.Item label={t('predict.churnBand')}>
              <Tag color={BAND_COLOR[prediction.churnBand]}>{t(`predict.band.${prediction.churnBand}`)}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label={t('predict.clv')}>{money(prediction.clvFen)}</Descriptions.Item>
            <Descriptions.Item label={t('predict.orderValue')}>
              {money(prediction.expectedOrderValueFen)}
            </Descriptions.Item>
            <Descriptions.Item label={t('predict.expectedOrders')}>
              {[prediction.expectedOrders30d, prediction.expectedOrders90d, prediction.expectedOrders365d]
                .map((n) => n.toFixed(2))
                .join(' / ')}
            </Descriptions.Item>
            <Descriptions.Item label={t('predict.nextOrder')}>
              {prediction.nextOrderDate ?? t('predict.noNextOrder')}
            </Descriptions.Item>
          </Descriptions>
        </>
      ) : (
        <Typography.Text type="secondary">{t('predict.none')}</Typography.Text>
      )}
    </Card>
  );
}
