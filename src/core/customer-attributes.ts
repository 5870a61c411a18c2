import { reason } from './reasons.js';
import { Invalid } from './errors.js';
import { cleanCell, cleanHeader, parseBoolean } from './formats/cells.js';
import { normalizeCnMobile, normalizeEmail } from './pii.js';

/**
 * Rows of a customer-attributes file (CSV or XLSX): which customer (客户ID, 买家昵称 or 手机), and
 * what to set on them (性别, 生日, 微信, QQ, 来源, flags, opt-outs, 标签 and 分组 lists).
 */
export type AttributeField =
  | 'id'
  | 'nick'
  | 'phone'
  | 'realName'
  | 'email'
  | 'gender'
  | 'birthday'
  | 'wechat'
  | 'qq'
  | 'source'
  | 'tags'
  | 'groups'
  | 'isBlacklisted'
  | 'isBadReviewer'
  | 'isPicky'
  | 'optOutSms'
  | 'optOutEmail';

const ALIASES: Record<AttributeField, readonly string[]> = {
  id: ['客户ID', '客户id', 'customer_id', 'id'],
  nick: ['买家昵称', '买家会员名', '昵称', '旺旺', 'nick'],
  phone: ['手机', '手机号', '联系手机', 'phone', 'mobile'],
  realName: ['姓名', '真实姓名', 'name'],
  email: ['邮箱', 'email'],
  gender: ['性别', 'gender'],
  birthday: ['生日', '出生日期', 'birthday'],
  wechat: ['微信', '微信号', 'wechat'],
  qq: ['QQ', 'qq'],
  source: ['来源', '客户来源', 'source'],
  tags: ['标签', 'tags'],
  groups: ['分组', 'groups'],
  isBlacklisted: ['黑名单', 'blacklist'],
  isBadReviewer: ['差评', '差评客户', 'bad_reviewer'],
  isPicky: ['挑剔', '挑剔客户', 'picky'],
  optOutSms: ['短信退订', 'opt_out_sms'],
  optOutEmail: ['邮件退订', 'opt_out_email'],
};

export interface AttributeRow {
  line: number;
  key: { kind: 'id' | 'nick' | 'phone'; value: string };
  patch: Record<string, string | number | boolean | null>;
  tags: string[];
  groups: string[];
}

export interface AttributeError {
  line: number;
  column: string | null;
  reason: string;
  value: string | null;
}

const GENDER: Record<string, 'female' | 'male'> = {
  女: 'female',
  男: 'male',
  f: 'female',
  m: 'male',
  female: 'female',
  male: 'male',
};
const LIST_SEPARATORS = /[;；,，|、]/;

export class AttributeReader {
  private fields: (AttributeField | null)[] = [];
  private headers: string[] = [];

  start(raw: readonly unknown[]): void {
    this.headers = raw.map(cleanHeader);
    this.fields = this.headers.map(
      (h) =>
        (Object.entries(ALIASES).find(([, names]) => names.includes(h))?.[0] as AttributeField | undefined) ?? null,
    );
    if (!this.fields.some((f) => f === 'id' || f === 'nick' || f === 'phone')) {
      throw new Invalid(
        `This file does not say which customer each row is about: add a ` +
          `column 客户ID, 买家昵称 or 手机. Columns found: ${this.headers.join(', ')}`,
        reason('attributes.noCustomerColumn', { columns: this.headers.join('、') }),
      );
    }
    if (!this.fields.some((f) => f && !['id', 'nick', 'phone'].includes(f))) {
      throw new Invalid(
        `This file has nothing to set: add columns such as 性别, 生日, ` +
          `微信, 标签 or 分组. Columns found: ${this.headers.join(', ')}`,
        reason('attributes.nothingToSet', { columns: this.headers.join('、') }),
      );
    }
  }

  read(line: number, cells: readonly unknown[]): AttributeRow | AttributeError | null {
    const v: Partial<Record<AttributeField, string>> = {};
    cells.forEach((c, i) => {
      const f = this.fields[i];
      const s = cleanCell(c);
      if (f && s !== '') v[f] = s;
    });
    if (Object.keys(v).length === 0) return null;
    const col = (f: AttributeField) => this.headers[this.fields.indexOf(f)] ?? f;
    const err = (f: AttributeField | null, reason: string): AttributeError => ({
      line,
      column: f ? col(f) : null,
      reason,
      value: f ? (v[f] ?? null) : null,
    });
    let key: AttributeRow['key'];
    if (v.id) key = { kind: 'id', value: v.id };
    else if (v.nick) key = { kind: 'nick', value: v.nick };
    else if (v.phone) {
      const p = normalizeCnMobile(v.phone);
      if (!p) return err('phone', 'not a mainland mobile number');
      key = { kind: 'phone', value: p };
    } else return err(null, 'no 客户ID, 买家昵称 or 手机 on this row');
    const patch: AttributeRow['patch'] = {};
    if (v.gender !== undefined) {
      const g = GENDER[v.gender.toLowerCase()];
      if (!g) return err('gender', 'gender is 男 or 女');
      patch.gender = g;
    }
    if (v.birthday !== undefined) {
      const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(v.birthday);
      const d = m ? `${m[1]}-${m[2]!.padStart(2, '0')}-${m[3]!.padStart(2, '0')}` : null;
      if (
        !d ||
        Number.isNaN(Date.parse(`${d}T00:00:00Z`)) ||
        new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) !== d
      )
        return err('birthday', 'not a date like 1995-03-15');
      patch.birthday = d;
    }
    if (v.email !== undefined) {
      const e = normalizeEmail(v.email);
      if (!e) return err('email', 'not an email address');
      patch.email = e;
    }
    if (v.qq !== undefined) {
      if (!/^\d{5,12}$/.test(v.qq)) return err('qq', 'a QQ number has 5–12 digits');
      patch.qq = v.qq;
    }
    for (const f of ['realName', 'wechat', 'source'] as const) if (v[f] !== undefined) patch[f] = v[f]!.slice(0, 64);
    if (key.kind !== 'phone' && v.phone !== undefined) {
      const p = normalizeCnMobile(v.phone);
      if (!p) return err('phone', 'not a mainland mobile number');
      patch.phone = p;
    }
    for (const f of ['isBlacklisted', 'isBadReviewer', 'isPicky', 'optOutSms', 'optOutEmail'] as const) {
      if (v[f] === undefined) continue;
      const b = parseBoolean(v[f]!);
      if (b === null) return err(f, 'expected 是 or 否');
      patch[f] = b;
    }
    const list = (s: string | undefined) =>
      s
        ? [
            ...new Set(
              s
                .split(LIST_SEPARATORS)
                .map((x) => x.trim())
                .filter(Boolean),
            ),
          ]
        : [];
    const tags = list(v.tags);
    const groups = list(v.groups);
    if (tags.some((t) => t.length > 40)) return err('tags', 'a tag has at most 40 characters');
    return { line, key, patch, tags, groups };
  }
}
