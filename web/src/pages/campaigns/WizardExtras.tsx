import { UploadOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Col,
  Form,
  type FormInstance,
  Input,
  InputNumber,
  Radio,
  Row,
  Select,
  Space,
  Typography,
  Upload,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api';
import { SegmentSelect } from '../../components/SegmentSelect';
import { count, isoToShopWall, shopWallToIso } from '../../format';
import { useAction, useApi } from '../../hooks';

export type AudienceKind = 'segment' | 'list' | 'rfm';
export type Schedule = 'now' | 'at' | 'window';

/** The wizard's extra form fields, and how a campaign's segmentId maps onto them. */
export interface ExtraValues {
  audienceKind: AudienceKind;
  segmentId: string;
  listId: string | null;
  rfmR: number;
  rfmF: number;
  couponTemplateId: string | null;
  schedule: Schedule;
  startAt: string | null;
  throttlePerMinute: number | null;
}

const RFM = /^sys:rfm:R([1-5])F([1-5])$/;

/** The form's audience fields from a segment id (list:…, sys:rfm:R3F4, or a segment). */
export function audienceFields(segmentId: string | null | undefined): Partial<ExtraValues> {
  if (!segmentId) return { audienceKind: 'segment' };
  if (segmentId.startsWith('list:')) return { audienceKind: 'list', listId: segmentId.slice(5) };
  const m = RFM.exec(segmentId);
  if (m) return { audienceKind: 'rfm', rfmR: Number(m[1]), rfmF: Number(m[2]) };
  return { audienceKind: 'segment', segmentId };
}

/** The segment id the API takes from the form's audience fields. */
export function audienceId(v: ExtraValues): string {
  if (v.audienceKind === 'list') return `list:${v.listId ?? ''}`;
  if (v.audienceKind === 'rfm') return `sys:rfm:R${v.rfmR}F${v.rfmF}`;
  return v.segmentId;
}

/** The fields step 0 must validate, by audience kind. */
export const audienceFieldNames = (kind: AudienceKind | undefined) =>
  kind === 'list' ? ['listId'] : kind === 'rfm' ? ['rfmR', 'rfmF'] : ['segmentId'];

/** A datetime-local value (the shop's wall clock, whatever the browser's zone) ↔ ISO UTC. */
export const localToIso = (v: string | null) => (v ? shopWallToIso(v) : null);
export const isoToLocal = (iso: string | null): string | null => (iso ? isoToShopWall(iso) : null);

/** Step 0: a saved/system segment, an uploaded list (upload here), or a cell of the RFM matrix. */
export function AudienceFields() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const form = Form.useFormInstance<ExtraValues>();
  const kind: AudienceKind = Form.useWatch('audienceKind', form) ?? 'segment';
  const listId: string | null = Form.useWatch('listId', form) ?? null;
  const segmentId: string | null = Form.useWatch('segmentId', form) ?? null;
  // How many the chosen segment holds now: it showed first at the dry run, three steps on.
  const chosenSegment = useApi(kind === 'segment' && segmentId ? '/segments/{id}' : null, {
    params: { id: segmentId ?? '' },
  });
  const lists = useApi('/campaigns/audiences');
  const { busy, run } = useAction();
  const chosen = lists.data?.items.find((l) => l.id === listId);
  const upload = (file: File) =>
    run(async () => {
      const body = new FormData();
      body.append('name', file.name.replace(/\.[^.]+$/, ''));
      body.append('file', file);
      const made = await api.upload('/campaigns/audiences', body);
      lists.reload();
      form.setFieldValue('listId', made.id);
      void message.success(t('campaignExtras.listMatched', made));
    });
  return (
    <>
      <Form.Item name="audienceKind" label={t('campaignExtras.audienceKind')}>
        <Radio.Group
          data-testid="audience-kind"
          options={(['segment', 'list', 'rfm'] as const).map((k) => ({
            value: k,
            label: t(`campaignExtras.audienceKinds.${k}`),
          }))}
        />
      </Form.Item>
      <div style={{ display: kind === 'segment' ? undefined : 'none' }}>
        <Form.Item
          name="segmentId"
          label={t('campaigns.segment')}
          extra={t('campaigns.segmentHint')}
          rules={[{ required: kind === 'segment', message: t('campaigns.segmentRequired') }]}
        >
          <SegmentSelect testId="campaign-segment" />
        </Form.Item>
        {chosenSegment.data && chosenSegment.data.id === segmentId && (
          <Typography.Paragraph type="secondary" data-testid="segment-count" style={{ marginTop: -12 }}>
            {t('campaignExtras.segmentCount', { n: count(chosenSegment.data.count) })}
          </Typography.Paragraph>
        )}
      </div>
      {kind === 'list' && (
        <>
          <Form.Item
            name="listId"
            label={t('campaignExtras.list')}
            extra={t('campaignExtras.uploadHint')}
            rules={[{ required: true, message: t('campaignExtras.listRequired') }]}
          >
            <Select
              data-testid="audience-list"
              options={lists.data?.items.map((l) => ({ value: l.id, label: `${l.name}（${count(l.matched)}）` }))}
            />
          </Form.Item>
          <Space style={{ marginBottom: 16 }}>
            <Upload
              accept=".csv,.xlsx,.txt"
              showUploadList={false}
              beforeUpload={(f) => {
                void upload(f);
                return false;
              }}
            >
              <Button icon={<UploadOutlined />} loading={busy} data-testid="upload-list">
                {t('campaignExtras.upload')}
              </Button>
            </Upload>
            {chosen && (
              <Typography.Text type="secondary" data-testid="list-matched">
                {t('campaignExtras.listMatched', chosen)}
              </Typography.Text>
            )}
            {chosen && chosen.unmatched > 0 && (
              <Button size="small" href={`/api/v1/campaigns/audiences/${chosen.id}/unmatched.csv`}>
                {t('campaignExtras.downloadUnmatched')}
              </Button>
            )}
          </Space>
        </>
      )}
      {kind === 'rfm' && (
        <Row gutter={16}>
          {(['rfmR', 'rfmF'] as const).map((f) => (
            <Col span={8} key={f}>
              <Form.Item name={f} label={t(`campaignExtras.${f}`)} rules={[{ required: true }]}>
                <Select data-testid={f} options={[1, 2, 3, 4, 5].map((n) => ({ value: n, label: String(n) }))} />
              </Form.Item>
            </Col>
          ))}
        </Row>
      )}
    </>
  );
}

/** Step 1 additions: a coupon issued with each message, the schedule and the throttle. */
export function DeliveryFields() {
  const { t } = useTranslation();
  const form = Form.useFormInstance<ExtraValues>();
  const schedule: Schedule = Form.useWatch('schedule', form) ?? 'now';
  // A coupon is an offer: a care campaign carries none (the server refuses it too).
  const care = Form.useWatch<string | undefined>('kind', form as FormInstance) === 'care';
  useEffect(() => {
    if (care && form.getFieldValue('couponTemplateId')) form.setFieldValue('couponTemplateId', null);
  }, [care, form]);
  const templates = useApi('/coupons/templates');
  return (
    <>
      <Form.Item
        name="couponTemplateId"
        label={t('campaignExtras.coupon')}
        extra={t(care ? 'campaignExtras.couponCare' : 'campaignExtras.couponHint')}
      >
        <Select
          disabled={care}
          allowClear
          data-testid="coupon-template"
          placeholder={t('campaignExtras.couponNone')}
          options={templates.data?.items.filter((x) => !x.compensation).map((x) => ({ value: x.id, label: x.name }))}
        />
      </Form.Item>
      <Row gutter={16}>
        <Col span={10}>
          <Form.Item name="schedule" label={t('campaignExtras.schedule')}>
            <Radio.Group
              data-testid="schedule"
              options={(['now', 'at', 'window'] as const).map((k) => ({
                value: k,
                label: t(`campaignExtras.schedules.${k}`),
              }))}
            />
          </Form.Item>
        </Col>
        <Col span={7}>
          {schedule === 'at' && (
            <Form.Item
              name="startAt"
              label={t('campaignExtras.startAt')}
              rules={[{ required: true, message: t('campaignExtras.startAtRequired') }]}
            >
              <Input type="datetime-local" data-testid="start-at" />
            </Form.Item>
          )}
        </Col>
        <Col span={7}>
          <Form.Item
            name="throttlePerMinute"
            label={t('campaignExtras.throttle')}
            extra={t('campaignExtras.throttleHint')}
          >
            <InputNumber min={1} max={100000} style={{ width: '100%' }} data-testid="throttle" />
          </Form.Item>
        </Col>
      </Row>
    </>
  );
}

/** Review step: a test send to staff (their login as phone / email) or an entered phone / email. */
export function TestSend({ save }: { save: () => Promise<string> }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const users = useApi('/users');
  const [userIds, setUserIds] = useState<string[]>([]);
  const [to, setTo] = useState('');
  const { busy, run } = useAction();
  const send = () =>
    run(async () => {
      const target = to.trim();
      if (userIds.length === 0 && !target) {
        void message.warning(t('campaignExtras.testNeedTarget'));
        return;
      }
      const id = await save();
      const res = await api.post(
        '/campaigns/{id}/test',
        {
          userIds,
          ...(target.includes('@') ? { email: target } : target ? { phone: target } : {}),
        },
        { params: { id } },
      );
      void message.success(t('campaignExtras.testSent', { n: res.items.length }));
    });
  return (
    <Card size="small" title={t('campaignExtras.testSend')} style={{ marginTop: 24 }}>
      <Typography.Paragraph type="secondary">{t('campaignExtras.testSendHint')}</Typography.Paragraph>
      <Space wrap>
        <Select
          mode="multiple"
          style={{ minWidth: 240 }}
          placeholder={t('campaignExtras.testUsers')}
          value={userIds}
          onChange={setUserIds}
          options={users.data?.items.map((u) => ({ value: u.id, label: `${u.name}（${u.login}）` }))}
        />
        <Input
          style={{ width: 220 }}
          placeholder={t('campaignExtras.testTo')}
          value={to}
          onChange={(e) => setTo(e.target.value)}
          data-testid="test-to"
        />
        <Button onClick={() => void send()} loading={busy} data-testid="test-send">
          {t('campaignExtras.testSend')}
        </Button>
      </Space>
    </Card>
  );
}
