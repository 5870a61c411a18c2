import {
  AppstoreOutlined,
  BarChartOutlined,
  CrownOutlined,
  CustomerServiceOutlined,
  DashboardOutlined,
  GiftOutlined,
  ImportOutlined,
  KeyOutlined,
  LogoutOutlined,
  NotificationOutlined,
  PartitionOutlined,
  RobotOutlined,
  SettingOutlined,
  TagsOutlined,
  TeamOutlined,
  UserOutlined,
} from '@ant-design/icons';
import { App, Avatar, Dropdown, Form, Input, Layout, Menu, Modal, Segmented, Select, Space, Typography } from 'antd';
import { Suspense, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { setLanguage, type Language } from '../i18n';
import { can, type Permission, useMe, useSession } from '../session';
import { Loading } from '../components/Status';
import { ApiError, api } from '../api';
import { useAction, useApi } from '../hooks';

/** The menu; `needs`: the permission whose pages it opens (hidden from roles without it). */
export const MENU: { key: string; icon: ReactNode; needs: Permission }[] = [
  { key: '/', icon: <DashboardOutlined />, needs: 'analytics:read' },
  { key: '/customers', icon: <TeamOutlined />, needs: 'customers:read' },
  { key: '/segments', icon: <PartitionOutlined />, needs: 'customers:read' },
  { key: '/members', icon: <CrownOutlined />, needs: 'customers:read' },
  { key: '/points', icon: <AppstoreOutlined />, needs: 'customers:read' },
  { key: '/coupons', icon: <GiftOutlined />, needs: 'customers:read' },
  { key: '/campaigns', icon: <NotificationOutlined />, needs: 'campaigns:read' },
  { key: '/automations', icon: <RobotOutlined />, needs: 'campaigns:read' },
  { key: '/tasks', icon: <CustomerServiceOutlined />, needs: 'tasks:read' },
  { key: '/analytics', icon: <BarChartOutlined />, needs: 'analytics:read' },
  { key: '/imports', icon: <ImportOutlined />, needs: 'import' },
  { key: '/settings', icon: <SettingOutlined />, needs: 'customers:read' },
];

function selectedKey(path: string): string {
  const hit = MENU.filter((m) => m.key !== '/' && (path === m.key || path.startsWith(`${m.key}/`)));
  return hit[0]?.key ?? '/';
}

export function LanguageSwitch() {
  const { i18n } = useTranslation();
  return (
    <Segmented
      size="small"
      value={i18n.language}
      options={[
        { label: '中文', value: 'zh-CN' },
        { label: 'EN', value: 'en' },
      ]}
      onChange={(v) => setLanguage(v as Language)}
      data-testid="language-switch"
    />
  );
}

/** The shops of a login that belongs to several (agencies); nothing for everyone else. */
function WorkspaceSwitch() {
  const { t } = useTranslation();
  const me = useMe();
  const mine = useApi('/workspaces');
  const items = mine.data?.items ?? [];
  if (items.length < 2)
    return (
      <Typography.Text type="secondary">
        <TagsOutlined /> {me.workspace.name}
      </Typography.Text>
    );
  return (
    <Space>
      <TagsOutlined />
      <Select
        size="small"
        style={{ minWidth: 180 }}
        value={me.workspace.id}
        aria-label={t('app.switchWorkspace')}
        options={items.map((w) => ({ value: w.id, label: `${w.name} · ${t(`roles.${w.role}`)}` }))}
        onChange={(workspaceId) =>
          void api.post('/auth/switch-workspace', { workspaceId }).then(() => window.location.assign('/'))
        }
        data-testid="workspace-switch"
      />
    </Space>
  );
}

export function Shell() {
  const { t } = useTranslation();
  const me = useMe();
  const { logout } = useSession();
  const [passwordOpen, setPasswordOpen] = useState(false);
  const location = useLocation();
  const navigate = useNavigate();
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider
        width={208}
        breakpoint="lg"
        collapsedWidth={64}
        theme="dark"
        style={{ position: 'sticky', top: 0, height: '100vh', overflow: 'auto' }}
      >
        <Link
          to="/"
          style={{ display: 'flex', alignItems: 'center', gap: 10, height: 56, padding: '0 20px', color: '#fff' }}
        >
          <img src="/favicon.svg" width={28} height={28} alt="" />
          <span style={{ fontSize: 18, fontWeight: 600, whiteSpace: 'nowrap' }}>{t('app.name')}</span>
        </Link>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={[selectedKey(location.pathname)]}
          items={MENU.filter((m) => can(me, m.needs)).map((m) => ({
            key: m.key,
            icon: m.icon,
            label: t(`menu.${m.key === '/' ? 'dashboard' : m.key.slice(1)}`),
          }))}
          onClick={(e) => navigate(e.key)}
          data-testid="side-menu"
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 24px',
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'space-between',
            borderBottom: '1px solid #f0f0f0',
            height: 56,
            lineHeight: '56px',
          }}
        >
          <WorkspaceSwitch />
          <Space size="large">
            <LanguageSwitch />
            <Dropdown
              menu={{
                items: [
                  { key: 'role', label: t(`roles.${me.user.role}`), disabled: true },
                  {
                    key: 'password',
                    icon: <KeyOutlined />,
                    label: t('password.menu'),
                    onClick: () => setPasswordOpen(true),
                  },
                  {
                    key: 'logout',
                    icon: <LogoutOutlined />,
                    label: t('app.logout'),
                    onClick: () => void logout().then(() => navigate('/login')),
                  },
                ],
              }}
            >
              <Space style={{ cursor: 'pointer' }} data-testid="user-menu">
                <Avatar size="small" icon={<UserOutlined />} style={{ background: '#fa541c' }} />
                <span>{me.user.name}</span>
              </Space>
            </Dropdown>
          </Space>
        </Layout.Header>
        <ChangePassword open={passwordOpen} onClose={() => setPasswordOpen(false)} />
        <Layout.Content style={{ padding: 24, minWidth: 0 }}>
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

/** Title row of a page: title, a line of help, actions on the right. */
export function PageHeader({ title, subtitle, extra }: { title: ReactNode; subtitle?: ReactNode; extra?: ReactNode }) {
  return (
    <div
      style={{
        display: 'flex',
        justifyContent: 'space-between',
        alignItems: 'flex-start',
        marginBottom: 16,
        gap: 16,
        flexWrap: 'wrap',
      }}
    >
      <div>
        <Typography.Title level={4} style={{ margin: 0 }}>
          {title}
        </Typography.Title>
        {subtitle && <Typography.Text type="secondary">{subtitle}</Typography.Text>}
      </div>
      {extra && <Space wrap>{extra}</Space>}
    </div>
  );
}

/** 修改密码: the current one, the new one twice; the server ends every other session and keeps this one. */
function ChangePassword({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ currentPassword: string; newPassword: string; confirm: string }>();
  const { busy, run } = useAction();
  const submit = () =>
    run(async () => {
      const v = await form.validateFields();
      try {
        await api.post('/auth/password', { currentPassword: v.currentPassword, newPassword: v.newPassword });
      } catch (e) {
        // The new password is checked here first, so a 400 means the current one is wrong.
        if (e instanceof ApiError && e.status === 400) {
          form.setFields([{ name: 'currentPassword', errors: [t('password.wrongCurrent')] }]);
          return;
        }
        throw e;
      }
      form.resetFields();
      onClose();
      void message.success(t('password.changed'));
    });
  return (
    <Modal
      open={open}
      title={t('password.title')}
      onCancel={() => {
        form.resetFields();
        onClose();
      }}
      onOk={() => void submit()}
      okText={t('password.submit')}
      confirmLoading={busy}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" data-testid="password-form">
        <Form.Item
          name="currentPassword"
          label={t('password.current')}
          rules={[{ required: true, message: t('password.currentRequired') }]}
        >
          <Input.Password autoComplete="current-password" autoFocus />
        </Form.Item>
        <Form.Item
          name="newPassword"
          label={t('password.new')}
          extra={t('password.rule')}
          rules={[
            { required: true, message: t('password.newRequired') },
            { min: 8, message: t('password.tooShort') },
            ({ getFieldValue }) => ({
              validator: (_, value: string | undefined) =>
                value && value === getFieldValue('currentPassword')
                  ? Promise.reject(new Error(t('password.same')))
                  : Promise.resolve(),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          name="confirm"
          label={t('password.confirm')}
          dependencies={['newPassword']}
          rules={[
            { required: true, message: t('password.confirmRequired') },
            ({ getFieldValue }) => ({
              validator: (_, value: string | undefined) =>
                !value || value === getFieldValue('newPassword')
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('password.mismatch'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
