import { Form, Input } from 'antd';
import { useTranslation } from 'react-i18next';
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

export const todayBatch = (prefix: string) => `${prefix}-${new Date().toISOString().slice(0, 10)}`;
