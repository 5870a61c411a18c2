import { Select } from 'antd';
import { useTranslation } from 'react-i18next';
import { useApi } from '../hooks';
import { segmentName } from '../segment-names';

/** Choose a saved or system segment (audience of a grant, an issue, a campaign). */
export function SegmentSelect({
  value,
  onChange,
  style,
  testId,
}: {
  value?: string;
  onChange?: (v: string) => void;
  style?: React.CSSProperties;
  testId?: string;
}) {
  const { t } = useTranslation();
  const list = useApi('/segments');
  const items = list.data?.items ?? [];
  return (
    <Select
      showSearch
      optionFilterProp="label"
      value={value}
      onChange={onChange}
      style={style}
      data-testid={testId}
      loading={list.loading}
      placeholder={t('segments.choose')}
      options={[
        {
          label: t('segments.saved'),
          options: items.filter((s) => !s.system).map((s) => ({ value: s.id, label: s.name })),
        },
        {
          label: t('segments.system'),
          options: items.filter((s) => s.system).map((s) => ({ value: s.id, label: segmentName(t, s) })),
        },
      ]}
    />
  );
}
