import { type Reason, reason } from '../reasons.js';

/**
 * Message templates in the style sellers know from marketplace tools: variables between # signs
 * (`亲爱的#客户昵称#，您的#优惠券金额#元券即将到期`). The set of variables is closed: an unknown one
 * is an error when the template is saved, and a recipient whose value is empty is held back rather
 * than sent a broken text.
 */
export const TEMPLATE_VARIABLES = [
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
  '问卷链接',
  '物流公司',
  '运单号',
  '节日',
  '类目',
] as const;

export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

const KNOWN = new Set<string>(TEMPLATE_VARIABLES);
const VARIABLE = /#([^#\s]{1,20})#/g;

/** The variables a text uses, in order of first use, known or not. */
export function variablesIn(text: string): string[] {
  const seen = new Set<string>();
  for (const m of text.matchAll(VARIABLE)) seen.add(m[1]!);
  return [...seen];
}

/** Problems with a template text (empty when it can be saved), each with its code for the console. */
export function templateIssues(text: string): { message: string; why: Reason }[] {
  const problems: { message: string; why: Reason }[] = [];
  if (text.trim() === '') problems.push({ message: 'the text is empty', why: reason('template.empty') });
  for (const v of variablesIn(text)) {
    if (!KNOWN.has(v))
      problems.push({
        message: `unknown variable #${v}# (use one of ${TEMPLATE_VARIABLES.map((k) => `#${k}#`).join(' ')})`,
        why: reason('template.unknownVariable', { variable: v }),
      });
  }
  return problems;
}

/** Problems with a template text (empty when it can be saved). */
export function templateProblems(text: string): string[] {
  return templateIssues(text).map((p) => p.message);
}

export type TemplateValues = Partial<Record<TemplateVariable, string | number | null | undefined>>;

/** Filled in, or what is missing — with `partial`, the text with the known values in and the missing ones as #名#. */
export type Rendered = { ok: true; text: string } | { ok: false; missing: TemplateVariable[]; partial: string };

/** Fills the variables in; any empty value holds the message back, naming what is missing. */
export function renderTemplate(text: string, values: TemplateValues): Rendered {
  const missing: TemplateVariable[] = [];
  const out = text.replace(VARIABLE, (whole, name: string) => {
    if (!KNOWN.has(name)) return whole;
    const v = values[name as TemplateVariable];
    const s = v === null || v === undefined ? '' : String(v).trim();
    if (s === '') {
      if (!missing.includes(name as TemplateVariable)) missing.push(name as TemplateVariable);
      return whole;
    }
    return s;
  });
  return missing.length > 0 ? { ok: false, missing, partial: out } : { ok: true, text: out };
}
