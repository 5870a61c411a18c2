import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  InputNumber,
  Modal,
  Row,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { ErrorBox, Loading } from '../../components/Status';
import { type ReasonCode, reasonText } from '../../errors';
import { dateTime } from '../../format';
import { useAction, useApi } from '../../hooks';
import { EditChannel, isProvider, ProviderFields, providerInput, type ProviderValues } from './ProviderFields';
import type { Channel, ChannelInput, MessagingSettings } from './types';

type Kind = Channel['kind'];
const KINDS: Kind[] = ['outbox', 'aliyun_sms', 'tencent_sms', 'wecom', 'email', 'webhook', 'platform'];
const MEDIUMS = ['sms', 'email', 'wechat'] as const;

interface ChannelForm extends ProviderValues {
  name: string;
  kind: Kind;
  medium?: (typeof MEDIUMS)[number];
  host?: string;
  port?: number;
  secure?: boolean;
  user?: string;
  from?: string;
  password?: string;
  url?: string;
  signingSecret?: string;
}

function toInput(v: ChannelForm): ChannelInput {
  if (isProvider(v.kind)) {
    const { config, credentials } = providerInput(v.kind, v);
    return { name: v.name, kind: v.kind, config, credentials } as ChannelInput;
  }
  switch (v.kind) {
    case 'email':
      return {
        name: v.name,
        kind: 'email',
        config: {
          host: v.host ?? '',
          port: v.port ?? 587,
          secure: v.secure ?? false,
          from: v.from ?? '',
          ...(v.user ? { user: v.user } : {}),
        },
        ...(v.password ? { credentials: { password: v.password } } : {}),
      };
    case 'webhook':
      return {
        name: v.name,
        kind: 'webhook',
        config: { url: v.url ?? '', medium: v.medium ?? 'sms' },
        credentials: { signingSecret: v.signingSecret ?? '' },
      };
    case 'platform':
      return { name: v.name, kind: 'platform', config: {} };
    default:
      return { name: v.name, kind: 'outbox', config: { medium: v.medium ?? 'sms' } };
  }
}

/** Add a channel: its settings, and credentials that are stored encrypted and never shown again. */
function AddChannel({ open, onClose, onDone }: { open: boolean; onClose: () => void; onDone: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<ChannelForm>();
  const kind = Form.useWatch('kind', form) ?? 'outbox';
  const { busy, run } = useAction();
  const mediumSelect = (
    <Form.Item name="medium" label={t('channels.medium')} initialValue="sms">
      <Select options={MEDIUMS.map((m) => ({ value: m, label: t(`campaigns.mediums.${m}`) }))} />
    </Form.Item>
  );
  const required = [{ required: true, message: t('common.required') }];
  return (
    <Modal
      open={open}
      width={640}
      title={t('channels.add')}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
      onOk={() =>
        run(async () => {
          const v = await form.validateFields();
          await api.post('/messaging/channels', toInput(v));
          void message.success(t('channels.created'));
          form.resetFields();
          onDone();
        })
      }
    >
      <Form form={form} layout="vertical" initialValues={{ kind: 'outbox' }} preserve={false}>
        <Form.Item name="name" label={t('channels.name')} rules={required}>
          <Input maxLength={60} data-testid="channel-name" />
        </Form.Item>
        <Form.Item name="kind" label={t('channels.kind')}>
          <Select options={KINDS.map((k) => ({ value: k, label: t(`channels.kinds.${k}`) }))} />
        </Form.Item>
        {kind === 'outbox' && mediumSelect}
        {isProvider(kind) && <ProviderFields kind={kind} />}
        {kind === 'email' && (
          <>
            <Row gutter={12}>
              <Col span={16}>
                <Form.Item name="host" label={t('channels.host')} rules={required}>
                  <Input placeholder="smtp.example.com" />
                </Form.Item>
              </Col>
              <Col span={8}>
                <Form.Item name="port" label={t('channels.port')} initialValue={587}>
                  <InputNumber min={1} max={65535} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            </Row>
            <Form.Item name="secure" label={t('channels.secure')} valuePropName="checked">
              <Switch />
            </Form.Item>
            <Form.Item name="from" label={t('channels.from')} rules={required}>
              <Input placeholder="shop@example.com" />
            </Form.Item>
            <Form.Item name="user" label={t('channels.user')}>
              <Input autoComplete="off" />
            </Form.Item>
            <Form.Item name="password" label={t('channels.password')} extra={t('channels.credentialsHint')}>
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          </>
        )}
        {kind === 'webhook' && (
          <>
            <Form.Item
              name="url"
              label={t('channels.url')}
              rules={[
                ...required,
                // Said here, not after the whole form was filled (the server refused it last).
                { type: 'url', message: t('channels.urlInvalid') },
                { pattern: /^https?:\/\//i, message: t('channels.urlInvalid') },
              ]}
            >
              <Input placeholder="https://" />
            </Form.Item>
            {mediumSelect}
            <Form.Item
              name="signingSecret"
              label={t('channels.signingSecret')}
              extra={t('channels.credentialsHint')}
              rules={[...required, { min: 16, message: t('channels.signingSecret') }]}
            >
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          </>
        )}
      </Form>
    </Modal>
  );
}

/** Send a test message through a channel to a member of staff. */
function TestSend({ channel, onClose }: { channel: Channel | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ to: string; text: string }>();
  const { busy, run } = useAction();
  return (
    <Modal
      open={channel !== null}
      title={`${t('channels.test')} · ${channel?.name ?? ''}`}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
      onOk={() =>
        run(async () => {
          const v = await form.validateFields();
          await api.post('/messaging/channels/{id}/test', v, { params: { id: channel?.id ?? '' } });
          void message.success(t('channels.testSent'));
          onClose();
        })
      }
    >
      <Form form={form} layout="vertical" initialValues={{ text: t('channels.testDefault') }} preserve={false}>
        <Form.Item
          name="to"
          label={t('channels.testTo')}
          extra={channel && t(`channels.testToHint.${channel.kind === 'aliyun_sms' ? 'aliyun' : channel.medium}`)}
          rules={[{ required: true, message: t('common.required') }]}
        >
          <Input data-testid="test-to" />
        </Form.Item>
        <Form.Item
          name="text"
          label={t('channels.testText')}
          rules={[{ required: true, message: t('common.required') }]}
        >
          <Input.TextArea rows={3} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

/** 设置 → 渠道: the workspace's channels, credentials only ever shown as "stored". */
export function ChannelSettings({ manages }: { manages: boolean }) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const list = useApi('/messaging/channels');
  const [adding, setAdding] = useState(false);
  const [testing, setTesting] = useState<Channel | null>(null);
  const [editing, setEditing] = useState<Channel | null>(null);
  const { run } = useAction();
  if (list.error) return <ErrorBox error={list.error} onRetry={list.reload} />;
  return (
    <Card
      title={t('channels.title')}
      extra={
        manages && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setAdding(true)} data-testid="add-channel">
            {t('channels.add')}
          </Button>
        )
      }
    >
      {!manages && <Alert type="info" showIcon message={t('channels.adminOnly')} style={{ marginBottom: 16 }} />}
      <Table<Channel>
        rowKey="id"
        size="small"
        loading={list.loading}
        dataSource={list.data?.items}
        pagination={false}
        data-testid="channels"
        columns={[
          { title: t('channels.name'), dataIndex: 'name' },
          { title: t('channels.kind'), dataIndex: 'kind', render: (k: Kind) => t(`channels.kinds.${k}`) },
          {
            title: t('channels.medium'),
            dataIndex: 'medium',
            render: (m: Channel['medium']) => t(`campaigns.mediums.${m}`),
          },
          {
            // Where it sends: an SMTP server with its sender, a webhook's URL (which of two webhooks is which).
            title: t('channels.target'),
            key: 'target',
            render: (_: unknown, c) => {
              const cfg = c.config as { host?: string; port?: number; from?: string; url?: string };
              if (c.kind === 'email' && cfg.host)
                return `${cfg.host}:${cfg.port ?? ''}${cfg.from ? ` · ${cfg.from}` : ''}`;
              return c.kind === 'webhook' && cfg.url ? cfg.url : '—';
            },
          },
          {
            title: t('channels.credentials'),
            dataIndex: 'hasCredentials',
            render: (has: boolean) =>
              has ? <Tag color="green">{t('channels.credentialsSet')}</Tag> : t('channels.credentialsNone'),
          },
          { title: t('campaigns.created'), dataIndex: 'createdAt', render: dateTime },
          {
            title: t('campaigns.actions'),
            key: 'a',
            render: (_: unknown, c) => (
              <Space size="small">
                {manages && c.kind !== 'platform' && (
                  <Button size="small" onClick={() => setTesting(c)} data-testid="test-send">
                    {t('channels.test')}
                  </Button>
                )}
                {manages && c.kind !== 'outbox' && c.kind !== 'platform' && (
                  <Button size="small" onClick={() => setEditing(c)} data-testid="edit-channel">
                    {t('common.edit')}
                  </Button>
                )}
                {manages && (
                  <Button
                    size="small"
                    danger
                    onClick={() =>
                      modal.confirm({
                        title: t('channels.deleteConfirm'),
                        okButtonProps: { danger: true },
                        onOk: () =>
                          run(async () => {
                            await api.delete('/messaging/channels/{id}', { params: { id: c.id } });
                            void message.success(t('channels.deleted'));
                            list.reload();
                          }),
                      })
                    }
                  >
                    {t('common.delete')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <AddChannel
        open={adding}
        onClose={() => setAdding(false)}
        onDone={() => {
          setAdding(false);
          list.reload();
        }}
      />
      <TestSend channel={testing} onClose={() => setTesting(null)} />
      <EditChannel
        channel={editing}
        onClose={(changed) => {
          setEditing(null);
          if (changed) list.reload();
        }}
      />
    </Card>
  );
}

/** 设置 → 发送规则: send windows, the frequency cap, the consent policy and the SMS wording. */
export function SendRules({ manages }: { manages: boolean }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const loaded = useApi('/messaging/settings');
  const [form] = Form.useForm<MessagingSettings>();
  const [warnings, setWarnings] = useState<{ warnings: string[]; warningReasons: ReasonCode[] }>({
    warnings: [],
    warningReasons: [],
  });
  const { busy, run } = useAction();
  const capDays = Form.useWatch('capDays', form);
  const capCount = Form.useWatch('capCount', form);
  const acceptUnknown = Form.useWatch('acceptUnknownConsent', form);
  useEffect(() => {
    if (loaded.data) {
      form.setFieldsValue(loaded.data.settings);
      setWarnings(loaded.data);
    }
  }, [loaded.data, form]);
  if (loaded.error) return <ErrorBox error={loaded.error} onRetry={loaded.reload} />;
  if (!loaded.data) return <Loading />;
  const save = () =>
    run(async () => {
      const v = await form.validateFields();
      // 对外网址 only when changed here: untouched, it keeps following the server's own address (HUIKE_PUBLIC_URL).
      const r = await api.put(
        '/messaging/settings',
        form.isFieldTouched('publicUrl') ? v : { ...v, publicUrl: undefined },
      );
      setWarnings(r);
      form.setFieldsValue(r.settings);
      void message.success(t('common.saved'));
    });
  return (
    <Card title={t('channels.rules')}>
      {warnings.warnings.map((w, i) => (
        <Alert
          key={w}
          type="warning"
          showIcon
          message={reasonText(warnings.warningReasons[i], w)}
          style={{ marginBottom: 12 }}
        />
      ))}
      <Form form={form} layout="vertical" disabled={!manages} style={{ maxWidth: 720 }}>
        <Form.Item label={t('channels.windows')} extra={t('channels.windowsHint')}>
          <Form.List name="windows">
            {(fields, { add, remove }) => (
              <Space direction="vertical">
                {fields.map((f) => (
                  <Space key={f.key}>
                    <Form.Item name={[f.name, 'start']} noStyle rules={[{ pattern: /^\d\d:\d\d$/, message: 'HH:MM' }]}>
                      <Input style={{ width: 90 }} placeholder="09:30" />
                    </Form.Item>
                    <span>–</span>
                    <Form.Item name={[f.name, 'end']} noStyle rules={[{ pattern: /^\d\d:\d\d$/, message: 'HH:MM' }]}>
                      <Input style={{ width: 90 }} placeholder="12:00" />
                    </Form.Item>
                    {fields.length > 1 && <MinusCircleOutlined onClick={() => remove(f.name)} />}
                  </Space>
                ))}
                {fields.length < 6 && (
                  <Button
                    size="small"
                    icon={<PlusOutlined />}
                    onClick={() => add(windowAfter(form.getFieldValue('windows')))}
                  >
                    {t('channels.addWindow')}
                  </Button>
                )}
              </Space>
            )}
          </Form.List>
        </Form.Item>
        <Form.Item label={t('channels.cap')} extra={t('channels.capText', { days: capDays, count: capCount })}>
          <Space>
            <Form.Item name="capDays" noStyle>
              <InputNumber min={1} max={365} addonAfter={t('channels.capDays')} />
            </Form.Item>
            <Form.Item name="capCount" noStyle>
              <InputNumber min={1} max={100} addonAfter={t('channels.capCount')} />
            </Form.Item>
          </Space>
        </Form.Item>
        <Space align="start" size="large">
          <Form.Item name="acceptUnknownConsent" label={t('channels.acceptUnknown')} valuePropName="checked">
            <Switch />
          </Form.Item>
          {acceptUnknown && (
            <Form.Item name="unknownConsentDays" label={t('channels.unknownDays')}>
              <InputNumber min={1} max={3650} addonAfter={t('common.days')} />
            </Form.Item>
          )}
        </Space>
        <Row gutter={16}>
          <Col span={8}>
            <Form.Item name="smsSignature" label={t('channels.smsSignature')} extra={t('channels.smsSignatureHint')}>
              <Input maxLength={20} data-testid="sms-signature" />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="smsOptOutText" label={t('channels.smsOptOut')}>
              <Input maxLength={20} />
            </Form.Item>
          </Col>
          <Col span={8}>
            <Form.Item name="smsPriceFen" label={t('channels.smsPrice')}>
              <InputNumber min={0} max={1000} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="publicUrl" label={t('channels.publicUrl')}>
          <Input />
        </Form.Item>
        {manages && (
          <Button type="primary" loading={busy} onClick={save} data-testid="save-rules">
            {t('common.save')}
          </Button>
        )}
      </Form>
      <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0 }}>
        {t('campaigns.kindHint')}
      </Typography.Paragraph>
    </Card>
  );
}

/** A new send window: two hours from half an hour after the latest one ends (a copy of 09:30–12:00 overlapped it). */
function windowAfter(windows: { start?: string; end?: string }[] | undefined): { start: string; end: string } {
  const minutes = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));
  const hhmm = (x: number) => `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}`;
  const ends = (windows ?? []).map((w) => w.end ?? '').filter((e) => /^\d\d:\d\d$/.test(e));
  if (ends.length === 0) return { start: '09:30', end: '12:00' };
  const start = Math.min(Math.max(...ends.map(minutes)) + 30, 23 * 60);
  return { start: hhmm(start), end: hhmm(Math.min(start + 120, 23 * 60 + 59)) };
}
