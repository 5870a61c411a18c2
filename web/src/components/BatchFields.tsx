import { Form, Input } from 'antd';
import { useTranslation } from 'react-i18next';
import { date } from '../format';
import { SegmentSelect } from './SegmentSelect';

/**
 * Audience and batch of a bulk action to a segment (issue coupons, grant points): one batch gives each customer once.
 */
export function BatchFields() {
  const { t } = useTranslation();
  return (
    <>
      <Form.Item
        name="segmentId"
        label={t('points.audience')}
        rules={[{ required: true, message: t('common.required') }]}
      >
        <SegmentSelect />
      </Form.Item>
      <Form.Item name="batch" label={t('points.batch')} extra={t('points.batchHint')} rules={[{ required: true }]}>
        <Input maxLength={60} />
      </Form.Item>
    </>
  );
}

/** A batch named by the shop's local date (the workspace's time zone, not UTC nor the browser's). */
export const todayBatch = (prefix: string) => `${prefix}-${date(new Date().toISOString())}`;

/** A batch named after the audience and the shop's local date: "重要价值客户 2026-11-11". */
export const localBatch = (audience: string) => `${audience.slice(0, 48)} ${date(new Date().toISOString())}`;
