import { Button, Popconfirm, Space, Switch } from 'antd';
import { useTranslation } from 'react-i18next';

/**
 * Archiving, the same on every catalogue (coupon templates, points rewards): an archived item leaves the list but
 * keeps its history; "show archived" brings it back into view; archiving asks first and says what it keeps.
 */
export function ShowArchivedSwitch({
  checked,
  onChange,
  testId,
}: {
  checked: boolean;
  onChange: (v: boolean) => void;
  testId: string;
}) {
  const { t } = useTranslation();
  return (
    <Space>
      {t('catalogue.showArchived')}
      <Switch size="small" checked={checked} onChange={onChange} data-testid={testId} />
    </Space>
  );
}

export function ArchiveButton({
  title,
  text,
  onConfirm,
  testId,
}: {
  title: string;
  text: string;
  onConfirm: () => void;
  testId?: string;
}) {
  const { t } = useTranslation();
  return (
    <Popconfirm title={title} description={<div style={{ maxWidth: 280 }}>{text}</div>} onConfirm={onConfirm}>
      <Button size="small" type="link" danger data-testid={testId}>
        {t('catalogue.archive')}
      </Button>
    </Popconfirm>
  );
}
