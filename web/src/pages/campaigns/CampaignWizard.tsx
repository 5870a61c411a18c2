import {
  App,
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Radio,
  Row,
  Space,
  Statistic,
  Steps,
  Table,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api } from '../../api';
import { ErrorBox, Loading } from '../../components/Status';
import { count, dateTime, money, percent, toFen } from '../../format';
import { useAction, useApi } from '../../hooks';
import { PageHeader } from '../../layout/Shell';
import { ContentStep } from './ContentStep';
import { reasonLabel, sumValues } from './shared';
import type { Campaign, CampaignInput, DryRun, MessageKind, Variant } from './types';
import { segmentName } from '../../segment-names';
import {
  AudienceFields,
  audienceFieldNames,
  audienceFields,
  audienceId,
  DeliveryFields,
  type ExtraValues,
  isoToLocal,
  localToIso,
  TestSend,
} from './WizardExtras';

interface FormValues extends ExtraValues {
  name: string;
  channelId: string;
  kind: MessageKind;
  holdoutPct: number;
  budgetYuan: number | null;
  attributionDays: number;
  linkUrl: string | null;
  variants: Variant[];
}

const STEP_FIELDS: string[][] = [['name'], ['channelId', 'kind', 'holdoutPct', 'startAt'], ['variants'], [], []];

function toInput(v: FormValues): CampaignInput {
  return {
    name: v.name,
    segmentId: audienceId(v),
    couponTemplateId: v.couponTemplateId ?? null,
    schedule: v.schedule ?? 'now',
    startAt: v.schedule === 'at' ? localToIso(v.startAt) : null,
    throttlePerMinute: v.throttlePerMinute ?? null,
    channelId: v.channelId,
    kind: v.kind,
    holdoutPct: v.holdoutPct,
    budgetFen: v.budgetYuan ? (toFen(v.budgetYuan) ?? null) : null,
    attributionDays: v.attributionDays,
    linkUrl: v.linkUrl?.trim() ? v.linkUrl.trim() : null,
    variants: v.variants.map((x) => ({
      key: x.key,
      weight: x.weight,
      content: { text: x.content.text, ...(x.content.subject ? { subject: x.content.subject } : {}) },
    })),
  };
}

function fromCampaign(c: Campaign): FormValues {
  return {
    ...(audienceFields(c.segmentId) as ExtraValues),
    name: c.name,
    couponTemplateId: c.couponTemplateId,
    schedule: c.schedule,
    startAt: isoToLocal(c.startAt),
    throttlePerMinute: c.throttlePerMinute,
    channelId: c.channelId,
    kind: c.kind,
    holdoutPct: c.holdoutPct,
    budgetYuan: c.budgetFen === null ? null : c.budgetFen / 100,
    attributionDays: c.attributionDays,
    linkUrl: c.linkUrl,
    variants: c.variants,
  };
}

/**
 * What the seller must know before sending that the counts do not say: outside the send windows the messages wait for
 * the next one (立即发送 is not now), and links that point at an address customers cannot open.
 */
function DeliveryNotes({ dry }: { dry: DryRun | null }) {
  const { t } = useTranslation();
  if (!dry) return null;
  return (
    <>
      {dry.opensAt && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="opens-at"
          message={t('campaigns.opensAt', { n: count(dry.deferred), at: dateTime(dry.opensAt) })}
        />
      )}
      {dry.localLinks && (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="local-links"
          message={t('campaigns.localLinks', { url: dry.localLinks })}
        />
      )}
    </>
  );
}

/** Step 4: what would happen now — receivers, the hold-out, and how many each rule holds back. */
function DryRunResult({ dry, medium }: { dry: DryRun; medium: string | undefined }) {
  const { t } = useTranslation();
  const held = Object.entries(dry.heldBack).sort((a, b) => b[1] - a[1]);
  return (
    <div data-testid="dry-run">
      <DeliveryNotes dry={dry} />
      <Row gutter={16}>
        <Col span={4}>
          <Statistic title={t('campaigns.audienceN')} value={dry.audience} />
        </Col>
        <Col span={4}>
          <Statistic title={t('campaigns.controlN')} value={dry.control} />
        </Col>
        <Col span={4}>
          <Statistic title={t('campaigns.heldBack')} value={sumValues(dry.heldBack)} />
        </Col>
        <Col span={4}>
          <Statistic title={t('campaigns.wouldReceive')} value={dry.wouldReceive} valueStyle={{ color: '#1677ff' }} />
        </Col>
        <Col span={4}>
          <Statistic title={t('campaigns.deferredN')} value={dry.deferred} />
        </Col>
        {medium === 'sms' && (
          <Col span={4}>
            <Statistic title={t('campaigns.cost')} value={money(dry.costFen)} />
            {/* Under the figure in small print (as a suffix it wrapped in the figure's large type). */}
            <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="dry-run-parts">
              {t('campaigns.parts', { n: count(dry.parts) })}
            </Typography.Text>
          </Col>
        )}
      </Row>
      <Row gutter={24} style={{ marginTop: 24 }}>
        <Col span={14}>
          <Table
            size="small"
            rowKey="0"
            pagination={false}
            title={() => t('campaigns.heldBack')}
            locale={{ emptyText: t('campaigns.noneHeld') }}
            dataSource={held}
            data-testid="held-back"
            columns={[
              { title: t('campaigns.rule'), key: 'r', render: (_: unknown, r) => reasonLabel(t, r[0]) },
              { title: t('campaigns.heldN'), key: 'n', align: 'right', render: (_: unknown, r) => count(r[1]) },
              {
                title: t('campaigns.heldPct'),
                key: 'p',
                align: 'right',
                render: (_: unknown, r) => percent(dry.treated ? r[1] / dry.treated : 0),
              },
            ]}
          />
        </Col>
        <Col span={10}>
          <Table
            size="small"
            rowKey="0"
            pagination={false}
            title={() => t('campaigns.perVariant')}
            dataSource={Object.entries(dry.variants)}
            data-testid="per-variant"
            columns={[
              { title: t('campaigns.variant', { key: '' }), key: 'k', render: (_: unknown, r) => r[0] },
              { title: t('campaigns.drawnN'), key: 'n', align: 'right', render: (_: unknown, r) => count(r[1]) },
              {
                title: t('campaigns.wouldReceive'),
                key: 'w',
                align: 'right',
                render: (_: unknown, r) => count(dry.variantsReceiving[r[0]] ?? 0),
              },
            ]}
          />
        </Col>
      </Row>
    </div>
  );
}

export default function CampaignWizard() {
  const { t } = useTranslation();
  const { id: routeId } = useParams();
  const navigate = useNavigate();
  const { message, modal } = App.useApp();
  const [form] = Form.useForm<FormValues>();
  const [step, setStep] = useState(0);
  const [id, setId] = useState<string | undefined>(routeId);
  const [dry, setDry] = useState<DryRun | null>(null);
  const { busy, run } = useAction();
  const existing = useApi(routeId ? '/campaigns/{id}' : null, { params: { id: routeId ?? '' } });
  const channels = useApi('/messaging/channels');
  const segments = useApi('/segments');
  const lists = useApi('/campaigns/audiences');
  const coupons = useApi('/coupons/templates');
  const [query] = useSearchParams();
  const channelId = Form.useWatch('channelId', form);
  const kind: MessageKind = Form.useWatch('kind', form) ?? 'marketing';
  const channel = channels.data?.items.find((c) => c.id === channelId);

  useEffect(() => {
    if (existing.data) form.setFieldsValue(fromCampaign(existing.data));
  }, [existing.data, form]);
  // A list uploaded on step 1 is read by that step's own fetch: this page reads the lists again to name it.
  const listId: string | null | undefined = Form.useWatch('listId', form);
  const reloadLists = lists.reload;
  useEffect(() => {
    if (listId) reloadLists();
  }, [listId, reloadLists]);
  useEffect(() => {
    const first = channels.data?.items[0];
    if (first && !form.getFieldValue('channelId')) form.setFieldValue('channelId', first.id);
  }, [channels.data, form]);

  /** Creates the draft or saves the changes; returns its id. */
  async function save(): Promise<string> {
    const body = toInput(form.getFieldsValue(true) as FormValues);
    const saved = id ? await api.put('/campaigns/{id}', body, { params: { id } }) : await api.post('/campaigns', body);
    setId(saved.id);
    if (!id) window.history.replaceState(null, '', `/campaigns/${saved.id}/edit`);
    return saved.id;
  }
  const runDry = () =>
    run(async () => {
      const cid = await save();
      setDry(await api.post('/campaigns/{id}/dry-run', undefined, { params: { id: cid } }));
    });

  async function next() {
    // recursive: 'variants' names the list; its texts are fields below it, checked only this way (else an empty
    // text went to the server, whose refusal named 「variants.0.content.text」).
    await form.validateFields(
      [...STEP_FIELDS[step]!, ...(step === 0 ? audienceFieldNames(form.getFieldValue('audienceKind')) : [])],
      { recursive: true },
    );
    if (step === 2) {
      const ok = await runDry();
      if (!ok) return;
    }
    setStep(step + 1);
  }
  const launch = () =>
    modal.confirm({
      title: t('campaigns.launchConfirm', { n: count(dry?.wouldReceive ?? 0) }),
      content:
        dry?.opensAt && (form.getFieldValue('schedule') ?? 'now') === 'now'
          ? t('campaigns.opensAt', { n: count(dry.deferred), at: dateTime(dry.opensAt) })
          : undefined,
      onOk: () =>
        run(async () => {
          const cid = await save();
          await api.post('/campaigns/{id}/launch', undefined, { params: { id: cid } });
          void message.success(t('campaigns.launched'));
          void navigate(`/campaigns/${cid}`);
        }),
    });

  if (existing.error) return <ErrorBox error={existing.error} onRetry={existing.reload} />;
  if (routeId && !existing.data) return <Loading />;
  const v = form.getFieldsValue(true) as FormValues;
  // Sent now to nobody (all held back: no contact, opted out …): nothing to launch. A later start may find some.
  const nobody = dry !== null && dry.wouldReceive === 0 && (v.schedule ?? 'now') === 'now';
  const listName = v.audienceKind === 'list' ? lists.data?.items.find((l) => l.id === v.listId)?.name : undefined;
  const segName =
    v.audienceKind === 'rfm'
      ? t('campaignExtras.rfmCell', { r: v.rfmR, f: v.rfmF })
      : v.audienceKind === 'list'
        ? (listName ?? '')
        : segmentName(t, segments.data?.items.find((s) => s.id === v.segmentId) ?? { id: '', name: v.segmentId });
  return (
    <>
      <PageHeader title={existing.data?.name ?? t('campaigns.create')} subtitle={t('campaigns.subtitle')} />
      <Card>
        <Steps
          current={step}
          style={{ marginBottom: 32 }}
          items={(['audience', 'channel', 'content', 'dryRun', 'review'] as const).map((k) => ({
            title: t(`campaigns.steps.${k}`),
          }))}
        />
        <Form<FormValues>
          form={form}
          layout="vertical"
          initialValues={{
            rfmR: 5,
            rfmF: 5,
            ...audienceFields(query.get('segment')),
            schedule: 'now',
            couponTemplateId: null,
            throttlePerMinute: null,
            kind: 'marketing',
            holdoutPct: 10,
            attributionDays: 7,
            budgetYuan: null,
            linkUrl: null,
            variants: [{ key: 'A', weight: 1, content: { text: '' } }],
          }}
        >
          <div style={{ display: step === 0 ? undefined : 'none' }}>
            <Form.Item
              name="name"
              label={t('campaigns.name')}
              rules={[{ required: true, whitespace: true, message: t('common.required') }]}
            >
              <Input placeholder={t('campaigns.namePlaceholder')} maxLength={80} data-testid="campaign-name" />
            </Form.Item>
            <AudienceFields />
          </div>
          <div style={{ display: step === 1 ? undefined : 'none' }}>
            {channels.data?.items.length === 0 && (
              <Alert type="warning" showIcon message={t('campaigns.noChannels')} style={{ marginBottom: 16 }} />
            )}
            <Form.Item
              name="channelId"
              label={t('campaigns.channel')}
              rules={[{ required: true, message: t('campaigns.channelRequired') }]}
            >
              <Radio.Group data-testid="channel">
                <Space direction="vertical">
                  {channels.data?.items.map((c) => (
                    <Radio key={c.id} value={c.id}>
                      {c.name} · {t(`campaigns.mediums.${c.medium}`)}
                    </Radio>
                  ))}
                </Space>
              </Radio.Group>
            </Form.Item>
            <Form.Item name="kind" label={t('campaigns.kind')} extra={t('campaigns.kindHint')}>
              <Radio.Group
                options={(['marketing', 'care'] as const).map((k) => ({ value: k, label: t(`campaigns.kinds.${k}`) }))}
              />
            </Form.Item>
            <Row gutter={16}>
              <Col span={8}>
                <Form.Item name="holdoutPct" label={t('campaigns.holdout')} extra={t('campaigns.holdoutHint')}>
                  <InputNumber min={0} max={50} addonAfter="%" style={{ width: '100%' }} />
                </Form.Item>
              </Col>
              <Col span={8}>
                <Form.Item name="budgetYuan" label={t('campaigns.budget')} extra={t('campaigns.budgetHint')}>
                  <InputNumber min={0} precision={2} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
              <Col span={8}>
                <Form.Item
                  name="attributionDays"
                  label={t('campaigns.attributionDays')}
                  extra={t('campaigns.attributionHint')}
                >
                  <InputNumber min={1} max={90} addonAfter={t('common.days')} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            </Row>
            <DeliveryFields />
          </div>
          <div style={{ display: step === 2 ? undefined : 'none' }}>
            <ContentStep channel={channel} kind={kind} />
          </div>
        </Form>
        {step === 3 && dry && (
          <>
            <Alert type="info" showIcon message={t('campaigns.dryRunTitle')} style={{ marginBottom: 16 }} />
            <DryRunResult dry={dry} medium={channel?.medium} />
          </>
        )}
        {step === 4 && <DeliveryNotes dry={dry} />}
        {step === 4 && (
          <Descriptions bordered column={2} data-testid="review">
            <Descriptions.Item label={t('campaigns.name')}>{v.name}</Descriptions.Item>
            <Descriptions.Item label={t('campaigns.audience')}>{segName}</Descriptions.Item>
            <Descriptions.Item label={t('campaigns.channel')}>
              {channel ? `${channel.name} · ${t(`campaigns.mediums.${channel.medium}`)}` : ''}
            </Descriptions.Item>
            <Descriptions.Item label={t('campaigns.kind')}>{t(`campaigns.kinds.${v.kind}`)}</Descriptions.Item>
            <Descriptions.Item label={t('campaigns.holdout')}>{v.holdoutPct}%</Descriptions.Item>
            <Descriptions.Item label={t('campaigns.attributionDays')}>
              {v.attributionDays} {t('common.days')}
            </Descriptions.Item>
            <Descriptions.Item label={t('campaigns.wouldReceive')}>{count(dry?.wouldReceive ?? 0)}</Descriptions.Item>
            <Descriptions.Item label={t('campaigns.cost')}>{money(dry?.costFen ?? 0)}</Descriptions.Item>
            <Descriptions.Item label={t('campaigns.budgetLabel')}>
              {v.budgetYuan ? money(toFen(v.budgetYuan) ?? 0) : t('campaigns.budgetNone')}
            </Descriptions.Item>
            <Descriptions.Item label={t('campaignExtras.coupon')}>
              <span data-testid="review-coupon">
                {v.couponTemplateId
                  ? (coupons.data?.items.find((x) => x.id === v.couponTemplateId)?.name ?? v.couponTemplateId)
                  : t('campaignExtras.couponNone')}
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t('campaignExtras.schedule')}>
              {t(`campaignExtras.schedules.${v.schedule ?? 'now'}`)}
              {v.schedule === 'at' && v.startAt ? ` ${v.startAt.replace('T', ' ')}` : ''}
              {(v.schedule ?? 'now') === 'now' && dry?.opensAt
                ? t('campaigns.nowFrom', { at: dateTime(dry.opensAt) })
                : ''}
            </Descriptions.Item>
            <Descriptions.Item label={t('campaignExtras.throttle')}>
              {v.throttlePerMinute ? count(v.throttlePerMinute) : t('campaignExtras.throttleNone')}
            </Descriptions.Item>
            {v.variants.map((x) => (
              <Descriptions.Item key={x.key} label={t('campaigns.variant', { key: x.key })} span={2}>
                {x.content.subject && (
                  <div data-testid={`review-subject-${x.key}`}>
                    <strong>{t('campaigns.subject')}：</strong>
                    {x.content.subject}
                  </div>
                )}
                <span style={{ whiteSpace: 'pre-wrap' }}>{x.content.text}</span>
              </Descriptions.Item>
            ))}
          </Descriptions>
        )}
        {step === 4 && <TestSend save={save} />}
        <Space style={{ marginTop: 24 }}>
          {step > 0 && (
            <Button onClick={() => setStep(step - 1)} disabled={busy}>
              {t('campaigns.prev')}
            </Button>
          )}
          {step === 3 && (
            <Button onClick={runDry} loading={busy} data-testid="dry-run-again">
              {t('campaigns.dryRunAgain')}
            </Button>
          )}
          {step >= 2 && (
            <Button
              onClick={() =>
                run(async () => {
                  await save();
                  void message.success(t('campaigns.draftSaved'));
                })
              }
              disabled={busy}
            >
              {t('campaigns.saveDraft')}
            </Button>
          )}
          {step < 4 && (
            <Button type="primary" onClick={() => void next().catch(() => {})} loading={busy} data-testid="next">
              {t('campaigns.nextStep')}
            </Button>
          )}
          {step === 4 && (
            <Button type="primary" onClick={launch} loading={busy} disabled={nobody} data-testid="launch">
              {t('campaigns.launch')}
            </Button>
          )}
          {step === 4 && nobody && (
            <Typography.Text type="warning" data-testid="nobody-to-send">
              {t('campaigns.nobodyToSend')}
            </Typography.Text>
          )}
        </Space>
      </Card>
    </>
  );
}
