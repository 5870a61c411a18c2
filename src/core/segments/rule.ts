import { normalizeCity, normalizeProvince } from '../address.js';
import { Invalid } from '../errors.js';
import { type Reason, reason } from '../reasons.js';
import { isCalendarDate, isRealDateTime, MAX_DAYS } from '../input.js';
import { ORDER_STATUSES, type OrderStatus } from '../order-status.js';
import { FIELDS, OPERATORS, OPERATOR_ALIASES, type FieldName, type FieldType } from './fields.js';

/**
 * The segment rule language: JSON, nested AND/OR groups of conditions.
 *
 *   { "all": [ { "field": "total_spent", "op": ">=", "value": 50000 },
 *              { "any": [ { "field": "province", "op": "in", "value": ["浙江省", "江苏省"] },
 *                         { "field": "tags", "op": "has_any", "value": ["VIP"] } ] },
 *              { "not": { "field": "is_blacklisted", "op": "is_true" } } ] }
 *
 * parseRule() checks a rule completely and returns a typed tree, or throws Invalid listing every
 * problem with its path ("all[1].any[0].value: …"). Values never become SQL text: the compiler
 * binds them as parameters.
 */
export type Rule =
  | { kind: 'group'; mode: 'all' | 'any'; rules: Rule[] }
  | { kind: 'not'; rule: Rule }
  | { kind: 'cond'; field: FieldName; type: FieldType; op: string; value: Value; where?: OrderWhere };

export type Value = null | number | string | boolean | readonly (number | string)[];

export interface OrderWhere {
  category?: string[];
  titleContains?: string;
  activity?: string[];
  source?: string[];
  storeId?: string;
  status?: OrderStatus[];
  /** Local dates (YYYY-MM-DD), inclusive. */
  from?: string;
  to?: string;
  /** Only orders that count as purchases (paid, not fully refunded). Default true. */
  paid?: boolean;
}

/** One thing wrong in a rule: where (all[1].value) and why, as a key of core/reasons.ts and its parameters. */
export type RuleIssue = Reason & { path: string };

export const LIMITS = { depth: 6, conditions: 100, listItems: 1000, textLength: 200 };

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

class Checker {
  errors: string[] = [];
  /** The same errors as a code and parameters, for the console to say in the reader's language. */
  issues: RuleIssue[] = [];
  conditions = 0;

  fail(path: string, msg: string, why: Reason = reason('rule.shape')): null {
    this.errors.push(`${path || 'rule'}: ${msg}`);
    this.issues.push({ path: path || 'rule', ...why });
    return null;
  }

  rule(input: unknown, path: string, depth: number): Rule | null {
    if (depth > LIMITS.depth)
      return this.fail(
        path,
        `groups nest deeper than ${LIMITS.depth} levels`,
        reason('rule.tooDeep', { max: LIMITS.depth }),
      );
    if (typeof input !== 'object' || input === null || Array.isArray(input))
      return this.fail(path, 'expected a condition or a group ({ "all": [...] } / { "any": [...] } / { "not": ... })');
    const o = input as Record<string, unknown>;
    const keys = Object.keys(o);
    for (const mode of ['all', 'any'] as const) {
      if (mode in o) {
        if (keys.length !== 1) return this.fail(path, `a group has only "${mode}"`);
        const list = o[mode];
        if (!Array.isArray(list) || list.length === 0)
          return this.fail(
            `${path}${path ? '.' : ''}${mode}`,
            'expected a non-empty list of conditions',
            reason('rule.emptyGroup'),
          );
        const rules = list.map((r, i) => this.rule(r, `${path}${path ? '.' : ''}${mode}[${i}]`, depth + 1));
        return rules.every((r) => r !== null) ? { kind: 'group', mode, rules: rules as Rule[] } : null;
      }
    }
    if ('not' in o) {
      if (keys.length !== 1) return this.fail(path, 'a "not" has only "not"');
      const inner = this.rule(o.not, `${path}${path ? '.' : ''}not`, depth + 1);
      return inner && { kind: 'not', rule: inner };
    }
    return this.condition(o, path);
  }

  condition(o: Record<string, unknown>, path: string): Rule | null {
    // One issue for the rule, not one for each condition past the limit (20,000 conditions answered 3 MB of them).
    if (++this.conditions > LIMITS.conditions + 1) return null;
    if (this.conditions > LIMITS.conditions)
      return this.fail(
        path,
        `a rule has at most ${LIMITS.conditions} conditions`,
        reason('rule.tooMany', { max: LIMITS.conditions }),
      );
    const extra = Object.keys(o).filter((k) => !['field', 'op', 'value', 'where'].includes(k));
    if (extra.length)
      return this.fail(
        path,
        `unknown key ${extra.map((k) => `"${k}"`).join(', ')} (a condition has field, op, value, and for orders where)`,
      );
    const field = o.field;
    // Own keys only: "constructor" or "__proto__" are in every object but are not fields.
    if (typeof field !== 'string' || !Object.hasOwn(FIELDS, field)) {
      return this.fail(
        `${path}.field`,
        `unknown field ${JSON.stringify(field)} (one of: ${Object.keys(FIELDS).join(', ')})`,
        reason('rule.unknownField', { field: JSON.stringify(field) ?? '' }),
      );
    }
    const def = FIELDS[field as FieldName] as { type: FieldType; values?: readonly string[] };
    const rawOp = typeof o.op === 'string' ? o.op.trim() : o.op;
    const op =
      typeof rawOp === 'string' ? (Object.hasOwn(OPERATOR_ALIASES, rawOp) ? OPERATOR_ALIASES[rawOp] : rawOp) : rawOp;
    const allowed = OPERATORS[def.type];
    if (typeof op !== 'string' || !allowed.includes(op)) {
      return this.fail(
        `${path}.op`,
        `operator ${JSON.stringify(o.op)} does not apply to ${field} (${def.type}); use one of: ${allowed.join(', ')}`,
        reason('rule.operator', { op: JSON.stringify(o.op) ?? '', field }),
      );
    }
    const value = this.value(def, field, op, o.value, `${path}.value`);
    if (value === undefined) return null;
    let where: OrderWhere | undefined;
    if (def.type === 'orders') {
      const w = this.where(o.where, `${path}.where`);
      if (w === null) return null;
      where = w;
    } else if (o.where !== undefined)
      return this.fail(`${path}.where`, 'only the "orders" field takes "where"', reason('rule.orderFilter'));
    return { kind: 'cond', field: field as FieldName, type: def.type, op, value, where };
  }

  /** undefined = invalid (error recorded). */
  value(
    def: { type: FieldType; values?: readonly string[] },
    field: string,
    op: string,
    v: unknown,
    path: string,
  ): Value | undefined {
    const bad = (msg: string, why?: Reason) => {
      this.fail(path, msg, why);
      return undefined;
    };
    const got = (x: unknown) => JSON.stringify(x) ?? String(x);
    const noValue = ['is_empty', 'is_not_empty', 'is_true', 'is_false', 'exists', 'not_exists'];
    if (noValue.includes(op))
      return v === undefined || v === null ? null : bad(`"${op}" takes no value`, reason('rule.noValue', { op }));
    const num = (x: unknown, what: string): number | undefined => {
      if (typeof x !== 'number' || !Number.isFinite(x))
        return bad(
          `${field} expects ${what}, got ${got(x)}`,
          reason('rule.number', { field, got: got(x) }),
        ) as undefined;
      if (
        (def.type === 'money' ||
          def.type === 'number' ||
          def.type === 'days' ||
          def.type === 'month' ||
          def.type === 'orders') &&
        !Number.isInteger(x)
      ) {
        return bad(
          `${field} expects a whole number${def.type === 'money' ? ' of fen (¥1 = 100)' : ''}, got ${x}`,
          reason('rule.wholeNumber', { field, got: x }),
        ) as undefined;
      }
      if (!Number.isSafeInteger(Math.trunc(x)))
        return bad(`${field}: ${x} is out of range`, reason('rule.outOfRange', { field, got: x })) as undefined;
      return x;
    };
    const str = (x: unknown): string | undefined => {
      if (typeof x !== 'string')
        return bad(`${field} expects text, got ${got(x)}`, reason('rule.text', { field, got: got(x) })) as undefined;
      if (x.length > LIMITS.textLength)
        return bad(
          `text longer than ${LIMITS.textLength} characters`,
          reason('rule.textTooLong', { max: LIMITS.textLength }),
        ) as undefined;
      if (def.type === 'enum' && !def.values!.includes(x))
        return bad(
          `${field} is one of ${def.values!.join(', ')}; got ${got(x)}`,
          reason('rule.enum', { field, values: def.values!.join(', '), got: x }),
        ) as undefined;
      return x;
    };
    const date = (x: unknown): string | undefined => {
      if (typeof x !== 'string' || !DATE.test(x) || !isRealDateTime(x)) {
        return bad(
          `${field} expects a date like 2025-11-11, got ${got(x)}`,
          reason('rule.date', { field, got: got(x) }),
        ) as undefined;
      }
      return x;
    };
    const list = <T>(x: unknown, item: (y: unknown) => T | undefined): T[] | undefined => {
      if (!Array.isArray(x) || x.length === 0)
        return bad(`"${op}" expects a non-empty list`, reason('rule.listEmpty', { op })) as undefined;
      if (x.length > LIMITS.listItems)
        return bad(
          `a list has at most ${LIMITS.listItems} values (got ${x.length})`,
          reason('rule.listTooLong', { max: LIMITS.listItems, got: x.length }),
        ) as undefined;
      const out: T[] = [];
      for (const y of x) {
        const r = item(y);
        if (r === undefined) return undefined;
        out.push(r);
      }
      return out;
    };
    const pair = <T extends number | string>(x: unknown, item: (y: unknown) => T | undefined): T[] | undefined => {
      if (!Array.isArray(x) || x.length !== 2)
        return bad(`"between" expects [from, to]`, reason('rule.between')) as undefined;
      const a = item(x[0]);
      const b = item(x[1]);
      if (a === undefined || b === undefined) return undefined;
      if (a > b) return bad(`"between" expects from ≤ to`, reason('rule.betweenOrder')) as undefined;
      return [a, b];
    };
    switch (def.type) {
      case 'number':
      case 'money':
      case 'days':
        if (op === 'between') return pair(v, (x) => num(x, 'a number'));
        if (op === 'in') return list(v, (x) => num(x, 'a number'));
        return num(v, def.type === 'money' ? 'an amount in fen (¥1 = 100)' : 'a number');
      case 'month': {
        const month = (x: unknown) => {
          const n = num(x, 'a month 1–12');
          return n === undefined
            ? undefined
            : n >= 1 && n <= 12
              ? n
              : (bad(`months are 1–12, got ${n}`, reason('rule.month', { got: n })) as undefined);
        };
        if (op === 'between') return pair(v, month);
        if (op === 'in') return list(v, month);
        return month(v);
      }
      case 'date':
        if (op === 'between') return pair(v, date);
        if (op === 'within_last_days' || op === 'not_within_last_days') {
          const n = num(v, 'a number of days');
          if (n !== undefined && n > MAX_DAYS)
            return bad(
              `at most ${MAX_DAYS} days (100 years), got ${n}`,
              reason('rule.daysMax', { max: MAX_DAYS, got: n }),
            );
          return n === undefined ? undefined : n >= 0 ? n : bad('days cannot be negative', reason('rule.negative'));
        }
        // "on" is a whole local day: a time with it matched nobody (the day's rows never equal an instant).
        if (op === 'on' && typeof v === 'string' && v.length > 10)
          return bad(
            `"on" takes a day like 2025-11-11 without a time, got ${got(v)}`,
            reason('rule.date', { field, got: got(v) }),
          );
        return date(v);
      case 'text':
      case 'enum': {
        // Places are stored by their full names: "浙江" or "杭州" in a rule means 浙江省 or 杭州市.
        const place = (field === 'province' ? normalizeProvince : field === 'city' ? normalizeCity : null) as
          | ((x: string) => string | null)
          | null;
        const named = (x: unknown) => {
          const t = str(x);
          return typeof t === 'string' && place && ['eq', 'neq', 'in', 'not_in'].includes(op) ? (place(t) ?? t) : t;
        };
        if (op === 'in' || op === 'not_in') return list(v, named);
        return named(v);
      }
      case 'set':
        return list(v, (x) =>
          typeof x === 'string' && x.length > 0 && x.length <= LIMITS.textLength
            ? x
            : (bad(`${field} expects names, got ${got(x)}`, reason('rule.names', { field, got: got(x) })) as undefined),
        );
      case 'orders': {
        const n = num(v, 'a number of orders');
        return n === undefined ? undefined : n >= 0 ? n : bad('a count cannot be negative', reason('rule.negative'));
      }
      default:
        return bad('unsupported field');
    }
  }

  where(v: unknown, path: string): OrderWhere | null {
    if (v === undefined) return {};
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.fail(path, 'expected an object');
    const w = v as Record<string, unknown>;
    const out: OrderWhere = {};
    const strings = (k: 'category' | 'activity' | 'source') => {
      const x = w[k];
      if (x === undefined) return true;
      const arr = Array.isArray(x) ? x : [x];
      if (
        arr.length === 0 ||
        arr.length > LIMITS.listItems ||
        !arr.every((s) => typeof s === 'string' && s.length > 0 && s.length <= LIMITS.textLength)
      ) {
        this.fail(`${path}.${k}`, 'expected text or a list of text', reason('rule.orderFilter'));
        return false;
      }
      out[k] = arr as string[];
      return true;
    };
    for (const k of Object.keys(w)) {
      if (!['category', 'titleContains', 'activity', 'source', 'storeId', 'status', 'from', 'to', 'paid'].includes(k)) {
        return this.fail(
          `${path}.${k}`,
          'unknown key (category, titleContains, activity, source, storeId, status, from, to, paid)',
          reason('rule.orderFilter'),
        );
      }
    }
    if (!strings('category') || !strings('activity') || !strings('source')) return null;
    for (const k of ['titleContains', 'storeId'] as const) {
      if (w[k] !== undefined) {
        if (typeof w[k] !== 'string' || (w[k] as string).length > LIMITS.textLength)
          return this.fail(`${path}.${k}`, 'expected text', reason('rule.orderFilter'));
        out[k] = w[k] as string;
      }
    }
    for (const k of ['from', 'to'] as const) {
      if (w[k] !== undefined) {
        if (typeof w[k] !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(w[k] as string) || !isCalendarDate(w[k] as string))
          return this.fail(`${path}.${k}`, 'expected a date like 2025-11-11', reason('rule.orderFilter'));
        out[k] = w[k] as string;
      }
    }
    if (out.from && out.to && out.from > out.to)
      return this.fail(`${path}`, '"from" is after "to"', reason('rule.fromAfterTo'));
    if (w.status !== undefined) {
      const arr = Array.isArray(w.status) ? w.status : [w.status];
      if (!arr.every((s) => (ORDER_STATUSES as readonly unknown[]).includes(s)))
        return this.fail(`${path}.status`, `statuses are ${ORDER_STATUSES.join(', ')}`, reason('rule.orderFilter'));
      out.status = arr as OrderStatus[];
    }
    if (w.paid !== undefined) {
      if (typeof w.paid !== 'boolean')
        return this.fail(`${path}.paid`, 'expected true or false', reason('rule.orderFilter'));
      out.paid = w.paid;
    }
    return out;
  }
}

/** The error's own reason: its first problem (the console lists them all from `details.issues`). */
function firstReason(issues: RuleIssue[]): Reason {
  const first = issues[0];
  return first ? { key: first.key, params: first.params } : reason('rule.invalid');
}

export function parseRule(input: unknown): Rule {
  const c = new Checker();
  const rule = c.rule(input, '', 0);
  if (!rule || c.errors.length > 0)
    throw new Invalid(`The segment rule is not valid: ${c.errors.join('; ')}`, firstReason(c.issues), {
      errors: c.errors,
      issues: c.issues,
    });
  return rule;
}
