import { App, Col, Form, Input, InputNumber, Modal, Row, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { useAction } from '../../hooks';
import type { Channel } from './types';

/** The SMS providers and 企业微信: their settings and credentials, as the providers' consoles name them. */
export const PROVIDER_KINDS = ['aliyun_sms', 'tencent_sms', 'wecom'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];
export const isProvider = (k: string): k is ProviderKind => (PROVIDER_KINDS as readonly string[]).includes(k);

interface Field {
  name: string;
  /** Goes into credentials (stored encrypted, never shown again) rather than settings. */
  secret?: boolean;
  required?: boolean;
  placeholder?: string;
  number?: boolean;
}

const FIELDS: Record<ProviderKind, Field[]> = {
  aliyun_sms: [
    { name: 'signName', required: true },
    { name: 'templateCode', required: true, placeholder: 'SMS_154950909' },
    { name: 'bodyParam', placeholder: 'content' },
    { name: 'endpoint', placeholder: 'dysmsapi.aliyuncs.com' },
    { name: 'timeoutMs', number: true, placeholder: '10000' },
    { name: 'accessKeyId', secret: true, required: true, placeholder: 'LTAI…' },
    { name: 'accessKeySecret', secret: true, required: true },
  ],
  tencent_sms: [
    { name: 'sdkAppId', required: true, placeholder: '1400006666' },
    { name: 'signName', required: true },
    { name: 'templateId', required: true, placeholder: '449739' },
    { name: 'region', placeholder: 'ap-guangzhou' },
    { name: 'endpoint', placeholder: 'sms.tencentcloudapi.com' },
    { name: 'timeoutMs', number: true, placeholder: '10000' },
    { name: 'secretId', secret: true, required: true, placeholder: 'AKID…' },
    { name: 'secretKey', secret: true, required: true },
  ],
  wecom: [
    { name: 'corpId', required: true, placeholder: 'ww0123456789abcdef' },
    { name: 'sender', placeholder: 'zhangsan' },
    { name: 'baseUrl', placeholder: 'https://qyapi.weixin.qq.com' },
    { name: 'timeoutMs', number: true, placeholder: '10000' },
    { name: 'secret', secret: true, required: true },
  ],
};

export type ProviderValues = Record<string, unknown>;

/** Settings and credentials of a provider form; empty settings keep their defaults, empty credentials are left out. */
export function providerInput(kind: ProviderKind, v: ProviderValues) {
  const config: Record<string, string | number> = {};
  const credentials: Record<string, string> = {};
  for (const f of FIELDS[kind]) {
    const value = v[f.name];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string' && typeof value !== 'number') continue;
    if (f.secret) credentials[f.name] = String(value);
    else config[f.name] = f.number ? Number(value) : String(value).trim();
  }
  return { config, credentials: Object.keys(credentials).length > 0 ? credentials : undefined };
}

/** The form items of one provider; when editing, credentials may stay empty (the stored ones are kept). */
export function ProviderFields({ kind, editing = false }: { kind: ProviderKind; editing?: boolean }) {
  const { t } = useTranslation();
  const fields = FIELDS[kind];
  const item = (f: Field) => (
    <Form.Item
      key={f.name}
      name={f.name}
      label={t(`channels.fields.${f.name}`)}
      extra={f.secret ? t(editing ? 'channels.credentialsKeep' : 'channels.credentialsHint') : undefined}
      rules={f.required && !(editing && f.secret) ? [{ required: true, message: t('common.required') }] : []}
    >
      {f.secret ? (
        <Input.Password autoComplete="new-password" data-testid={`field-${f.name}`} />
      ) : f.number ? (
        <InputNumber min={100} max={60000} style={{ width: '100%' }} placeholder={f.placeholder} />
      ) : (
        <Input placeholder={f.placeholder} data-testid={`field-${f.name}`} />
      )}
    </Form.Item>
  );
  return (
    <>
      <Row gutter={12}>
        {fields
          .filter((f) => !f.secret)
          .map((f) => (
            <Col span={12} key={f.name}>
              {item(f)}
            </Col>
          ))}
      </Row>
      {fields.filter((f) => f.secret).map(item)}
      <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
        {t(`channels.providerHints.${kind}`)}
      </Typography.Paragraph>
    </>
  );
}

/** Edit a channel: its name and settings; credentials are replaced only when typed again. */
export function EditChannel({ channel, onClose }: { channel: Channel | null; onClose: (changed: boolean) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<ProviderValues & { name: string }>();
  const { busy, run } = useAction();
  const kind = channel?.kind;
  return (
    <Modal
      open={channel !== null}
      title={`${t('common.edit')} · ${channel?.name ?? ''}`}
      onCancel={() => onClose(false)}
      confirmLoading={busy}
      destroyOnHidden
      width={640}
      onOk={() =>
        run(async () => {
          if (!channel || !kind) return;
          const v = await form.validateFields();
          const body = isProvider(kind) ? { name: v.name, ...providerInput(kind, v) } : { name: v.name };
          await api.patch('/messaging/channels/{id}', body, { params: { id: channel.id } });
          void message.success(t('common.saved'));
          onClose(true);
        })
      }
    >
      <Form
        key={channel?.id}
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={channel ? { name: channel.name, ...(channel.config as ProviderValues) } : {}}
      >
        <Form.Item name="name" label={t('channels.name')} rules={[{ required: true, message: t('common.required') }]}>
          <Input maxLength={60} />
        </Form.Item>
        {kind && isProvider(kind) && <ProviderFields kind={kind} editing />}
      </Form>
      {channel?.hooks?.wecom && <WecomCallback wecom={channel.hooks.wecom} />}
      {channel?.hooks && !channel.hooks.wecom && (
        <div style={{ marginTop: 16 }} data-testid="channel-hooks">
          <Typography.Text strong>{t('channels.hooks')}</Typography.Text>
          <Typography.Paragraph type="secondary">{t('channels.hooksHint')}</Typography.Paragraph>
          {channel.hooks.receipts && (
            <Typography.Paragraph copyable={{ text: channel.hooks.receipts }}>
              {t('channels.hookReceipts')}: <Typography.Text code>{channel.hooks.receipts}</Typography.Text>
            </Typography.Paragraph>
          )}
          <Typography.Paragraph copyable={{ text: channel.hooks.replies }}>
            {t('channels.hookReplies')}: <Typography.Text code>{channel.hooks.replies}</Typography.Text>
          </Typography.Paragraph>
        </div>
      )}
    </Modal>
  );
}

/** What the seller enters in 企业微信's 接收事件服务器: the URL (on this server), Token and EncodingAESKey. */
function WecomCallback({ wecom }: { wecom: { url: string; token: string; encodingAesKey: string } }) {
  const { t } = useTranslation();
  const url = `${window.location.origin}${wecom.url}`;
  const row = (label: string, value: string) => (
    <Typography.Paragraph copyable={{ text: value }} style={{ marginBottom: 4 }}>
      {label}: <Typography.Text code>{value}</Typography.Text>
    </Typography.Paragraph>
  );
  return (
    <div style={{ marginTop: 16 }} data-testid="channel-hooks">
      <Typography.Text strong>{t('channels.wecomCallback')}</Typography.Text>
      <Typography.Paragraph type="secondary">{t('channels.wecomCallbackHint')}</Typography.Paragraph>
      {row('URL', url)}
      {row('Token', wecom.token)}
      {row('EncodingAESKey', wecom.encodingAesKey)}
    </div>
  );
}
