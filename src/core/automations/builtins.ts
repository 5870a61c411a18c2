import { z } from 'zod';
import { type DefinitionInput, monthDay } from './definition.js';
import { HOLIDAYS } from './holidays.js';

/**
 * The built-in automations: templates a seller switches on and edits through a few settings. Each
 * builds an ordinary definition, so it runs, versions, exports and dry-runs like a custom one.
 */
const medium = z.enum(['sms', 'email', 'wechat', 'platform']);
export const builtinSettings = z
  .object({
    delayMinutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 7)
      .optional(),
    tooLateMinutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 30)
      .optional(),
    days: z.number().int().min(0).max(365).optional(),
    daysBefore: z.number().int().min(0).max(60).optional(),
    medium: medium.optional(),
    text: z.string().min(1).max(2000).optional(),
    secondText: z.string().min(1).max(2000).optional(),
    couponTemplateId: z.string().max(100).optional(),
    valueFen: z.number().int().min(1).optional(),
    capPercent: z.number().int().min(1).max(100).optional(),
    points: z.number().int().min(1).max(1_000_000).optional(),
    categories: z.array(z.string().min(1).max(100)).max(50).optional(),
    stages: z.array(z.number().int().min(1).max(3650)).max(10).optional(),
    holidays: z
      .array(
        z
          .string()
          .refine((h) => (HOLIDAYS as readonly string[]).includes(h), { message: `one of ${HOLIDAYS.join(' ')}` }),
      )
      .max(20)
      .optional(),
    anniversary: monthDay.optional(),
    /** 预售: how many hours before the balance window closes. */
    hoursBefore: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .optional(),
    /** 物流异常: days by province (remote regions take longer); other provinces wait `days`. */
    regionDays: z
      .array(
        z.object({
          provinces: z.array(z.string().min(1).max(20)).min(1).max(40),
          days: z.number().int().min(1).max(60),
        }),
      )
      .max(20)
      .optional(),
    /** 复购提醒: the interval per category or per product. */
    refillBy: z.enum(['category', 'product']).optional(),
    /** 评价: which ratings open a task. */
    ratings: z
      .array(z.enum(['good', 'neutral', 'bad']))
      .min(1)
      .max(3)
      .optional(),
  })
  .strict();
export type BuiltinSettings = z.infer<typeof builtinSettings>;
export type SettingKey = keyof BuiltinSettings;

export interface Builtin {
  key: string;
  name: string;
  description: string;
  /** The settings the console shows for it, with their defaults. */
  fields: SettingKey[];
  defaults: BuiltinSettings;
  build(s: BuiltinSettings): DefinitionInput;
}

/**
 * Waits until 10:00 on the Nth local day after the trigger (签收 at 13:00, N = 1: 10:00 the next day). One wait of
 * N days then 10:00 would land a day later for every event after 10:00, so this first goes to the next local
 * midnight, then N - 1 days, then 10:00.
 */
const dayAfterAt10 = (days = 1) =>
  days < 1
    ? [{ id: 'wait', type: 'wait' as const, days: 0, from: 'trigger' as const, untilLocal: '10:00' }]
    : [
        { id: 'midnight', type: 'wait' as const, minutes: 1, from: 'trigger' as const, untilLocal: '00:00' },
        { id: 'wait', type: 'wait' as const, days: days - 1, from: 'previous' as const, untilLocal: '10:00' },
      ];

/** 回访: a photo review within this many days of the ask earns the points the seller set. */
export const PHOTO_REVIEW_DAYS = 5;

const couponStep = (s: BuiltinSettings, id = 'coupon') =>
  s.couponTemplateId ? [{ id, type: 'coupon' as const, templateId: s.couponTemplateId }] : [];

export const BUILTINS: Builtin[] = [
  {
    key: 'cart_reminder',
    name: '催付',
    description: '下单后未付款，等待设定时间后提醒付款；已付款、已关闭或此后付过其他订单则不发；每单最多一次',
    fields: ['delayMinutes', 'tooLateMinutes', 'medium', 'text'],
    defaults: {
      delayMinutes: 30,
      tooLateMinutes: 120,
      medium: 'sms',
      text: '亲，您在#店铺名#的订单#订单号#还未付款，宝贝已为您预留，请尽快完成支付哦',
    },
    build: (s) => ({
      name: '催付',
      trigger: { type: 'order_event', event: 'created', tooLateMinutes: s.tooLateMinutes },
      // A presale order waits for its balance window (预售尾款提醒), not for 催付.
      conditions: [
        { fact: 'order.status', op: 'eq', value: 'created' },
        { fact: 'order.presale', op: 'eq', value: false },
      ],
      exitWhen: ['paid'],
      steps: [
        { id: 'wait', type: 'wait', minutes: s.delayMinutes, from: 'trigger' },
        { id: 'remind', type: 'message', medium: s.medium!, kind: 'care', text: s.text! },
      ],
    }),
  },
  {
    key: 'presale_balance',
    name: '预售尾款提醒',
    description: '预售订单付定金后，在尾款支付截止前设定小时数提醒付尾款；已付尾款或已截止则不发',
    fields: ['hoursBefore', 'medium', 'text'],
    defaults: {
      hoursBefore: 12,
      medium: 'sms',
      text: '亲，您在#店铺名#预定的#商品名#尾款即将截止，请尽快支付尾款，以免定金损失哦',
    },
    build: (s) => ({
      name: '预售尾款提醒',
      trigger: { type: 'order_event', event: 'created' },
      conditions: [
        { fact: 'order.presale', op: 'eq', value: true },
        { fact: 'order.status', op: 'eq', value: 'created' },
      ],
      steps: [
        { id: 'wait', type: 'wait', beforeBalanceDueMinutes: (s.hoursBefore ?? 12) * 60 },
        { id: 'remind', type: 'message', medium: s.medium!, kind: 'care', text: s.text! },
      ],
    }),
  },
  {
    key: 'payment_confirm',
    name: '付款确认',
    description: '付款后确认订单，告知会尽快发货',
    fields: ['tooLateMinutes', 'medium', 'text'],
    defaults: { tooLateMinutes: 240, medium: 'sms', text: '亲，您的订单#订单号#已付款成功，我们会尽快为您发货' },
    build: (s) => ({
      name: '付款确认',
      trigger: { type: 'order_event', event: 'paid', tooLateMinutes: s.tooLateMinutes },
      steps: [{ id: 'confirm', type: 'message', medium: s.medium!, kind: 'care', text: s.text! }],
    }),
  },
  {
    key: 'shipping_notice',
    name: '发货通知',
    description: '发货后告知快递公司和运单号',
    fields: ['tooLateMinutes', 'medium', 'text'],
    defaults: {
      tooLateMinutes: 24 * 60,
      medium: 'sms',
      text: '亲，您的订单#订单号#已发货：#物流公司# 运单号 #运单号#，请留意查收',
    },
    build: (s) => ({
      name: '发货通知',
      trigger: { type: 'order_event', event: 'shipped', tooLateMinutes: s.tooLateMinutes },
      steps: [{ id: 'notice', type: 'message', medium: s.medium!, kind: 'care', text: s.text! }],
    }),
  },
  {
    key: 'logistics_exception',
    name: '物流异常',
    description: '发货后超过设定天数仍未签收：为客服创建任务并向客户致歉',
    fields: ['days', 'regionDays', 'medium', 'text'],
    defaults: {
      days: 5,
      regionDays: [{ provinces: ['新疆', '西藏', '青海', '内蒙古', '宁夏', '甘肃', '海南'], days: 8 }],
      medium: 'sms',
      text: '亲，您的包裹#运单号#配送较慢，我们已在催促快递，给您添麻烦了',
    },
    build: (s) => ({
      name: '物流异常',
      trigger: { type: 'order_event', event: 'shipped', tooLateMinutes: 24 * 60 },
      conditions: [{ fact: 'order.status', op: 'eq', value: 'shipped' }],
      steps: [
        {
          id: 'wait',
          type: 'wait',
          days: s.days,
          from: 'trigger',
          ...(s.regionDays?.length ? { byProvince: s.regionDays } : {}),
        },
        {
          id: 'task',
          type: 'task',
          title: '发货后超时未签收，请跟进物流',
          notes: '#物流公司# #运单号#',
          taskType: 'logistics',
          priority: 'high',
        },
        { id: 'apology', type: 'message', medium: s.medium!, kind: 'care', text: s.text! },
      ],
    }),
  },
  {
    key: 'delivery_care',
    name: '签收关怀',
    description: '签收后次日上午问候，了解使用情况',
    fields: ['days', 'medium', 'text'],
    defaults: { days: 1, medium: 'sms', text: '亲，#商品名#已签收，使用中有任何问题随时联系我们哦' },
    build: (s) => ({
      name: '签收关怀',
      trigger: { type: 'order_event', event: 'signed', tooLateMinutes: 3 * 24 * 60 },
      steps: [...dayAfterAt10(s.days), { id: 'care', type: 'message', medium: s.medium!, kind: 'care', text: s.text! }],
    }),
  },
  {
    key: 'revisit',
    name: '回访',
    description: '按类目回访：签收后设定天数询问使用效果；设了积分时，5 天内晒图评价该订单的客户获得积分',
    fields: ['categories', 'days', 'medium', 'text', 'points'],
    defaults: { categories: ['美妆'], days: 14, medium: 'sms', text: '亲，#商品名#用了一段时间，效果还满意吗？' },
    build: (s) => ({
      name: '回访',
      trigger: { type: 'order_event', event: 'signed', tooLateMinutes: 3 * 24 * 60 },
      conditions: s.categories?.length ? [{ fact: 'order.category', op: 'in', value: s.categories }] : [],
      steps: [
        ...dayAfterAt10(s.days),
        { id: 'ask', type: 'message', medium: s.medium!, kind: 'care', text: s.text! },
        // The points reward a photo review of the order within 5 days of the ask, not the ask itself.
        ...(s.points
          ? [
              { id: 'review_window', type: 'wait' as const, days: PHOTO_REVIEW_DAYS, from: 'previous' as const },
              {
                id: 'photo_review',
                type: 'branch' as const,
                when: [{ fact: 'order.photoReviewSince' as const, op: 'eq' as const, value: true }],
                else: 'exit',
              },
              { id: 'points', type: 'points' as const, points: s.points, reason: '回访晒图评价' },
            ]
          : []),
      ],
    }),
  },
  {
    key: 'bad_review',
    name: '中差评处理',
    description: '收到差评或中评：为客服创建任务（附评价内容），客户打上「中差评」标签（差评客户另有差评标记）',
    fields: ['ratings'],
    defaults: { ratings: ['bad', 'neutral'] },
    build: (s) => ({
      name: '中差评处理',
      trigger: { type: 'review', ratings: s.ratings ?? ['bad', 'neutral'] },
      steps: [
        { id: 'flag', type: 'tag', add: ['中差评'] },
        {
          id: 'task',
          type: 'task',
          title: '#评价#处理：订单 #订单号#',
          notes: '#评价内容#',
          taskType: 'bad_review',
          priority: 'high',
          dueHours: 24,
        },
      ],
    }),
  },
  {
    key: 'refund_apology',
    name: '退款关怀',
    description: '退款后致歉，可补偿优惠券（不超过商品金额的 50%）',
    fields: ['medium', 'text', 'couponTemplateId', 'valueFen', 'capPercent'],
    defaults: { medium: 'sms', text: '亲，很抱歉这次购物没能让您满意，期待再次为您服务', capPercent: 50 },
    build: (s) => ({
      name: '退款关怀',
      trigger: { type: 'order_event', event: 'refunded', tooLateMinutes: 3 * 24 * 60 },
      steps: [
        ...(s.couponTemplateId
          ? [
              {
                id: 'coupon',
                type: 'coupon' as const,
                templateId: s.couponTemplateId,
                // The cap holds whether the value is set here or is the coupon template's own.
                capPercent: Math.min(s.capPercent ?? 50, 50),
                ...(s.valueFen ? { valueFen: s.valueFen } : {}),
              },
            ]
          : []),
        { id: 'apology', type: 'message', medium: s.medium!, kind: 'care', text: s.text! },
      ],
    }),
  },
  {
    key: 'birthday',
    name: '生日关怀',
    description: '生日前 N 天送上祝福，可附生日券',
    fields: ['daysBefore', 'medium', 'text', 'couponTemplateId'],
    // No coupon by default, so the wish promises none (it said 为您准备了生日礼券 with 不发券 chosen).
    defaults: { daysBefore: 3, medium: 'sms', text: '亲爱的#客户昵称#，#店铺名#祝您生日快乐！愿新的一岁万事顺意' },
    build: (s) => ({
      name: '生日关怀',
      trigger: { type: 'date', date: 'birthday', daysBefore: s.daysBefore ?? 3 },
      steps: [...couponStep(s), { id: 'wish', type: 'message', medium: s.medium!, kind: 'marketing', text: s.text! }],
    }),
  },
  {
    key: 'member_upgrade',
    name: '会员升级',
    description: '会员等级提升后祝贺',
    fields: ['medium', 'text'],
    defaults: { medium: 'sms', text: '恭喜#客户昵称#升级为#会员等级#，专属权益已生效' },
    build: (s) => ({
      name: '会员升级',
      trigger: { type: 'date', date: 'member_upgrade', daysBefore: 0 },
      steps: [{ id: 'congrats', type: 'message', medium: s.medium!, kind: 'care', text: s.text! }],
    }),
  },
  {
    key: 'new_member',
    name: '新会员欢迎',
    description: '首单付款后欢迎新客户',
    fields: ['medium', 'text', 'points'],
    defaults: { medium: 'sms', text: '欢迎#客户昵称#成为#店铺名#的会员，感谢您的信任' },
    build: (s) => ({
      name: '新会员欢迎',
      trigger: { type: 'order_event', event: 'paid', tooLateMinutes: 24 * 60 },
      conditions: [{ fact: 'customer.paidOrders', op: 'lte', value: 1 }],
      steps: [
        { id: 'welcome', type: 'message', medium: s.medium!, kind: 'care', text: s.text! },
        ...(s.points ? [{ id: 'points', type: 'points' as const, points: s.points, reason: '新会员礼' }] : []),
      ],
    }),
  },
  {
    key: 'holiday',
    name: '节日关怀',
    description: '春节、元宵、端午、七夕、中秋、重阳（农历）及元旦、妇女节、母亲节、父亲节、双11、店庆',
    fields: ['holidays', 'daysBefore', 'anniversary', 'medium', 'text', 'couponTemplateId'],
    defaults: {
      holidays: ['春节', '中秋'],
      daysBefore: 0,
      medium: 'sms',
      text: '#节日#快乐！#店铺名#祝您和家人幸福安康',
    },
    build: (s) => ({
      name: '节日关怀',
      trigger: {
        type: 'date',
        date: 'holiday',
        daysBefore: s.daysBefore ?? 0,
        holidays: s.holidays,
        ...(s.anniversary ? { anniversary: s.anniversary } : {}),
      },
      conditions: [{ fact: 'customer.paidOrders', op: 'gte', value: 1 }],
      steps: [...couponStep(s), { id: 'greet', type: 'message', medium: s.medium!, kind: 'marketing', text: s.text! }],
    }),
  },
  {
    key: 'refill',
    name: '复购提醒',
    description: '按本店订单学习各类目（或各商品）的复购间隔（中位数），到期提醒补货',
    fields: ['refillBy', 'medium', 'text', 'couponTemplateId'],
    defaults: { medium: 'sms', text: '亲，您上次买的#类目#差不多该用完啦，需要补货吗？' },
    build: (s) => ({
      name: '复购提醒',
      trigger: { type: 'date', date: 'refill', daysBefore: 0, ...(s.refillBy ? { refillBy: s.refillBy } : {}) },
      exitWhen: ['ordered'],
      steps: [...couponStep(s), { id: 'remind', type: 'message', medium: s.medium!, kind: 'marketing', text: s.text! }],
    }),
  },
  {
    key: 'coupon_expiry',
    name: '优惠券到期',
    description: '到期前 7 天邮件提醒，前 1 天短信提醒；期间下单则不再提醒',
    fields: ['text', 'secondText'],
    defaults: {
      text: '亲爱的#客户昵称#，您的#优惠券金额#元优惠券将在 7 天后到期，别忘了使用哦',
      secondText: '您的#优惠券金额#元优惠券明天到期，抓紧使用哦',
    },
    build: (s) => ({
      name: '优惠券到期',
      trigger: { type: 'date', date: 'coupon_expiry', daysBefore: 7 },
      exitWhen: ['ordered'],
      steps: [
        { id: 'email', type: 'message', medium: 'email', kind: 'marketing', text: s.text!, subject: '优惠券即将到期' },
        { id: 'wait', type: 'wait', days: 6, from: 'trigger', untilLocal: '10:00' },
        { id: 'sms', type: 'message', medium: 'sms', kind: 'marketing', text: s.secondText! },
      ],
    }),
  },
  {
    key: 'points_expiry',
    name: '积分到期',
    description: '积分到期前提醒兑换',
    fields: ['daysBefore', 'medium', 'text'],
    defaults: { daysBefore: 7, medium: 'sms', text: '亲，您有#积分#积分即将到期，快来兑换好礼吧' },
    build: (s) => ({
      name: '积分到期',
      trigger: { type: 'date', date: 'points_expiry', daysBefore: s.daysBefore ?? 7 },
      steps: [{ id: 'remind', type: 'message', medium: s.medium!, kind: 'marketing', text: s.text! }],
    }),
  },
  {
    key: 'winback',
    name: '沉睡唤醒',
    description: '90/180/365 天未下单的客户各发一次唤醒优惠',
    fields: ['stages', 'medium', 'text', 'couponTemplateId'],
    defaults: { stages: [90, 180, 365], medium: 'sms', text: '#客户昵称#，好久不见！#店铺名#为您准备了回归礼' },
    build: (s) => ({
      name: '沉睡唤醒',
      trigger: { type: 'date', date: 'dormant', daysBefore: 0, stages: s.stages },
      exitWhen: ['ordered'],
      steps: [...couponStep(s), { id: 'offer', type: 'message', medium: s.medium!, kind: 'marketing', text: s.text! }],
    }),
  },
];

export function builtinByKey(key: string): Builtin | undefined {
  return BUILTINS.find((b) => b.key === key);
}
