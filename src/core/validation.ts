import { z } from 'zod';
import { Invalid } from './errors.js';
import { isReasonKey, reason, type Reason, type ReasonParams } from './reasons.js';

/** A zod problem as the console shows it: a key of core/reasons.ts with the field and the limit as parameters. */
export type InputIssue = Reason & { path: string; message: string };

/** The first few of a list, for a message: 90,000 unknown keys were all named, 3.7 MB in one answer. */
export function namedFew(items: readonly string[], max = 10): string {
  return items.length <= max ? items.join('、') : `${items.slice(0, max).join('、')} … (+${items.length - max})`;
}

/** A time with its offset in 2000–2099, what a seller or a provider means by a date (0001, 9999, 1970 were taken). */
export const timeThisCentury = () =>
  z.iso.datetime({ offset: true }).refine(
    (v) => {
      const year = new Date(v).getUTCFullYear();
      return year >= 2000 && year <= 2099;
    },
    { message: 'a time in 2000–2099', params: reason('input.year2000s') },
  );

/** Whether a text shows anything: not only blanks and invisible characters (zero-width spaces, direction marks). */
export const showsText = (s: string) => /[^\s\p{Cf}\p{Z}]/u.test(s);

/**
 * A name or title people read in a list: trimmed, 1 to `max` characters, and something to see ("\u200b" and an
 * RTL mark alone were taken as a channel's, a task's or an automation's name).
 */
export const shownText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => s === '' || showsText(s), {
      message: 'only blanks or invisible characters',
      params: reason('input.blank'),
    });

const TYPE_ZH: Record<string, string> = {
  string: '文字',
  number: '数字',
  int: '整数',
  bigint: '整数',
  boolean: '是/否',
  array: '列表',
  object: '对象',
  date: '日期',
};

function num(v: unknown): string | number {
  return typeof v === 'number' || typeof v === 'string' ? v : typeof v === 'bigint' ? v.toString() : '?';
}

/**
 * The reason of one zod issue (zod 4 codes), from its code and the rest of its fields (what zod and
 * fastify-type-provider-zod both give). `field` is the path of the value, e.g. `name` or `items.0.price`.
 */
export function issueReason(
  code: string,
  params: Record<string, unknown>,
  field: string,
  message: string,
  missing = false,
): Reason {
  const f: ReasonParams = { field: field || '—' };
  const origin = String(params.origin ?? '');
  if (missing && code !== 'unrecognized_keys') return reason('input.required', f);
  switch (code) {
    case 'invalid_type':
      if (/received undefined/.test(message)) return reason('input.required', f);
      return reason('input.type', {
        ...f,
        type: TYPE_ZH[String(params.expected)] ?? String(params.expected),
        typeEn: String(params.expected),
      });
    case 'too_small': {
      const min = num(params.minimum);
      if (origin === 'string') return reason('input.tooShort', { ...f, min });
      if (origin === 'array' || origin === 'set') return reason('input.tooFew', { ...f, min });
      return reason(params.inclusive === false ? 'input.mustExceed' : 'input.tooSmall', { ...f, min });
    }
    case 'too_big': {
      const max = num(params.maximum);
      if (origin === 'string') return reason('input.tooLong', { ...f, max });
      if (origin === 'array' || origin === 'set') return reason('input.tooMany', { ...f, max });
      return reason(params.inclusive === false ? 'input.mustBeBelow' : 'input.tooBig', { ...f, max });
    }
    case 'invalid_format':
      if (params.format === 'email') return reason('input.email', f);
      if (['datetime', 'date', 'time', 'iso'].includes(String(params.format))) return reason('input.dateTime', f);
      return reason('input.format', { ...f, format: String(params.format ?? '') });
    case 'invalid_value':
      return reason('input.enum', {
        ...f,
        values: Array.isArray(params.values) ? params.values.map(String).join('、') : '',
      });
    case 'unrecognized_keys':
      return reason('input.unknownKeys', { keys: Array.isArray(params.keys) ? namedFew(params.keys.map(String)) : '' });
    case 'not_multiple_of':
      return reason('input.multipleOf', { ...f, divisor: num(params.divisor) });
    case 'invalid_union':
      // A discriminated union's tag that is none of its kinds (a step type, a trigger type): one of a list.
      if (Array.isArray(params.options) && params.discriminator !== undefined)
        return reason('input.enum', { ...f, values: params.options.map(String).join('、') });
      return reason('input.invalid', { ...f, message });
    case 'custom': {
      // A schema's own check may carry its code: addIssue({ code: 'custom', message, params: reason(key, …) }).
      const coded = params.params as { key?: unknown; params?: ReasonParams } | undefined;
      if (coded && isReasonKey(coded.key)) return { key: coded.key, params: { ...f, ...coded.params } };
      return reason('input.invalid', { ...f, message });
    }
    default:
      return reason('input.invalid', { ...f, message });
  }
}

/** Whether the input has no value at a path (a required field left out reads "请填写" whatever its type). */
export function isMissing(input: unknown, path: readonly PropertyKey[]): boolean {
  let at: unknown = input;
  for (const p of path) {
    if (at === null || typeof at !== 'object') return true;
    at = (at as Record<PropertyKey, unknown>)[p];
  }
  return at === undefined || at === null;
}

/** Every issue of a zod error as an InputIssue; `input` (what was validated) tells a missing field. */
export function inputIssues(issues: readonly z.core.$ZodIssue[], input?: unknown): InputIssue[] {
  return issues.map((i) => {
    const path = i.path.map(String).join('.');
    const { code, path: _p, message, ...rest } = i;
    const missing = input !== undefined && i.path.length > 0 && isMissing(input, i.path);
    return { path, message, ...issueReason(code, rest, path, message, missing) };
  });
}

/** Validates input with a zod schema; problems become one readable Invalid naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = inputIssues(r.error.issues, input);
  throw new Invalid(
    `${what} is not valid: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    issues[0] ? reason(issues[0].key, issues[0].params) : reason('input.invalid', { field: '—', message: what }),
    { issues },
  );
}
