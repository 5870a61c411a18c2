import { Card } from 'antd';
import { useTranslation } from 'react-i18next';
import { NotYet } from '../components/Status';
import { PageHeader } from '../layout/Shell';

/** Menu areas whose back end has not landed yet: what they will do, and what to use meanwhile. */
export default function Upcoming({ area }: { area: 'automations' | 'tasks' }) {
  const { t } = useTranslation();
  return (
    <>
      <PageHeader title={t(`menu.${area}`)} />
      <Card data-testid={`upcoming-${area}`}>
        <NotYet title={t(`upcoming.${area}.title`)} hint={t(`upcoming.${area}.hint`)} />
      </Card>
    </>
  );
}
