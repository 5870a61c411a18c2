import { Tabs } from 'antd';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { PageHeader } from '../../layout/Shell';
import { Complaints } from './Complaints';
import { Inbox } from './Inbox';
import { Surveys } from './Surveys';

/** 服务任务: the agents' inbox, satisfaction surveys and the complaint categories. */
export default function Tasks() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const tab = params.get('tab') ?? 'inbox';
  return (
    <>
      <PageHeader title={t('menu.tasks')} />
      <Tabs
        activeKey={tab}
        onChange={(k) => setParams(k === 'inbox' ? {} : { tab: k }, { replace: true })}
        destroyOnHidden
        items={[
          { key: 'inbox', label: t('tasks.inbox'), children: <Inbox /> },
          { key: 'surveys', label: t('tasks.surveys'), children: <Surveys /> },
          { key: 'complaints', label: t('tasks.complaints'), children: <Complaints /> },
        ]}
      />
    </>
  );
}
