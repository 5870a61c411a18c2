import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, Form, Input, InputNumber, Select, Space, Switch, Tag } from 'antd';
import type { Rule } from 'antd/es/form';
import type { NamePath } from 'antd/es/form/interface';
import { createContext, useContext } from 'react';
import { useTranslation } from 'react-i18next';
import { SegmentSelect } from '../../components/SegmentSelect';
import { type JsonSchema, label } from './definition';

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

/** What the pick-lists offer: loaded once by the editor, so a seller chooses and never types an id. */
export interface Picks {
  channels: { id: string; name: string; medium: string }[];
  coupons: { id: string; name: string }[];
  tags: string[];
  holidays: string[];
  templates: { label: string; text: string }[];
  /** Later steps a branch may go to: id and label. */
  stepChoices: (index: number) => { value: string; label: string }[];
  condition?: JsonSchema;
}
export const PicksContext = createContext<Picks>({
  channels: [],
  coupons: [],
  tags: [],
  holidays: [],
  templates: [],
  stepChoices: () => [],
});

/** A money field the form holds in fen and shows in yuan. */
export const yuan = {
  getValueProps: (v: unknown) => ({ value: typeof v === 'number' ? v / 100 : v }),
  normalize: (v: unknown) => (typeof v === 'number' ? Math.round(v * 100) : v),
};

function rulesOf(t: (k: string, o?: Record<string, unknown>) => string, p: JsonSchema, required: boolean): Rule[] {
  const r: Rule[] = [];
  if (required) r.push({ required: true, message: t('automationEditor.required') });
  const numeric = p.type === 'integer' || p.type === 'number';
  if (numeric && p.minimum !== undefined)
    r.push({ type: 'number', min: p.minimum, message: t('automationEditor.min', { n: p.minimum }) });
  if (numeric && p.maximum !== undefined)
    r.push({ type: 'number', max: p.maximum, message: t('automationEditor.max', { n: p.maximum }) });
  if (p.type === 'string' && p.pattern) {
    const re = new RegExp(p.pattern);
    r.push({ pattern: re, message: t('automationEditor.issue.format') });
  }
  return r;
}

/**
 * One field of a trigger or a step, drawn from its JSON Schema: a choice for an enum, a number box for a
 * number, a switch for a yes/no, tags for a list; fields that name something (a channel, a coupon template,
 * a segment, tags, a later step) get a pick-list.
 */
export function SchemaField({
  name,
  prop,
  schema,
  required,
  path,
  stepIndex,
  medium,
}: {
  name: NamePath;
  prop: string;
  schema: JsonSchema;
  required: boolean;
  /** The field's full path in the form (for the message text's template and variable buttons). */
  path: (string | number)[];
  stepIndex?: number;
  medium?: string;
}) {
  const { t } = useTranslation();
  const picks = useContext(PicksContext);
  const form = Form.useFormInstance();
  const common = {
    name,
    label: label(t, 'field', prop),
    rules: rulesOf(t, schema, required),
    style: { marginBottom: 12, maxWidth: prop === 'text' ? undefined : 480 },
  };
  const testId = `field-${stepIndex ?? 'trigger'}-${prop}`;
  const enumOptions = (values: unknown[]) =>
    values.map((v) => ({ value: v as string, label: label(t, `enum.${prop}`, String(v)) }));

  if (prop === 'text') {
    const set = (text: string) => form.setFieldValue(path, text);
    return (
      <>
        <Space wrap style={{ marginBottom: 4 }}>
          <Select
            size="small"
            style={{ width: 280 }}
            placeholder={t('automationEditor.chooseTemplate')}
            value={null}
            onChange={(v: string) => set(v)}
            options={picks.templates.map((x) => ({ value: x.text, label: x.label }))}
            data-testid={`${testId}-template`}
          />
          <span style={{ color: '#888' }}>{t('automationEditor.insertVariable')}</span>
          {VARIABLES.map((v) => (
            <Tag
              key={v}
              style={{ cursor: 'pointer' }}
              onClick={() => set(`${(form.getFieldValue(path) as string | undefined) ?? ''}#${v}#`)}
            >
              {v}
            </Tag>
          ))}
        </Space>
        <Form.Item {...common}>
          <Input.TextArea rows={3} showCount maxLength={schema.maxLength} data-testid={testId} />
        </Form.Item>
      </>
    );
  }
  if (prop === 'channelId')
    return (
      <Form.Item {...common}>
        <Select
          allowClear
          placeholder={t('automationEditor.defaultChannel')}
          data-testid={testId}
          options={picks.channels
            .filter((c) => !medium || c.medium === medium)
            .map((c) => ({ value: c.id, label: c.name }))}
        />
      </Form.Item>
    );
  if (prop === 'templateId')
    return (
      <Form.Item {...common}>
        <Select
          showSearch
          optionFilterProp="label"
          placeholder={t('automationEditor.chooseCoupon')}
          data-testid={testId}
          options={picks.coupons.map((c) => ({ value: c.id, label: c.name }))}
        />
      </Form.Item>
    );
  if (prop === 'segmentId')
    return (
      <Form.Item {...common}>
        <SegmentSelect testId={testId} style={{ width: '100%' }} />
      </Form.Item>
    );
  if (prop === 'add' || (prop === 'tags' && schema.type === 'array'))
    return (
      <Form.Item {...common}>
        <Select
          mode="tags"
          placeholder={t('automationEditor.chooseTags')}
          data-testid={testId}
          options={picks.tags.map((x) => ({ value: x, label: x }))}
        />
      </Form.Item>
    );
  if (prop === 'holidays')
    return (
      <Form.Item {...common}>
        <Select mode="multiple" data-testid={testId} options={picks.holidays.map((h) => ({ value: h, label: h }))} />
      </Form.Item>
    );
  if (prop === 'else' && stepIndex !== undefined)
    return (
      <Form.Item {...common}>
        <Select
          data-testid={testId}
          options={[{ value: 'exit', label: t('automationEditor.elseExit') }, ...picks.stepChoices(stepIndex)]}
        />
      </Form.Item>
    );
  if (schema.type === 'array' && schema.items?.properties?.fact)
    return (
      <Form.Item label={label(t, 'field', prop)} style={{ marginBottom: 12 }}>
        <ConditionList name={name} path={path} schema={schema.items} testId={testId} />
      </Form.Item>
    );
  if (schema.enum)
    return (
      <Form.Item {...common}>
        <Select data-testid={testId} allowClear={!required} options={enumOptions(schema.enum)} />
      </Form.Item>
    );
  if (schema.type === 'integer' || schema.type === 'number') {
    const money = /Fen$/.test(prop);
    return (
      <Form.Item
        {...common}
        {...(money ? yuan : {})}
        rules={money ? rulesOf(t, { type: 'integer' }, required) : common.rules}
      >
        <InputNumber
          style={{ width: 200 }}
          min={money ? 0.01 : schema.minimum}
          max={money ? undefined : schema.maximum}
          precision={money ? 2 : 0}
          addonAfter={money ? t('automationEditor.yuan') : undefined}
          data-testid={testId}
        />
      </Form.Item>
    );
  }
  if (schema.type === 'boolean')
    return (
      <Form.Item {...common} valuePropName="checked">
        <Switch data-testid={testId} />
      </Form.Item>
    );
  if (schema.type === 'array') {
    const numbers = schema.items?.type === 'integer' || schema.items?.type === 'number';
    return (
      <Form.Item
        {...common}
        normalize={(v: unknown) => (numbers && Array.isArray(v) ? v.map(Number).filter((n) => !Number.isNaN(n)) : v)}
      >
        <Select
          mode={schema.items?.enum ? 'multiple' : 'tags'}
          data-testid={testId}
          options={schema.items?.enum ? enumOptions(schema.items.enum) : []}
        />
      </Form.Item>
    );
  }
  const hint =
    prop === 'untilLocal'
      ? t('automationEditor.timeHint')
      : prop === 'cron'
        ? t('automationEditor.cronHint')
        : prop === 'anniversary'
          ? 'MM-DD'
          : undefined;
  return (
    <Form.Item {...common} extra={prop === 'cron' ? hint : undefined}>
      <Input placeholder={hint} maxLength={schema.maxLength} style={{ maxWidth: 480 }} data-testid={testId} />
    </Form.Item>
  );
}

const NUMERIC_OPS = ['gte', 'lte', 'eq', 'neq'];
const LIST_OPS = ['in', 'nin'];

/** The comparisons a fact takes, as the server checks them: a count ≥/≤, yes/no is or is not, a status in a list. */
function opsOf(fact: string): string[] {
  if (/presale|Since$/.test(fact)) return ['eq', 'neq'];
  if (/totalFen|paidOrders|days/i.test(fact)) return NUMERIC_OPS;
  if (fact === 'order.status') return ['eq', 'neq', ...LIST_OPS];
  return ['eq', 'neq', ...LIST_OPS, 'has', 'lacks'];
}

/** The value box of one condition: yes/no, a number (元 for an amount), an order status, tags or words. */
function ConditionValue({ fact, op, name }: { fact: string; op: string; name: NamePath }) {
  const { t } = useTranslation();
  const picks = useContext(PicksContext);
  const boolFact = /presale|Since$/.test(fact);
  const numberFact = /totalFen|paidOrders|days/i.test(fact) && !boolFact;
  const list = LIST_OPS.includes(op);
  if (boolFact)
    return (
      <Form.Item name={name} noStyle initialValue={true}>
        <Select
          style={{ width: 120 }}
          options={[
            { value: true, label: t('automationEditor.yes') },
            { value: false, label: t('automationEditor.no') },
          ]}
        />
      </Form.Item>
    );
  if (numberFact && !list)
    return (
      <Form.Item
        name={name}
        noStyle
        rules={[{ required: true, message: t('automationEditor.required') }]}
        {...(fact.endsWith('Fen') ? yuan : {})}
      >
        <InputNumber style={{ width: 140 }} min={0} />
      </Form.Item>
    );
  const statuses = fact === 'order.status';
  const tags = fact === 'customer.tags';
  const options = statuses
    ? ['created', 'paid', 'shipped', 'signed', 'completed', 'closed', 'refunded'].map((s) => ({
        value: s,
        label: label(t, 'enum.event', s),
      }))
    : tags
      ? picks.tags.map((x) => ({ value: x, label: x }))
      : [];
  if (list)
    return (
      <Form.Item name={name} noStyle rules={[{ required: true, message: t('automationEditor.required') }]}>
        <Select mode={statuses ? 'multiple' : 'tags'} style={{ minWidth: 220 }} options={options} />
      </Form.Item>
    );
  if (statuses || tags)
    return (
      <Form.Item name={name} noStyle rules={[{ required: true, message: t('automationEditor.required') }]}>
        <Select style={{ width: 200 }} showSearch options={options} />
      </Form.Item>
    );
  return (
    <Form.Item name={name} noStyle rules={[{ required: true, message: t('automationEditor.required') }]}>
      <Input style={{ width: 200 }} />
    </Form.Item>
  );
}

/** A list of conditions (all must hold): fact, comparison, value. */
export function ConditionList({
  name,
  path,
  schema,
  testId,
}: {
  name: NamePath;
  path: (string | number)[];
  schema: JsonSchema;
  testId: string;
}) {
  const { t } = useTranslation();
  const form = Form.useFormInstance();
  const all = (Form.useWatch(path, { form, preserve: true }) as { fact?: string; op?: string }[] | undefined) ?? [];
  const facts = (schema.properties?.fact?.enum ?? []) as string[];
  const ops = (schema.properties?.op?.enum ?? []) as string[];
  return (
    <Form.List name={name}>
      {(fields, { add, remove }) => (
        <Space direction="vertical" style={{ width: '100%' }} data-testid={testId}>
          {fields.map((f, i) => {
            const fact = all[i]?.fact ?? '';
            const allowed = ops.filter((o) => opsOf(fact).includes(o));
            return (
              <Space key={f.key} wrap>
                <Form.Item name={[f.name, 'fact']} noStyle>
                  <Select
                    style={{ width: 220 }}
                    options={facts.map((x) => ({ value: x, label: label(t, 'enum.fact', x) }))}
                    onChange={(next: string) => {
                      form.setFieldValue([...path, i, 'value'], undefined);
                      if (!opsOf(next).includes(all[i]?.op ?? 'eq')) form.setFieldValue([...path, i, 'op'], 'eq');
                    }}
                  />
                </Form.Item>
                <Form.Item name={[f.name, 'op']} noStyle>
                  <Select
                    style={{ width: 110 }}
                    options={allowed.map((x) => ({ value: x, label: label(t, 'enum.op', x) }))}
                  />
                </Form.Item>
                <ConditionValue fact={fact} op={all[i]?.op ?? 'eq'} name={[f.name, 'value']} />
                <Button type="text" icon={<DeleteOutlined />} onClick={() => remove(f.name)} />
              </Space>
            );
          })}
          <Button
            size="small"
            icon={<PlusOutlined />}
            onClick={() => add({ fact: facts[0], op: 'eq', value: undefined })}
            data-testid={`${testId}-add`}
          >
            {t('automationEditor.addCondition')}
          </Button>
        </Space>
      )}
    </Form.List>
  );
}
