import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, Form, Input, InputNumber, Row, Select, Space, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { dateTime, money } from '../../format';
import { useApi, useDebounced } from '../../hooks';
import { reasonLabel } from './shared';
import type { Channel, Content, MessageKind, Preview, Variant } from './types';
import { errorText } from '../../errors';

// i18n-ignore-start: the template variables are part of the message language, the same in every UI language
const VARIABLES = [
  '客户昵称',
  '姓名',
  '店铺名',
  '订单号',
  '商品名',
  '优惠券',
  '优惠券金额',
  '积分',
  '会员等级',
  '链接',
];
// i18n-ignore-end

const nextKey = (variants: Variant[]) =>
  'ABCDE'.split('').find((k) => !variants.some((v) => v.key === k)) ?? String(variants.length + 1);

/** Choose one customer to preview the message for. */
function CustomerPicker({ value, onChange }: { value?: string; onChange: (id: string) => void }) {
  const { t } = useTranslation();
  const [q, setQ] = useState('');
  const dq = useDebounced(q, 250);
  const found = useApi('/customers', { query: { q: dq || undefined, limit: 10 } });
  return (
    <Select
      showSearch
      filterOption={false}
      value={value}
      onSearch={setQ}
      onChange={onChange}
      placeholder={t('campaigns.previewPick')}
      loading={found.loading}
      style={{ width: '100%' }}
      data-testid="preview-customer"
      options={(found.data?.items ?? []).map((c) => ({
        value: c.id,
        label: [c.name, c.realName, c.phone].filter(Boolean).join(' · '),
      }))}
    />
  );
}

/** What the chosen customer would receive, with SMS characters, parts, cost and the send decision. */
function PreviewPane({
  channel,
  kind,
  content,
  customerId,
  couponTemplateId,
}: {
  channel: Channel | undefined;
  kind: MessageKind;
  content: Content;
  customerId: string | undefined;
  /** The coupon issued with the message: #优惠券# and #优惠券金额# are its. */
  couponTemplateId: string | null | undefined;
}) {
  const { t } = useTranslation();
  // Form values are fresh objects on every render: compare (and debounce) them as text.
  const debounced = useDebounced(JSON.stringify(content ?? {}), 300);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const c = JSON.parse(debounced) as Content;
    if (!channel || !customerId || !c.text) {
      setPreview(null);
      return;
    }
    const ctl = new AbortController();
    api
      .post(
        '/messaging/preview',
        { channelId: channel.id, kind, content: c, customerId, ...(couponTemplateId ? { couponTemplateId } : {}) },
        { signal: ctl.signal },
      )
      .then(
        (p) => {
          setPreview(p);
          setError(null);
        },
        (e: Error) => {
          if (e.name !== 'AbortError') setError(errorText(e));
        },
      );
    return () => ctl.abort();
  }, [channel, kind, debounced, customerId, couponTemplateId]);
  if (!customerId) return <Typography.Text type="secondary">{t('campaigns.previewEmpty')}</Typography.Text>;
  if (error) return <Alert type="error" message={error} />;
  if (!preview) return null;
  const d = preview.decision;
  return (
    <div data-testid="preview">
      {preview.subject && <Typography.Text strong>{preview.subject}</Typography.Text>}
      <div
        style={{ whiteSpace: 'pre-wrap', background: '#f6f8fa', borderRadius: 8, padding: 12, margin: '8px 0' }}
        data-testid="preview-text"
      >
        {preview.text}
      </div>
      <Space wrap>
        <Tag data-testid="preview-chars">{t('campaigns.chars', { n: preview.chars })}</Tag>
        {channel?.medium === 'sms' && (
          <Tag data-testid="preview-parts">{t('campaigns.parts', { n: preview.parts })}</Tag>
        )}
        {channel?.medium === 'sms' && <Tag>{t('campaigns.costEach', { v: money(preview.costFen) })}</Tag>}
      </Space>
      {channel?.medium === 'sms' && (
        <div>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('campaigns.smsRule')}
          </Typography.Text>
        </div>
      )}
      {preview.missing.length > 0 && (
        <Alert
          style={{ marginTop: 8 }}
          type="warning"
          message={t('campaigns.missing', { v: preview.missing.map((m) => `#${m}#`).join(' ') })}
        />
      )}
      {preview.problems.map((p) => (
        <Alert key={p} style={{ marginTop: 8 }} type="warning" message={p} />
      ))}
      <Alert
        style={{ marginTop: 8 }}
        type={d.action === 'send' ? 'success' : d.action === 'defer' ? 'info' : 'warning'}
        message={
          d.action === 'skip'
            ? t('campaigns.decision.skip', { reason: reasonLabel(t, d.reason) })
            : d.action === 'defer'
              ? t('campaigns.decision.defer', { at: dateTime(d.at) })
              : t('campaigns.decision.send')
        }
      />
    </div>
  );
}

/** Step 3: the text of each A/B variant, where links lead, and a live preview for one customer. */
export function ContentStep({ channel, kind }: { channel: Channel | undefined; kind: MessageKind }) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const variants: Variant[] = Form.useWatch('variants', form) ?? [];
  const couponTemplateId: string | null | undefined = Form.useWatch('couponTemplateId', form);
  const [active, setActive] = useState(0);
  const [customerId, setCustomerId] = useState<string>();
  const current = variants[Math.min(active, variants.length - 1)];
  const insert = (i: number, v: string) => {
    const text: string = form.getFieldValue(['variants', i, 'content', 'text']) ?? '';
    form.setFieldValue(['variants', i, 'content', 'text'], `${text}#${v}#`);
  };
  return (
    <Row gutter={24}>
      <Col span={14}>
        <Form.List name="variants">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f, i) => (
                <Card
                  key={f.key}
                  size="small"
                  style={{ marginBottom: 12, borderColor: i === active ? '#1677ff' : undefined }}
                  onClick={() => setActive(i)}
                  title={t('campaigns.variant', { key: variants[i]?.key ?? '' })}
                  extra={
                    <Space>
                      <Form.Item name={[f.name, 'weight']} noStyle>
                        <InputNumber min={1} max={100} size="small" addonBefore={t('campaigns.weight')} />
                      </Form.Item>
                      {fields.length > 1 && (
                        <Button
                          size="small"
                          type="text"
                          icon={<DeleteOutlined />}
                          title={t('campaigns.removeVariant')}
                          onClick={() => remove(f.name)}
                        />
                      )}
                    </Space>
                  }
                >
                  <Form.Item name={[f.name, 'key']} hidden>
                    <Input />
                  </Form.Item>
                  {channel?.medium === 'email' && (
                    <Form.Item
                      name={[f.name, 'content', 'subject']}
                      label={t('campaigns.subject')}
                      rules={[{ required: true, whitespace: true, message: t('campaigns.subjectRequired') }]}
                    >
                      <Input />
                    </Form.Item>
                  )}
                  <Form.Item
                    name={[f.name, 'content', 'text']}
                    label={t('campaigns.text')}
                    rules={[{ required: true, message: t('campaigns.textRequired') }]}
                    style={{ marginBottom: 8 }}
                  >
                    <Input.TextArea rows={4} data-testid={`variant-text-${i}`} />
                  </Form.Item>
                  <Space size={4} wrap>
                    <Typography.Text type="secondary">{t('campaigns.insertVar')}</Typography.Text>
                    {VARIABLES.map((v) => (
                      <Tag key={v} style={{ cursor: 'pointer' }} onClick={() => insert(i, v)}>
                        #{v}#
                      </Tag>
                    ))}
                  </Space>
                </Card>
              ))}
              {fields.length < 5 && (
                <Button
                  icon={<PlusOutlined />}
                  onClick={() => add({ key: nextKey(variants), weight: 1, content: { text: '' } })}
                  data-testid="add-variant"
                >
                  {t('campaigns.addVariant')}
                </Button>
              )}
            </>
          )}
        </Form.List>
        <Form.Item
          name="linkUrl"
          label={t('campaigns.linkUrl')}
          extra={t('campaigns.linkUrlHint')}
          style={{ marginTop: 16 }}
        >
          <Input placeholder="https://" />
        </Form.Item>
      </Col>
      <Col span={10}>
        <Card size="small" title={t('campaigns.preview')}>
          <Form.Item label={t('campaigns.previewFor')}>
            <CustomerPicker value={customerId} onChange={setCustomerId} />
          </Form.Item>
          {current && (
            <PreviewPane
              channel={channel}
              kind={kind}
              content={current.content}
              customerId={customerId}
              couponTemplateId={couponTemplateId}
            />
          )}
        </Card>
      </Col>
    </Row>
  );
}
