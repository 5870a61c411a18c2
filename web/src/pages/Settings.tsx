import { PlusOutlined, SyncOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Radio,
  Select,
  Space,
  Switch,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { type Answer, api } from '../api';
import { useJobResult } from '../jobs';
import { ErrorBox, Loading } from '../components/Status';
import { dateTime } from '../format';
import { useAction, useApi } from '../hooks';
import { PageHeader } from '../layout/Shell';
import { ChannelSettings, SendRules } from './campaigns/ChannelSettings';
import { can, useMe } from '../session';
import { Tokens, UserActions } from './SettingsAccounts';
import { AuditLog } from './SettingsAudit';
import { WorkspaceSettings } from './SettingsWorkspace';
import { TimeZoneSelect, zoneName } from '../components/TimeZoneSelect';

type Store = Answer<'/stores/{id}'>;

const PLATFORMS = ['taobao', 'tmall', 'jd', 'douyin', 'shopify', 'other'];
const ROLES = ['owner', 'admin', 'marketer', 'agent', 'analyst'];

export default function Settings() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const me = useMe();
  const manages = can(me, 'users:manage');
  const configures = can(me, 'settings:write');
  return (
    <>
      <PageHeader
        title={t('menu.settings')}
        subtitle={t('settings.subtitle', { ws: me.workspace.name, tz: zoneName(t, me.workspace.timezone) })}
      />
      <Tabs
        activeKey={params.get('tab') ?? 'stores'}
        onChange={(k) => setParams({ tab: k })}
        items={[
          { key: 'stores', label: t('settings.stores'), children: <Stores manages={configures} /> },
          { key: 'workspace', label: t('timeZones.tab'), children: <WorkspaceSettings /> },
          {
            key: 'users',
            label: t('settings.users'),
            children: manages ? <Users /> : <Alert type="info" showIcon message={t('settings.usersOwnerOnly')} />,
          },
          {
            key: 'rfm',
            label: t('settings.rfm'),
            // An agent reads no analytics: one line why, not a failed load with 重试.
            children: can(me, 'analytics:read') ? (
              <RfmSettings manages={configures} />
            ) : (
              <Alert type="info" showIcon message={t('settings.rfmNoAccess')} data-testid="rfm-no-access" />
            ),
          },
          {
            key: 'channels',
            label: t('settings.channels'),
            children: <ChannelSettings manages={configures} />,
          },
          { key: 'sendRules', label: t('channels.rules'), children: <SendRules manages={configures} /> },
          { key: 'tokens', label: t('settings.tokens'), children: <Tokens /> },
          {
            key: 'audit',
            label: t('settings.audit'),
            children: manages ? <AuditLog /> : <Alert type="info" showIcon message={t('audit.ownerOnly')} />,
          },
        ]}
      />
    </>
  );
}

/** The shop's stores; added, edited and deleted by owners and admins (`manages`). */
function Stores({ manages }: { manages: boolean }) {
  const { t } = useTranslation();
  const stores = useApi('/stores');
  const [editing, setEditing] = useState<Store | 'new' | null>(null);
  const [form] = Form.useForm();
  useEffect(() => {
    if (editing)
      form.setFieldsValue(
        editing === 'new' ? { name: '', platform: 'taobao', timezone: 'Asia/Shanghai', currency: 'CNY' } : editing,
      );
  }, [editing, form]);
  const { run } = useAction();
  const save = () =>
    run(async () => {
      const v = await form.validateFields();
      if (editing === 'new') await api.post('/stores', v);
      else if (editing)
        await api.patch(
          '/stores/{id}',
          { name: v.name, timezone: v.timezone, currency: v.currency },
          { params: { id: editing.id } },
        );
      setEditing(null);
      stores.reload();
    });
  if (stores.error) return <ErrorBox error={stores.error} onRetry={stores.reload} />;
  return (
    <Card
      size="small"
      extra={
        manages && (
          <Button size="small" icon={<PlusOutlined />} onClick={() => setEditing('new')}>
            {t('settings.addStore')}
          </Button>
        )
      }
    >
      <Table<Store>
        rowKey="id"
        size="small"
        loading={stores.loading}
        dataSource={stores.data?.items ?? []}
        pagination={false}
        columns={[
          { title: t('settings.storeName'), dataIndex: 'name' },
          {
            title: t('settings.platform'),
            dataIndex: 'platform',
            render: (p: string) => <Tag>{t(`platforms.${p}`, p)}</Tag>,
          },
          { title: t('settings.timezone'), dataIndex: 'timezone', render: (z: string) => zoneName(t, z) },
          { title: t('settings.currency'), dataIndex: 'currency' },
          { title: t('settings.createdAt'), dataIndex: 'createdAt', render: (v: string) => dateTime(v) },
          {
            title: '',
            key: 'a',
            render: (_, s) =>
              manages && (
                <Space>
                  <Button size="small" type="link" onClick={() => setEditing(s)}>
                    {t('common.edit')}
                  </Button>
                  <Popconfirm
                    title={t('settings.deleteStore')}
                    onConfirm={() =>
                      run(async () => {
                        await api.delete('/stores/{id}', { params: { id: s.id } });
                        stores.reload();
                      })
                    }
                  >
                    <Button size="small" type="link" danger>
                      {t('common.delete')}
                    </Button>
                  </Popconfirm>
                </Space>
              ),
          },
        ]}
      />
      <Modal
        open={editing !== null}
        title={editing === 'new' ? t('settings.addStore') : t('common.edit')}
        onOk={() => void save()}
        onCancel={() => setEditing(null)}
        destroyOnHidden
      >
        <Form form={form} layout="vertical">
          <Form.Item
            name="name"
            label={t('settings.storeName')}
            rules={[{ required: true, whitespace: true, message: t('common.required') }]}
          >
            <Input maxLength={60} />
          </Form.Item>
          <Form.Item name="platform" label={t('settings.platform')}>
            <Select
              disabled={editing !== 'new'}
              options={PLATFORMS.map((p) => ({ value: p, label: t(`platforms.${p}`) }))}
            />
          </Form.Item>
          <Form.Item name="timezone" label={t('settings.timezone')}>
            <TimeZoneSelect testId="store-timezone" width={420} />
          </Form.Item>
          <Form.Item name="currency" label={t('settings.currency')} extra={t('settings.currencyHint')}>
            <Input maxLength={3} style={{ width: 120 }} data-testid="store-currency" />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}

function Users() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const users = useApi('/users');
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm();
  const { run } = useAction();
  const save = () =>
    run(async () => {
      const v = await form.validateFields();
      const made = await api.post('/users', v);
      setOpen(false);
      form.resetFields();
      users.reload();
      void message.success(t('settings.userAdded', { login: made.login }));
    });
  if (users.error) return <ErrorBox error={users.error} onRetry={users.reload} />;
  return (
    <Card
      size="small"
      extra={
        <Button size="small" icon={<PlusOutlined />} onClick={() => setOpen(true)}>
          {t('settings.addUser')}
        </Button>
      }
    >
      <Table
        rowKey="id"
        size="small"
        loading={users.loading}
        dataSource={users.data?.items ?? []}
        pagination={false}
        columns={[
          { title: t('settings.login'), dataIndex: 'login' },
          { title: t('settings.userName'), dataIndex: 'name' },
          {
            title: t('settings.role'),
            dataIndex: 'role',
            render: (r: string) => <Tag color={r === 'owner' ? 'volcano' : 'blue'}>{t(`roles.${r}`)}</Tag>,
          },
          {
            title: t('settings.seesPhones'),
            dataIndex: 'role',
            key: 'pii',
            render: (r: string) => (r === 'owner' || r === 'admin' ? t('common.yes') : t('settings.masked')),
          },
          { title: t('settings.createdAt'), dataIndex: 'createdAt', render: (v: string) => dateTime(v) },
          {
            title: t('accounts.state'),
            dataIndex: 'disabled',
            render: (d: boolean) =>
              d ? <Tag>{t('accounts.disabled')}</Tag> : <Tag color="green">{t('accounts.active')}</Tag>,
          },
          {
            key: 'actions',
            render: (_: unknown, u: { id: string; login: string; name: string; role: string; disabled: boolean }) => (
              <UserActions user={u} onChanged={users.reload} />
            ),
          },
        ]}
      />
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, marginBottom: 0 }}>
        {t('settings.rolesHint')}
      </Typography.Paragraph>
      <Modal
        open={open}
        title={t('settings.addUser')}
        onOk={() => void save()}
        onCancel={() => setOpen(false)}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" initialValues={{ role: 'marketer' }}>
          <Form.Item
            name="login"
            label={t('settings.login')}
            rules={[{ required: true, message: t('common.required') }]}
          >
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item name="name" label={t('settings.userName')}>
            <Input />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('settings.password')}
            rules={[{ required: true, min: 8, message: t('settings.passwordRule') }]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="role" label={t('settings.role')}>
            <Select options={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))} />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}

/** RFM cut-offs and the purchase rule; saved by owners and admins (`manages`). */
function RfmSettings({ manages }: { manages: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const s = useApi('/rfm/settings');
  const [form] = Form.useForm();
  const { busy, run } = useAction();
  const followJob = useJobResult();
  // Spend thresholds are fen in the API and yuan on screen, like every amount the seller reads.
  useEffect(() => {
    if (s.data) {
      const th = s.data.thresholds;
      form.setFieldsValue({ ...s.data, thresholds: th && { ...th, spentFen: th.spentFen.map((f) => f / 100) } });
    }
  }, [s.data, form]);
  if (s.error) return <ErrorBox error={s.error} onRetry={s.reload} />;
  if (!s.data) return <Loading />;
  const save = (recompute: boolean) =>
    run(async () => {
      const v = await form.validateFields();
      const th = v.thresholds as { spentFen: number[] } | undefined;
      const thresholds = th && { ...th, spentFen: th.spentFen.map((y) => Math.round(y * 100)) };
      await api.put('/rfm/settings', { ...s.data, ...v, ...(thresholds ? { thresholds } : {}) });
      if (recompute) await followJob(await api.post('/rfm/recompute'));
      void message.success(recompute ? t('settings.recomputed') : t('common.saved'));
      s.reload();
    });
  return (
    <Card size="small" style={{ maxWidth: 640 }}>
      <Form form={form} layout="horizontal" labelCol={{ span: 10 }}>
        <Form.Item name="dormantDays" label={t('settings.dormantDays')}>
          <InputNumber min={1} addonAfter={t('common.days')} />
        </Form.Item>
        <Form.Item name="churnDays" label={t('settings.churnDays')}>
          <InputNumber min={1} addonAfter={t('common.days')} />
        </Form.Item>
        <Form.Item name="matureOrders" label={t('settings.matureOrders')}>
          <InputNumber min={2} />
        </Form.Item>
        <Form.Item name="churnRiskDays" label={t('settings.churnRiskDays')}>
          <InputNumber min={1} addonAfter={t('common.days')} />
        </Form.Item>
        <Form.Item name="scoring" label={t('settings.rfmScoring')} extra={t('settings.rfmScoringHint')}>
          <Radio.Group
            options={[
              { value: 'quintiles', label: t('settings.rfmQuintiles') },
              { value: 'thresholds', label: t('settings.rfmThresholds') },
            ]}
          />
        </Form.Item>
        <Form.Item noStyle shouldUpdate={(a, b) => a.scoring !== b.scoring}>
          {({ getFieldValue }) =>
            getFieldValue('scoring') === 'thresholds' &&
            (['recencyDays', 'orders', 'spentFen'] as const).map((k) => (
              <Form.Item key={k} label={t(`settings.rfmThreshold.${k}`)}>
                <Space size={4}>
                  {[0, 1, 2, 3].map((i) => (
                    <Form.Item
                      key={i}
                      noStyle
                      name={['thresholds', k, i]}
                      rules={[{ required: true, message: t('common.required') }]}
                    >
                      <InputNumber min={0} style={{ width: 80 }} />
                    </Form.Item>
                  ))}
                </Space>
              </Form.Item>
            ))
          }
        </Form.Item>
      </Form>
      {manages ? (
        <Space>
          <Button loading={busy} onClick={() => void save(false)}>
            {t('common.save')}
          </Button>
          <Button type="primary" icon={<SyncOutlined />} loading={busy} onClick={() => void save(true)}>
            {t('settings.saveAndRecompute')}
          </Button>
        </Space>
      ) : (
        <Alert type="info" showIcon message={t('settings.rfmReadOnly')} />
      )}
      <PurchaseSetting manages={manages} />
    </Card>
  );
}

/** Whether 0-yuan orders (gifts, samples) make a buyer; a change recomputes every customer's stats. */
function PurchaseSetting({ manages }: { manages: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const s = useApi('/stats/settings');
  const { busy, run } = useAction();
  if (!s.data) return null;
  const change = (zeroPaidCounts: boolean) =>
    run(async () => {
      await api.put('/stats/settings', { zeroPaidCounts });
      void message.success(t('settings.statsRecomputeQueued'));
      s.reload();
    });
  return (
    <Space align="start" style={{ marginTop: 16 }}>
      <Switch checked={s.data.zeroPaidCounts} loading={busy} disabled={!manages} onChange={(v) => void change(v)} />
      <div>
        <Typography.Text>{t('settings.zeroPaidCounts')}</Typography.Text>
        <div className="kpi-foot">{t('settings.zeroPaidCountsHint')}</div>
      </div>
    </Space>
  );
}
