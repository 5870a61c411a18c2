import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, DatePicker, Input, InputNumber, Select, Space, Switch, Typography } from 'antd';
import dayjs from 'dayjs';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import {
  defaultValue,
  NO_VALUE,
  newCondition,
  newGroup,
  replaceNode,
  type CondNode,
  type FieldInfo,
  type GroupNode,
  type Node,
  type Value,
} from '../rules';

export const FIELD_GROUPS: Record<string, string[]> = {
  consumption: [
    'total_spent',
    'paid_orders',
    'orders_count',
    'aov',
    'spent_12m',
    'orders_12m',
    'refund_amount',
    'refund_orders',
    'days_since_last_order',
    'first_paid_at',
    'last_paid_at',
    'first_order_at',
    'last_order_at',
    'favourite_category',
  ],
  behaviour: ['orders'],
  classification: [
    'rfm_class',
    // An RFM cell (R5·F5) is these scores: without them in the list its rule showed "r_score".
    'r_score',
    'f_score',
    'm_score',
    'value_tier',
    'lifecycle',
    'tags',
    'groups',
    'p_alive',
    'clv',
    'expected_order_value',
    'churn_band',
  ],
  profile: ['province', 'city', 'city_tier', 'gender', 'age_band', 'birthday_month', 'source', 'name', 'created_at'],
  contact: ['marketing_consent', 'is_blacklisted', 'is_bad_reviewer', 'is_picky', 'opt_out_sms', 'opt_out_email'],
};

/** The label of an enum value in the UI language. */
export function enumLabel(t: TFunction, field: string, v: string): string {
  const ns = {
    rfm_class: 'rfm.class',
    lifecycle: 'lifecycle',
    value_tier: 'valueTier',
    gender: 'gender',
    marketing_consent: 'consent',
    churn_band: 'predict.band',
  }[field];
  return ns ? t(`${ns}.${v}`, v) : v;
}

interface Props {
  root: GroupNode;
  fields: FieldInfo[];
  tagNames: string[];
  groupNames: string[];
  /** What the shop's data offers to pick from (GET /segments/options). */
  options: PickLists;
  onChange(root: GroupNode): void;
}

export interface PickLists {
  provinces: string[];
  cities: string[];
  categories: string[];
  activities: string[];
  sources: string[];
}

/** Typing 浙江 finds 浙江省: options match on any part of their label. */
const includes = (input: string, option?: { label?: unknown; value?: unknown }) =>
  String(option?.label ?? option?.value ?? '').includes(input.trim());

export function RuleBuilder(props: Props) {
  return <GroupEditor {...props} node={props.root} depth={0} />;
}

function GroupEditor({ node, depth, ...p }: Props & { node: GroupNode; depth: number }) {
  const { t } = useTranslation();
  const set = (next: Node | null) =>
    p.onChange(node.id === p.root.id ? (next as GroupNode) : replaceNode(p.root, node.id, next));
  return (
    <div className={depth > 0 ? 'rule-group' : undefined} data-testid={depth === 0 ? 'rule-root' : 'rule-group'}>
      <Space style={{ marginBottom: 8 }} wrap>
        <Select
          size="small"
          value={node.mode}
          style={{ width: 190 }}
          onChange={(mode) => set({ ...node, mode })}
          options={[
            { value: 'all', label: t('segments.matchAll') },
            { value: 'any', label: t('segments.matchAny') },
          ]}
          data-testid="group-mode"
        />
        <Space size={4}>
          <Switch size="small" checked={node.negate} onChange={(negate) => set({ ...node, negate })} />
          <Typography.Text type="secondary">{t('segments.negate')}</Typography.Text>
        </Space>
        {depth > 0 && <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={() => set(null)} />}
      </Space>
      {node.children.map((c) =>
        c.kind === 'group' ? (
          <GroupEditor key={c.id} {...p} node={c} depth={depth + 1} />
        ) : (
          <ConditionEditor key={c.id} {...p} node={c} />
        ),
      )}
      <Space style={{ marginTop: 4 }}>
        <Button
          size="small"
          icon={<PlusOutlined />}
          onClick={() => set({ ...node, children: [...node.children, newCondition()] })}
          data-testid="add-condition"
        >
          {t('segments.addCondition')}
        </Button>
        {depth < 3 && (
          <Button
            size="small"
            type="dashed"
            icon={<PlusOutlined />}
            onClick={() =>
              set({
                ...node,
                children: [...node.children, newGroup(node.mode === 'all' ? 'any' : 'all', [newCondition()])],
              })
            }
          >
            {t('segments.addGroup')}
          </Button>
        )}
      </Space>
    </div>
  );
}

function ConditionEditor({ node, ...p }: Props & { node: CondNode }) {
  const { t } = useTranslation();
  const field = p.fields.find((f) => f.name === node.field);
  const set = (next: CondNode | null) => p.onChange(replaceNode(p.root, node.id, next));
  const fieldOptions = Object.entries(FIELD_GROUPS).map(([g, names]) => ({
    label: t(`segments.fieldGroups.${g}`),
    options: names
      .filter((n) => p.fields.some((f) => f.name === n))
      .map((n) => ({ value: n, label: t(`fields.${n}`, n) })),
  }));
  return (
    <div
      style={{ display: 'flex', gap: 8, alignItems: 'flex-start', flexWrap: 'wrap', marginBottom: 8 }}
      data-testid="condition"
    >
      <Select
        showSearch
        // A field's own name only: 标签 matched the group 分类与标签 and put RFM 分类 first.
        filterOption={(input, option) =>
          option !== undefined && 'value' in option && String(option.label ?? '').includes(input.trim())
        }
        style={{ width: 170 }}
        value={node.field || undefined}
        placeholder={t('segments.pickField')}
        status={node.field ? undefined : 'warning'}
        options={fieldOptions}
        onChange={(name) => {
          const f = p.fields.find((x) => x.name === name)!;
          set({ ...newCondition(f), id: node.id });
        }}
        data-testid="condition-field"
      />
      {field && (
        <Select
          style={{ width: 130 }}
          value={node.op}
          options={field.operators.map((o) => ({ value: o, label: t(`ops.${o}`, o) }))}
          onChange={(op) => set({ ...node, op, value: defaultValue(field.type, op, field.values) })}
          data-testid="condition-op"
        />
      )}
      {field && !NO_VALUE.has(node.op) && (
        <ValueEditor
          field={field}
          op={node.op}
          value={node.value}
          onChange={(value) => set({ ...node, value })}
          tagNames={p.tagNames}
          groupNames={p.groupNames}
          options={p.options}
        />
      )}
      {field?.type === 'orders' && (
        <Space wrap size={4}>
          <Select
            mode="multiple"
            size="middle"
            style={{ minWidth: 180 }}
            placeholder={t('segments.where.category')}
            value={node.where?.category ?? []}
            options={p.options.categories.map((c) => ({ value: c, label: c }))}
            filterOption={includes}
            onChange={(v) => set({ ...node, where: { ...node.where, category: v } })}
            data-testid="where-category"
          />
          <Select
            mode="multiple"
            style={{ minWidth: 150 }}
            placeholder={t('segments.where.activity')}
            value={node.where?.activity ?? []}
            options={p.options.activities.map((a) => ({ value: a, label: a }))}
            filterOption={includes}
            onChange={(v) => set({ ...node, where: { ...node.where, activity: v } })}
          />
          <DatePicker.RangePicker
            value={node.where?.from && node.where?.to ? [dayjs(node.where.from), dayjs(node.where.to)] : null}
            onChange={(r) =>
              set({
                ...node,
                where: { ...node.where, from: r?.[0]?.format('YYYY-MM-DD'), to: r?.[1]?.format('YYYY-MM-DD') },
              })
            }
          />
        </Space>
      )}
      <Button type="text" danger icon={<DeleteOutlined />} onClick={() => set(null)} aria-label={t('common.delete')} />
    </div>
  );
}

function ValueEditor({
  field,
  op,
  value,
  onChange,
  tagNames,
  groupNames,
  options,
}: {
  field: FieldInfo;
  op: string;
  value: Value;
  onChange(v: Value): void;
  tagNames: string[];
  groupNames: string[];
  options: PickLists;
}) {
  const { t } = useTranslation();
  const money = field.type === 'money';
  // Money is typed in yuan and kept in fen.
  const toShown = (v: unknown) => (typeof v === 'number' ? (money ? v / 100 : v) : null);
  const fromShown = (v: number | null) => (v === null ? 0 : money ? Math.round(v * 100) : Math.round(v));
  const num = (v: unknown, change: (n: number) => void, testId?: string) => (
    <InputNumber
      style={{ width: 120 }}
      min={0}
      value={toShown(v)}
      prefix={money ? '¥' : undefined}
      addonAfter={field.type === 'days' || op.includes('within') ? t('common.days') : undefined}
      onChange={(n) => change(fromShown(n))}
      data-testid={testId}
    />
  );
  const list = Array.isArray(value) ? value : [];
  if (field.type === 'set') {
    const names = field.name === 'tags' ? tagNames : groupNames;
    return (
      <Select
        mode="multiple"
        style={{ minWidth: 200 }}
        value={list as string[]}
        options={names.map((n) => ({ value: n, label: n }))}
        filterOption={includes}
        onChange={onChange}
      />
    );
  }
  if (field.type === 'enum' || field.type === 'month') {
    const options: { value: string | number; label: string }[] =
      field.type === 'month'
        ? Array.from({ length: 12 }, (_, i) => ({ value: i + 1, label: t('common.month', { n: i + 1 }) }))
        : (field.values ?? []).map((v) => ({ value: v, label: enumLabel(t, field.name, v) }));
    if (op === 'in' || op === 'not_in')
      return (
        <Select
          mode="multiple"
          style={{ minWidth: 220 }}
          value={list}
          options={options}
          onChange={onChange}
          data-testid="condition-value"
        />
      );
    if (op === 'between')
      return (
        <Space>
          <Select
            style={{ width: 90 }}
            value={list[0]}
            options={options}
            onChange={(v) => onChange([v, list[1] ?? v])}
          />
          <Select
            style={{ width: 90 }}
            value={list[1]}
            options={options}
            onChange={(v) => onChange([list[0] ?? v, v])}
          />
        </Space>
      );
    return (
      <Select
        style={{ minWidth: 150 }}
        value={value as string | number}
        options={options}
        onChange={onChange}
        data-testid="condition-value"
      />
    );
  }
  if (field.type === 'date') {
    if (op === 'within_last_days' || op === 'not_within_last_days') return num(value, onChange, 'condition-value');
    if (op === 'between')
      return (
        <DatePicker.RangePicker
          value={list.length === 2 ? [dayjs(String(list[0])), dayjs(String(list[1]))] : null}
          onChange={(r) => onChange(r && r[0] && r[1] ? [r[0].format('YYYY-MM-DD'), r[1].format('YYYY-MM-DD')] : [])}
        />
      );
    return (
      <DatePicker
        value={typeof value === 'string' && value ? dayjs(value) : null}
        onChange={(d) => onChange(d ? d.format('YYYY-MM-DD') : '')}
      />
    );
  }
  const places = field.name === 'province' ? options.provinces : field.name === 'city' ? options.cities : null;
  if (places && ['eq', 'neq', 'in', 'not_in'].includes(op)) {
    const many = op === 'in' || op === 'not_in';
    return (
      <Select
        showSearch
        mode={many ? 'multiple' : undefined}
        style={{ minWidth: 220 }}
        value={many ? (list as string[]) : (value as string) || undefined}
        options={places.map((x) => ({ value: x, label: x }))}
        filterOption={includes}
        placeholder={t('segments.pickValue')}
        onChange={onChange}
        data-testid="condition-value"
      />
    );
  }
  if (field.type === 'text') {
    if (op === 'in' || op === 'not_in')
      return (
        <Select
          mode="tags"
          style={{ minWidth: 220 }}
          value={list as string[]}
          onChange={onChange}
          data-testid="condition-value"
        />
      );
    return (
      <Input
        style={{ width: 200 }}
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => onChange(e.target.value)}
        data-testid="condition-value"
      />
    );
  }
  if (op === 'between')
    return (
      <Space>
        {num(list[0], (n) => onChange([n, (list[1] as number) ?? n]))}
        <span>–</span>
        {num(list[1], (n) => onChange([(list[0] as number) ?? 0, n]))}
      </Space>
    );
  if (op === 'in')
    return (
      <Select
        mode="tags"
        style={{ minWidth: 200 }}
        value={list.map(String)}
        onChange={(v: string[]) => onChange(v.map(Number).filter((n) => Number.isFinite(n)))}
      />
    );
  return num(value, onChange, 'condition-value');
}
