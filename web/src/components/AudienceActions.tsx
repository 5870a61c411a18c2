import { Alert, App, Descriptions, Form, type FormInstance, Input, InputNumber, Modal, Select } from 'antd';
import { useEffect, useState } from 'react';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { type Answer, api } from '../api';
import { errorText } from '../errors';
import { count } from '../format';
import { useApi } from '../hooks';
import { localBatch } from './BatchFields';
import { SegmentSelect } from './SegmentSelect';

export type BulkAction = Answer<'/segments/{id}/actions/tag', 'post'>;

/** The audience of a dialog: a fixed segment (the segment page) or one to pick (the coupon and points pages). */
export interface Audience {
  id: string;
  name: string;
}

/** Customers in a segment now (the count a bulk action will reach), or null while unknown. */
function useAudienceSize(id: string | undefined): { size: number | null; name: string | null } {
  const seg = useApi(id ? '/segments/{id}' : null, { params: { id: id ?? '' } });
  return { size: seg.data?.count ?? null, name: seg.data?.name ?? null };
}

/** What a finished action did: done, had it already, and the erased customers it passed by. */
export function actionResult(a: BulkAction, t: TFunction): string {
  const done = t(`audience.done.${a.kind}`, { n: count(a.done ?? 0), skipped: count(a.skipped ?? 0) });
  return a.erased ? `${done}${t('audience.erased', { n: count(a.erased) })}` : done;
}

/** What the seller reads once an action is asked for: done now, or queued for the worker. */
export function useActionNotice() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  return (a: BulkAction) => {
    if (a.status === 'queued' || a.status === 'running')
      void message.info(t('audience.queued', { n: count(a.audience) }));
    else if (a.status === 'failed') void message.error(a.error ?? t('audience.failed'));
    else if (a.stoppedAtStock) void message.warning(t('audience.stoppedAtStock', { n: count(a.done ?? 0) }));
    else void message.success(actionResult(a, t));
  };
}

/**
 * The dialogs' one way to start an action: validate the form (it shows what is missing), send, tell the seller what
 * happened, then reset and close; a refusal stays in the dialog in the user's language.
 */
function useAudienceSubmit<V>(
  form: FormInstance<V>,
  send: (v: V) => Promise<BulkAction>,
  done: { onClose: () => void; onStarted?: (a: BulkAction) => void },
) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const notice = useActionNotice();
  const submit = async () => {
    let v: V;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const a = await send(v);
      notice(a);
      done.onStarted?.(a);
      form.resetFields();
      done.onClose();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

/** The batch name (prefilled from the audience and the shop's date) and the server's refusal, if any. */
function BatchAndError({ testId, error }: { testId: string; error: string | null }) {
  const { t } = useTranslation();
  return (
    <>
      <Form.Item
        name="batch"
        label={t('points.batch')}
        extra={t('points.batchHint')}
        rules={[{ required: true, whitespace: true, message: t('common.required') }]}
      >
        <Input maxLength={60} data-testid={testId} />
      </Form.Item>
      {error && <Alert type="error" showIcon message={error} />}
    </>
  );
}

function AudienceFacts({ size, extra }: { size: number | null; extra?: React.ReactNode }) {
  const { t } = useTranslation();
  return (
    <Descriptions size="small" column={1} bordered style={{ marginBottom: 16 }}>
      <Descriptions.Item label={t('audience.size')}>
        <span data-testid="audience-size">{size === null ? '—' : t('audience.people', { n: count(size) })}</span>
      </Descriptions.Item>
      {extra}
    </Descriptions>
  );
}

/**
 * Issue a coupon to a segment: the audience's size and the template's remaining stock show before OK, and
 * a batch named after the audience and the shop's date (one coupon per customer and batch).
 */
export function IssueCouponModal({
  open,
  audience,
  templateId,
  onClose,
  onStarted,
}: {
  open: boolean;
  /** Fixed audience, or undefined to pick one. */
  audience?: Audience;
  /** Fixed template, or undefined to pick one. */
  templateId?: string;
  onClose: () => void;
  onStarted?: (a: BulkAction) => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ segmentId: string; templateId: string; batch: string }>();
  const templates = useApi(open ? '/coupons/templates' : null);
  const segmentId = Form.useWatch('segmentId', form) ?? audience?.id;
  const chosenTemplate = Form.useWatch('templateId', form) ?? templateId;
  const { size, name } = useAudienceSize(open ? segmentId : undefined);
  const template = templates.data?.items.find((x) => x.id === chosenTemplate);
  const remaining = template
    ? template.totalStock === null
      ? null
      : template.totalStock - template.issued
    : undefined;
  useEffect(() => {
    if (open && name && !form.isFieldTouched('batch')) form.setFieldValue('batch', localBatch(name));
  }, [open, name, form]);
  const { busy, error, submit } = useAudienceSubmit(
    form,
    (v: { segmentId?: string; templateId?: string; batch: string }) =>
      api.post(
        '/segments/{id}/actions/coupon',
        { templateId: (v.templateId ?? templateId)!, batch: v.batch },
        { params: { id: (v.segmentId ?? audience?.id)! } },
      ),
    { onClose, onStarted },
  );
  return (
    <Modal
      open={open}
      title={audience ? t('audience.issueTo', { name: audience.name }) : t('audience.issue')}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={busy}
      okButtonProps={{ disabled: remaining === 0, id: 'issue-ok' }}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" preserve={false}>
        {!audience && (
          <Form.Item
            name="segmentId"
            label={t('points.audience')}
            rules={[{ required: true, message: t('common.required') }]}
          >
            <SegmentSelect testId="issue-segment" />
          </Form.Item>
        )}
        {!templateId && (
          <Form.Item
            name="templateId"
            label={t('audience.template')}
            rules={[{ required: true, message: t('common.required') }]}
          >
            <Select
              data-testid="issue-template"
              loading={templates.loading}
              placeholder={t('audience.pickTemplate')}
              options={(templates.data?.items ?? [])
                .filter((x) => !x.compensation)
                .map((x) => ({ value: x.id, label: x.name, disabled: x.paused }))}
            />
          </Form.Item>
        )}
        <AudienceFacts
          size={segmentId ? size : null}
          extra={
            <Descriptions.Item label={t('audience.stock')}>
              <span data-testid="coupon-stock">
                {remaining === undefined ? '—' : remaining === null ? t('audience.unlimited') : count(remaining)}
              </span>
            </Descriptions.Item>
          }
        />
        {remaining !== undefined && remaining !== null && size !== null && remaining < size && (
          <Alert
            type="warning"
            showIcon
            style={{ marginBottom: 12 }}
            message={t('audience.stockShort', { stock: count(remaining), n: count(size) })}
          />
        )}
        <BatchAndError testId="issue-batch" error={error} />
      </Form>
    </Modal>
  );
}

/** Grant points to a segment: its size and the points it costs in all show before OK. */
export function GrantPointsModal({
  open,
  audience,
  onClose,
  onStarted,
}: {
  open: boolean;
  audience?: Audience;
  onClose: () => void;
  onStarted?: (a: BulkAction) => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ segmentId?: string; points: number; reason: string; batch: string }>();
  const segmentId = Form.useWatch('segmentId', form) ?? audience?.id;
  const points = Form.useWatch('points', form);
  const { size, name } = useAudienceSize(open ? segmentId : undefined);
  useEffect(() => {
    if (open && name && !form.isFieldTouched('batch')) form.setFieldValue('batch', localBatch(name));
  }, [open, name, form]);
  const { busy, error, submit } = useAudienceSubmit(
    form,
    (v: { segmentId?: string; points: number; reason: string; batch: string }) =>
      api.post(
        '/segments/{id}/actions/points',
        { points: v.points, reason: v.reason, batch: v.batch },
        { params: { id: (v.segmentId ?? audience?.id)! } },
      ),
    { onClose, onStarted },
  );
  return (
    <Modal
      open={open}
      title={audience ? t('audience.grantTo', { name: audience.name }) : t('points.grant')}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={busy}
      okButtonProps={{ id: 'grant-ok' }}
      destroyOnHidden
    >
      <Form form={form} layout="vertical" preserve={false}>
        {!audience && (
          <Form.Item
            name="segmentId"
            label={t('points.audience')}
            rules={[{ required: true, message: t('common.required') }]}
          >
            <SegmentSelect testId="grant-segment" />
          </Form.Item>
        )}
        <Form.Item name="points" label={t('points.amount')} rules={[{ required: true, message: t('common.required') }]}>
          <InputNumber min={1} max={1000000} data-testid="grant-points" />
        </Form.Item>
        <Form.Item
          name="reason"
          label={t('points.reason')}
          rules={[{ required: true, whitespace: true, message: t('common.required') }]}
        >
          <Input maxLength={200} placeholder={t('points.reasonPlaceholder')} data-testid="grant-reason" />
        </Form.Item>
        <AudienceFacts
          size={segmentId ? size : null}
          extra={
            <Descriptions.Item label={t('audience.totalPoints')}>
              <span data-testid="grant-total">{size !== null && points ? count(size * points) : '—'}</span>
            </Descriptions.Item>
          }
        />
        <BatchAndError testId="grant-batch" error={error} />
      </Form>
    </Modal>
  );
}

/** Tag every customer of a segment: pick an existing tag or type a new one. */
export function TagAllModal({
  open,
  audience,
  onClose,
  onStarted,
}: {
  open: boolean;
  audience: Audience;
  onClose: () => void;
  onStarted?: (a: BulkAction) => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ tag: string[] }>();
  const tags = useApi(open ? '/tags' : null);
  const { size } = useAudienceSize(open ? audience.id : undefined);
  const { busy, error, submit } = useAudienceSubmit(
    form,
    (v: { tag: string[] }) =>
      api.post(
        '/segments/{id}/actions/tag',
        { tag: v.tag[v.tag.length - 1]!.trim() },
        { params: { id: audience.id }, headers: { 'idempotency-key': `tag-${Date.now()}-${Math.random()}` } },
      ),
    { onClose, onStarted },
  );
  return (
    <Modal
      open={open}
      title={t('audience.tagTo', { name: audience.name })}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={busy}
      okButtonProps={{ id: 'tag-ok' }}
      destroyOnHidden
    >
      <AudienceFacts size={size} />
      <Form form={form} layout="vertical" preserve={false}>
        <Form.Item
          name="tag"
          label={t('audience.tag')}
          rules={[{ required: true, message: t('common.required') }]}
          extra={t('audience.tagHint')}
        >
          <Select
            mode="tags"
            maxCount={1}
            data-testid="tag-name"
            placeholder={t('audience.pickTag')}
            options={(tags.data?.items ?? []).map((x) => ({ value: x.name, label: x.name }))}
          />
        </Form.Item>
        {error && <Alert type="error" showIcon message={error} />}
      </Form>
    </Modal>
  );
}
