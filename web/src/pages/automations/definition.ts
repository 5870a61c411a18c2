import type { TFunction } from 'i18next';
import { renderReason } from '../../../../src/core/reasons.js';

/**
 * The automation definition as the server publishes it (GET /automations/schema, a JSON Schema made from
 * the zod schema in src/core/automations/definition.ts). The editor reads the trigger and step kinds and
 * their fields from it, so a kind added on the server shows up here without a console change.
 */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  default?: unknown;
}

export type Step = { id: string; type: string } & Record<string, unknown>;
export type Trigger = { type: string } & Record<string, unknown>;
export interface Condition {
  fact: string;
  op: string;
  value: unknown;
}
export interface Definition {
  name: string;
  trigger: Trigger;
  conditions: Condition[];
  exitWhen: string[];
  steps: Step[];
}

export interface Kind {
  kind: string;
  schema: JsonSchema;
}

/** The members of a discriminated union (`type` is the discriminator). */
export function kindsOf(union: JsonSchema | undefined): Kind[] {
  return (union?.oneOf ?? union?.anyOf ?? []).flatMap((s) => {
    const c = s.properties?.type?.const ?? s.properties?.type?.enum?.[0];
    return typeof c === 'string' ? [{ kind: c, schema: s }] : [];
  });
}

/** The fields a seller fills in for one kind, in the schema's order (the id and type are the editor's). */
export function fieldsOf(k: Kind | undefined): [string, JsonSchema][] {
  return Object.entries(k?.schema.properties ?? {}).filter(([n]) => n !== 'id' && n !== 'type');
}

/** The fields of a date trigger that apply to one kind of date (沉睡唤醒 showed the festivals and 店庆日). */
const DATE_FIELDS: Record<string, readonly string[]> = {
  daysBefore: ['birthday', 'holiday', 'coupon_expiry', 'points_expiry', 'refill'],
  holidays: ['holiday'],
  anniversary: ['holiday'],
  stages: ['dormant'],
  refillBy: ['refill'],
};

/** Whether a trigger's field is shown: a date trigger's own only for its kind of date; every other one always. */
export function triggerFieldShown(type: string, date: string | undefined, prop: string): boolean {
  const kinds = DATE_FIELDS[prop];
  return type !== 'date' || !kinds || (date !== undefined && kinds.includes(date));
}

// A new step starts from what most sellers want; anything else comes from the schema's defaults.
const STARTERS: Record<string, Record<string, unknown>> = {
  wait: { days: 1 },
  message: { medium: 'sms', kind: 'care', text: '' },
  points: { points: 100 },
  task: { dueHours: 24 },
  order_event: { event: 'paid' },
};

/** A new member of a kind: required choices get their first option, then the schema's defaults. */
export function starter(k: Kind): Record<string, unknown> {
  const v: Record<string, unknown> = { type: k.kind };
  for (const [name, p] of fieldsOf(k)) {
    if (p.default !== undefined) v[name] = p.default;
    else if (k.schema.required?.includes(name) && p.enum?.length) v[name] = p.enum[0];
    else if (k.schema.required?.includes(name) && p.type === 'array') v[name] = [];
  }
  return { ...v, ...STARTERS[k.kind] };
}

export function nextStepId(steps: { id?: string }[]): string {
  const used = new Set(steps.map((s) => s.id));
  let n = steps.length + 1;
  while (used.has(`s${n}`)) n++;
  return `s${n}`;
}

/** Drops what a seller left empty, so optional fields are left out rather than sent blank. */
export function clean<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clean) as T;
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== null && x !== '') out[k] = clean(x);
    return out as T;
  }
  return v;
}

/** A label from the messages, or the name itself for a field a newer server added. */
export function label(t: TFunction, group: string, name: string): string {
  return t(`automationEditor.${group}.${name.replace(/\./g, '_')}`, { defaultValue: name });
}

export interface Issue {
  path: string;
  message: string;
  /** The problem's code (src/core/reasons.ts) and its parameters: the field, the limit, the variable … */
  key?: string;
  params?: Record<string, string | number>;
}

/** Problem codes → the editor's own words (it names the field itself: the catalogue's 「field」 texts are not used). */
const ISSUE_KEYS: Record<string, [string, string?]> = {
  'input.required': ['required'],
  'input.tooSmall': ['tooSmallNumber', 'min'],
  'input.mustExceed': ['tooSmallNumber', 'min'],
  'input.tooBig': ['tooBigNumber', 'max'],
  'input.mustBeBelow': ['tooBigNumber', 'max'],
  'input.tooShort': ['tooShort', 'min'],
  'input.tooLong': ['tooLong', 'max'],
  'input.tooFew': ['tooFew', 'min'],
  'input.tooMany': ['tooMany', 'max'],
  'input.enum': ['option'],
  'input.format': ['format'],
  'template.unknownVariable': ['unknownVariable', 'variable'],
  'template.empty': ['emptyText'],
  'automation.stepIdTwice': ['duplicateId'],
  'automation.elseNotLater': ['notLater'],
};

/** A server validation problem in the seller's language, by its code; a code this console does not know is "other". */
export function issueText(t: TFunction, issue: Issue): string {
  const hit = issue.key ? ISSUE_KEYS[issue.key] : undefined;
  if (!hit) {
    // A problem of its own (a condition's value, an empty wait, a holiday): the server's sentence for its code.
    const lang = t('automationEditor.issue.lang') === 'en' ? 'en' : 'zh-CN';
    const own = issue.key ? renderReason({ key: issue.key, params: issue.params ?? {} }, lang) : null;
    return own ?? t('automationEditor.issue.other');
  }
  const [name, param] = hit;
  return t(`automationEditor.issue.${name}`, param ? { n: issue.params?.[param], v: issue.params?.[param] } : {});
}

/** The issues of an invalid answer ({ error: { details: { issues } } }), if it has any. */
export function issuesOf(e: unknown): Issue[] {
  const d = (e as { details?: { issues?: unknown } } | null)?.details;
  return Array.isArray(d?.issues) ? (d.issues as Issue[]) : [];
}
