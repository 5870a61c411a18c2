import { PlusOutlined, SendOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Col,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tabs,
  Tag,
} from 'antd';
import dayjs from 'dayjs';
import type { TFunction } from 'i18next';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { type Answer, api, type Body } from '../api';
import { ArchiveButton, ShowArchivedSwitch } from '../components/Archive';
import { IssueCouponModal } from '../components/AudienceActions';
import { EmptyState, ErrorBox } from '../components/Status';
import { count, date, money, percent, shopDay, shopWallToIso, toFen } from '../format';
import { useAction, useApi } from '../hooks';
import { can, useMe } from '../session';
import { PageHeader } from '../layout/Shell';

type Template = Answer<'/coupons/templates'>['items'][number];
type ReportRow = Answer<'/coupons/report'>['items'][number];
type Rules = Template['rules'];
/** The rule being filled in by the form (the server checks it against the kind). */
type DraftRules = {
  kind: string;
  minFen?: number;
  offFen?: number;
  percent?: number;
  capFen?: number | null;
  tierKeys?: string[];
  sku?: string | null;
  item?: string;
  priceFen?: number;
  steps?: { minFen: number; offFen: number }[];
};

const KINDS = [
  'spend_off',
  'discount',
  'free_shipping',
  'cash',
  'new_member',
  'birthday',
  'member',
  'free_order',
  'trial',
  'bogo',
  'add_on',
  'tiered',
] as const;
const y = (f: number | undefined | null) => (f === undefined || f === null ? '' : String(f / 100));

/** 满100减20, 8.8折 (最高减¥50), 阶梯 满200减20 / 满500减80 … in the UI language. */
export function describeCoupon(t: TFunction, r: Rules): string {
  switch (r.kind) {
    case 'spend_off':
    case 'new_member':
    case 'birthday':
    case 'member':
      return r.minFen
        ? t('coupons.rule.spendOff', { min: y(r.minFen), off: y(r.offFen) })
        : t('coupons.rule.cash', { off: y(r.offFen) });
    case 'discount':
      return (
        t('coupons.rule.discount', { n: (r.percent ?? 100) / 10 }) +
        (r.capFen ? t('coupons.rule.cap', { cap: y(r.capFen) }) : '')
      );
    case 'free_shipping':
      return r.minFen ? t('coupons.rule.freeShippingMin', { min: y(r.minFen) }) : t('coupons.rule.freeShipping');
    case 'cash':
      return t('coupons.rule.cash', { off: y(r.offFen) });
    case 'free_order':
      return t('coupons.rule.freeOrder', { cap: y(r.capFen) });
    case 'tiered':
      return (r.steps ?? []).map((s) => t('coupons.rule.spendOff', { min: y(s.minFen), off: y(s.offFen) })).join(' / ');
    case 'add_on':
      return t('coupons.rule.addOn', { min: y(r.minFen), item: r.item, price: y(r.priceFen) });
    default:
      return r.sku ? `${t(`coupons.kinds.${r.kind}`)} · ${r.sku}` : t(`coupons.kinds.${r.kind}`);
  }
}

export default function Coupons() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const { message } = App.useApp();
  const [showArchived, setShowArchived] = useState(false);
  const templates = useApi('/coupons/templates', { query: { archived: showArchived ? 'true' : 'false' } });
  const [createOpen, setCreateOpen] = useState(false);
  // Creating, issuing, editing and archiving need coupons:write: an analyst only reads.
  const writes = can(useMe(), 'coupons:write');
  const [editing, setEditing] = useState<Template | null>(null);
  const [issueFor, setIssueFor] = useState<Template | null>(null);
  const { run } = useAction();
  const pause = (r: Template, paused: boolean) =>
    run(async () => {
      await api.post(paused ? '/coupons/templates/{id}/pause' : '/coupons/templates/{id}/resume', undefined, {
        params: { id: r.id },
      });
      void message.success(t(paused ? 'catalogue.pausedDone' : 'catalogue.resumedDone'));
      templates.reload();
    });
  const archive = (r: Template) =>
    run(async () => {
      await api.delete('/coupons/templates/{id}', { params: { id: r.id } });
      void message.success(t('catalogue.archivedDone'));
      templates.reload();
    });
  return (
    <>
      <PageHeader
        title={t('menu.coupons')}
        subtitle={t('coupons.subtitle')}
        extra={
          writes && (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreateOpen(true)} data-testid="new-coupon">
              {t('coupons.newTemplate')}
            </Button>
          )
        }
      />
      <Tabs
        // The tab is in the address, as on the other pages with tabs: a reload or Back returns to it.
        activeKey={['report', 'expiring'].includes(params.get('tab') ?? '') ? params.get('tab')! : 'templates'}
        onChange={(k) => setParams(k === 'templates' ? {} : { tab: k }, { replace: true })}
        items={[
          {
            key: 'templates',
            label: t('coupons.templates'),
            children: (
              <Card
                size="small"
                extra={
                  <ShowArchivedSwitch
                    checked={showArchived}
                    onChange={setShowArchived}
                    testId="coupons-show-archived"
                  />
                }
              >
                {templates.error && <ErrorBox error={templates.error} onRetry={templates.reload} />}
                <Table<Template>
                  rowKey="id"
                  size="middle"
                  loading={templates.loading}
                  dataSource={templates.data?.items ?? []}
                  pagination={false}
                  locale={{
                    emptyText: (
                      <EmptyState
                        title={t('coupons.noTemplates')}
                        hint={t('coupons.noTemplatesHint')}
                        action={
                          writes && <Button onClick={() => setCreateOpen(true)}>{t('coupons.newTemplate')}</Button>
                        }
                      />
                    ),
                  }}
                  columns={[
                    {
                      title: t('coupons.name'),
                      dataIndex: 'name',
                      render: (v: string, r) => (
                        <Space>
                          {v}
                          {r.compensation && <Tag color="purple">{t('coupons.compensation')}</Tag>}
                        </Space>
                      ),
                    },
                    {
                      title: t('coupons.kind'),
                      render: (_, r) => <Tag color="volcano">{t(`coupons.kinds.${r.rules.kind}`)}</Tag>,
                    },
                    { title: t('coupons.rules'), render: (_, r) => describeCoupon(t, r.rules) },
                    {
                      title: t('coupons.validity'),
                      render: (_, r) =>
                        'days' in r.validity
                          ? t('coupons.validDays', { n: r.validity.days })
                          : `${date(r.validity.from)} ~ ${date(r.validity.to)}`,
                    },
                    { title: t('coupons.perCustomer'), dataIndex: 'perCustomerLimit', align: 'right' },
                    {
                      title: t('coupons.issuedStock'),
                      align: 'right',
                      render: (_, r) => `${count(r.issued)} / ${r.totalStock === null ? '∞' : count(r.totalStock)}`,
                    },
                    {
                      title: t('catalogue.status'),
                      key: 'status',
                      render: (_, r) =>
                        r.archivedAt ? (
                          <Tag>{t('catalogue.archived')}</Tag>
                        ) : r.paused ? (
                          <Tag color="orange">{t('catalogue.paused')}</Tag>
                        ) : (
                          <Tag color="green">{t('catalogue.active')}</Tag>
                        ),
                    },
                    {
                      title: '',
                      key: 'a',
                      render: (_, r) =>
                        writes &&
                        !r.archivedAt && (
                          <Space size={4} wrap data-testid={`coupon-actions-${r.name}`}>
                            <Button
                              size="small"
                              icon={<SendOutlined />}
                              disabled={r.paused}
                              onClick={() => setIssueFor(r)}
                            >
                              {t('coupons.issue')}
                            </Button>
                            <Button size="small" type="link" onClick={() => setEditing(r)}>
                              {t('common.edit')}
                            </Button>
                            <Button size="small" type="link" onClick={() => void pause(r, !r.paused)}>
                              {t(r.paused ? 'catalogue.resume' : 'catalogue.pause')}
                            </Button>
                            <ArchiveButton
                              title={t('catalogue.archiveCouponTitle', { name: r.name })}
                              text={t('catalogue.archiveCouponText')}
                              onConfirm={() => void archive(r)}
                            />
                          </Space>
                        ),
                    },
                  ]}
                />
              </Card>
            ),
          },
          { key: 'report', label: t('coupons.report'), children: <Report /> },
          { key: 'expiring', label: t('coupons.expiring'), children: <Expiring /> },
        ]}
      />
      <TemplateModal
        open={createOpen || editing !== null}
        template={editing}
        onClose={() => {
          setCreateOpen(false);
          setEditing(null);
          templates.reload();
        }}
      />
      <IssueModal
        template={issueFor}
        onClose={() => {
          setIssueFor(null);
          templates.reload();
        }}
      />
    </>
  );
}

function Report() {
  const { t } = useTranslation();
  const r = useApi('/coupons/report');
  if (r.error) return <ErrorBox error={r.error} onRetry={r.reload} />;
  const rows = r.data?.items ?? [];
  const sum = (k: keyof ReportRow) => rows.reduce((a, x) => a + Number(x[k]), 0);
  return (
    <Card size="small">
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col span={6}>
          <Statistic title={t('coupons.issued')} value={count(sum('issued'))} />
        </Col>
        <Col span={6}>
          <Statistic
            title={t('coupons.used')}
            value={count(sum('used'))}
            suffix={<span style={{ fontSize: 14 }}>({percent(sum('used') / (sum('issued') || 1))})</span>}
          />
        </Col>
        <Col span={6}>
          <Statistic title={t('coupons.revenue')} value={money(sum('revenueFen'))} />
        </Col>
        <Col span={6}>
          <Statistic title={t('coupons.discount')} value={money(sum('discountFen'))} />
        </Col>
      </Row>
      <Table<ReportRow>
        rowKey="id"
        size="small"
        loading={r.loading}
        dataSource={rows}
        pagination={false}
        columns={[
          { title: t('coupons.name'), dataIndex: 'name' },
          { title: t('coupons.issued'), dataIndex: 'issued', align: 'right', render: (n: number) => count(n) },
          { title: t('coupons.used'), dataIndex: 'used', align: 'right', render: (n: number) => count(n) },
          { title: t('coupons.useRate'), align: 'right', render: (_, x) => percent(x.used / (x.issued || 1)) },
          { title: t('coupons.expired'), dataIndex: 'expired', align: 'right', render: (n: number) => count(n) },
          { title: t('coupons.revenue'), dataIndex: 'revenueFen', align: 'right', render: (n: number) => money(n) },
          { title: t('coupons.discount'), dataIndex: 'discountFen', align: 'right', render: (n: number) => money(n) },
        ]}
      />
    </Card>
  );
}

function Expiring() {
  const { t } = useTranslation();
  const r = useApi('/coupons/expiring', { query: { days: 7, limit: 1000 } });
  if (r.error) return <ErrorBox error={r.error} onRetry={r.reload} />;
  const shown = r.data?.items.length ?? 0;
  return (
    <Card
      size="small"
      title={t('coupons.expiringHint')}
      extra={
        r.data && r.data.total > shown ? (
          <span data-testid="expiring-more">{t('coupons.expiringSoonest', { n: r.data.total, shown })}</span>
        ) : undefined
      }
    >
      <Table
        rowKey="id"
        size="small"
        loading={r.loading}
        dataSource={r.data?.items ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: <EmptyState title={t('coupons.noneExpiring')} /> }}
        columns={[
          { title: t('coupons.name'), dataIndex: 'name' },
          { title: t('coupons.code'), dataIndex: 'code' },
          { title: t('coupons.validTo'), render: (_, x) => date(x.validTo) },
        ]}
      />
    </Card>
  );
}

const DEFAULT_STEPS = [
  { min: 200, off: 20 },
  { min: 500, off: 80 },
];

/** A template as the form's values (amounts in yuan, 折 as 8.8, the date range as dayjs). */
function formValues(tpl: Template) {
  const r = tpl.rules as DraftRules;
  const yuan = (f: number | null | undefined) => (f === null || f === undefined ? undefined : f / 100);
  const v = tpl.validity;
  return {
    name: tpl.name,
    kind: r.kind,
    min: yuan(r.minFen),
    off: yuan(r.offFen),
    zhe: r.percent === undefined ? undefined : r.percent / 10,
    cap: yuan(r.capFen),
    tierKeys: r.tierKeys,
    sku: r.sku ?? undefined,
    item: r.item,
    price: yuan(r.priceFen),
    steps: r.steps ? r.steps.map((x) => ({ min: x.minFen / 100, off: x.offFen / 100 })) : DEFAULT_STEPS,
    ...('days' in v
      ? { validityKind: 'days', days: v.days }
      : { validityKind: 'dates', days: 30, range: [dayjs(shopDay(v.from)), dayjs(shopDay(v.to))] }),
    perCustomerLimit: tpl.perCustomerLimit,
    totalStock: tpl.totalStock ?? undefined,
    compensation: tpl.compensation,
  };
}

/** A new template, or an existing one edited (its rules stay once coupons are out: the server keeps them). */
function TemplateModal({ open, template, onClose }: { open: boolean; template: Template | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const tiers = useApi(open ? '/tiers' : null);
  const { busy, run } = useAction();
  const kind = Form.useWatch('kind', form) as string | undefined;
  const rulesLocked = template !== null && template.issued > 0;
  const validityKind = Form.useWatch('validityKind', form) as string | undefined;
  const submit = () =>
    run(async () => {
      const v = await form.validateFields();
      const rules: DraftRules = { kind: v.kind };
      if (['spend_off', 'new_member', 'birthday', 'member', 'add_on', 'discount', 'free_shipping'].includes(v.kind))
        rules.minFen = toFen(v.min) ?? 0;
      if (['spend_off', 'new_member', 'birthday', 'member', 'cash'].includes(v.kind)) rules.offFen = toFen(v.off);
      if (v.kind === 'discount')
        Object.assign(rules, { percent: Math.round(v.zhe * 10), capFen: toFen(v.cap) ?? null });
      if (v.kind === 'free_order') rules.capFen = toFen(v.cap);
      if (v.kind === 'member') rules.tierKeys = v.tierKeys;
      if (v.kind === 'trial' || v.kind === 'bogo') rules.sku = v.sku || (v.kind === 'bogo' ? null : v.sku);
      if (v.kind === 'add_on') Object.assign(rules, { item: v.item, priceFen: toFen(v.price) });
      if (v.kind === 'tiered')
        rules.steps = (v.steps as { min: number; off: number }[]).map((s) => ({
          minFen: toFen(s.min)!,
          offFen: toFen(s.off)!,
        }));
      const validity =
        v.validityKind === 'days'
          ? { days: v.days }
          : // The picked days are the shop's: from the start of the first to the end of the last, in its zone.
            {
              from: shopWallToIso(`${v.range[0].format('YYYY-MM-DD')} 00:00:00`),
              to: shopWallToIso(`${v.range[1].format('YYYY-MM-DD')} 23:59:59.999`),
            };
      const body = {
        name: v.name,
        rules: rulesLocked ? template.rules : (rules as Body<'/coupons/templates', 'post'>['rules']),
        validity,
        perCustomerLimit: v.perCustomerLimit,
        totalStock: v.totalStock ?? null,
        compensation: template ? template.compensation : (v.compensation ?? false),
      };
      if (template) await api.put('/coupons/templates/{id}', body, { params: { id: template.id } });
      else await api.post('/coupons/templates', body);
      void message.success(t('common.saved'));
      form.resetFields();
      onClose();
    });
  const yuanItem = (name: string, label: string, required = true) => (
    <Form.Item name={name} label={label} rules={required ? [{ required: true, message: t('common.required') }] : []}>
      <InputNumber min={0} prefix="¥" style={{ width: 160 }} />
    </Form.Item>
  );
  return (
    <Modal
      open={open}
      width={620}
      title={template ? t('catalogue.editCoupon') : t('coupons.newTemplate')}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={
          template
            ? formValues(template)
            : { kind: 'spend_off', validityKind: 'days', days: 30, perCustomerLimit: 1, steps: DEFAULT_STEPS }
        }
      >
        <Form.Item
          name="name"
          label={t('coupons.name')}
          rules={[{ required: true, whitespace: true, message: t('common.required') }]}
        >
          <Input maxLength={40} placeholder={t('coupons.namePlaceholder')} data-testid="coupon-name" />
        </Form.Item>
        <Form.Item
          name="kind"
          label={t('coupons.kind')}
          extra={rulesLocked ? t('catalogue.rulesLocked', { n: template.issued }) : undefined}
        >
          <Select disabled={rulesLocked} options={KINDS.map((k) => ({ value: k, label: t(`coupons.kinds.${k}`) }))} />
        </Form.Item>
        <fieldset disabled={rulesLocked} style={{ border: 0, padding: 0, margin: 0 }}>
          <Space wrap align="start">
            {['spend_off', 'new_member', 'birthday', 'member', 'add_on', 'discount', 'free_shipping'].includes(
              kind ?? '',
            ) && yuanItem('min', t('coupons.min'), kind !== 'discount' && kind !== 'free_shipping')}
            {['spend_off', 'new_member', 'birthday', 'member', 'cash'].includes(kind ?? '') &&
              yuanItem('off', t('coupons.off'))}
            {kind === 'discount' && (
              <Form.Item
                name="zhe"
                label={t('coupons.zhe')}
                rules={[{ required: true, message: t('common.required') }]}
              >
                <InputNumber min={0.1} max={9.9} step={0.1} addonAfter={t('coupons.zheUnit')} />
              </Form.Item>
            )}
            {(kind === 'discount' || kind === 'free_order') && yuanItem('cap', t('coupons.cap'), kind === 'free_order')}
            {kind === 'member' && (
              <Form.Item
                name="tierKeys"
                label={t('coupons.tiers')}
                rules={[{ required: true, message: t('common.required') }]}
              >
                <Select
                  mode="multiple"
                  style={{ minWidth: 220 }}
                  options={(tiers.data?.tiers ?? []).map((x) => ({ value: x.key, label: x.name }))}
                />
              </Form.Item>
            )}
            {(kind === 'trial' || kind === 'bogo') && (
              <Form.Item
                name="sku"
                label="SKU"
                rules={kind === 'trial' ? [{ required: true, message: t('common.required') }] : []}
              >
                <Input />
              </Form.Item>
            )}
            {kind === 'add_on' && (
              <>
                <Form.Item
                  name="item"
                  label={t('coupons.addOnItem')}
                  rules={[{ required: true, message: t('common.required') }]}
                >
                  <Input />
                </Form.Item>
                {yuanItem('price', t('coupons.addOnPrice'))}
              </>
            )}
          </Space>
          {kind === 'tiered' && (
            <Form.List name="steps">
              {(fields, { add, remove }) => (
                <Form.Item label={t('coupons.steps')}>
                  {fields.map((f) => (
                    <Space key={f.key} style={{ marginBottom: 6 }}>
                      <Form.Item name={[f.name, 'min']} noStyle rules={[{ required: true }]}>
                        <InputNumber min={0} prefix={t('coupons.spendPrefix')} />
                      </Form.Item>
                      <Form.Item name={[f.name, 'off']} noStyle rules={[{ required: true }]}>
                        <InputNumber min={0} prefix={t('coupons.offPrefix')} />
                      </Form.Item>
                      {fields.length > 2 && (
                        <Button type="link" danger onClick={() => remove(f.name)}>
                          {t('common.delete')}
                        </Button>
                      )}
                    </Space>
                  ))}
                  <Button size="small" onClick={() => add({})}>
                    {t('coupons.addStep')}
                  </Button>
                </Form.Item>
              )}
            </Form.List>
          )}
        </fieldset>
        <Form.Item name="validityKind" label={t('coupons.validity')}>
          <Radio.Group
            options={[
              { value: 'days', label: t('coupons.afterIssue') },
              { value: 'dates', label: t('coupons.dateRange') },
            ]}
          />
        </Form.Item>
        {validityKind === 'dates' ? (
          <Form.Item name="range" rules={[{ required: true, message: t('common.required') }]}>
            <DatePicker.RangePicker />
          </Form.Item>
        ) : (
          <Form.Item name="days" rules={[{ required: true, message: t('common.required') }]}>
            <InputNumber min={1} max={3650} addonAfter={t('common.days')} />
          </Form.Item>
        )}
        <Space>
          <Form.Item name="perCustomerLimit" label={t('coupons.perCustomer')}>
            <InputNumber min={1} max={100} />
          </Form.Item>
          <Form.Item name="totalStock" label={t('coupons.totalStock')} extra={t('coupons.totalStockHint')}>
            <InputNumber min={1} />
          </Form.Item>
        </Space>
      </Form>
    </Modal>
  );
}

function IssueModal({ template, onClose }: { template: Template | null; onClose: () => void }) {
  return <IssueCouponModal open={template !== null} templateId={template?.id} onClose={onClose} />;
}
