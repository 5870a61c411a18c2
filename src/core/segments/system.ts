import { LIFECYCLES, RFM_CLASSES } from './fields.js';

/**
 * The lists sellers expect out of the box (the seeds' CRMs all have them), as rules.
 */
export interface SystemSegment {
  key: string;
  name: string;
  rule: unknown;
}

const paid = { field: 'paid_orders', op: 'gte', value: 1 };

export const SYSTEM_SEGMENTS: readonly SystemSegment[] = [
  { key: 'buyers', name: '成交客户', rule: paid },
  {
    key: 'non-buyers',
    name: '未成交客户',
    rule: {
      all: [
        { field: 'paid_orders', op: 'eq', value: 0 },
        { field: 'orders_count', op: 'gte', value: 1 },
      ],
    },
  },
  { key: 'inquiry', name: '询单未购买', rule: { field: 'orders_count', op: 'eq', value: 0 } },
  { key: 'new', name: '新客（1 单）', rule: { field: 'paid_orders', op: 'eq', value: 1 } },
  { key: 'returning', name: '回头客（≥2 单）', rule: { field: 'paid_orders', op: 'gte', value: 2 } },
  { key: 'frequent', name: '多次购买（≥3 单）', rule: { field: 'paid_orders', op: 'gte', value: 3 } },
  // Named by the days alone: 沉睡 and 流失 are the lifecycle's stages, set in the RFM settings (180–365 days were
  // 沉睡 there while 沉睡 365 天 here counted the lifecycle's 流失).
  { key: 'dormant-90', name: '90 天未购买', rule: { field: 'days_since_last_order', op: 'gte', value: 90 } },
  { key: 'dormant-180', name: '180 天未购买', rule: { field: 'days_since_last_order', op: 'gte', value: 180 } },
  { key: 'dormant-365', name: '365 天未购买', rule: { field: 'days_since_last_order', op: 'gte', value: 365 } },
  { key: 'refunded', name: '退款客户', rule: { field: 'refund_orders', op: 'gte', value: 1 } },
  { key: 'bad-reviewers', name: '差评客户', rule: { field: 'is_bad_reviewer', op: 'is_true' } },
  { key: 'aov-lt-100', name: '客单价 <100', rule: { all: [paid, { field: 'aov', op: 'lt', value: 10000 }] } },
  {
    key: 'aov-100-300',
    name: '客单价 100–300',
    rule: {
      all: [
        { field: 'aov', op: 'gte', value: 10000 },
        { field: 'aov', op: 'lt', value: 30000 },
      ],
    },
  },
  {
    key: 'aov-300-500',
    name: '客单价 300–500',
    rule: {
      all: [
        { field: 'aov', op: 'gte', value: 30000 },
        { field: 'aov', op: 'lt', value: 50000 },
      ],
    },
  },
  { key: 'aov-gt-500', name: '客单价 >500', rule: { field: 'aov', op: 'gte', value: 50000 } },
];

/** Segments per promotion (双11 2025 …) and per traffic source found in the shop's orders. */
export function activitySegment(activity: string): SystemSegment {
  return {
    key: `activity:${activity}`,
    name: `活动：${activity}`,
    rule: { field: 'orders', op: 'exists', where: { activity } },
  };
}

export function sourceSegment(source: string): SystemSegment {
  return {
    key: `source:${source}`,
    name: `来源：${source}`,
    rule: { field: 'orders', op: 'exists', where: { source } },
  };
}

/** One cell of the RFM matrix (recency score R, frequency score F, 1–5 each): `sys:rfm:R3F4`. */
export function rfmCellSegment(key: string): SystemSegment | null {
  const m = /^rfm:R([1-5])F([1-5])$/.exec(key);
  if (!m) return null;
  return {
    key,
    name: `RFM 单元 R${m[1]}·F${m[2]}`,
    rule: {
      all: [
        { field: 'r_score', op: 'eq', value: Number(m[1]) },
        { field: 'f_score', op: 'eq', value: Number(m[2]) },
      ],
    },
  };
}

const LIFECYCLE_NAMES: Record<string, string> = {
  prospect: '潜客',
  new: '新客',
  growing: '成长',
  mature: '成熟',
  dormant: '沉睡',
  churned: '流失',
};

/** The customers of one RFM class (`sys:rfmclass:重要价值`): what a click on the class bars opens. */
export function rfmClassSegment(key: string): SystemSegment | null {
  const m = /^rfmclass:(.+)$/.exec(key);
  if (!m || !(RFM_CLASSES as readonly string[]).includes(m[1]!)) return null;
  return { key, name: `RFM ${m[1]}客户`, rule: { field: 'rfm_class', op: 'eq', value: m[1] } };
}

/** The customers of one lifecycle stage (`sys:lifecycle:growing`). */
export function lifecycleSegment(key: string): SystemSegment | null {
  const m = /^lifecycle:(.+)$/.exec(key);
  if (!m || !(LIFECYCLES as readonly string[]).includes(m[1]!)) return null;
  return { key, name: `生命周期 ${LIFECYCLE_NAMES[m[1]!]}`, rule: { field: 'lifecycle', op: 'eq', value: m[1] } };
}
