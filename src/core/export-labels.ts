/**
 * What a customer export says in the reader's language (zh-CN by default, en on request): its column headers and
 * the coded values it carries (RFM class, lifecycle stage), so no raw key (`growing`, `mature`, `none`) reaches a
 * seller's spreadsheet. The console shows the same words (web/src/i18n).
 */
import type { ReasonLanguage } from './reasons.js';

export type ExportLanguage = ReasonLanguage;

export const EXPORT_HEADERS = {
  id: { 'zh-CN': '客户ID', en: 'Customer ID' },
  name: { 'zh-CN': '客户', en: 'Customer' },
  nick: { 'zh-CN': '{platform}买家昵称', en: '{platform} buyer nick' },
  buyerId: { 'zh-CN': '{platform}买家ID', en: '{platform} buyer ID' },
  stores: { 'zh-CN': '店铺', en: 'Stores' },
  phone: { 'zh-CN': '手机', en: 'Phone' },
  email: { 'zh-CN': '邮箱', en: 'Email' },
  province: { 'zh-CN': '省份', en: 'Province' },
  city: { 'zh-CN': '城市', en: 'City' },
  paidOrders: { 'zh-CN': '成交订单', en: 'Paid orders' },
  spent: { 'zh-CN': '累计消费(元)', en: 'Total spent (CNY)' },
  lastPaid: { 'zh-CN': '最近购买日期', en: 'Last purchase' },
  rfm: { 'zh-CN': 'RFM 分类', en: 'RFM class' },
  lifecycle: { 'zh-CN': '生命周期', en: 'Lifecycle' },
  tier: { 'zh-CN': '会员等级', en: 'Member tier' },
  tags: { 'zh-CN': '标签', en: 'Tags' },
} as const satisfies Record<string, Record<ExportLanguage, string>>;

export const PLATFORM_LABELS: Record<string, Record<ExportLanguage, string>> = {
  taobao: { 'zh-CN': '淘宝/天猫', en: 'Taobao/Tmall' },
  jd: { 'zh-CN': '京东', en: 'JD' },
  douyin: { 'zh-CN': '抖店', en: 'Douyin' },
  shopify: { 'zh-CN': 'Shopify', en: 'Shopify' },
  other: { 'zh-CN': '其他', en: 'Other' },
};

/** The eight RFM classes are stored by their Chinese names; English has its own. */
const RFM_CLASS_EN: Record<string, string> = {
  重要价值: 'Champions',
  重要发展: 'Promising',
  重要保持: 'Need attention',
  重要挽留: "Can't lose",
  一般价值: 'Potential',
  一般发展: 'New & low',
  一般保持: 'About to sleep',
  一般挽留: 'Lost low',
};

const LIFECYCLE: Record<string, Record<ExportLanguage, string>> = {
  prospect: { 'zh-CN': '潜客', en: 'Prospect' },
  new: { 'zh-CN': '新客', en: 'New' },
  growing: { 'zh-CN': '成长', en: 'Growing' },
  mature: { 'zh-CN': '成熟', en: 'Mature' },
  dormant: { 'zh-CN': '沉睡', en: 'Dormant' },
  churned: { 'zh-CN': '流失', en: 'Churned' },
};

export function exportHeader(key: keyof typeof EXPORT_HEADERS, lang: ExportLanguage, platform = ''): string {
  return EXPORT_HEADERS[key][lang].replace('{platform}', platform);
}

export function platformLabel(scope: string, lang: ExportLanguage): string {
  return PLATFORM_LABELS[scope]?.[lang] ?? scope;
}

/** An RFM class in the reader's language (null stays empty; a class this list does not know stays as it is). */
export function rfmClassLabel(value: string | null, lang: ExportLanguage): string | null {
  if (value === null || value === 'none') return null;
  return lang === 'en' ? (RFM_CLASS_EN[value] ?? value) : value;
}

export function lifecycleLabel(value: string | null, lang: ExportLanguage): string | null {
  if (value === null) return null;
  return LIFECYCLE[value]?.[lang] ?? value;
}
