import {
  ArrowDownOutlined,
  ArrowUpOutlined,
  CheckCircleOutlined,
  DeleteOutlined,
  PlusOutlined,
  ThunderboltOutlined,
} from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Checkbox,
  Drawer,
  Dropdown,
  Form,
  Input,
  Select,
  Space,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api, ApiError } from '../../api';
import { ErrorBox, Loading } from '../../components/Status';
import { count, dateTime, money } from '../../format';
import { useAction, useApi } from '../../hooks';
import {
  clean,
  type Definition,
  fieldsOf,
  type Issue,
  issuesOf,
  issueText,
  type JsonSchema,
  type Kind,
  kindsOf,
  label,
  nextStepId,
  type Step,
  starter,
  triggerFieldShown,
} from './definition';
import { ConditionList, type Picks, PicksContext, SchemaField } from './fields';
import { reasonLabel } from '../campaigns/shared';
import { reasonText } from '../../errors';
import { can, useMe } from '../../session';

type Automation = Answer<'/automations'>['items'][number];
type DryRun = Answer<'/automations/dry-run', 'post'>;

/** What the editor opens: a saved automation, a built-in (read only), or a new one (id null, builtin null). */
export interface EditorTarget {
  id: string | null;
  builtin: string | null;
  name: string;
  version: number;
  definition: Definition;
}

const NEW: Definition = {
  name: '',
  trigger: { type: 'order_event', event: 'paid' },
  conditions: [],
  exitWhen: [],
  steps: [{ id: 's1', type: 'message', medium: 'sms', kind: 'care', text: '' }],
};
export const newTarget = (): EditorTarget => ({ id: null, builtin: null, name: '', version: 0, definition: NEW });

/** Server problems by where they belong: 'trigger', 'conditions', 'steps.2', or '' for the whole. */
type Problems = Record<string, string[]>;

/**
 * The visual step editor: trigger → conditions → steps as a vertical flow of cards. Steps are added,
 * removed, moved and edited with pick-lists; the server's validation problems show on the step they
 * concern; saving makes a new version; the 30-day dry run runs on what is on screen.
 */
export function AutomationEditor({
  target,
  automations,
  onClose,
  onSaved,
  onCopy,
}: {
  target: EditorTarget;
  automations: Automation[];
  onClose: () => void;
  onSaved: (a: Automation) => void;
  onCopy: (t: EditorTarget) => void;
}) {
  const { t } = useTranslation();
  const schema = useApi('/automations/schema');
  const title = target.builtin
    ? t('automationEditor.titleView', { name: target.name })
    : target.id
      ? t('automationEditor.titleEdit', { name: target.name })
      : t('automationEditor.titleNew');
  return (
    <Drawer open width={1040} title={title} onClose={onClose} destroyOnHidden data-testid="automation-editor">
      {schema.error ? (
        <ErrorBox error={schema.error} onRetry={schema.reload} />
      ) : !schema.data ? (
        <Loading />
      ) : (
        <EditorBody
          key={`${target.id ?? target.builtin ?? 'new'}`}
          schema={schema.data as JsonSchema}
          target={target}
          automations={automations}
          onSaved={onSaved}
          onCopy={onCopy}
        />
      )}
    </Drawer>
  );
}

function usePicks(automations: Automation[], steps: Step[], stepKinds: Kind[], condition?: JsonSchema): Picks {
  const { t } = useTranslation();
  const channels = useApi('/messaging/channels');
  const coupons = useApi('/coupons/templates');
  const tags = useApi('/tags');
  const holidays = useApi('/automations/holidays', { query: { years: 1 } });
  return useMemo(() => {
    // The built-ins' messages are the shop's message templates (their texts use the same #variables#).
    const templates = automations.flatMap((a) =>
      ((a.definition as unknown as Definition).steps ?? [])
        .filter((s) => s.type === 'message' && typeof s.text === 'string')
        .map((s, i) => ({
          label: `${a.name}${i ? ` ${i + 1}` : ''} · ${String(s.text).slice(0, 24)}`,
          text: String(s.text),
        })),
    );
    const kindLabel = (k: string) => label(t, 'kind', k);
    return {
      channels: (channels.data?.items ?? []).map((c) => ({ id: c.id, name: c.name, medium: c.medium })),
      coupons: (coupons.data?.items ?? []).map((c) => ({ id: c.id, name: c.name })),
      tags: (tags.data?.items ?? []).map((x) => x.name),
      holidays: [...new Set((holidays.data?.items ?? []).map((h) => h.name))],
      templates,
      stepChoices: (index: number) =>
        steps.slice(index + 1).map((s, j) => ({
          value: s.id,
          label: t('automationEditor.elseGoto', { n: index + j + 2, kind: kindLabel(s.type) }),
        })),
      condition,
    };
  }, [automations, steps, channels.data, coupons.data, tags.data, holidays.data, condition, t, stepKinds]);
}

function EditorBody({
  schema,
  target,
  automations,
  onSaved,
  onCopy,
}: {
  schema: JsonSchema;
  target: EditorTarget;
  automations: Automation[];
  onSaved: (a: Automation) => void;
  onCopy: (t: EditorTarget) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<Definition>();
  const { busy, run } = useAction();
  const [problems, setProblems] = useState<Problems>({});
  const [dry, setDry] = useState<DryRun | null>(null);
  // A built-in is changed through its settings; a role without automations:write only reads (the server refuses).
  const writes = can(useMe(), 'automations:write');
  const readOnly = target.builtin !== null || !writes;
  const triggerKinds = kindsOf(schema.properties?.trigger);
  const stepKinds = kindsOf(schema.properties?.steps?.items);
  const condition = schema.properties?.conditions?.items;
  const exitChoices = (schema.properties?.exitWhen?.items?.enum ?? []) as string[];
  const steps = (Form.useWatch('steps', { form, preserve: true }) as Step[] | undefined) ?? target.definition.steps;
  const triggerType =
    (Form.useWatch(['trigger', 'type'], { form, preserve: true }) as string | undefined) ??
    target.definition.trigger.type;
  const picks = usePicks(automations, steps, stepKinds, condition);
  const versions = useApi(target.id ? '/automations/{id}/versions' : null, { params: { id: target.id ?? '' } });

  /** The definition on screen, checked by the form's own rules first (their messages are already per field). */
  const current = async (): Promise<Definition | null> => {
    setProblems({});
    try {
      await form.validateFields();
    } catch (e) {
      const n = (e as { errorFields?: unknown[] }).errorFields?.length ?? 0;
      void message.error(t('automationEditor.fixErrors', { n }));
      return null;
    }
    const v = form.getFieldsValue(true) as Definition;
    return clean({
      name: v.name,
      trigger: v.trigger,
      conditions: v.conditions ?? [],
      exitWhen: v.exitWhen ?? [],
      steps: v.steps,
    });
  };

  /** The server's problems go next to the step (or trigger, conditions) they name, in the seller's words. */
  const showIssues = (issues: Issue[]) => {
    const byPlace: Problems = {};
    const fieldErrors: { name: (string | number)[]; errors: string[] }[] = [];
    for (const i of issues) {
      const parts = i.path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
      const place = parts[0] === 'steps' && parts.length > 1 ? `steps.${parts[1]}` : String(parts[0] ?? '');
      const text = issueText(t, i);
      const field = parts[parts.length - 1];
      const where = typeof field === 'string' && parts.length > 1 ? `${label(t, 'field', field)}：` : '';
      (byPlace[place] ??= []).push(`${where}${text}`);
      if (parts.length === 3 || (parts[0] === 'trigger' && parts.length === 2) || parts[0] === 'name')
        fieldErrors.push({ name: parts, errors: [text] });
    }
    setProblems(byPlace);
    form.setFields(fieldErrors);
    const n = issues.length;
    void message.error(t('automationEditor.fixErrors', { n }));
  };

  const call = async <T,>(fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ApiError && issuesOf(e).length) {
        showIssues(issuesOf(e));
        return null;
      }
      throw e;
    }
  };

  const save = () =>
    run(async () => {
      const definition = await current();
      if (!definition) return;
      const saved = await call(() =>
        target.id
          ? api.put('/automations/{id}', { definition }, { params: { id: target.id } })
          : api.post('/automations', { definition, enabled: false }),
      );
      if (!saved) return;
      void message.success(
        saved.version === target.version
          ? t('automationEditor.savedSame', { version: saved.version })
          : t('automationEditor.saved', { version: saved.version }),
      );
      versions.reload();
      onSaved(saved);
    });

  const dryRun = () =>
    run(async () => {
      const definition = await current();
      if (!definition) return;
      const r = await call(() => api.post('/automations/dry-run', { definition }));
      if (r) setDry(r);
    });

  /** Steps are one list value: adding, moving and removing rewrite it (field errors of old places are cleared). */
  const setSteps = (all: Step[]) => {
    setProblems({});
    const stale = form
      .getFieldsError()
      .filter((f) => f.name[0] === 'steps' && f.errors.length)
      .map((f) => ({ name: f.name, errors: [] }));
    form.setFields(stale);
    form.setFieldValue('steps', all);
  };
  const setStepKind = (index: number, kind: string) => {
    const k = stepKinds.find((x) => x.kind === kind);
    if (!k) return;
    const id = (form.getFieldValue(['steps', index, 'id']) as string | undefined) ?? nextStepId(steps);
    form.setFieldValue(['steps', index], { id, ...starter(k) });
  };
  const setTriggerKind = (kind: string) => {
    const k = triggerKinds.find((x) => x.kind === kind);
    if (k) form.setFieldValue('trigger', starter(k));
  };
  const triggerKind = triggerKinds.find((k) => k.kind === triggerType);
  const triggerDate =
    (Form.useWatch(['trigger', 'date'], { form, preserve: true }) as string | undefined) ??
    (target.definition.trigger as { date?: string }).date;
  const kindMenu = (onPick: (kind: string) => void) => ({
    items: stepKinds.map((k) => ({ key: k.kind, label: label(t, 'kind', k.kind) })),
    onClick: ({ key }: { key: string }) => onPick(key),
  });

  return (
    <PicksContext.Provider value={picks}>
      {readOnly && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          message={t(writes ? 'automationEditor.builtinHint' : 'automationEditor.readOnlyHint')}
          action={
            writes && (
              <Button
                size="small"
                type="primary"
                data-testid="automation-copy"
                onClick={() =>
                  onCopy({
                    id: null,
                    builtin: null,
                    name: '',
                    version: 0,
                    definition: {
                      ...target.definition,
                      name: t('automationEditor.copyName', { name: target.name }),
                    },
                  })
                }
              >
                {t('automationEditor.copy')}
              </Button>
            )
          }
        />
      )}
      {problems[''] && <Alert type="error" style={{ marginBottom: 16 }} message={problems[''].join('；')} />}
      <Form
        form={form}
        layout="vertical"
        disabled={readOnly}
        initialValues={target.definition}
        onValuesChange={() => setDry(null)}
      >
        <Space align="start" style={{ width: '100%', justifyContent: 'space-between' }} wrap>
          <Form.Item
            name="name"
            label={t('automationEditor.name')}
            rules={[{ required: true, whitespace: true, message: t('automationEditor.nameRequired') }]}
            style={{ width: 420 }}
          >
            <Input maxLength={100} data-testid="automation-name" />
          </Form.Item>
          {target.id && (
            <Space style={{ paddingTop: 30 }}>
              <Tag color="blue" data-testid="automation-editor-version">
                {t('automationEditor.current', { version: target.version })}
              </Tag>
              <Select
                style={{ width: 240 }}
                placeholder={t('automationEditor.versions')}
                value={null}
                disabled={false}
                data-testid="automation-versions"
                onChange={(v: number) => {
                  const d = versions.data?.items.find((x) => x.version === v)?.definition;
                  if (d) form.setFieldsValue(d as never);
                }}
                options={(versions.data?.items ?? []).map((x) => ({
                  value: x.version,
                  label: t('automationEditor.version', { version: x.version, at: dateTime(x.createdAt) }),
                }))}
              />
            </Space>
          )}
        </Space>
        {(() => {
          const fields = steps;
          const addAt = (index: number) => (kind: string) => {
            const k = stepKinds.find((x) => x.kind === kind);
            if (!k) return;
            const all = [...steps];
            all.splice(index, 0, { id: nextStepId(all), ...starter(k) } as Step);
            setSteps(all);
          };
          const insert = (index: number) =>
            readOnly ? null : (
              <Dropdown menu={kindMenu(addAt(index))} trigger={['click']}>
                <Button
                  type="dashed"
                  size="small"
                  icon={<PlusOutlined />}
                  style={{ marginTop: 8 }}
                  data-testid={`step-insert-${index}`}
                >
                  {t('automationEditor.insertStep')}
                </Button>
              </Dropdown>
            );
          return (
            <Timeline
              items={[
                {
                  dot: <ThunderboltOutlined style={{ fontSize: 16 }} />,
                  children: (
                    <Card
                      size="small"
                      title={t('automationEditor.trigger')}
                      data-testid="automation-trigger"
                      style={problems.trigger ? { borderColor: '#ff4d4f' } : undefined}
                    >
                      <Form.Item label={t('automationEditor.triggerType')} style={{ marginBottom: 12 }}>
                        <Select
                          value={triggerType}
                          onChange={setTriggerKind}
                          style={{ width: 240 }}
                          data-testid="automation-trigger-type"
                          options={triggerKinds.map((k) => ({ value: k.kind, label: label(t, 'trig', k.kind) }))}
                        />
                      </Form.Item>
                      {fieldsOf(triggerKind)
                        .filter(([prop]) => triggerFieldShown(triggerType, triggerDate, prop))
                        .map(([prop, p]) => (
                          <SchemaField
                            key={`${triggerType}.${prop}`}
                            name={['trigger', prop]}
                            path={['trigger', prop]}
                            prop={prop}
                            schema={p}
                            required={triggerKind?.schema.required?.includes(prop) ?? false}
                          />
                        ))}
                      <ProblemList items={problems.trigger} />
                    </Card>
                  ),
                },
                {
                  color: 'gray',
                  children: (
                    <Card
                      size="small"
                      title={t('automationEditor.conditions')}
                      data-testid="automation-conditions"
                      style={problems.conditions ? { borderColor: '#ff4d4f' } : undefined}
                    >
                      {condition && (
                        <ConditionList
                          name="conditions"
                          path={['conditions']}
                          schema={condition}
                          testId="automation-condition-list"
                        />
                      )}
                      {exitChoices.length > 0 && (
                        <Form.Item
                          name="exitWhen"
                          label={t('automationEditor.exitWhen')}
                          style={{ marginTop: 12, marginBottom: 0 }}
                        >
                          <Checkbox.Group
                            data-testid="automation-exit-when"
                            options={exitChoices.map((x) => ({ value: x, label: label(t, 'enum.exitWhen', x) }))}
                          />
                        </Form.Item>
                      )}
                      <ProblemList items={problems.conditions} />
                      <div>{insert(0)}</div>
                    </Card>
                  ),
                },
                ...fields.map((f, i) => ({
                  key: f.id,
                  color: problems[`steps.${i}`] ? 'red' : 'blue',
                  children: (
                    <>
                      <StepCard
                        index={i}
                        initialType={f.type}
                        count={fields.length}
                        kinds={stepKinds}
                        readOnly={readOnly}
                        problems={problems[`steps.${i}`]}
                        onKind={(k) => setStepKind(i, k)}
                        onMove={(to) => {
                          const all = [...steps];
                          const [x] = all.splice(i, 1);
                          all.splice(to, 0, x!);
                          setSteps(all);
                        }}
                        onRemove={() => setSteps(steps.filter((_, j) => j !== i))}
                      />
                      {i < fields.length - 1 && insert(i + 1)}
                    </>
                  ),
                })),
                {
                  dot: <CheckCircleOutlined style={{ fontSize: 16 }} />,
                  color: 'green',
                  children: (
                    <Space>
                      <Typography.Text type="secondary">{t('automationEditor.end')}</Typography.Text>
                      {!readOnly && (
                        <Dropdown menu={kindMenu(addAt(fields.length))} trigger={['click']}>
                          <Button icon={<PlusOutlined />} data-testid="step-add">
                            {t('automationEditor.addStep')}
                          </Button>
                        </Dropdown>
                      )}
                    </Space>
                  ),
                },
              ]}
            />
          );
        })()}
      </Form>
      {dry && (
        <Alert
          type="success"
          showIcon
          style={{ marginBottom: 16 }}
          data-testid="editor-dry-run"
          message={t('automations.dryRunResult', {
            days: dry.days,
            customers: count(dry.customers),
            messages: count(dry.messages),
            cost: money(dry.costFen),
          })}
          description={
            <>
              {dry.exited.map((e) => (
                <div key={e.reason}>
                  {t('automations.exitedCount', { reason: reasonText(e.why, e.reason), n: count(e.count) })}
                </div>
              ))}
              {dry.skipped.map((e) => (
                <div key={e.code}>
                  {t('automations.skippedCount', { reason: reasonLabel(t, e.code), n: count(e.count) })}
                </div>
              ))}
              {!dry.simulated && <div>{t('automationEditor.notSimulated')}</div>}
            </>
          }
        />
      )}
      <Space
        style={{
          position: 'sticky',
          bottom: -24,
          background: '#fff',
          padding: '12px 0 24px',
          width: '100%',
          borderTop: '1px solid #f0f0f0',
          zIndex: 2,
        }}
      >
        {writes && (
          <Button onClick={() => void dryRun()} loading={busy} data-testid="editor-dry-run-button">
            {t('automationEditor.dryRun')}
          </Button>
        )}
        {!readOnly && (
          <Button type="primary" onClick={() => void save()} loading={busy} data-testid="automation-save">
            {target.id ? t('automationEditor.save') : t('automationEditor.saveNew')}
          </Button>
        )}
      </Space>
    </PicksContext.Provider>
  );
}

function ProblemList({ items }: { items: string[] | undefined }) {
  if (!items?.length) return null;
  return (
    <Alert
      type="error"
      style={{ marginTop: 8 }}
      data-testid="step-problems"
      message={
        <ul style={{ margin: 0, paddingLeft: 16 }}>
          {items.map((x) => (
            <li key={x}>{x}</li>
          ))}
        </ul>
      }
    />
  );
}

/** One step: its kind, its fields (drawn from the schema), move up/down, remove, and its problems. */
function StepCard({
  index,
  initialType,
  count,
  kinds,
  readOnly,
  problems,
  onKind,
  onMove,
  onRemove,
}: {
  index: number;
  initialType: string;
  count: number;
  kinds: Kind[];
  readOnly: boolean;
  problems: string[] | undefined;
  onKind: (kind: string) => void;
  onMove: (to: number) => void;
  onRemove: () => void;
}) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const type = (Form.useWatch(['steps', index, 'type'], { form, preserve: true }) as string | undefined) ?? initialType;
  const medium = Form.useWatch(['steps', index, 'medium'], { form, preserve: true }) as string | undefined;
  const kind = kinds.find((k) => k.kind === type);
  return (
    <Card
      size="small"
      data-testid={`step-${index}`}
      style={problems ? { borderColor: '#ff4d4f' } : undefined}
      title={
        <Space>
          <span>{t('automationEditor.step', { n: index + 1 })}</span>
          <Select
            size="small"
            value={type}
            onChange={onKind}
            style={{ width: 160 }}
            data-testid={`step-kind-${index}`}
            options={kinds.map((k) => ({ value: k.kind, label: label(t, 'kind', k.kind) }))}
          />
        </Space>
      }
      extra={
        readOnly ? null : (
          <Space size={0}>
            <Button
              type="text"
              size="small"
              icon={<ArrowUpOutlined />}
              title={t('automationEditor.moveUp')}
              disabled={index === 0}
              onClick={() => onMove(index - 1)}
              data-testid={`step-up-${index}`}
            />
            <Button
              type="text"
              size="small"
              icon={<ArrowDownOutlined />}
              title={t('automationEditor.moveDown')}
              disabled={index === count - 1}
              onClick={() => onMove(index + 1)}
              data-testid={`step-down-${index}`}
            />
            <Button
              type="text"
              size="small"
              danger
              icon={<DeleteOutlined />}
              title={t('automationEditor.remove')}
              disabled={count === 1}
              onClick={onRemove}
              data-testid={`step-remove-${index}`}
            />
          </Space>
        )
      }
    >
      {fieldsOf(kind).map(([prop, p]) => (
        <SchemaField
          key={`${type}.${prop}`}
          name={['steps', index, prop]}
          path={['steps', index, prop]}
          prop={prop}
          schema={p}
          required={kind?.schema.required?.includes(prop) ?? false}
          stepIndex={index}
          medium={medium}
        />
      ))}
      <ProblemList items={problems} />
    </Card>
  );
}
