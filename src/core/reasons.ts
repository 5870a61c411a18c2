/**
 * Reasons and errors the server gives as a code and parameters, so that the console and the exports render them
 * in the reader's language (zh-CN or en) instead of the server's English. One catalogue for both: the server
 * writes exports with it, the console imports this file for what it shows. Its one import is field-labels.ts,
 * which imports nothing (the console's build reads both files as they are).
 *
 * A template names its parameters in braces: `「{status}」`. A parameter a template does not name is ignored.
 * The `{field}` of an `input.*` reason is a path (`name`, `variants.0.content.text`), rendered by its label.
 */
import { fieldLabel } from './field-labels.js';

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
  'automation.channelMedium': {
    'zh-CN': '步骤「{step}」选的渠道「{channel}」不能发送这一步的消息类型，请换一个渠道',
    en: 'step "{step}": channel "{channel}" sends {channelMedium}, not {medium}',
  },
  'automation.cronFields': {
    'zh-CN': '定时「{cron}」应为 5 段：分 时 日 月 周，例如 0 10 * * 1 表示每周一 10:00',
    en: 'cron "{cron}" needs five fields: minute hour day month weekday (0 10 * * 1: Mondays at 10:00)',
  },
  'automation.conditionOp': {
    'zh-CN': '条件「{fact}」不能用「{op}」比较：可用 {ops}',
    en: '{fact} is not compared with {op} (one of {ops})',
  },
  'automation.conditionValue': {
    'zh-CN': '条件「{fact} {op}」的值应为{wantZh}',
    en: '{fact} {op} takes {wantEn}',
  },
  'automation.holidayName': {
    'zh-CN': '不认识这个节日：可选 {holidays}',
    en: 'not a holiday Huike knows (one of {holidays})',
  },
  'automation.holidaysNone': {
    'zh-CN': '节日关怀要选至少一个节日：{holidays}',
    en: 'a holiday trigger names at least one holiday ({holidays})',
  },
  'automation.anniversaryNone': {
    'zh-CN': '选了店庆，请填写店庆日（月-日，例如 05-20）',
    en: "店庆 needs the shop's anniversary (MM-DD)",
  },
  'automation.province': {
    'zh-CN': '「{field}」不是中国的省份（例如 广东、新疆）',
    en: '{field}: not a province of China',
  },
  'automation.waitEmpty': {
    'zh-CN': '等待步骤「{step}」要说明等多久：分钟、天数、到几点、按省份的天数或尾款截止前',
    en: 'wait step "{step}" says how long: minutes, days, a time of day, days by province or before the balance is due',
  },
  'automation.cronTooOften': {
    'zh-CN': '定时「{cron}」太频繁：两次运行至少间隔 1 小时',
    en: 'cron "{cron}" runs more often than once an hour',
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
  // A definition's own problems (beside zod's input.* ones), for the step editor.
  'automation.stepIdTwice': { 'zh-CN': '步骤编号「{id}」重复', en: 'step id "{id}" twice' },
  'automation.elseNotLater': {
    'zh-CN': '「{else}」不是后面步骤的编号：只能跳到后面的步骤或结束流程',
    en: '"{else}" is not a later step\'s id (or "exit")',
  },
  'template.empty': { 'zh-CN': '内容不能为空', en: 'the text is empty' },
  'template.unknownVariable': { 'zh-CN': '未知变量 #{variable}#', en: 'unknown variable #{variable}#' },

  // Errors the server answers with (HTTP 4xx/5xx): what the console shows instead of the English message
  'attributes.noCustomerColumn': {
    'zh-CN': '文件没有指明每行对应哪位客户：请加一列「客户ID」「买家昵称」或「手机」。现有列：{columns}',
    en:
      'this file does not say which customer each row is about: add a column 客户ID, 买家昵称 or 手机. ' +
      'Columns found: {columns}',
  },
  'attributes.nothingToSet': {
    'zh-CN': '文件里没有可设置的内容：请加上 性别、生日、微信、标签 或 分组 等列。现有列：{columns}',
    en: 'this file has nothing to set: add columns such as 性别, 生日, 微信, 标签 or 分组. Columns found: {columns}',
  },
  'audienceList.empty': {
    'zh-CN': '文件中没有内容：每行一个手机号、买家昵称或客户 ID',
    en: 'the file has no lines: one phone, buyer nick or customer id a line',
  },
  'audienceList.nameRequired': { 'zh-CN': '请填写名单名称', en: 'give the list a name' },
  'audienceList.notFound': { 'zh-CN': '找不到该名单（ID {id}）', en: 'audience list {id} not found' },
  'audienceList.tooLong': {
    'zh-CN': '名单超过 {max} 行：请拆分成多个名单',
    en: 'the list has more than {max} lines: split it',
  },
  'auth.auditRead': {
    'zh-CN': '你的账号角色不能查看操作日志（需要「查看操作日志」权限）：请联系管理员',
    en: 'your role ({role}) may not read the audit log (it needs "audit:read")',
  },
  'auth.crossSite': {
    'zh-CN': '操作必须在控制台页面内进行：请刷新页面后重试（脚本请使用 API 令牌）',
    en: 'a change made with the session cookie must come from the console; scripts should use an API token',
  },
  'auth.crossSiteLogin': { 'zh-CN': '已拒绝来自其他网站的登录请求', en: 'a login posted from another site is refused' },
  'auth.loginRequired': { 'zh-CN': '请先登录', en: 'log in or send an API token' },
  'auth.permission': {
    'zh-CN': '你的账号角色没有这项操作的权限（需要「{permission}」权限）：请联系管理员',
    en: 'your role ({role}) does not have the "{permission}" permission this needs',
  },
  'auth.revealPii': {
    'zh-CN': '你的账号角色不能查看完整的个人信息（需要「显示个人信息」权限）：请联系管理员',
    en: 'your role ({role}) may not show personal data in full (it needs "pii:reveal")',
  },
  'auth.routeNoPermission': {
    'zh-CN': '服务器错误：接口 {route} 未声明权限，已拒绝访问',
    en: '{route} declares no permission, so it is refused to everyone (a bug in the server)',
  },
  'automation.noBuiltin': {
    'zh-CN': '没有内置自动化「{builtin}」',
    en: 'no built-in automation "{builtin}" ({builtins})',
  },
  'automation.notFound': { 'zh-CN': '找不到该自动化（ID {id}）', en: 'automation {id} not found' },
  'backup.damaged': { 'zh-CN': '备份 {file} 已损坏：{error}', en: 'the backup {file} is damaged: {error}' },
  'backup.exists': {
    'zh-CN': '备份文件 {file} 已存在：请换一个文件名',
    en: '{file} already exists: choose a new file name',
  },
  'backup.inMemory': { 'zh-CN': '内存数据库无法备份', en: 'an in-memory database cannot be backed up' },
  'backup.keepDays': {
    'zh-CN': 'HUIKE_BACKUP_KEEP_DAYS 须为至少 1 的整数天数',
    en: 'HUIKE_BACKUP_KEEP_DAYS must be a whole number of days, at least 1',
  },
  'backup.noFile': { 'zh-CN': '找不到备份文件 {file}', en: 'no backup file {file}' },
  'backup.noPgDump': {
    'zh-CN': '本机未安装 pg_dump，无法备份 PostgreSQL 数据库',
    en: 'pg_dump is not installed on this machine',
  },
  'backup.noPgRestore': {
    'zh-CN': '本机未安装 pg_restore，无法恢复 PostgreSQL 数据库',
    en: 'pg_restore is not installed on this machine',
  },
  'backup.notPgDump': {
    'zh-CN': '{file} 不是由 huike backup 生成的 PostgreSQL 备份文件',
    en: '{file} is not a pg_dump custom-format file (made by huike backup)',
  },
  'backup.notSqlite': {
    'zh-CN': '{file} 不是由 huike backup 生成的 SQLite 备份文件',
    en: '{file} is not a SQLite backup (made by huike backup)',
  },
  'backup.pgDumpFailed': { 'zh-CN': 'pg_dump 备份失败：{error}', en: 'pg_dump failed: {error}' },
  'backup.pgRestoreFailed': { 'zh-CN': 'pg_restore 恢复失败：{error}', en: 'pg_restore failed: {error}' },
  'backup.targetNotEmpty': {
    'zh-CN': '目标数据库不是空的：请恢复到一个新的空数据库',
    en: 'the target database is not empty: restore into a new, empty database',
  },
  'bulk.notFound': { 'zh-CN': '找不到该批量操作（ID {id}）', en: 'bulk action {id} not found' },
  'campaign.compareCount': {
    'zh-CN': '请选择 {min}–{max} 个营销活动进行对比',
    en: 'choose {min} to {max} campaigns to compare',
  },
  'campaign.compareNotLaunched': {
    'zh-CN': '营销活动「{campaign}」尚未启动，没有数据可对比',
    en: 'campaign "{campaign}" has not been launched: it has nothing to compare',
  },
  'campaign.compensationCoupon': {
    'zh-CN': '「{coupon}」是补偿券：只能手动发放，不能用于营销活动',
    en: '"{coupon}" is a compensation coupon: it is given by hand, not by campaign',
  },
  'campaign.startAtRange': {
    'zh-CN': '开始时间「{startAt}」应在一年之内（最早为一天前）',
    en: 'startAt {startAt} is not between a day ago and a year from now',
  },
  'campaign.startAtNotScheduled': {
    'zh-CN': '只有「定时发送」的活动才填开始时间：这个活动选的是{schedule}，请改为定时发送，或去掉开始时间',
    en:
      'startAt is only for a campaign scheduled "at" a time: this one starts {scheduleEn}; ' +
      'choose "at" or leave startAt out',
  },
  'campaign.careCoupon': {
    'zh-CN': '优惠券属于营销：关怀类活动不能附带优惠券，请改为营销消息（需客户授权，受频次与发送时段约束）',
    en: 'a coupon is marketing: a care campaign cannot carry one (make it a marketing campaign)',
  },
  'campaign.emailSubject': {
    'zh-CN': '邮件需要主题：版本 {variant} 还没有填写邮件主题',
    en: 'an email needs a subject: variant {variant} has none',
  },
  'campaign.launchedMeanwhile': { 'zh-CN': '该营销活动刚刚已被启动', en: 'the campaign was launched meanwhile' },
  'campaign.notDraftEdit': {
    'zh-CN': '只有草稿状态的营销活动可以编辑',
    en: 'campaign is {status}: only a draft can be edited',
  },
  'campaign.notDraftLaunch': {
    'zh-CN': '只有草稿状态的营销活动可以启动',
    en: 'campaign is {status}: only a draft can be launched',
  },
  'campaign.notFound': { 'zh-CN': '找不到该营销活动（ID {id}）', en: 'campaign {id} not found' },
  'campaign.notLaunched': {
    'zh-CN': '营销活动尚未启动：请先试运行',
    en: 'the campaign has not been launched yet: run a dry run instead',
  },
  'campaign.notStarted': {
    'zh-CN': '营销活动已排期，尚未开始',
    en: 'the campaign is scheduled and has not started yet',
  },
  'campaign.testEmail': { 'zh-CN': '「{email}」不是有效的邮箱地址', en: '"{email}" is not an email address' },
  'campaign.testNoEmail': {
    'zh-CN': '{user} 的登录名不是邮箱：请直接填写邮箱',
    en: '{user} has no email as login: enter the email instead',
  },
  'campaign.testNoPhone': {
    'zh-CN': '{user} 的登录名不是手机号：请直接填写手机号',
    en: '{user} has no mobile number as login: enter the phone instead',
  },
  'campaign.testNoRecipient': {
    'zh-CN': '请选择员工，或填写测试发送的手机号或邮箱',
    en: 'choose members of staff or enter a phone number or email to test-send to',
  },
  'campaign.testPhone': { 'zh-CN': '「{phone}」不是大陆手机号', en: '"{phone}" is not a mainland mobile number' },
  'campaign.transition': {
    'zh-CN': '营销活动当前的状态不能执行这项操作',
    en: 'campaign is {status}: it cannot become {to}',
  },
  'campaign.variantNotFound': { 'zh-CN': '找不到版本 {variant}', en: 'variant {variant} not found' },
  'channel.handoffNoTest': {
    'zh-CN': '平台交接渠道只生成文件，无需测试发送',
    en: 'the platform hand-off writes a file: there is nothing to test-send',
  },
  'channel.inUse': {
    'zh-CN': '该渠道已发送过消息或属于某个营销活动，不能删除',
    en: 'this channel has sent messages or belongs to a campaign: it cannot be deleted',
  },
  'channel.kindNoCredentials': { 'zh-CN': '这种渠道（{kind}）没有凭据', en: 'a {kind} channel has no credentials' },
  'channel.kindNotEditable': { 'zh-CN': '这种渠道（{kind}）不能编辑', en: 'channel kind "{kind}" cannot be edited' },
  'channel.kindUnsupported': { 'zh-CN': '不支持这种渠道（{kind}）', en: 'channel kind "{kind}" is not supported' },
  'channel.usedByAutomation': {
    'zh-CN': '自动化「{automation}」在使用这个渠道：请先在其中换一个渠道，再删除',
    en: 'automation "{automation}" sends on this channel: choose another channel in it first',
  },
  'channel.mediumFixed': {
    'zh-CN': '该渠道已发送过消息，发送方式不能修改（请新增渠道）',
    en: 'this channel has sent messages: its medium cannot change (add a new channel)',
  },
  'channel.nameTaken': { 'zh-CN': '已有名为「{name}」的渠道', en: 'a channel named "{name}" already exists' },
  'channel.noCredentials': {
    'zh-CN': '渠道「{name}」还没有填写凭据：请在 设置 → 渠道 中填写',
    en: 'channel "{name}" has no credentials: set them in 设置 → 渠道',
  },
  'channel.notFound': { 'zh-CN': '找不到该渠道（ID {id}）', en: 'channel {id} not found' },
  'channel.notWebhook': {
    'zh-CN': '渠道「{name}」不是签名 Webhook 渠道',
    en: 'channel "{name}" is not a signed webhook',
  },
  'channel.testUnreachable': {
    'zh-CN': '测试消息没有发出：连不上 {host}（{causeZh}）',
    en: 'the test message was not sent: {host} cannot be reached ({causeEn})',
  },
  'channel.testFailed': { 'zh-CN': '测试消息未被接受：{error}', en: 'the test message was not accepted: {error}' },
  'channel.testRecipient': { 'zh-CN': '请填写测试消息的接收人', en: 'name who receives the test message' },
  'cli.importFile': {
    'zh-CN': '请指定要导入的文件（或用 --resume 继续中断的导入）',
    en: 'name the file to import (or --resume RUN to resume an interrupted import)',
  },
  'cli.importFormat': { 'zh-CN': '缺少 --format：可选 {formats}', en: '--format is required: one of {formats}' },
  'cli.importStore': {
    'zh-CN': '缺少 --store：导出文件所属的店铺（不存在则新建）',
    en: '--store is required: the store the export comes from (created when new)',
  },
  'cli.mappingFile': {
    'zh-CN': '无法读取列映射文件 {path}：{error}',
    en: 'cannot read the mapping file {path}: {error}',
  },
  'cli.resumeFile': {
    'zh-CN': '导入 {id} 读取的是 {file}，不是 {given}：继续导入时请不要指定文件',
    en: 'import {id} read {file}, not {given}: leave the file out to resume it',
  },
  'cli.ruleFile': { 'zh-CN': '无法读取规则文件 {path}：{error}', en: 'cannot read the rule file {path}: {error}' },
  'cli.storeChange': {
    'zh-CN': '请指定要修改的内容：--timezone、--currency 和/或 --name',
    en: 'say what to change: --timezone, --currency and/or --name',
  },
  'cli.storeNotFound': {
    'zh-CN': '没有店铺「{ref}」（huike store list 可列出店铺）',
    en: 'no store "{ref}" (huike store list shows them)',
  },
  'coupon.compensationCap': {
    'zh-CN': '补偿金额 ¥{value} 超过商品金额 ¥{item} 的 {cap}%：最多 ¥{max}',
    en: "compensation of ¥{value} is above {cap}% of the item's value (¥{item}): at most ¥{max}",
  },
  'coupon.compensationFixed': {
    'zh-CN': '优惠券不能改成（或改回）补偿券：请新建一张优惠券',
    en: 'a template cannot become (or stop being) a compensation coupon: create another template',
  },
  'coupon.valueNotCompensation': {
    'zh-CN': '只有补偿券在发放时填写金额；这张券的金额在券规则里',
    en: 'valueFen and itemValueFen are for a compensation template: this one has its value in its rules',
  },
  'coupon.compensationValues': {
    'zh-CN': '补偿券需要填写面额和商品金额',
    en: 'a compensation coupon needs valueFen and itemValueFen',
  },
  'coupon.nameTaken': { 'zh-CN': '已有名为「{name}」的优惠券', en: 'a coupon named "{name}" already exists' },
  'coupon.notFound': {
    'zh-CN': '找不到该优惠券（ID {id}），可能已归档',
    en: 'coupon template {id} not found (or archived)',
  },
  'coupon.archived': {
    'zh-CN': '优惠券「{coupon}」已归档，不再发放：请选择其他优惠券',
    en: 'coupon "{coupon}" is archived: it issues no more',
  },
  'coupon.outOfStock': {
    'zh-CN': '优惠券「{coupon}」已发完（共 {stock} 张）',
    en: 'coupon "{coupon}" is out of stock ({stock} issued)',
  },
  'coupon.paused': {
    'zh-CN': '优惠券「{coupon}」已暂停发放：请先恢复发放',
    en: 'coupon "{coupon}" is paused: resume it before issuing',
  },
  'coupon.perCustomerLimit': {
    'zh-CN': '该客户已领取 {limit} 张优惠券「{coupon}」（每人限领 {limit} 张）',
    en: 'this customer already has {limit} of coupon "{coupon}" (the limit)',
  },
  'coupon.rulesFixed': {
    'zh-CN': '优惠券「{coupon}」已发出 {issued} 张，规则不能再修改：如需其他规则，请新建优惠券',
    en: '{issued} coupons of "{coupon}" are out: its rules stay as they are; create a new template for other rules',
  },
  'coupon.stockBelowIssued': {
    'zh-CN': '已发出 {issued} 张，总库存不能少于已发数量',
    en: 'totalStock: {issued} coupons are issued already; the stock cannot be less',
  },
  'coupon.stepsOrder': {
    'zh-CN': '阶梯券第 {step} 档要比上一档门槛更高、减得更多',
    en: 'step {step} of a tiered coupon asks more and takes off more than the one before',
  },
  'coupon.capZero': {
    'zh-CN': '折扣券的最高优惠不能为 0：不设上限请留空',
    en: "a discount's cap cannot be 0: leave it empty for no cap",
  },
  'coupon.validityPast': {
    'zh-CN': '有效期已经结束（{to}）：这张券发出去就不能用',
    en: 'the validity has already ended ({to}): a coupon issued now could not be used',
  },
  'coupon.tierUnknown': {
    'zh-CN': '会员券的等级「{tier}」不在会员等级设置里（现有：{tiers}）',
    en: 'tier "{tier}" is not one of the shop\'s tiers ({tiers})',
  },
  'coupon.offOverMin': {
    'zh-CN': '减免金额不能超过门槛：满 {min} 元最多减 {min} 元（现为减 {off} 元）',
    en: 'a coupon takes off at most its threshold: spend {min}, off {off}',
  },
  'coupon.validityYear': {
    'zh-CN': '有效期「{date}」应在 2000–2099 年之间',
    en: 'validity date {date} is not between 2000 and 2099',
  },
  'coupon.validityOrder': {
    'zh-CN': '优惠券有效期的结束时间须晚于开始时间',
    en: 'a coupon validity ends after it starts',
  },
  'customer.notFound': { 'zh-CN': '找不到该客户（ID {id}），可能已被删除或合并', en: 'customer {id} not found' },
  'customer.erased': {
    'zh-CN': '该客户的个人信息已删除：档案只为统计保留，不能再修改',
    en: "customer {id}'s personal data was erased: the customer is kept for the figures and can no longer be changed",
  },
  'customer.maskedValue': {
    'zh-CN': '「{value}」是打码后的值（含 *）：请填写完整内容，或不修改这一项',
    en: '{field} "{value}" looks masked (it holds *): type the whole value, or leave the field out to keep it',
  },
  'customer.phone': {
    'zh-CN': '手机号「{phone}」不是大陆手机号（1 开头的 11 位数字）',
    en: 'phone "{phone}" is not a mainland mobile number (11 digits starting with 1)',
  },
  'group.nameLength': { 'zh-CN': '分组名称须为 1–{max} 个字', en: 'a group name has 1–{max} characters' },
  'group.nameTaken': { 'zh-CN': '已有名为「{name}」的分组', en: 'a group named "{name}" already exists' },
  'group.notFound': { 'zh-CN': '找不到该分组（ID {id}）', en: 'group {id} not found' },
  'heavy.tooSlow': {
    'zh-CN': '查询超过时间上限 {limit}，已停止：请缩小条件范围后重试',
    en: 'the query ran past its {limit} time limit and was stopped: narrow the rule, or raise the limit',
  },
  'idempotency.inFlight': {
    'zh-CN': '同一操作的上一次请求还在处理中，请稍后再试',
    en: 'a request with Idempotency-Key "{key}" is still being answered: retry in a moment',
  },
  'idempotency.keyLength': {
    'zh-CN': '请求标识（Idempotency-Key）须为 1–200 个字符',
    en: 'Idempotency-Key must be 1 to 200 characters',
  },
  'idempotency.required': {
    'zh-CN': '缺少请求标识（Idempotency-Key 请求头，每次操作一个唯一值，避免重试时重复执行）',
    en: 'send an Idempotency-Key header, so that a retried request never happens twice',
  },
  'idempotency.reused': {
    'zh-CN': '这个请求标识（Idempotency-Key）已用于另一个不同的请求：请刷新页面后重试',
    en: 'Idempotency-Key "{key}" was already used for a different request',
  },
  'import.alreadyDone': { 'zh-CN': '该导入已完成', en: 'import {id} is already finished' },
  'import.alreadyFailed': { 'zh-CN': '该导入已失败：请重新导入', en: 'import {id} is already failed' },
  'import.binary': {
    'zh-CN': '此文件不是 CSV 或 XLSX 导出文件（含有二进制内容）',
    en: 'this file is not a CSV or XLSX export (it contains binary data)',
  },
  'import.cannotRead': { 'zh-CN': '无法读取文件 {file}', en: 'cannot read the file {file}' },
  'import.csvUnreadable': { 'zh-CN': 'CSV 文件无法读取：{error}', en: 'the CSV cannot be read: {error}' },
  'import.emptyFile': { 'zh-CN': '文件是空的', en: 'the file is empty' },
  'import.fileGone': {
    'zh-CN': '该导入的文件已不在服务器上：请重新导入',
    en: 'the file of this import is no longer there: import it again instead',
  },
  'import.format': { 'zh-CN': '请选择导入格式（可选：{formats}）', en: 'format must be one of {formats}' },
  'import.mappingColumn': {
    'zh-CN': '列映射必须指定「{label}」对应的列',
    en: 'the column mapping must name the column of "{field}"',
  },
  'import.mappingJson': { 'zh-CN': '列映射不是有效的 JSON', en: 'mapping is not valid JSON' },
  'import.mappingRequired': { 'zh-CN': '通用格式需要列映射', en: 'the generic format needs a column mapping' },
  'import.mappingStatus': {
    'zh-CN': '列映射必须指定订单状态列，或设置默认状态',
    en: 'the column mapping must name the "status" column or give a "defaultStatus"',
  },
  'import.memory': {
    'zh-CN': '读取此文件所需内存超过导入上限 {mb} MB：文件可能已损坏，未导入。请重新导出，或拆分成较小的文件',
    en:
      'reading this file needed more than the {mb} MB an import may use: it was not imported. ' +
      'Export it again, or split it into smaller files',
  },
  'import.missingColumn': {
    'zh-CN': '此文件不是{format}：缺少「{missing}」列。现有列：{found}',
    en: 'this file is not a {formatEn}: missing column {missingEn}. Columns found: {found}',
  },
  'import.noFile': { 'zh-CN': '该导入没有文件', en: 'this import has no file' },
  'import.noHeader': { 'zh-CN': '文件没有表头行', en: 'the file has no header row' },
  'import.notFound': { 'zh-CN': '找不到该导入记录（ID {id}）', en: 'import {id} not found' },
  'import.notResumable': {
    'zh-CN': '只有中断的导入可以继续',
    en: 'import {id} is {status}: only an interrupted import can be resumed',
  },
  'import.readerStopped': {
    'zh-CN': '文件无法读取：读取进程意外停止',
    en: 'the file could not be read: its reader stopped without saying why',
  },
  'import.resuming': { 'zh-CN': '该导入已在继续中', en: 'import {id} is being resumed already' },
  'import.rowTooLong': {
    'zh-CN': '文件第 {line} 行超过 {max}：文件已损坏或不是店铺导出文件（未闭合的引号会把剩余内容变成一个单元格）',
    en: 'a row of the file (line {line}) is longer than {max}: the file is damaged or is not a shop export',
  },
  'import.stillRunning': { 'zh-CN': '该导入仍在进行中', en: 'import {id} is still running' },
  'import.storeRequired': {
    'zh-CN': '请选择或填写店铺',
    en: 'name the store: field "store" (a name, created if new) or "storeId"',
  },
  'import.takenOver': { 'zh-CN': '该导入已由另一个进程接手', en: 'import {id} was taken by another process' },
  'import.tooManyCells': {
    'zh-CN': '表格超过 {max} 个单元格：请拆分成较小的文件',
    en: 'the sheet has more than {max} cells: split it into smaller files',
  },
  'import.tooManyColumns': {
    'zh-CN': '表格第 {row} 行有 {columns} 列，超过 Excel 的上限',
    en: 'row {row} of the sheet has {columns} columns: more than Excel allows',
  },
  'import.unreadable': { 'zh-CN': '文件无法读取：{error}', en: 'the file could not be read: {error}' },
  'import.xls': {
    'zh-CN': '这是旧版 Excel（.xls）文件：请用 Excel 或 WPS 另存为 .xlsx 或 .csv 后再导入',
    en: 'this is an old Excel .xls file: open it in Excel or WPS and save it as .xlsx or .csv, then import that',
  },
  'import.xlsxBomb': {
    'zh-CN': '此 .xlsx 文件解压后过大或已损坏，未导入：请重新导出，或拆分成较小的文件',
    en: 'this .xlsx file {what}: it is damaged or built to exhaust the server, and was not imported',
  },
  'import.xlsxDamaged': {
    'zh-CN': '此 .xlsx 文件已损坏（{error}）：请重新导出',
    en: 'this .xlsx file is damaged ({error}): export it again',
  },
  'import.xlsxNoCellRefs': {
    'zh-CN':
      '此 .xlsx 文件的单元格没有位置信息（由非 Excel 的工具生成）：请用 Excel 或 WPS 打开后另存为 .xlsx，或另存为 CSV 后再导入',
    en:
      'the cells of this .xlsx file carry no position (it was written by a tool other than Excel): open it in Excel ' +
      'or WPS and save it again as .xlsx, or save it as CSV, then import it',
  },
  'import.xlsxUnreadable': {
    'zh-CN': '此 .xlsx 文件无法读取（{error}）：请重新导出',
    en: 'this .xlsx file cannot be read ({error}): export it again',
  },
  'input.charset': {
    'zh-CN': 'JSON 请求内容应为 UTF-8 编码（现为 {charset}）',
    en: 'a JSON body is UTF-8: charset={charset} is not read',
  },
  'input.cursor': {
    'zh-CN': '翻页参数已失效，请回到第一页重新加载',
    en: 'the cursor is not valid: pass back the nextCursor of the previous page',
  },
  'input.nothingToChange': { 'zh-CN': '没有要修改的内容', en: 'nothing to change' },
  'input.badEscape': {
    'zh-CN': '「{field}」的网址编码有误（% 后应为两位十六进制数，且组成完整的字符），请检查链接',
    en: '{field}: a %-escape in the address is not valid UTF-8',
  },
  'input.badUtf8': {
    'zh-CN': '请求内容不是有效的 UTF-8 文本（含有无法识别的字节），请以 UTF-8 发送',
    en: 'the body is not valid UTF-8 text',
  },
  'input.brokenChar': {
    'zh-CN': '「{field}」含有无效的字符（不完整的 Unicode 字符），请删除后重试',
    en: '{field}: text holds half of a UTF-16 surrogate pair (a broken character)',
  },
  'input.nulChar': {
    'zh-CN': '「{field}」含有不可见的空字符（\\u0000），请删除后重试',
    en: '{field}: text cannot contain the NUL character (\\u0000)',
  },
  'merge.alreadyUndone': { 'zh-CN': '这次合并已经撤销过了', en: 'this merge was already undone' },
  'merge.erased': {
    'zh-CN': '个人信息已被删除的客户不能合并',
    en: 'a customer whose personal data was erased cannot be merged',
  },
  'merge.mergedAgain': {
    'zh-CN': '合并后的客户此后又被合并：请先撤销那次合并',
    en: 'the customer this one was merged into has since been merged again: undo that merge first',
  },
  'merge.notFound': { 'zh-CN': '找不到该合并记录（ID {id}）', en: 'merge {id} not found' },
  'merge.self': { 'zh-CN': '不能把客户合并到自己', en: 'a customer cannot be merged into itself' },
  'note.empty': { 'zh-CN': '备注不能为空', en: 'a note cannot be empty' },
  'note.tooLong': { 'zh-CN': '备注最多 {max} 个字', en: 'a note has at most {max} characters' },
  'order.notFound': { 'zh-CN': '找不到该订单（ID {id}）', en: 'order {id} not found' },
  'order.otherCustomer': { 'zh-CN': '订单 {id} 属于另一位客户', en: 'order {id} belongs to another customer' },
  'points.debitNotFound': { 'zh-CN': '找不到该积分扣减记录（ID {id}）', en: 'debit {id} not found' },
  'points.keyReused': {
    'zh-CN': '这个操作标识已用于另一次积分操作',
    en: 'idempotency key "{key}" was already used for another operation',
  },
  'points.notEnough': {
    'zh-CN': '积分不足：需要 {points}，可用 {balance}',
    en: 'not enough points: {points} asked, {balance} spendable',
  },
  'points.positive': { 'zh-CN': '积分须为大于 0 的整数', en: 'points must be a whole number above 0' },
  'privacy.confirm': {
    'zh-CN': '删除个人信息前，请输入该客户的姓名或 ID 以确认',
    en: "to erase, confirm with the customer's name or id",
  },
  'receipt.noAddress': { 'zh-CN': '回执地址不存在', en: 'no such receipt address' },
  'receipt.noReceipts': { 'zh-CN': '这种渠道（{kind}）没有送达回执', en: 'a {kind} channel gets no delivery receipts' },
  'receipt.noReplies': { 'zh-CN': '这种渠道（{kind}）不接收回复', en: 'a {kind} channel gets no replies' },
  'receipt.unreadable': {
    'zh-CN': '无法识别的回执或回复内容（{field}）',
    en: 'this is not a {what}: {field} {problem}',
  },
  'receipt.wecomNone': {
    'zh-CN': '企业微信不推送送达回执：请在企业微信中填写该渠道的回调地址（…/wecom）',
    en: "企业微信 posts no delivery receipts: enter the channel's callback address (…/wecom) in 企业微信",
  },
  'receipt.wrongToken': { 'zh-CN': '回执地址中的令牌不正确', en: 'wrong token in the receipt address' },
  'redemption.notFound': { 'zh-CN': '找不到该兑换记录（ID {id}）', en: 'redemption {id} not found' },
  'redemption.voided': { 'zh-CN': '这次兑换已经作废过了', en: 'this reward was already voided' },
  'redemption.voucherUsed': {
    'zh-CN': '这次兑换发出的优惠券已使用或已过期，不能作废',
    en: 'the voucher of this reward was already used or has expired: it cannot be voided',
  },
  'reward.archived': {
    'zh-CN': '「{name}」已下架，不能再兑换',
    en: '"{name}" is archived: it can no longer be redeemed',
  },
  'reward.kindFixed': {
    'zh-CN': '兑换品的类型不能修改：请为另一种类型新建兑换品',
    en: 'a reward keeps its kind: add another reward for the other kind',
  },
  'reward.nameTaken': { 'zh-CN': '已有名为「{name}」的兑换品', en: 'a reward named "{name}" already exists' },
  'reward.notFound': { 'zh-CN': '找不到该兑换品（ID {id}），可能已下架', en: 'reward {id} not found (or archived)' },
  'reward.outOfStock': { 'zh-CN': '「{name}」已兑完', en: '"{name}" is out of stock' },
  'rfm.asOf': {
    'zh-CN': '基准日期应为 2000 至 2099 年间存在的日期，例如 2018-06-30（现为 {got}）',
    en: 'asOf: expected a date like 2018-06-30 (or an ISO time) from 2000 to 2099, got {got}',
  },
  'schedule.cron': { 'zh-CN': '「{cron}」不是有效的 cron 表达式', en: 'not a valid cron expression "{cron}": {error}' },
  'schedule.cronNever': { 'zh-CN': 'cron 表达式「{cron}」不会再运行', en: 'cron expression "{cron}" never runs again' },
  'secret.cannotDecrypt': {
    'zh-CN': '已保存的凭据无法解密：HUIKE_SECRET_KEY 与保存时的不一致',
    en: 'the stored credentials cannot be decrypted: HUIKE_SECRET_KEY is not the key they were saved with',
  },
  'secret.keyMissing': {
    'zh-CN': '渠道凭据需加密保存：请管理员设置 HUIKE_SECRET_KEY 后重启服务',
    en: 'channel credentials and webhook secrets are stored encrypted: set HUIKE_SECRET_KEY and restart the server',
  },
  'secret.keyShort': {
    'zh-CN': 'HUIKE_SECRET_KEY 太短：至少 16 个随机字符',
    en: 'HUIKE_SECRET_KEY is too short: use at least 16 random characters',
  },
  'segment.campaignPreparing': {
    'zh-CN': '营销活动「{campaign}」正在按这个分群准备发送，请等活动开始后再删除',
    en: 'campaign "{campaign}" is being prepared for this segment: delete it once the campaign has started',
  },
  'segment.nameLength': { 'zh-CN': '分群名称须为 1–{max} 个字', en: 'a segment name has 1–{max} characters' },
  'segment.nameTaken': { 'zh-CN': '已有名为「{name}」的分群', en: 'a segment named "{name}" already exists' },
  'segment.notFound': { 'zh-CN': '找不到该分群（ID {id}），可能已被删除', en: 'segment {id} not found' },
  'segment.snapshotNotFound': { 'zh-CN': '找不到该分群快照（ID {id}）', en: 'snapshot {id} not found' },
  'segment.systemDelete': { 'zh-CN': '系统分群不能删除', en: 'system segments cannot be deleted' },
  'segment.systemEdit': {
    'zh-CN': '系统分群不能修改：请另存为新名称的副本',
    en: 'system segments cannot be changed: save a copy under another name',
  },
  'store.hasOrders': {
    'zh-CN': '该店铺已导入订单，不能删除',
    en: 'this store has imported orders and cannot be deleted',
  },
  'store.nameTaken': { 'zh-CN': '已有名为「{name}」的店铺，请换一个名称', en: 'a store named "{name}" already exists' },
  'store.notFound': { 'zh-CN': '找不到该店铺（ID {id}），可能已被删除', en: 'store {id} not found' },
  'store.platform': {
    'zh-CN': '未知的平台「{platform}」（可选：{platforms}）',
    en: 'unknown platform "{platform}" (one of {platforms})',
  },
  'store.settingsDiffer': {
    'zh-CN': '店铺「{store}」现在的设置是 {uses}，而不是 {wanted}：请先修改店铺设置',
    en: 'the store "{store}" uses {uses}, not {wanted}: change the store first',
  },
  'survey.hasAnswers': {
    'zh-CN': '该问卷已有答卷，题目不能再修改（如需新题目，请新建问卷）',
    en: 'survey {id} has answers: its questions can no longer change (create a new survey for new questions)',
  },
  'survey.nameTaken': { 'zh-CN': '已有名为「{name}」的问卷', en: 'a survey named "{name}" already exists' },
  'survey.notFound': { 'zh-CN': '找不到该问卷（ID {id}）', en: 'survey {id} not found' },
  'tag.nameRequired': { 'zh-CN': '请至少填写一个标签', en: 'name at least one tag' },
  'tag.notFound': { 'zh-CN': '没有名为「{tag}」的标签', en: 'no tag named "{tag}"' },
  'tag.tooLong': { 'zh-CN': '标签「{tag}…」超过 {max} 个字', en: 'tag "{tag}…" is longer than {max} characters' },
  'task.already': { 'zh-CN': '任务已经是这个状态', en: 'task {id} is already {status}' },
  'task.assigneeDisabled': {
    'zh-CN': '负责人的账号已停用：请指派给在用的用户',
    en: 'user {id} is disabled: assign the task to an active user',
  },
  'task.assigneeNotFound': { 'zh-CN': '找不到负责人（用户 ID {id}）', en: 'user {id} not found (assigneeId)' },
  'task.closed': {
    'zh-CN': '任务已结束：只能再修改备注',
    en: 'task {id} is {status}: only its notes can still change',
  },
  'task.final': {
    'zh-CN': '任务{label}，不能再修改',
    en: 'task {id} is already {status} ({label}): it cannot change any more',
  },
  'task.notFound': { 'zh-CN': '找不到该任务（ID {id}）', en: 'task {id} not found' },
  'tier.growthWhole': { 'zh-CN': '成长值须为不等于 0 的整数', en: 'growth points must be a whole number other than 0' },
  'tier.noteRequired': { 'zh-CN': '手动设置等级时请填写原因', en: 'say why the tier is set by hand' },
  'tier.unknown': { 'zh-CN': '没有等级「{tier}」（现有等级：{tiers}）', en: 'unknown tier "{tier}" (one of {tiers})' },
  'token.byToken': {
    'zh-CN': 'API 令牌不能创建令牌：请登录控制台操作',
    en: 'an API token cannot create tokens: log in to the console',
  },
  'token.expiryPast': { 'zh-CN': '令牌的有效期须晚于现在', en: 'a token expiry must be a date in the future' },
  'token.listAll': {
    'zh-CN': '查看所有人的 API 令牌需要“用户管理”权限（所有者和管理员才有）',
    en: "seeing everyone's tokens needs the users:manage permission (owners and admins)",
  },
  'token.nameRequired': { 'zh-CN': '请填写令牌名称', en: 'a token needs a name' },
  'token.notFound': { 'zh-CN': '找不到该 API 令牌（ID {id}）', en: 'no API token {id}' },
  'token.readOnly': {
    'zh-CN': '此 API 令牌是只读的：如需修改数据，请创建有写入权限的令牌',
    en: 'this API token is read-only: create one with the "write" scope to make changes',
  },
  'upload.broken': {
    'zh-CN': '文件上传中断或格式不正确，请重新上传',
    en: 'the upload was cut off or is not valid: send the file again',
  },
  'upload.diskFull': {
    'zh-CN': '服务器磁盘已满，文件未能保存：请联系管理员清理空间',
    en: 'the server disk is full: the upload was not kept',
  },
  'upload.fileField': {
    'zh-CN': '请以表单文件上传（字段「{field}」）',
    en: 'send the file as multipart/form-data in the field "{field}"',
  },
  'upload.importFields': {
    'zh-CN': '请以表单上传文件，并填写店铺和格式',
    en: 'send the file as multipart/form-data with fields file, store and format',
  },
  'upload.listFields': {
    'zh-CN': '请以表单上传名单文件，并填写名单名称',
    en: 'send the list as multipart/form-data with fields file and name',
  },
  'upload.noFile': { 'zh-CN': '没有文件：请选择要导入的导出文件', en: 'no file: add the export as the "file" field' },
  'upload.noList': { 'zh-CN': '没有文件：请选择名单文件', en: 'no file: add the list as the "file" field' },
  'upload.noSpace': {
    'zh-CN': '服务器剩余空间不足（剩余 {free}，此文件可能需要 {need}）：请联系管理员清理空间后重试',
    en: 'not enough free disk space for this upload: {free} free, it may need {need}',
  },
  'upload.tooManyParts': {
    'zh-CN': '一次上传的文件或表单项太多：每次只上传一个文件',
    en: 'too many files or fields in one upload: send one file',
  },
  'upload.oneFile': { 'zh-CN': '每次导入只能上传一个文件', en: 'send one file per import' },
  'upload.oneList': { 'zh-CN': '每次只能上传一个名单文件', en: 'send one file per list' },
  'upload.empty': {
    'zh-CN': '文件是空的（0 字节）：请重新导出后再上传',
    en: 'the file is empty (0 bytes): export it again and upload that',
  },
  'upload.tooLarge': {
    'zh-CN': '文件超过上传上限 {limit}：请拆分成较小的文件',
    en: 'the file is larger than the upload limit of {limit}: split it or raise the limit',
  },
  'user.deleteSelf': { 'zh-CN': '不能删除自己的账号', en: 'you cannot delete yourself' },
  'user.disableSelf': { 'zh-CN': '不能停用自己的账号', en: 'you cannot disable yourself' },
  'user.gone': { 'zh-CN': '找不到该用户', en: 'user not found' },
  'user.lastOwner': {
    'zh-CN': '这是最后一位在用的所有者：请先把另一位用户设为所有者',
    en: 'this is the last active owner: make another user owner first',
  },
  'user.loginTaken': {
    'zh-CN': '登录名「{login}」已被使用（登录名不区分大小写，Admin 与 admin 是同一个）',
    en: 'a user with login "{login}" already exists (logins ignore case: Admin is admin)',
  },
  'user.noLogin': { 'zh-CN': '没有登录名为「{login}」的用户', en: 'no user with login "{login}"' },
  'user.notFound': { 'zh-CN': '本工作区没有这位用户（ID {id}）', en: 'no user {id} in this workspace' },
  'user.ownerOnlyAdd': { 'zh-CN': '只有所有者可以添加其他所有者', en: 'only an owner can add another owner' },
  'user.ownerOnlyChange': {
    'zh-CN': '只有所有者可以修改所有者，或把他人设为所有者',
    en: 'only an owner can change an owner or make someone owner',
  },
  'user.ownerOnlyDelete': { 'zh-CN': '只有所有者可以删除所有者', en: 'only an owner can delete an owner' },
  'user.passwordShort': { 'zh-CN': '密码至少 {min} 位', en: 'password needs at least {min} characters' },
  'user.wrongPassword': { 'zh-CN': '当前密码不正确', en: 'the current password is wrong' },
  'webhook.notJson': { 'zh-CN': '请求内容不是 JSON', en: 'the body is not JSON' },
  'webhook.notObject': { 'zh-CN': '请求内容不是 JSON 对象', en: 'the body is not a JSON object' },
  'webhook.orderUnknown': {
    'zh-CN': '本店铺尚未收到订单 {order}（需先收到 orders/create）',
    en: 'order {order} of this store is not known yet (orders/create first)',
  },
  'webhook.replyNotJson': {
    'zh-CN': '请求内容不是 JSON：应包含 from 和 text',
    en: 'the body is not JSON: send from and text',
  },
  'webhook.shopifyHmac': {
    'zh-CN': 'Shopify 签名（X-Shopify-Hmac-Sha256）缺失或不正确',
    en: 'bad or missing X-Shopify-Hmac-Sha256',
  },
  'webhook.shopifyId': { 'zh-CN': '缺少 X-Shopify-Webhook-Id 请求头', en: 'X-Shopify-Webhook-Id is missing' },
  'webhook.shopifyTopic': {
    'zh-CN': '不处理的 Shopify 事件「{topic}」（支持：{topics}）',
    en: 'X-Shopify-Topic "{topic}" is not handled ({topics})',
  },
  'webhook.signature': {
    'zh-CN': '签名（{header}）缺失、不正确或已超过 5 分钟',
    en: 'bad or missing {header} / timestamp (HMAC-SHA256 of "timestamp.body", within 5 minutes)',
  },
  'wecom.echostr': {
    'zh-CN': '企业微信回调：校验地址时必须带 echostr 参数',
    en: '企业微信 callback: echostr is required in the query of the URL check',
  },
  'wecom.invalid': { 'zh-CN': '企业微信回调有误：{problem}', en: '企业微信 callback: {problem}' },
  'wecom.noCallback': { 'zh-CN': '企业微信回调地址不存在', en: 'no such 企业微信 callback address' },
  'wecom.refused': { 'zh-CN': '企业微信回调被拒绝：{problem}', en: '企业微信 callback refused: {problem}' },
  'wecom.xml': {
    'zh-CN': '企业微信回调：请求内容须为带 <Encrypt> 元素的 XML',
    en: '企业微信 callback: the body must be XML with an <Encrypt> element',
  },
  'workspace.loginAmbiguous': {
    'zh-CN': '登录名「{login}」在多个工作区对应不同的人：请用 --from-workspace 指明要关联哪一个',
    en:
      'the login "{login}" belongs to different people in several workspaces: ' +
      'name the one to link with --from-workspace',
  },
  'workspace.nameRequired': { 'zh-CN': '请填写工作区名称', en: 'a workspace needs a name' },
  'workspace.nameTaken': { 'zh-CN': '已有名为「{name}」的工作区', en: 'a workspace named "{name}" already exists' },
  'workspace.notFound': { 'zh-CN': '找不到该工作区（{id}）', en: 'workspace {id} not found' },
  'workspace.ownerPassword': {
    'zh-CN': '还没有用户「{login}」：请为新的所有者设置密码（至少 8 位）',
    en: 'no user "{login}" yet: give a password (at least 8 characters) for the new owner',
  },
  'workspace.tokenSwitch': {
    'zh-CN': 'API 令牌只属于一个工作区：请登录后切换工作区',
    en: 'an API token belongs to one workspace: log in to switch',
  },
  'input.required': { 'zh-CN': '请填写「{field}」', en: '{field} is required' },
  'input.type': { 'zh-CN': '「{field}」应为{type}', en: '{field}: expected {typeEn}' },
  'input.tooShort': { 'zh-CN': '「{field}」至少 {min} 个字', en: '{field} needs at least {min} characters' },
  'input.tooLong': { 'zh-CN': '「{field}」最多 {max} 个字', en: '{field} has at most {max} characters' },
  'input.tooFew': { 'zh-CN': '「{field}」至少要有 {min} 项', en: '{field} needs at least {min} items' },
  'input.tooMany': { 'zh-CN': '「{field}」最多 {max} 项', en: '{field} has at most {max} items' },
  'input.tooSmall': { 'zh-CN': '「{field}」不能小于 {min}', en: '{field} must be at least {min}' },
  'input.mustExceed': { 'zh-CN': '「{field}」须大于 {min}', en: '{field} must be more than {min}' },
  'input.tooBig': { 'zh-CN': '「{field}」不能大于 {max}', en: '{field} must be at most {max}' },
  'input.mustBeBelow': { 'zh-CN': '「{field}」须小于 {max}', en: '{field} must be less than {max}' },
  'input.email': { 'zh-CN': '「{field}」不是有效的邮箱地址', en: '{field} is not an email address' },
  'input.dateTime': {
    'zh-CN': '「{field}」不是有效的日期或时间（应如 2025-11-11 或 2025-11-11T20:00:00Z）',
    en: '{field} is not a valid date or time',
  },
  'input.format': { 'zh-CN': '「{field}」的格式不正确', en: '{field} is not a valid {format}' },
  'input.enum': { 'zh-CN': '「{field}」只能是以下之一：{values}', en: '{field} must be one of {values}' },
  'sms.signatureInvisible': {
    'zh-CN': '短信签名含看不见的字符（零宽空格、方向符等），请只写店铺名称',
    en: 'the SMS signature holds invisible characters (zero-width spaces, direction marks): write the shop name only',
  },
  'input.year2000s': {
    'zh-CN': '「{field}」的时间应在 2000–2099 年之间',
    en: '{field}: a time in 2000–2099',
  },
  'input.ascending': {
    'zh-CN': '「{field}」的四个分界应逐个增大',
    en: '{field}: boundaries must increase',
  },
  'input.lowAboveHigh': {
    'zh-CN': '「{field}」的下限不能高于上限',
    en: '{field}: low must not be above high',
  },
  'input.oneOf': {
    'zh-CN': '只能给其中一项：{choices}',
    en: 'send one of: {choices}',
  },
  'input.notZero': {
    'zh-CN': '「{field}」不能为 0',
    en: '{field} cannot be 0',
  },
  'rfm.churnAfterDormant': {
    'zh-CN': '流失天数应大于沉睡天数',
    en: 'churnDays must be larger than dormantDays',
  },
  'input.blank': {
    'zh-CN': '「{field}」只有空白或看不见的字符，请填写文字',
    en: '{field} holds only blanks or invisible characters',
  },
  'input.monthDay': {
    'zh-CN': '「{field}」不是日历上有的日期（月-日，例如 05-20）',
    en: '{field}: not a day of the year',
  },
  'input.repeated': {
    'zh-CN': '「{field}」在地址里出现了不止一次：只能给一个值',
    en: '{field} is given more than once in the address: give one value',
  },
  'input.unknownKeys': { 'zh-CN': '请求中有不认识的字段：{keys}', en: 'unknown fields: {keys}' },
  'input.multipleOf': { 'zh-CN': '「{field}」须为 {divisor} 的倍数', en: '{field} must be a multiple of {divisor}' },
  'input.invalid': { 'zh-CN': '「{field}」填写有误', en: '{field}: {message}' },
  'input.badRequest': {
    'zh-CN': '请求有误，服务器无法处理：请刷新页面后重试',
    en: 'the request is not valid: {message}',
  },
  'input.noRoute': {
    'zh-CN': '服务器没有这个接口（{method} {path}）：请刷新页面，或升级控制台',
    en: 'no route {method} {path}',
  },
  'server.busy': {
    'zh-CN': '数据库正忙于后台任务，本次操作未保存：请几秒后重试',
    en: 'the database is busy with a long job: nothing was saved, try again in a few seconds',
  },
  'server.internal': {
    'zh-CN': '服务器内部错误：请稍后重试，或联系管理员查看服务器日志',
    en: 'internal error: the server log has the details',
  },
  'points.reviewNoPhoto': { 'zh-CN': '评价没有晒图', en: 'the review has no photo' },
  'points.badReview': { 'zh-CN': '差评不赠送积分', en: 'a bad review earns no points' },
  'points.notDelivered': { 'zh-CN': '订单尚未签收', en: 'the order is not delivered yet' },
  'points.reviewTooLate': {
    'zh-CN': '签收 {days} 天后才评价（规则为 {within} 天内）',
    en: 'reviewed {days} days after delivery (the rule is within {within})',
  },
  'points.reviewRuleOff': {
    'zh-CN': '晒图评价不赠送积分（规则设为 0）',
    en: 'photo reviews earn no points (rule set to 0)',
  },
  'points.signInRuleOff': { 'zh-CN': '签到不赠送积分（规则设为 0）', en: 'sign-in earns no points (rule set to 0)' },
  'points.selfReferral': { 'zh-CN': '客户不能推荐自己', en: 'a customer cannot refer themselves' },
  'points.referralRuleOff': { 'zh-CN': '推荐不赠送积分（规则设为 0）', en: 'referrals earn no points (rule set to 0)' },
  'survey.noQuestions': { 'zh-CN': '请至少添加一道题', en: 'add at least one question' },
  'survey.tooManyQuestions': { 'zh-CN': '最多 {max} 道题', en: 'at most {max} questions' },
  'survey.questionId': {
    'zh-CN': '第 {n} 题：题目编号「{id}」须为 1–30 个字母、数字或下划线',
    en: 'question {n}: id "{id}" must be 1–30 letters, digits or _',
  },
  'survey.questionIdTwice': {
    'zh-CN': '第 {n} 题：题目编号「{id}」重复了',
    en: 'question {n}: id "{id}" is used twice',
  },
  'survey.questionLabel': { 'zh-CN': '第 {n} 题：请填写题目', en: 'question {n}: the label is empty' },
  'survey.choiceOptions': {
    'zh-CN': '第 {n} 题：选择题需要 2–10 个选项',
    en: 'question {n}: a choice needs 2–10 options',
  },
  'survey.optionTwice': { 'zh-CN': '第 {n} 题：有重复的选项', en: 'question {n}: an option is listed twice' },
  'survey.optionsNotChoice': {
    'zh-CN': '第 {n} 题：只有选择题可以有选项',
    en: 'question {n}: only a choice question has options',
  },
  'sms.noSignature': {
    'zh-CN': '营销短信需要店铺签名（【店铺签名】）：请在 设置 → 发送规则 中填写短信签名',
    en: 'a marketing SMS needs the shop signature (【店铺签名】): set smsSignature',
  },
  'sms.signatureBrackets': { 'zh-CN': '短信签名请不要带【】括号', en: 'write the signature without 【】 brackets' },
  'sms.optOutWording': {
    'zh-CN': '退订提示须告诉客户回复 R 退订（例如：拒收请回复R）',
    en: 'the opt-out wording must tell the reader to reply R (e.g. 拒收请回复R)',
  },
  'rule.invalid': { 'zh-CN': '分群规则有误', en: 'the segment rule is not valid' },
  'import.mappingInvalid': {
    'zh-CN': '列映射有误：「{field}」',
    en: 'the column mapping is not valid: {field}: {message}',
  },
  'automation.itemInvalid': { 'zh-CN': '第 {n} 个自动化有误：{why}', en: 'automations[{index}]: {whyEn}' },
  'job.failed': { 'zh-CN': '后台任务失败：{why}', en: 'the job failed: {whyEn}' },
  'job.notFound': { 'zh-CN': '找不到该后台任务（ID {id}）', en: 'job {id} not found' },
  'input.idTooLong': {
    'zh-CN': '地址中的编号太长（最多 100 个字符）',
    en: 'a value in the address is too long: ids are at most 100 characters',
  },
  'input.badUrl': { 'zh-CN': '地址格式不正确', en: 'the address is not valid (bad percent-encoding?)' },
  'input.bodyTooLarge': { 'zh-CN': '提交的内容太大', en: 'the request body is too large' },
  'input.notJson': { 'zh-CN': '提交的内容不是有效的 JSON', en: 'the request body is not valid JSON' },
  'input.mediaType': { 'zh-CN': '提交的内容类型不受支持', en: 'the content type of the request is not supported' },
  'input.tooManyRequests': { 'zh-CN': '请求过于频繁：请稍后再试', en: 'too many requests: try again later' },
  'import.failed': { 'zh-CN': '导入失败：{error}', en: 'the import failed: {error}' },
  'import.interrupted': {
    'zh-CN': '导入在第 {rows} 行后中断（处理它的进程已停止）：可以继续导入',
    en: 'interrupted after {rows} rows: the process running it stopped (resume it)',
  },
  'import.resumedAt': { 'zh-CN': '中断后已从第 {row} 行继续导入', en: 'resumed after an interruption at row {row}' },
  'import.abandoned': {
    'zh-CN': '读取此文件时后台进程 {attempts} 次异常退出，已放弃导入：文件可能已损坏或过大',
    en:
      'the import stopped its worker process {attempts} times and was given up: ' +
      'the file is damaged or too large to read',
  },
  'messaging.publicUrlCredentials': {
    'zh-CN': '对外网址不能带用户名或密码：它会出现在每条消息的链接里，发给所有客户',
    en: "the public URL cannot carry a user name or password: it goes into every message's links, to every customer",
  },
  'messaging.localPublicUrl': {
    'zh-CN':
      '对外网址 {url} 只有本机或内网能打开：消息里的链接、退订和问卷链接客户都打不开。请在「发送规则 → 对外网址」填写客户能访问的网址',
    en:
      'the public address {url} opens only on this machine or its network: customers cannot open the links, ' +
      'unsubscribe and survey pages in messages. Set an address they can reach under Send rules → Public address',
  },
  'messaging.unknownConsent': {
    'zh-CN': '营销消息也会发给未明确授权、但 {days} 天内购买过的客户：请确认符合《个人信息保护法》及平台规则',
    en:
      'marketing messages also go to customers whose consent is unknown but who bought within {days} days: ' +
      'make sure this complies with PIPL and the platform rules',
  },
} as const satisfies Record<string, Record<ReasonLanguage, string>>;

export type ReasonKey = keyof typeof REASONS;

export function reason(key: ReasonKey, params: ReasonParams = {}): Reason {
  return { key, params };
}

export function isReasonKey(key: unknown): key is ReasonKey {
  return typeof key === 'string' && Object.hasOwn(REASONS, key);
}

/** The reason in a language; null for a key this catalogue does not know (an older or newer server). */
/** What each permission lets a person do, as a Chinese message names it (「修改设置」 where the key read settings:write). */
const PERMISSION_ZH: Record<string, string> = {
  'customers:read': '查看客户',
  'customers:write': '编辑客户',
  'customers:erase': '删除个人信息',
  'pii:read': '查看完整个人信息',
  'pii:reveal': '显示个人信息',
  export: '导出',
  import: '导入',
  'segments:write': '管理分群',
  'settings:write': '修改设置',
  'points:write': '管理积分',
  'coupons:write': '管理优惠券',
  'campaigns:read': '查看营销活动',
  'campaigns:write': '编辑营销活动',
  'campaigns:send': '发送营销活动',
  'automations:write': '管理自动化',
  'tasks:read': '查看服务任务',
  'tasks:write': '处理服务任务',
  'analytics:read': '查看数据分析',
  'users:manage': '管理账号',
  'tokens:manage': '管理 API 令牌',
  'audit:read': '查看操作日志',
};

export function renderReason(r: { key: string; params?: ReasonParams | null }, lang: ReasonLanguage): string | null {
  if (!isReasonKey(r.key)) return null;
  const params = r.params ?? {};
  const input = r.key.startsWith('input.');
  return REASONS[r.key][lang].replace(/\{(\w+)\}/g, (whole, name: string) =>
    !Object.hasOwn(params, name)
      ? whole
      : input && name === 'field'
        ? fieldLabel(String(params[name]), lang)
        : name === 'permission' && lang === 'zh-CN'
          ? (PERMISSION_ZH[String(params[name])] ?? String(params[name]))
          : String(params[name]),
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
