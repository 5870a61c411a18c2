import { isMasked, maskPhone } from './pii.js';

/**
 * Masking of personal data for roles without `pii:read`. Two nets: a column known to hold personal
 * data (by its header, in any export format we read) is masked as what it is; any other value is
 * searched for what looks like a phone, an e-mail or a street address, so a column we have never
 * seen (a new export version, a seller's own "备用电话") does not leak either. Marketplace buyer
 * nicks and buyer ids stay: they are how a seller finds the buyer in the shop, not contact data.
 */
export type PiiKind = 'phone' | 'name' | 'address' | 'email' | 'account' | 'postcode' | 'idcard';

/** "李丽" → "李*", "Amy Zhang" → "A** Z****": the first character of each word stays. */
export function maskName(value: string): string {
  if (value === '' || isMasked(value)) return value;
  return value.replace(/\S+/g, (w) => {
    const chars = [...w];
    return chars.length === 1 ? '*' : chars[0] + '*'.repeat(chars.length - 1);
  });
}

/** "amy@example.com" → "a***@example.com". */
export function maskEmail(value: string): string {
  const at = value.lastIndexOf('@');
  if (at <= 0) return maskAccount(value);
  return `${[...value.slice(0, at)][0]}***${value.slice(at)}`;
}

// The shortest lead ending in a district (区/县/旗), not a 小区/社区/园区 (which names the compound).
const REGION_PREFIX = /^[^\d*]{1,24}?(?<![小社园校景厂矿])(?:区|县|旗)/u;

/**
 * "浙江省 杭州市 西湖区 文三路 138 号" → "浙江省 杭州市 西湖区 ****": the province / city / district
 * (which the order shows in its own columns anyway) stay, the street and number go.
 */
export function maskAddress(value: string): string {
  if (value === '') return value;
  const prefix = REGION_PREFIX.exec(value)?.[0];
  return prefix ? `${prefix.trimEnd()} ****` : '****';
}

/** An account (Alipay, WeChat, QQ): an e-mail or phone is masked as such, anything else keeps its ends. */
export function maskAccount(value: string): string {
  const v = value.trim();
  if (v === '') return value;
  if (EMAIL.test(v)) return maskEmail(v);
  const digits = v.replace(/[\s\-+()]/g, '');
  if (/^\d{7,}$/.test(digits)) return maskPhone(digits)!;
  const chars = [...v];
  if (chars.length <= 2) return `${chars[0]}*`;
  if (chars.length <= 4) return `${chars[0]}***`;
  return `${chars.slice(0, 2).join('')}***${chars[chars.length - 1]}`;
}

/**
 * The name a customer is shown by: a nick stays; a display name that is the person's real name, or
 * a phone or an e-mail (customers known only by those), is masked.
 */
export function maskDisplayName(displayName: string, realName: string | null): string {
  if (realName && displayName === realName) return maskName(displayName);
  return maskText(displayName);
}

export function maskAs(kind: PiiKind, value: string): string {
  if (value.trim() === '') return value;
  if (isMasked(value) && maskText(value) === value) return value;
  switch (kind) {
    case 'phone': {
      const inText = maskText(value);
      if (inText !== value) return inText;
      const digits = value.replace(/[^\d]/g, '').replace(/^(0086|86(?=1\d{10}$))/, '');
      return digits.length >= 7 ? maskPhone(digits)! : '*'.repeat([...value].length);
    }
    case 'name':
      return maskName(value);
    case 'address':
      return maskAddress(value);
    case 'email':
      return maskEmail(value.trim());
    case 'account':
    case 'idcard':
      return maskAccount(value);
    case 'postcode':
      return `${value.trim().slice(0, 2)}****`;
  }
}

/**
 * The kind of personal data a column holds, from its header (Taobao, Tmall, JD, 抖店, Shopify and
 * generic exports), or null for a column that is not known to hold any. Headers are compared
 * without case, spaces, underscores or dashes ("Shipping Address1" = "shippingaddress1").
 */
export function piiColumnKind(header: string): PiiKind | null {
  const h = header.toLowerCase().replace(/[\s_\-.:：()（）]/g, '');
  if (h === '') return null;
  if (/e?mail|邮箱|电子邮件/.test(h)) return 'email';
  if (/身份证|证件号|idcard|idnumber/.test(h)) return 'idcard';
  if (/支付宝|alipay|微信|wechat|weixin|^qq|qq号|账号|帐号|account(?!s?marketing)|openuid|oaid/.test(h))
    return 'account';
  if (/phone|mobile|^tel$|telephone|手机|电话|联系方式|座机/.test(h)) return 'phone';
  if (/邮编|邮政编码|zip|postal|postcode/.test(h)) return 'postcode';
  if (/地址|address|street|街道|门牌|详细位置/.test(h)) return 'address';
  const person = /^(billing|shipping|customer|receiver|recipient|contact|full|first|last)name$/;
  if (/姓名|收货人|收件人|联系人|客户名|买家名字|真实名/.test(h) || person.test(h)) return 'name';
  return null;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// Letters and digits around a number make it part of an id (订单编号, 物流单号), not a phone.
const CN_MOBILE_IN_TEXT = /(?<![0-9A-Za-z])(?:(?:\+|00)?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?![0-9A-Za-z])/g;
const INTL_PHONE_IN_TEXT = /(?<![0-9A-Za-z])\+\d{1,3}(?:[\s-]?\(?\d{1,4}\)?)(?:[\s-]?\d){5,12}(?![0-9A-Za-z])/g;
const CN_LANDLINE_IN_TEXT = /(?<![0-9A-Za-z:])0\d{2,3}[\s-]\d{7,8}(?![0-9A-Za-z:])/g;
const CN_STREET =
  /(?:路|街|巷|弄|道|村|里|胡同|大街|小区|花园|公寓|大厦)\s*\d+\s*(?:号|弄|栋|幢|室|单元|楼|组)|\d+\s*(?:号楼|栋|幢|单元)\s*\d*\s*(?:室|号)?/u;
const STREET_WORDS =
  'st|street|rd|road|ave|avenue|blvd|boulevard|ln|lane|dr|drive|way|ct|court|pl|place|hwy|highway|sq|square';
const EN_STREET = new RegExp(
  `\\b\\d{1,5}[A-Za-z]?\\s+(?:[A-Za-z][A-Za-z.'-]*\\s+){0,4}(?:${STREET_WORDS}|terrace|crescent)\\b`,
  'i',
);

/** Whether a value reads as a street address (a street or building with a number). */
export function looksLikeStreetAddress(value: string): boolean {
  return CN_STREET.test(value) || EN_STREET.test(value);
}

function maskPhoneText(match: string): string {
  const digits = match.replace(/[^\d]/g, '').replace(/^(0086|86(?=1\d{10}$))/, '');
  return maskPhone(digits)!;
}

/**
 * Text that may hold a customer's real name — a message rendered with #姓名#, a note, a reply — as a role without
 * `pii:read` sees it: the name (two characters or more, so a one-character name does not mask every such
 * character) wherever it stands, then phones, e-mails and addresses as maskText does.
 */
export function maskTextOf(value: string, realName: string | null | undefined): string {
  const name = realName?.trim();
  const named = name && [...name].length >= 2 && !isMasked(name) ? value.split(name).join(maskName(name)) : value;
  return maskText(named);
}

/**
 * Any free text (a buyer's message, a column we do not know): a value that reads as a street
 * address is masked as one; phones and e-mails inside the text are masked where they stand.
 */
export function maskText(value: string): string {
  if (value === '') return value;
  if (looksLikeStreetAddress(value)) return maskAddress(value);
  return value
    .replace(EMAIL_IN_TEXT, (m) => maskEmail(m))
    .replace(CN_MOBILE_IN_TEXT, maskPhoneText)
    .replace(INTL_PHONE_IN_TEXT, maskPhoneText)
    .replace(CN_LANDLINE_IN_TEXT, maskPhoneText);
}

/** The raw export columns of an order, masked: known personal columns by kind, the rest by their look. */
export function maskRawColumns(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [header, value] of Object.entries(raw)) {
    const kind = piiColumnKind(header);
    if (typeof value === 'string') out[header] = kind ? maskAs(kind, value) : maskText(value);
    else if (typeof value === 'number' && kind) out[header] = maskAs(kind, String(value));
    else if (typeof value === 'number') {
      const masked = maskText(String(value));
      out[header] = masked === String(value) ? value : masked;
    } else if (value !== null && typeof value === 'object')
      out[header] = kind ? '****' : maskText(JSON.stringify(value));
    else out[header] = value;
  }
  return out;
}
