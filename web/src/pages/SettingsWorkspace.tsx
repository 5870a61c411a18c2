import { Alert, App, Button, Card, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { TimeZoneSelect, zoneName } from '../components/TimeZoneSelect';
import { useAction } from '../hooks';
import { can, useMe, useSession } from '../session';

/**
 * The workspace's time zone. Saving asks first and says what follows: the figures built on local days are
 * recomputed in the background, nightly runs move with the zone, and what already happened stays as written.
 */
export function WorkspaceSettings() {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const me = useMe();
  const { refresh } = useSession();
  const current = me.workspace.timezone;
  const [zone, setZone] = useState(current);
  useEffect(() => setZone(current), [current]);
  const { busy, run } = useAction();
  const configures = can(me, 'settings:write');
  const save = () =>
    modal.confirm({
      title: t('timeZones.confirmTitle', { from: zoneName(t, current), to: zoneName(t, zone) }),
      width: 520,
      okText: t('timeZones.confirmOk'),
      content: (
        <div data-testid="timezone-confirm">
          <p>{t('timeZones.confirmLead')}</p>
          <ul style={{ paddingInlineStart: 20 }}>
            <li>{t('timeZones.confirmRebuild')}</li>
            <li>{t('timeZones.confirmSchedules')}</li>
            <li>{t('timeZones.confirmKept')}</li>
          </ul>
        </div>
      ),
      onOk: () =>
        run(async () => {
          const r = await api.put('/workspace/timezone', { timezone: zone });
          void message.success(
            r.rebuilding.length ? t('timeZones.saved', { tz: zoneName(t, r.timezone) }) : t('timeZones.unchanged'),
          );
          await refresh();
        }),
    });
  return (
    <Card size="small" title={t('timeZones.title')} style={{ maxWidth: 720 }}>
      <Typography.Paragraph type="secondary">{t('timeZones.hint')}</Typography.Paragraph>
      {!configures && <Alert type="info" showIcon message={t('timeZones.readOnly')} style={{ marginBottom: 12 }} />}
      <Space wrap>
        <span>{t('timeZones.current')}</span>
        <TimeZoneSelect
          value={zone}
          onChange={setZone}
          disabled={!configures}
          testId="workspace-timezone"
          width={380}
        />
        {configures && (
          <Button
            type="primary"
            loading={busy}
            disabled={zone === current}
            onClick={save}
            data-testid="workspace-timezone-save"
          >
            {t('timeZones.save')}
          </Button>
        )}
      </Space>
    </Card>
  );
}
