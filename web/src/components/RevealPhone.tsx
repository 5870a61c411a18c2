import { EyeOutlined } from '@ant-design/icons';
import { Button, Space, Tooltip } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { useAction } from '../hooks';
import { useMe } from '../session';

/** Roles the server gives `pii:reveal` (src/modules/auth/permissions.ts); owners and admins see phones in full. */
const REVEALS = new Set(['owner', 'admin', 'agent']);

/**
 * A phone as the server sent it (masked for most roles), with a Show button beside a masked one for a role that may
 * reveal it: the full number comes from POST /customers/{id}/reveal, which writes an audit entry.
 */
export function RevealPhone({ customerId, phone }: { customerId: string; phone: string | null }) {
  const { t } = useTranslation();
  const me = useMe();
  const { run, busy } = useAction();
  const [full, setFull] = useState<string | null>(null);
  if (!phone) return <>—</>;
  if (full !== null) return <>{full}</>;
  const masked = phone.includes('*');
  if (!masked || !REVEALS.has(me.user.role)) return <>{phone}</>;
  const reveal = () =>
    run(async () => {
      const r = await api.post('/customers/{id}/reveal', { fields: ['phone'] }, { params: { id: customerId } });
      setFull(r.phone ?? '—');
    });
  return (
    <Space size={4}>
      <span>{phone}</span>
      <Tooltip title={t('customerDetail.revealHint')}>
        <Button size="small" type="link" icon={<EyeOutlined />} loading={busy} onClick={() => void reveal()}>
          {t('customerDetail.reveal')}
        </Button>
      </Tooltip>
    </Space>
  );
}
