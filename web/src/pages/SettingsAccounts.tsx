import { CopyOutlined } from '@ant-design/icons';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  DatePicker,
  Input,
  Popconfirm,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api } from '../api';
import { ErrorBox } from '../components/Status';
import { dateTime } from '../format';
import { useAction, useApi } from '../hooks';
import { can, useMe } from '../session';

const ROLES = ['owner', 'admin', 'marketer', 'agent', 'analyst'] as const;
type Role = (typeof ROLES)[number];

export interface UserRow {
  id: string;
  login: string;
  name: string;
  role: string;
  disabled: boolean;
}

/** 设置 → 用户: change role, disable / enable, delete (the server ends their sessions and tokens). */
export function UserActions({ user, onChanged }: { user: UserRow; onChanged: () => void }) {
  const { t } = useTranslation();
  const me = useMe();
  const { run, busy } = useAction();
  const self = user.id === me.user.id;
  const mayTouch = me.user.role === 'owner' || user.role !== 'owner';
  const patch = (body: { role?: Role; disabled?: boolean }) =>
    run(async () => {
      await api.patch('/users/{id}', body, { params: { id: user.id } });
      onChanged();
    });
  if (self || !mayTouch) return null;
  return (
    <Space size="small">
      <Select<Role>
        size="small"
        style={{ width: 110 }}
        value={user.role as Role}
        disabled={busy}
        aria-label={t('accounts.changeRole')}
        onChange={(role: Role) => void patch({ role })}
        options={ROLES.filter((r) => r !== 'owner' || me.user.role === 'owner').map((r) => ({
          value: r,
          label: t(`roles.${r}`),
        }))}
      />
      {user.disabled ? (
        <Button size="small" disabled={busy} onClick={() => void patch({ disabled: false })}>
          {t('accounts.enable')}
        </Button>
      ) : (
        <Popconfirm
          title={t('accounts.disableConfirm', { login: user.login })}
          onConfirm={() => patch({ disabled: true })}
        >
          <Button size="small" disabled={busy}>
            {t('accounts.disable')}
          </Button>
        </Popconfirm>
      )}
      <Popconfirm
        title={t('accounts.deleteConfirm', { login: user.login })}
        onConfirm={() =>
          run(async () => {
            await api.delete('/users/{id}', { params: { id: user.id } });
            onChanged();
          })
        }
      >
        <Button size="small" danger disabled={busy}>
          {t('accounts.delete')}
        </Button>
      </Popconfirm>
    </Space>
  );
}

type TokenRow = Answer<'/auth/tokens'>['items'][number];

/** 设置 → API 令牌: create (name, read-only or read-write, expiry), list and revoke. */
export function Tokens() {
  const { t } = useTranslation();
  const me = useMe();
  const manages = can(me, 'users:manage');
  const tokens = useApi('/auth/tokens', { query: manages ? { all: 'true' } : {} });
  const [name, setName] = useState('');
  const [readOnly, setReadOnly] = useState(false);
  const [expires, setExpires] = useState<Dayjs | null>(null);
  const [token, setToken] = useState<string | null>(null);
  const { run } = useAction();
  const create = () =>
    run(async () => {
      const r = await api.post('/auth/tokens', {
        name,
        scopes: readOnly ? ['read'] : ['read', 'write'],
        expiresAt: expires ? expires.endOf('day').toISOString() : null,
      });
      setToken(r.token);
      setName('');
      tokens.reload();
    });
  const revoke = (id: string) =>
    run(async () => {
      await api.delete('/auth/tokens/{id}', { params: { id } });
      tokens.reload();
    });
  return (
    <Card size="small">
      <Typography.Paragraph type="secondary">{t('settings.tokensHint')}</Typography.Paragraph>
      {can(me, 'tokens:manage') && (
        <Space wrap style={{ marginBottom: 12 }}>
          <Input
            style={{ width: 260 }}
            placeholder={t('settings.tokenName')}
            value={name}
            onChange={(e) => setName(e.target.value)}
            maxLength={64}
          />
          <Checkbox checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)}>
            {t('accounts.readOnly')}
          </Checkbox>
          <DatePicker
            placeholder={t('accounts.expiresNever')}
            value={expires}
            onChange={setExpires}
            aria-label={t('accounts.expires')}
          />
          <Button type="primary" disabled={!name.trim()} onClick={() => void create()}>
            {t('settings.createToken')}
          </Button>
        </Space>
      )}
      {token && (
        <Alert
          style={{ marginBottom: 12 }}
          type="success"
          showIcon
          message={t('settings.tokenOnce')}
          description={
            <Typography.Text code copyable={{ icon: <CopyOutlined /> }}>
              {token}
            </Typography.Text>
          }
        />
      )}
      {tokens.error ? (
        <ErrorBox error={tokens.error} onRetry={tokens.reload} />
      ) : (
        <Table<TokenRow>
          rowKey="id"
          size="small"
          loading={tokens.loading}
          dataSource={tokens.data?.items ?? []}
          pagination={false}
          columns={[
            { title: t('accounts.tokenName'), dataIndex: 'name' },
            { title: t('settings.login'), dataIndex: 'login' },
            {
              title: t('accounts.scopes'),
              dataIndex: 'scopes',
              render: (s: string[]) => (s.includes('write') ? t('accounts.readWrite') : t('accounts.readOnly')),
            },
            { title: t('settings.createdAt'), dataIndex: 'createdAt', render: (v: string) => dateTime(v) },
            {
              title: t('accounts.expires'),
              dataIndex: 'expiresAt',
              render: (v: string | null) => (v ? dateTime(v) : t('accounts.expiresNever')),
            },
            {
              title: t('accounts.lastUsed'),
              dataIndex: 'lastUsedAt',
              render: (v: string | null) => (v ? dateTime(v) : '—'),
            },
            {
              title: t('accounts.state'),
              key: 'state',
              render: (_: unknown, r: TokenRow) =>
                r.revokedAt ? (
                  <Tag>{t('accounts.revoked')}</Tag>
                ) : r.active ? (
                  <Tag color="green">{t('accounts.active')}</Tag>
                ) : (
                  <Tag color="orange">{t('accounts.expired')}</Tag>
                ),
            },
            {
              key: 'actions',
              render: (_: unknown, r: TokenRow) =>
                r.active ? (
                  <Popconfirm title={t('accounts.revokeConfirm', { name: r.name })} onConfirm={() => revoke(r.id)}>
                    <Button size="small" danger>
                      {t('accounts.revoke')}
                    </Button>
                  </Popconfirm>
                ) : null,
            },
          ]}
        />
      )}
    </Card>
  );
}
