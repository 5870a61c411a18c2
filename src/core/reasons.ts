/**
 * Reasons and errors the server gives as a code and parameters, so that the console and the exports render them
 * in the reader's language (zh-CN or en) instead of the server's English. One catalogue for both: the server
 * writes exports with it, the console imports this file for what it shows. No imports here (the console's build
 * reads this file as it is).
 *
 * A template names its parameters in braces: `「{status}」`. A parameter a template does not name is ignored.
 */
export type ReasonLanguage = 'zh-CN' | 'en';
export type ReasonParams = Record<string, string | number>;

export interface Reason {
  key: ReasonKey;
  params: ReasonParams;
}

export const REASONS = {
  // Login
  'auth.wrongLogin': { 'zh-CN': '账号或密码不正确', en: 'wrong login or password' },
  'auth.tooManyAttempts': {
    'zh-CN': '登录失败次数过多，请 {seconds} 秒后再试',
    en: 'too many failed logins: try again in {seconds} s',
  },

  // Segment rules (the path of the condition is shown beside them)
  'rule.listEmpty': { 'zh-CN': '请至少填写或选择一个值', en: '"{op}" expects a non-empty list' },
  'rule.listTooLong': {
    'zh-CN': '最多 {max} 个值（现有 {got} 个）',
    en: 'a list has at most {max} values (got {got})',
  },
  'rule.number': { 'zh-CN': '请填写数字（现为 {got}）', en: '{field} expects a number, got {got}' },
  'rule.wholeNumber': { 'zh-CN': '请填写整数（现为 {got}）', en: '{field} expects a whole number, got {got}' },
  'rule.outOfRange': { 'zh-CN': '数值 {got} 超出范围', en: '{field}: {got} is out of range' },
  'rule.text': { 'zh-CN': '请填写文字（现为 {got}）', en: '{field} expects text, got {got}' },
  'rule.textTooLong': { 'zh-CN': '文字最多 {max} 个字', en: 'text longer than {max} characters' },
  'rule.enum': { 'zh-CN': '「{got}」不是可选的值', en: '{field} is one of {values}; got {got}' },
  'rule.date': { 'zh-CN': '请填写日期，例如 2025-11-11（现为 {got}）', en: '{field} expects a date like 2025-11-11' },
  'rule.between': { 'zh-CN': '「介于」需要起止两个值', en: '"between" expects [from, to]' },
  'rule.betweenOrder': { 'zh-CN': '起始值不能大于结束值', en: '"between" expects from ≤ to' },
  'rule.month': { 'zh-CN': '月份为 1–12（现为 {got}）', en: 'months are 1–12, got {got}' },
  'rule.daysMax': { 'zh-CN': '最多 {max} 天（现为 {got}）', en: 'at most {max} days (100 years), got {got}' },
  'rule.negative': { 'zh-CN': '不能为负数', en: 'cannot be negative' },
  'rule.noValue': { 'zh-CN': '这个条件不需要填值', en: '"{op}" takes no value' },
  'rule.names': { 'zh-CN': '请选择名称（现为 {got}）', en: '{field} expects names, got {got}' },
  'rule.unknownField': { 'zh-CN': '请选择字段', en: 'unknown field {field}' },
  'rule.operator': { 'zh-CN': '请选择适用于该字段的比较方式', en: 'operator {op} does not apply to {field}' },
  'rule.tooDeep': { 'zh-CN': '条件组最多嵌套 {max} 层', en: 'groups nest deeper than {max} levels' },
  'rule.tooMany': { 'zh-CN': '一个规则最多 {max} 个条件', en: 'a rule has at most {max} conditions' },
  'rule.emptyGroup': { 'zh-CN': '条件组里至少要有一个条件', en: 'expected a non-empty list of conditions' },
  'rule.shape': { 'zh-CN': '条件的格式不正确', en: 'not a condition or a group' },
  'rule.orderFilter': { 'zh-CN': '订单筛选条件有误', en: 'the order filter is not valid' },
  'rule.fromAfterTo': { 'zh-CN': '开始日期晚于结束日期', en: '"from" is after "to"' },

  // 数据分析: the range and store of a view
  'analytics.notDate': {
    'zh-CN': '「{date}」不是有效日期，应如 2026-11-11',
    en: '{date} is not a date like 2026-11-11',
  },
  'analytics.fromAfterTo': {
    'zh-CN': '开始日期（{from}）晚于结束日期（{to}）',
    en: 'the range starts ({from}) after it ends ({to})',
  },
  'analytics.rangeTooLong': { 'zh-CN': '日期范围最长十年', en: 'the range is longer than ten years' },
  'analytics.storeNotFound': {
    'zh-CN': '找不到所选店铺（可能已被删除），请重新选择',
    en: 'store {store} not found',
  },

  // Import: why a row was rejected
  'import.duplicateOrder': {
    'zh-CN': '订单 {order} 出现两次且「{column}」不同：第 {line1} 行为「{value1}」，第 {line2} 行为「{value2}」',
    en:
      'order {order} appears twice with different {column}: line {line1} says "{value1}", ' +
      'line {line2} says "{value2}"',
  },
  'import.orderIdEmpty': { 'zh-CN': '订单号为空', en: 'order id is empty' },
  'import.orderIdExcel': {
    'zh-CN': '订单号被 Excel 转成了数字（如 5.11861E+18）而丢失了位数：请重新导出，或保存前把该列设为文本',
    en:
      'order id was turned into a number by Excel (e.g. 5.11861E+18) and lost its digits: export again, ' +
      'or format the column as text before saving',
  },
  'import.orderIdDigits': { 'zh-CN': '订单号只能是数字', en: 'order id must be digits' },
  'import.notDateTime': {
    'zh-CN': '不是日期时间（应如 2025-11-11 20:30:00）',
    en: 'not a date/time (expected e.g. 2025-11-11 20:30:00)',
  },
  'import.notAmount': { 'zh-CN': '不是金额（应如 128.00）', en: 'not an amount (expected e.g. 128.00)' },
  'import.negative': {
    'zh-CN': '订单金额不能为负数（退款单/取消单请在列映射的“退款单”里指明）',
    en:
      'a negative amount is impossible on an order (for credit notes / cancellations, say which rows they are ' +
      'with "creditNotes" in the column mapping)',
  },
  'import.statusEmpty': { 'zh-CN': '订单状态为空', en: 'order status is empty' },
  'import.statusUnknown': { 'zh-CN': '未知的订单状态「{status}」', en: 'unknown order status "{status}"' },
  'import.statusUnmapped': {
    'zh-CN': '未知的订单状态「{status}」：请在导入的“状态对应”里把它对应到一个订单状态',
    en: 'unknown order status "{status}": map it to an order status in the import\'s status mapping',
  },
  'import.timeEmpty': { 'zh-CN': '下单时间为空', en: 'order time is empty' },
  'import.notQuantity': { 'zh-CN': '不是整数数量', en: 'not a whole quantity' },
  'import.orderMissing': {
    'zh-CN': '订单 {order} 尚未导入：请先导入订单报表',
    en: 'order {order} is not imported yet: import the orders export (订单报表) first',
  },

  // Tier history: why a member's tier changed
  'tier.joined': { 'zh-CN': '入会', en: 'joined' },
  'tier.joinedQualifies': { 'zh-CN': '入会：消费达到「{tier}」', en: 'joined: purchases qualify for {tier}' },
  'tier.qualifies': { 'zh-CN': '消费达到「{tier}」', en: 'purchases qualify for {tier}' },
  'tier.yearly': { 'zh-CN': '年度复评：符合「{tier}」', en: 'yearly re-evaluation: qualifies for {tier}' },
  'tier.staffFloor': {
    'zh-CN': '员工设置（保底「{tier}」）：{note}',
    en: 'set by staff (floor {tier}): {note}',
  },

  // Campaigns: why a launch is refused
  'campaign.couponPaused': {
    'zh-CN': '优惠券「{coupon}」已暂停发放：请先恢复发放，或换一张优惠券',
    en: 'coupon "{coupon}" is paused: resume issuing it, or choose another coupon',
  },
  'campaign.couponArchived': {
    'zh-CN': '优惠券「{coupon}」已归档：请换一张优惠券',
    en: 'coupon "{coupon}" is archived: choose another coupon',
  },

  // Automations: why a run was skipped or left, why a step was passed over (run log and customer timeline).
  // Conditions and statuses come in both languages as parameters: {condition} / {conditionEn}.
  'automation.orderMoved': { 'zh-CN': '订单{status}', en: 'the order is {statusEn}' },
  'automation.paidOther': { 'zh-CN': '客户此后已付款其他订单', en: 'the customer has since paid another order' },
  'automation.orderedSince': { 'zh-CN': '客户此后又下了单', en: 'the customer has since placed another order' },
  'automation.conditionFailed': {
    'zh-CN': '条件不再满足：{condition}',
    en: 'a condition no longer holds: {conditionEn}',
  },
  'automation.noBalanceDue': {
    'zh-CN': '订单没有尾款支付截止时间',
    en: 'the order has no balance payment deadline',
  },
  'automation.balanceDuePassed': { 'zh-CN': '尾款支付已截止', en: 'the balance payment window has closed' },
  'automation.branchFailed': {
    'zh-CN': '分支条件不满足：{condition}',
    en: 'the branch condition does not hold: {conditionEn}',
  },
  'automation.branchNotTaken': {
    'zh-CN': '未执行：分支「{branch}」的条件不满足（{condition}），流程走了另一条路',
    en: 'not run: branch "{branch}" took the other path ({conditionEn} does not hold)',
  },
  'automation.tooLate': {
    'zh-CN': '为时已晚：事件发生于 {late}前（超过 {limit} 分钟不再触发）',
    en: 'too late: it happened {lateEn} ago (no trigger after {limit} minutes)',
  },
  'automation.noChannel': { 'zh-CN': '没有{medium}渠道', en: 'no {medium} channel' },
  'automation.messageNotSent': { 'zh-CN': '消息未发送：{why}', en: 'message not sent: {whyEn}' },
  'automation.messageDeferred': {
    'zh-CN': '消息已排队，等待可发送时段',
    en: 'message queued until the send window opens',
  },
  'automation.couponZero': {
    'zh-CN': '补偿券金额为 0（商品金额过低）',
    en: 'the compensation coupon would be worth 0 (the item is too cheap)',
  },
  'automation.couponOverCap': {
    'zh-CN': '未发补偿券：券面额 ¥{face} 超过商品金额 ¥{item} 的 {cap}%',
    en: 'no compensation coupon: its ¥{face} is over {cap}% of the item (¥{item})',
  },
  'automation.stepRefused': { 'zh-CN': '未执行：{message}', en: 'not run: {message}' },
} as const satisfies Record<string, Record<ReasonLanguage, string>>;

export type ReasonKey = keyof typeof REASONS;

export function reason(key: ReasonKey, params: ReasonParams = {}): Reason {
  return { key, params };
}

export function isReasonKey(key: unknown): key is ReasonKey {
  return typeof key === 'string' && Object.hasOwn(REASONS, key);
}

/** The reason in a language; null for a key this catalogue does not know (an older or newer server). */
export function renderReason(r: { key: string; params?: ReasonParams | null }, lang: ReasonLanguage): string | null {
  if (!isReasonKey(r.key)) return null;
  const params = r.params ?? {};
  return REASONS[r.key][lang].replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}

/** A reason kept in two columns (key, JSON parameters); null when there is none or the key is not known. */
export function storedReason(key: string | null, params: string | null): Reason | null {
  if (!isReasonKey(key)) return null;
  let p: ReasonParams = {};
  try {
    const parsed: unknown = params ? JSON.parse(params) : {};
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) p = parsed as ReasonParams;
  } catch {
    // Parameters that do not parse: the template shows its placeholders rather than failing the page.
  }
  return { key, params: p };
}

/** The language of a request: `lang` when it names one, else the first of Accept-Language we have, else zh-CN. */
export function requestLanguage(lang: unknown, acceptLanguage: unknown): ReasonLanguage {
  if (lang === 'en' || lang === 'zh-CN') return lang;
  if (typeof acceptLanguage === 'string') {
    for (const part of acceptLanguage.split(',')) {
      const tag = part.split(';')[0]!.trim().toLowerCase();
      if (tag.startsWith('zh')) return 'zh-CN';
      if (tag.startsWith('en')) return 'en';
    }
  }
  return 'zh-CN';
}
