import { Tag } from 'antd';
import { useTranslation } from 'react-i18next';

// i18n-ignore-start: RFM class names are values stored in the data.
const RFM_COLORS: Record<string, string> = {
  重要价值: 'volcano',
  重要发展: 'orange',
  重要保持: 'gold',
  重要挽留: 'magenta',
  一般价值: 'blue',
  一般发展: 'cyan',
  一般保持: 'geekblue',
  一般挽留: 'default',
}; // i18n-ignore-end
const LIFECYCLE_COLORS: Record<string, string> = {
  prospect: 'default',
  new: 'green',
  growing: 'cyan',
  mature: 'blue',
  dormant: 'orange',
  churned: 'red',
};

/** RFM class as a coloured tag, in the UI language. */
export function RfmTag({ value }: { value: string | null }) {
  const { t } = useTranslation();
  if (!value || value === 'none') return <span style={{ color: '#bfbfbf' }}>—</span>;
  return <Tag color={RFM_COLORS[value]}>{t(`rfm.class.${value}`, value)}</Tag>;
}

export function LifecycleTag({ value }: { value: string | null }) {
  const { t } = useTranslation();
  if (!value) return <span style={{ color: '#bfbfbf' }}>—</span>;
  return <Tag color={LIFECYCLE_COLORS[value]}>{t(`lifecycle.${value}`, value)}</Tag>;
}

/** Marketing consent: 已授权 in a column headed 营销授权; `long` says what it is about where no heading does. */
export function ConsentTag({ value, long }: { value: string; long?: boolean }) {
  const { t } = useTranslation();
  return (
    <Tag color={value === 'granted' ? 'green' : value === 'denied' ? 'red' : 'default'} data-testid="consent-tag">
      {t(`${long ? 'consentLong' : 'consent'}.${value}`, value)}
    </Tag>
  );
}

export function OrderStatusTag({ value }: { value: string }) {
  const { t } = useTranslation();
  const color = {
    created: 'default',
    paid: 'blue',
    shipped: 'cyan',
    signed: 'green',
    completed: 'green',
    closed: 'default',
    refunded: 'red',
  }[value];
  return <Tag color={color}>{t(`orderStatus.${value}`, value)}</Tag>;
}
