import { DownloadOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Drawer,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Spin,
  Switch,
  Table,
  Tag,
  Upload,
} from 'antd';
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useTranslation } from 'react-i18next';
import { type Answer, api } from '../api';
import { ErrorBox } from '../components/Status';
import { reasonText } from '../errors';
import { count, dateTime, money } from '../format';
import { useAction, useApi } from '../hooks';
import { PageHeader } from '../layout/Shell';
import { AutomationEditor, type EditorTarget, newTarget } from './automations/AutomationEditor';
import type { Definition } from './automations/definition';
import { yuan } from './automations/fields';
import { triggerWhen } from './automations/trigger-when';
import { reasonLabel } from './campaigns/shared';
import { can, useMe } from '../session';

type Automation = Answer<'/automations'>['items'][number];
type Run = Answer<'/automations/{id}/runs'>['items'][number];
type Settings = Record<string, unknown>;

const NUMBER_FIELDS = new Set(['delayMinutes', 'tooLateMinutes', 'days', 'daysBefore', 'capPercent', 'points']);
const LIST_FIELDS = new Set(['categories', 'holidays', 'stages']);

/** 自动化: the built-ins with their switches and settings, a 30-day dry run, and each one's run log. */
export default function Automations() {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const list = useApi('/automations');
  const holidays = useApi('/automations/holidays', { query: { years: 5 } });
  const coupons = useApi('/coupons/templates');
  const { busy, run } = useAction();
  // Agents and analysts see the automations and their runs; switching, settings and dry runs are the marketers'.
  const writes = can(useMe(), 'automations:write');
  const [editing, setEditing] = useState<Automation | null>(null);
  const [runsOf, setRunsOf] = useState<Automation | null>(null);
  const [flow, setFlow] = useState<EditorTarget | null>(null);
  // ?runs=<automation>&run=<run> (a service task's link): that automation's run log, the run marked.
  /** A built-in's name in the reader's language (the server's is Chinese); a custom one as the seller named it. */
  const nameOf = (a: Automation) =>
    a.builtin ? t(`automations.builtin.${a.builtin}.name`, { defaultValue: a.name }) : a.name;
  const [search, setSearch] = useSearchParams();
  const linked = search.get('runs');
  useEffect(() => {
    const a = linked ? list.data?.items.find((x) => x.id === linked) : undefined;
    if (a) setRunsOf(a);
  }, [linked, list.data]);
  const closeRuns = () => {
    setRunsOf(null);
    if (linked) setSearch({}, { replace: true });
  };
  const open = (a: Automation) =>
    setFlow({
      id: a.builtin ? null : a.id,
      builtin: a.builtin,
      name: a.name,
      version: a.version,
      definition: a.definition as unknown as Definition,
    });
  const exportJson = () =>
    run(async () => {
      const doc = await api.get('/automations/export');
      const url = URL.createObjectURL(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `huike-automations-${new Date().toISOString().slice(0, 10)}.json`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    });
  const importJson = (file: File) =>
    run(async () => {
      let doc: unknown;
      try {
        doc = JSON.parse(await file.text());
      } catch {
        throw new Error(t('automationEditor.badFile'));
      }
      const r = await api.post('/automations/import', doc as never);
      void message.success(t('automationEditor.imported', { n: r.imported }));
      list.reload();
    });
  const [form] = Form.useForm<Settings>();
  // Festival names come from the server (they are data, in the shop's words).
  const calendar = new Map<string, string[]>();
  for (const h of holidays.data?.items ?? []) calendar.set(h.name, [...(calendar.get(h.name) ?? []), h.date]);
  const holidayNames = [...calendar.keys()];
  /** A festival's name in the reader's language (the server's is the Chinese name it stores in settings). */
  const holidayName = (name: string) => t(`automations.holidayNames.${name}`, { defaultValue: name });

  const [enabling, setEnabling] = useState<Automation | null>(null);
  const toggle = (a: Automation, on: boolean) =>
    run(async () => {
      if (a.id)
        await api.post(on ? '/automations/{id}/enable' : '/automations/{id}/disable', {}, { params: { id: a.id } });
      else await api.post('/automations', { builtin: a.builtin ?? undefined, enabled: on });
      if (on) void message.success(t('automations.enabledDone', { name: nameOf(a) }));
      list.reload();
    });
  const dryRun = (a: Automation) =>
    run(async () => {
      const r = await automationDryRun(a);
      modal.info({
        title: t('automations.dryRunTitle', { name: nameOf(a) }),
        content: <DryRunText r={r} />,
      });
    });
  const save = () =>
    run(async () => {
      const values = await form.validateFields();
      const settings: Settings = {};
      for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null && v !== '') settings[k] = v;
      await api.post('/automations', { builtin: editing!.builtin ?? undefined, settings: settings as never });
      void message.success(t('automations.saved'));
      setEditing(null);
      list.reload();
    });

  const field = (k: string) => {
    const label = t(`automations.field.${k}`);
    if (NUMBER_FIELDS.has(k))
      return (
        <Form.Item key={k} name={k} label={label}>
          <InputNumber min={0} style={{ width: 160 }} />
        </Form.Item>
      );
    // A coupon is chosen by name and a compensation typed in yuan, never an id or fen.
    if (k === 'couponTemplateId')
      return (
        <Form.Item key={k} name={k} label={label}>
          <Select
            allowClear
            showSearch
            optionFilterProp="label"
            style={{ width: 320 }}
            placeholder={t('campaignExtras.couponNone')}
            data-testid="setting-couponTemplateId"
            options={coupons.data?.items.map((x) => ({
              value: x.id,
              label: x.compensation ? t('automations.compensationCoupon', { name: x.name }) : x.name,
            }))}
          />
        </Form.Item>
      );
    if (k === 'valueFen')
      return (
        <Form.Item key={k} name={k} label={label} {...yuan}>
          <InputNumber min={0.01} precision={2} prefix="¥" style={{ width: 160 }} data-testid="setting-valueFen" />
        </Form.Item>
      );
    if (k === 'medium')
      return (
        <Form.Item key={k} name={k} label={label}>
          <Select
            style={{ width: 160 }}
            options={['sms', 'email', 'wechat', 'platform'].map((m) => ({
              value: m,
              label: t(`automations.medium.${m}`),
            }))}
          />
        </Form.Item>
      );
    if (k === 'refillBy')
      return (
        <Form.Item key={k} name={k} label={label}>
          <Select
            style={{ width: 160 }}
            placeholder={t('automationEditor.enum.refillBy.category')}
            options={['category', 'product'].map((m) => ({
              value: m,
              label: t(`automationEditor.enum.refillBy.${m}`),
            }))}
          />
        </Form.Item>
      );
    if (LIST_FIELDS.has(k))
      return (
        <Form.Item key={k} name={k} label={label}>
          <Select
            mode={k === 'holidays' ? 'multiple' : 'tags'}
            options={k === 'holidays' ? holidayNames.map((h) => ({ value: h, label: holidayName(h) })) : undefined}
          />
        </Form.Item>
      );
    if (k === 'text' || k === 'secondText')
      return (
        <Form.Item key={k} name={k} label={label}>
          <Input.TextArea rows={3} />
        </Form.Item>
      );
    return (
      <Form.Item key={k} name={k} label={label}>
        <Input />
      </Form.Item>
    );
  };

  if (list.error) return <ErrorBox error={list.error} onRetry={list.reload} />;
  return (
    <>
      <PageHeader
        title={t('menu.automations')}
        extra={
          <Space>
            <Button icon={<DownloadOutlined />} onClick={() => void exportJson()} data-testid="automations-export">
              {t('automationEditor.exportJson')}
            </Button>
            {writes && (
              <Upload
                accept=".json,application/json"
                showUploadList={false}
                beforeUpload={(f) => {
                  void importJson(f);
                  return false;
                }}
              >
                <Button icon={<UploadOutlined />} data-testid="automations-import">
                  {t('automationEditor.importJson')}
                </Button>
              </Upload>
            )}
            {writes && (
              <Button
                type="primary"
                icon={<PlusOutlined />}
                onClick={() => setFlow(newTarget())}
                data-testid="automation-new"
              >
                {t('automationEditor.create')}
              </Button>
            )}
          </Space>
        }
      />
      <Card>
        <Table<Automation>
          rowKey={(a) => a.id ?? a.builtin ?? a.name}
          loading={list.loading}
          dataSource={list.data?.items ?? []}
          pagination={false}
          columns={[
            {
              title: t('automations.name'),
              render: (_, a) => (
                <Space direction="vertical" size={0}>
                  <b>{nameOf(a)}</b>
                  <span style={{ color: '#888' }}>
                    {a.builtin
                      ? t(`automations.builtin.${a.builtin}.description`, { defaultValue: a.description ?? '' })
                      : a.description}
                  </span>
                  <span style={{ color: '#888', fontSize: 12 }} data-testid={`automation-when-${a.builtin ?? a.id}`}>
                    {triggerWhen(a.definition.trigger, t)}
                  </span>
                </Space>
              ),
            },
            {
              title: t('automations.version'),
              width: 80,
              render: (_, a) => (a.version ? `v${a.version}` : '—'),
            },
            {
              title: t('automations.enabled'),
              width: 90,
              render: (_, a) => (
                <Switch
                  data-testid={`automation-switch-${a.builtin ?? a.id}`}
                  checked={a.enabled}
                  loading={busy}
                  disabled={!writes}
                  // Switching on asks first, saying when it sends and what the last 30 days would have sent.
                  onChange={(on) => (on ? setEnabling(a) : void toggle(a, false))}
                />
              ),
            },
            {
              title: t('automations.actions'),
              width: 340,
              render: (_, a) => (
                <Space>
                  <Button size="small" onClick={() => open(a)} data-testid={`automation-flow-${a.builtin ?? a.id}`}>
                    {a.builtin || !writes ? t('automationEditor.view') : t('automationEditor.edit')}
                  </Button>
                  {a.builtin && writes && (
                    <Button
                      size="small"
                      onClick={() => {
                        form.resetFields();
                        form.setFieldsValue((a.settings ?? {}) as never);
                        setEditing(a);
                      }}
                      data-testid={`automation-settings-${a.builtin}`}
                    >
                      {t('automations.edit')}
                    </Button>
                  )}
                  {writes && (
                    <Button
                      size="small"
                      onClick={() => void dryRun(a)}
                      data-testid={`automation-dry-${a.builtin ?? a.id}`}
                    >
                      {t('automations.dryRun')}
                    </Button>
                  )}
                  {a.id && (
                    <Button
                      size="small"
                      onClick={() => setRunsOf(a)}
                      data-testid={`automation-runs-${a.builtin ?? a.id}`}
                    >
                      {t('automations.runs')}
                    </Button>
                  )}
                </Space>
              ),
            },
          ]}
        />
      </Card>
      <Card title={t('automations.holidays')} style={{ marginTop: 16 }}>
        <Space direction="vertical" data-testid="automation-holidays">
          {[...calendar].map(([name, dates]) => (
            <span key={name}>
              <Tag>{holidayName(name)}</Tag> {dates.join(' · ')}
            </span>
          ))}
        </Space>
      </Card>
      <Modal
        open={editing !== null}
        title={editing ? t('automations.settingsOf', { name: nameOf(editing) }) : ''}
        onCancel={() => setEditing(null)}
        onOk={() => void save()}
        confirmLoading={busy}
        destroyOnHidden
      >
        <Form form={form} layout="vertical">
          {(editing?.fields ?? []).map(field)}
        </Form>
      </Modal>
      {enabling && (
        <EnableDialog
          a={enabling}
          name={nameOf(enabling)}
          onClose={() => setEnabling(null)}
          onOk={() => {
            const a = enabling;
            setEnabling(null);
            void toggle(a, true);
          }}
        />
      )}
      {flow && (
        <AutomationEditor
          target={flow}
          automations={list.data?.items ?? []}
          onClose={() => setFlow(null)}
          onCopy={(c) => setFlow(c)}
          onSaved={(a) => {
            list.reload();
            open(a);
          }}
        />
      )}
      <Drawer
        open={runsOf !== null}
        width={760}
        title={runsOf ? t('automations.runsOf', { name: nameOf(runsOf) }) : ''}
        onClose={closeRuns}
        destroyOnHidden
      >
        {runsOf?.id && <RunLog id={runsOf.id} marked={runsOf.id === linked ? search.get('run') : null} />}
      </Drawer>
    </>
  );
}

function RunLog({ id, marked }: { id: string; marked: string | null }) {
  const { t } = useTranslation();
  // The marked run (a service task's link) is asked for by id: it may be older than the recent runs.
  const runs = useApi('/automations/{id}/runs', { params: { id }, ...(marked ? { query: { run: marked } } : {}) });
  if (runs.error) return <ErrorBox error={runs.error} onRetry={runs.reload} />;
  return (
    <Table<Run>
      data-testid="automation-run-log"
      rowKey="id"
      size="small"
      loading={runs.loading}
      dataSource={runs.data?.items ?? []}
      pagination={false}
      onRow={(r) =>
        r.id === marked ? { 'data-testid': 'automation-run-marked', style: { background: '#e6f4ff' } } : {}
      }
      columns={[
        { title: t('automations.started'), render: (_, r) => dateTime(r.createdAt) },
        { title: t('automations.customer'), render: (_, r) => r.customerName ?? r.customerId },
        { title: t('automations.order'), render: (_, r) => r.orderExternalId ?? '—' },
        { title: t('automations.status'), render: (_, r) => <Tag>{r.statusLabel}</Tag> },
        {
          title: t('automations.reason'),
          render: (_, r) =>
            r.reason
              ? reasonText(r.why, r.reason)
              : r.steps.map((s) => `${s.stepId}${s.reason ? `: ${reasonText(s.why, s.reason)}` : ''}`).join('; '),
        },
      ]}
    />
  );
}

type DryRun = Answer<'/automations/dry-run', 'post'>;

/** The 30-day dry run of an automation as it is (saved) or as its built-in would be. */
function automationDryRun(a: Automation): Promise<DryRun> {
  return api.post(
    '/automations/dry-run',
    a.id ? { id: a.id } : { builtin: a.builtin ?? undefined, settings: (a.settings ?? {}) as never },
  );
}

function DryRunText({ r }: { r: DryRun }) {
  const { t } = useTranslation();
  return (
    <div data-testid="automation-dry-run">
      <p>
        {t('automations.dryRunResult', {
          days: r.days,
          customers: count(r.customers),
          messages: count(r.messages),
          cost: money(r.costFen),
        })}
      </p>
      {r.exited.map((e) => (
        <p key={e.reason}>{t('automations.exitedCount', { reason: reasonText(e.why, e.reason), n: count(e.count) })}</p>
      ))}
      {r.skipped.map((e) => (
        <p key={e.code}>{t('automations.skippedCount', { reason: reasonLabel(t, e.code), n: count(e.count) })}</p>
      ))}
      {r.blocked.map((e) => (
        <Alert
          key={e.reason}
          type="warning"
          showIcon
          message={t('automations.skippedCount', { reason: reasonText(e.why, e.reason), n: count(e.count) })}
        />
      ))}
    </div>
  );
}

/**
 * Before an automation is switched on: when it sends (every day at 00:05, on an order's event …), what the last 30
 * days would have sent and cost, and for marketing that consent and the send rules apply. Switching 沉睡唤醒 on
 * with one click queued thousands of messages a day without a word.
 */
function EnableDialog({
  a,
  name,
  onOk,
  onClose,
}: {
  a: Automation;
  name: string;
  onOk: () => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const [dry, setDry] = useState<DryRun | null>(null);
  const [failed, setFailed] = useState<unknown>(null);
  useEffect(() => {
    automationDryRun(a).then(setDry, setFailed);
  }, [a]);
  const steps = ((a.definition as { steps?: { kind?: string }[] }).steps ?? []) as { kind?: string }[];
  return (
    <Modal
      open
      title={t('automations.enableTitle', { name })}
      okText={t('automations.enableOk')}
      cancelText={t('common.cancel')}
      onOk={onOk}
      onCancel={onClose}
      okButtonProps={{ 'data-testid': 'automation-enable-ok' }}
    >
      <div data-testid="automation-enable">
        <p>{t('automations.enableWhen', { when: triggerWhen(a.definition.trigger, t) })}</p>
        {steps.some((x) => x.kind === 'marketing') && <p>{t('automations.enableMarketing')}</p>}
        {failed ? <ErrorBox error={failed as Error} /> : dry ? <DryRunText r={dry} /> : <Spin size="small" />}
      </div>
    </Modal>
  );
}
