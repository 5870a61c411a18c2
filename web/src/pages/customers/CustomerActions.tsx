import {
  Alert,
  App,
  Button,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Select,
  Space,
  Table,
  Tag,
} from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router-dom';
import { api, idempotencyKey } from '../../api';
import { count, dateTime, money } from '../../format';
import { useAction, useApi, useDebounced } from '../../hooks';
import { can, useMe } from '../../session';
import { mergeDifferences } from './merge-differences';

type Which = 'merge' | 'points' | 'tier' | 'coupon' | null;

/** Buttons on a customer's page for the actions the API offers: merge, points, tier floor, one coupon. */
export function CustomerActions({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState<Which>(null);
  const done = () => {
    setOpen(null);
    onChanged();
  };
  // Only what the role may do is offered (an agent saw 调整积分 and got the server's refusal).
  const me = useMe();
  return (
    <>
      <Space wrap>
        {can(me, 'customers:write') && (
          <Button onClick={() => setOpen('merge')} data-testid="action-merge">
            {t('customerActions.merge')}
          </Button>
        )}
        {can(me, 'points:write') && (
          <Button onClick={() => setOpen('points')} data-testid="action-points">
            {t('customerActions.points')}
          </Button>
        )}
        {can(me, 'points:write') && (
          <Button onClick={() => setOpen('tier')} data-testid="action-tier">
            {t('customerActions.tierFloor')}
          </Button>
        )}
        {can(me, 'coupons:write') && (
          <Button onClick={() => setOpen('coupon')} data-testid="action-coupon">
            {t('customerActions.coupon')}
          </Button>
        )}
      </Space>
      {open === 'merge' && <MergeDialog id={id} onClose={() => setOpen(null)} onDone={done} />}
      {open === 'points' && <PointsDialog id={id} onClose={() => setOpen(null)} onDone={done} />}
      {open === 'tier' && <TierDialog id={id} onClose={() => setOpen(null)} onDone={done} />}
      {open === 'coupon' && <CouponDialog id={id} onClose={() => setOpen(null)} onDone={done} />}
    </>
  );
}

interface DialogProps {
  id: string;
  onClose: () => void;
  onDone: () => void;
}

function MergeDialog({ id, onClose, onDone }: DialogProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [q, setQ] = useState('');
  const dq = useDebounced(q.trim(), 300);
  const [other, setOther] = useState<string | undefined>();
  const found = useApi(dq ? '/customers' : null, { query: { q: dq, limit: 20 } });
  const { busy, run } = useAction();
  const options = (found.data?.items ?? [])
    .filter((c) => c.id !== id)
    .map((c) => ({ value: c.id, label: `${c.name}${c.phone ? ` · ${c.phone}` : ''}` }));
  const merge = () =>
    run(async () => {
      if (!other) return;
      const r = await api.post('/customers/{id}/merge', { sourceId: other }, { params: { id } });
      void message.success(t('customerActions.merged', { orders: r.orders, identities: r.identities }));
      onDone();
    });
  return (
    <Modal
      open
      title={t('customerActions.mergeTitle')}
      onCancel={onClose}
      cancelText={t('customerActions.cancel')}
      okText={t('customerActions.mergeOk')}
      okButtonProps={{ disabled: !other, loading: busy, danger: true, 'data-testid': 'merge-ok' }}
      onOk={() => void merge()}
      width={640}
    >
      <p>{t('customerActions.mergeHint')}</p>
      <Select
        showSearch
        style={{ width: '100%' }}
        placeholder={t('customerActions.mergeSearch')}
        filterOption={false}
        onSearch={setQ}
        value={other}
        onChange={setOther}
        options={options}
        loading={found.loading}
        notFoundContent={dq ? t('customerActions.noMatch') : null}
        data-testid="merge-search"
      />
      {other && <MergePreview id={other} into={id} />}
    </Modal>
  );
}

/**
 * What moves into this customer: the other one's orders, points, coupons, tags and identities — after a warning when
 * the two give a different real name, phone or e-mail (often two people under one nick).
 */
function MergePreview({ id, into }: { id: string; into: string }) {
  const { t } = useTranslation();
  const c = useApi('/customers/{id}', { params: { id } });
  const target = useApi('/customers/{id}', { params: { id: into } });
  const p = useApi('/customers/{id}/points', { params: { id } });
  const cp = useApi('/customers/{id}/coupons', { params: { id } });
  const tg = useApi('/customers/{id}/tags', { params: { id } });
  if (!c.data) return null;
  const s = c.data.stats;
  const differ = target.data ? mergeDifferences(target.data, c.data) : [];
  return (
    <>
      {differ.length > 0 && (
        <Alert
          type="warning"
          showIcon
          style={{ marginTop: 16 }}
          data-testid="merge-differs"
          message={t('customerActions.differ')}
          description={differ.map((d) => (
            <div key={d.field}>
              {t('customerActions.differLine', {
                field: t(`customerActions.fields.${d.field}`),
                into: d.into,
                from: d.from,
              })}
            </div>
          ))}
        />
      )}
      <Descriptions
        column={1}
        size="small"
        bordered
        style={{ marginTop: 16 }}
        title={t('customerActions.moves')}
        data-testid="merge-preview"
      >
        <Descriptions.Item label={t('customerActions.moveOrders')}>
          {t('customerActions.ordersValue', {
            n: `${count(c.data.orders.length)}${c.data.moreOrders ? '+' : ''}`,
            paid: count(s.paidOrders),
            v: money(s.totalSpentFen, s.currency),
          })}
        </Descriptions.Item>
        <Descriptions.Item label={t('customerActions.moveIdentities')}>
          {c.data.identities.map((i) => (
            <Tag key={i.id}>{i.value}</Tag>
          ))}
        </Descriptions.Item>
        <Descriptions.Item label={t('customerActions.movePoints')}>
          {p.data ? count(p.data.summary.spendable) : '…'}
        </Descriptions.Item>
        <Descriptions.Item label={t('customerActions.moveCoupons')}>
          {cp.data ? count(cp.data.items.length) : '…'}
        </Descriptions.Item>
        <Descriptions.Item label={t('customerActions.moveTags')}>
          {(tg.data?.items ?? []).map((x) => (
            <Tag key={x.id}>{x.name}</Tag>
          ))}
        </Descriptions.Item>
      </Descriptions>
    </>
  );
}

/** Merges this customer took part in, each undoable once. */
export function MergeHistory({ id, onChanged }: { id: string; onChanged: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const m = useApi('/customers/{id}/merges', { params: { id } });
  const { busy, run } = useAction();
  const undo = (mergeId: string) =>
    run(async () => {
      await api.post('/merges/{id}/undo', undefined, { params: { id: mergeId } });
      void message.success(t('customerActions.undone'));
      m.reload();
      onChanged();
    });
  type Row = NonNullable<typeof m.data>['items'][number];
  return (
    <Table<Row>
      rowKey="id"
      size="small"
      loading={!m.data}
      dataSource={m.data?.items ?? []}
      pagination={false}
      locale={{ emptyText: t('customerActions.noMerges') }}
      data-testid="merge-history"
      columns={[
        { title: t('customerActions.mergedAt'), render: (_, r) => dateTime(r.mergedAt) },
        {
          title: t('customerActions.mergedCustomer'),
          render: (_, r) =>
            r.sourceId === id ? (
              <Link to={`/customers/${encodeURIComponent(r.targetId)}`}>{t('customerActions.mergedInto')}</Link>
            ) : (
              <Link to={`/customers/${encodeURIComponent(r.sourceId)}`}>{r.sourceName}</Link>
            ),
        },
        {
          title: '',
          align: 'right',
          render: (_, r) =>
            r.undoneAt ? (
              <Tag>{t('customerActions.undoneAt', { at: dateTime(r.undoneAt) })}</Tag>
            ) : (
              <Button size="small" loading={busy} onClick={() => void undo(r.id)} data-testid="merge-undo">
                {t('customerActions.undo')}
              </Button>
            ),
        },
      ]}
    />
  );
}

interface PointsForm {
  direction: 'add' | 'deduct';
  points: number;
  reason: string;
}

function PointsDialog({ id, onClose, onDone }: DialogProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<PointsForm>();
  const { busy, run } = useAction();
  const submit = () =>
    run(async () => {
      const v = await form.validateFields();
      const body = { points: v.points, source: 'adjust', reason: v.reason };
      const headers = { 'idempotency-key': idempotencyKey() };
      if (v.direction === 'add') await api.post('/customers/{id}/points/earn', body, { params: { id }, headers });
      else await api.post('/customers/{id}/points/redeem', body, { params: { id }, headers });
      void message.success(t('customerActions.pointsDone'));
      onDone();
    });
  return (
    <Modal
      open
      title={t('customerActions.points')}
      onCancel={onClose}
      cancelText={t('customerActions.cancel')}
      onOk={() => void submit()}
      okButtonProps={{ loading: busy, 'data-testid': 'points-ok' }}
    >
      <Form form={form} layout="vertical" initialValues={{ direction: 'add' }}>
        <Form.Item name="direction" label={t('customerActions.direction')} rules={[{ required: true }]}>
          <Radio.Group>
            <Radio.Button value="add">{t('customerActions.add')}</Radio.Button>
            <Radio.Button value="deduct">{t('customerActions.deduct')}</Radio.Button>
          </Radio.Group>
        </Form.Item>
        <Form.Item
          name="points"
          label={t('customerActions.amount')}
          rules={[{ required: true, message: t('customerActions.amountRequired') }]}
        >
          <InputNumber min={1} max={10_000_000} precision={0} style={{ width: '100%' }} data-testid="points-amount" />
        </Form.Item>
        <Form.Item
          name="reason"
          label={t('customerActions.reason')}
          rules={[{ required: true, whitespace: true, message: t('customerActions.reasonRequired') }]}
        >
          <Input maxLength={200} data-testid="points-reason" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function TierDialog({ id, onClose, onDone }: DialogProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const tiers = useApi('/tiers');
  const [form] = Form.useForm<{ tierKey: string; reason: string }>();
  const { busy, run } = useAction();
  const submit = () =>
    run(async () => {
      const v = await form.validateFields();
      await api.put('/customers/{id}/tier', { tierKey: v.tierKey, reason: v.reason }, { params: { id } });
      void message.success(t('customerActions.tierDone'));
      onDone();
    });
  return (
    <Modal
      open
      title={t('customerActions.tierFloor')}
      onCancel={onClose}
      cancelText={t('customerActions.cancel')}
      onOk={() => void submit()}
      okButtonProps={{ loading: busy }}
    >
      <p>{t('customerActions.tierHint')}</p>
      <Form form={form} layout="vertical">
        <Form.Item
          name="tierKey"
          label={t('customers.tier')}
          rules={[{ required: true, message: t('customerActions.tierRequired') }]}
        >
          <Select
            loading={!tiers.data}
            options={(tiers.data?.tiers ?? []).map((x) => ({ value: x.key, label: x.name }))}
          />
        </Form.Item>
        <Form.Item
          name="reason"
          label={t('customerActions.reason')}
          rules={[{ required: true, whitespace: true, message: t('customerActions.reasonRequired') }]}
        >
          <Input maxLength={200} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function CouponDialog({ id, onClose, onDone }: DialogProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const templates = useApi('/coupons/templates');
  const [form] = Form.useForm<{ templateId: string }>();
  const [key] = useState(idempotencyKey);
  const { busy, run } = useAction();
  const submit = () =>
    run(async () => {
      const v = await form.validateFields();
      const r = await api.post(
        '/coupons/templates/{id}/issue',
        { customerId: id },
        { params: { id: v.templateId }, headers: { 'idempotency-key': key } },
      );
      void message.success(t('customerActions.couponDone', { code: r.code }));
      onDone();
    });
  return (
    <Modal
      open
      title={t('customerActions.coupon')}
      onCancel={onClose}
      cancelText={t('customerActions.cancel')}
      onOk={() => void submit()}
      okButtonProps={{ loading: busy }}
    >
      <Form form={form} layout="vertical">
        <Form.Item
          name="templateId"
          label={t('coupons.template')}
          rules={[{ required: true, message: t('customerActions.templateRequired') }]}
        >
          <Select
            loading={!templates.data}
            options={(templates.data?.items ?? [])
              .filter((x) => !x.compensation)
              .map((x) => ({
                value: x.id,
                label:
                  x.totalStock === null
                    ? x.name
                    : t('customerActions.withStock', { name: x.name, n: count(x.totalStock - x.issued) }),
              }))}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
