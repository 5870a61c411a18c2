/**
 * The fields a segment rule can test, with their types. The type decides the operators and the
 * value shape; db/compile knows where each field lives in SQL.
 */
export const RFM_CLASSES = [
  '重要价值',
  '重要发展',
  '重要保持',
  '重要挽留',
  '一般价值',
  '一般发展',
  '一般保持',
  '一般挽留',
] as const;
export const VALUE_TIERS = ['high', 'middle', 'low', 'churn_risk', 'none'] as const;
export const LIFECYCLES = ['prospect', 'new', 'growing', 'mature', 'dormant', 'churned'] as const;
export const AGE_BANDS = ['<18', '18-24', '25-29', '30-34', '35-39', '40-49', '50+'] as const;
export const CITY_TIERS = ['一线', '新一线', '二线', '三线及以下'] as const;
export const CHURN_BANDS = ['low', 'medium', 'high', 'one_time'] as const;

export type FieldType = 'number' | 'money' | 'days' | 'date' | 'text' | 'enum' | 'boolean' | 'set' | 'month' | 'orders';

export interface FieldDef {
  type: FieldType;
  /** For enum fields: the allowed values. */
  values?: readonly string[];
}

export const FIELDS = {
  // Customer stats (money in fen).
  total_spent: { type: 'money' },
  paid_orders: { type: 'number' },
  orders_count: { type: 'number' },
  aov: { type: 'money' },
  refund_amount: { type: 'money' },
  refund_orders: { type: 'number' },
  spent_12m: { type: 'money' },
  orders_12m: { type: 'number' },
  days_since_last_order: { type: 'days' },
  first_order_at: { type: 'date' },
  last_order_at: { type: 'date' },
  first_paid_at: { type: 'date' },
  last_paid_at: { type: 'date' },
  favourite_category: { type: 'text' },
  // Profile.
  name: { type: 'text' },
  province: { type: 'text' },
  city: { type: 'text' },
  city_tier: { type: 'enum', values: CITY_TIERS },
  gender: { type: 'enum', values: ['female', 'male'] },
  age_band: { type: 'enum', values: AGE_BANDS },
  birthday_month: { type: 'month' },
  source: { type: 'text' },
  marketing_consent: { type: 'enum', values: ['granted', 'denied', 'unknown'] },
  created_at: { type: 'date' },
  is_blacklisted: { type: 'boolean' },
  is_bad_reviewer: { type: 'boolean' },
  is_picky: { type: 'boolean' },
  opt_out_sms: { type: 'boolean' },
  opt_out_email: { type: 'boolean' },
  // Classification.
  rfm_class: { type: 'enum', values: [...RFM_CLASSES, 'none'] },
  value_tier: { type: 'enum', values: VALUE_TIERS },
  lifecycle: { type: 'enum', values: LIFECYCLES },
  // R, F and M quintile scores (1–5): a cell of the RFM matrix is r_score = R and f_score = F.
  r_score: { type: 'number' },
  f_score: { type: 'number' },
  m_score: { type: 'number' },
  // Predicted value (modules/predict), from the last nightly fit; P(alive) in percent (0–100).
  p_alive: { type: 'number' },
  clv: { type: 'money' },
  expected_order_value: { type: 'money' },
  churn_band: { type: 'enum', values: CHURN_BANDS },
  // Sets and order facts.
  tags: { type: 'set' },
  groups: { type: 'set' },
  orders: { type: 'orders' },
} as const satisfies Record<string, FieldDef>;

export type FieldName = keyof typeof FIELDS;

export const OPERATORS: Record<FieldType, readonly string[]> = {
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'is_empty', 'is_not_empty'],
  money: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'is_empty', 'is_not_empty'],
  days: ['gt', 'gte', 'lt', 'lte', 'between', 'is_empty', 'is_not_empty'],
  date: ['before', 'after', 'on', 'between', 'within_last_days', 'not_within_last_days', 'is_empty', 'is_not_empty'],
  text: ['eq', 'neq', 'in', 'not_in', 'contains', 'not_contains', 'starts_with', 'is_empty', 'is_not_empty'],
  enum: ['eq', 'neq', 'in', 'not_in', 'is_empty', 'is_not_empty'],
  boolean: ['is_true', 'is_false'],
  set: ['has_any', 'has_all', 'has_none'],
  month: ['eq', 'in', 'between'],
  orders: ['exists', 'not_exists', 'count_gte', 'count_lte'],
};

/** Symbols people type, mapped to operator names. */
export const OPERATOR_ALIASES: Record<string, string> = {
  '=': 'eq',
  '==': 'eq',
  '!=': 'neq',
  '≠': 'neq',
  '<>': 'neq',
  '>': 'gt',
  '>=': 'gte',
  '≥': 'gte',
  '<': 'lt',
  '<=': 'lte',
  '≤': 'lte',
};
