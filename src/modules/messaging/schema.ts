import { shownText } from '../../core/validation.js';
import { z } from 'zod';
import { templateIssues } from '../../core/messaging/templates.js';
import { complianceIssues, complianceProblems, DEFAULT_OPT_OUT_TEXT } from '../../core/messaging/sms.js';
import { type Reason, reason } from '../../core/reasons.js';
import { DEFAULT_WINDOWS, windowProblems } from '../../core/messaging/windows.js';
import { defaultPublicUrl, isLocalUrl } from '../../core/messaging/public-url.js';

export const mediumSchema = z.enum(['sms', 'email', 'wechat', 'platform']);
export const kindSchema = z.enum(['marketing', 'care']);

const outboxConfig = z.object({ medium: z.enum(['sms', 'email', 'wechat']).default('sms') }).strict();
/** An address as a mail header writes it: shop@example.com, or 回客旗舰店 <shop@example.com> ("abc" was taken). */
const mailbox = z
  .string()
  .max(320)
  .regex(/^(?:[^<>]*<\s*)?[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+\s*>?$/, 'an e-mail address (name <address> allowed)');
const emailConfig = z
  .object({
    host: z
      .string()
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/, 'a host name or an IP address'),
    port: z.number().int().min(1).max(65535).default(587),
    secure: z.boolean().default(false),
    user: z.string().min(1).max(320).optional(),
    from: mailbox,
    replyTo: mailbox.optional(),
  })
  .strict();
const webhookConfig = z
  .object({
    url: z.url({ protocol: /^https?$/ }).max(2000),
    medium: z.enum(['sms', 'email', 'wechat']).default('sms'),
  })
  .strict();

const timeoutMs = z.number().int().min(100).max(60_000).default(10_000);
/** Where the provider's API is: a host name or an http(s) URL (a proxy, or a local fake in tests). */
const endpoint = z
  .string()
  .min(1)
  .max(200)
  .regex(/^(https?:\/\/)?[A-Za-z0-9.-]+(:\d{1,5})?\/?$/, 'a host name or http(s)://host[:port]');
const aliyunConfig = z
  .object({
    signName: z.string().min(1).max(20),
    templateCode: z.string().regex(/^SMS_\d+$/, 'an approved template code like SMS_123456789'),
    /** The template variable that receives the message text, e.g. content for a template "${content}". */
    bodyParam: z
      .string()
      .regex(/^\w{1,30}$/)
      .default('content'),
    endpoint: endpoint.default('dysmsapi.aliyuncs.com'),
    timeoutMs,
  })
  .strict();
const tencentConfig = z
  .object({
    sdkAppId: z.string().regex(/^\d{10}$/, 'the SmsSdkAppId: 10 digits, e.g. 1400006666'),
    signName: z.string().min(1).max(20),
    templateId: z.string().regex(/^\d{1,12}$/, 'the approved template ID (digits)'),
    region: z
      .string()
      .regex(/^[a-z]+-[a-z]+$/)
      .default('ap-guangzhou'),
    endpoint: endpoint.default('sms.tencentcloudapi.com'),
    timeoutMs,
  })
  .strict();
const wecomConfig = z
  .object({
    corpId: z.string().regex(/^ww[0-9a-f]{16}$|^wx[0-9a-f]{16}$/i, 'the CorpID: ww followed by 16 hex digits'),
    /** The member (UserID) whose customers receive it; empty: every member who added the customer. */
    sender: z.string().max(64).optional(),
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .max(200)
      .default('https://qyapi.weixin.qq.com'),
    timeoutMs,
  })
  .strict();

/** Settings and credentials of each kind; credentials are stored encrypted and never shown again. */
export const CHANNEL_KINDS = {
  outbox: { config: outboxConfig.default({ medium: 'sms' }), credentials: null },
  email: {
    config: emailConfig,
    credentials: z
      .object({ password: z.string().min(1).max(1024) })
      .strict()
      .optional(),
  },
  webhook: {
    config: webhookConfig,
    credentials: z.object({ signingSecret: z.string().min(16).max(256) }).strict(),
  },
  platform: { config: z.object({}).strict().default({}), credentials: null },
  aliyun_sms: {
    config: aliyunConfig,
    credentials: z
      .object({ accessKeyId: z.string().min(8).max(64), accessKeySecret: z.string().min(8).max(128) })
      .strict(),
  },
  tencent_sms: {
    config: tencentConfig,
    credentials: z.object({ secretId: z.string().min(8).max(128), secretKey: z.string().min(8).max(128) }).strict(),
  },
  wecom: { config: wecomConfig, credentials: z.object({ secret: z.string().min(8).max(128) }).strict() },
} as const;

const name = shownText(60);
/** A channel as created: kind, its settings, and credentials (stored encrypted, never shown again). */
export const channelInput = z.discriminatedUnion('kind', [
  z.object({ name, kind: z.literal('outbox'), config: CHANNEL_KINDS.outbox.config }),
  z.object({ name, kind: z.literal('email'), config: emailConfig, credentials: CHANNEL_KINDS.email.credentials }),
  z.object({ name, kind: z.literal('webhook'), config: webhookConfig, credentials: CHANNEL_KINDS.webhook.credentials }),
  z.object({ name, kind: z.literal('platform'), config: CHANNEL_KINDS.platform.config }),
  z.object({
    name,
    kind: z.literal('aliyun_sms'),
    config: aliyunConfig,
    credentials: CHANNEL_KINDS.aliyun_sms.credentials,
  }),
  z.object({
    name,
    kind: z.literal('tencent_sms'),
    config: tencentConfig,
    credentials: CHANNEL_KINDS.tencent_sms.credentials,
  }),
  z.object({ name, kind: z.literal('wecom'), config: wecomConfig, credentials: CHANNEL_KINDS.wecom.credentials }),
]);
export type ChannelInput = z.infer<typeof channelInput>;
export type ChannelKind = ChannelInput['kind'];
export type EmailConfig = z.infer<typeof emailConfig>;
export type WebhookConfig = z.infer<typeof webhookConfig>;
export type AliyunConfig = z.infer<typeof aliyunConfig>;
export type TencentConfig = z.infer<typeof tencentConfig>;
export type WecomConfig = z.infer<typeof wecomConfig>;
export type AliyunCredentials = z.infer<typeof CHANNEL_KINDS.aliyun_sms.credentials>;
export type TencentCredentials = z.infer<typeof CHANNEL_KINDS.tencent_sms.credentials>;
export type WecomCredentials = z.infer<typeof CHANNEL_KINDS.wecom.credentials>;

/** PATCH: a new name, settings (merged into the current ones) and/or credentials (replacing them). */
export const channelPatch = z
  .object({
    name: name.optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    credentials: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const channelView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['outbox', 'email', 'webhook', 'platform', 'aliyun_sms', 'tencent_sms', 'wecom']),
  medium: mediumSchema,
  config: z.record(z.string(), z.unknown()),
  hasCredentials: z.boolean(),
  /**
   * Where the provider posts delivery receipts and replies (paths under the public URL; the last part
   * is the channel's secret token). Only for SMS providers, and only to those who may change channels.
   */
  hooks: z
    .object({
      /** Null for 企业微信, which reports mass-send results only when asked (get_groupmsg_send_result). */
      receipts: z.string().nullable(),
      replies: z.string(),
      /** 企业微信's 接收事件服务器: the URL, Token and EncodingAESKey to enter in its admin console. */
      wecom: z.object({ url: z.string(), token: z.string(), encodingAesKey: z.string() }).nullable(),
    })
    .nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ChannelView = z.infer<typeof channelView>;

/** The workspace's send rules (发送规则) and SMS compliance wording. */
export const messagingSettings = z
  .object({
    windows: z
      .array(z.object({ start: z.string(), end: z.string() }))
      .min(1)
      .max(6)
      .default(DEFAULT_WINDOWS)
      .superRefine((w, c) => {
        for (const p of windowProblems(w)) c.addIssue({ code: 'custom', message: p });
      }),
    capDays: z.number().int().min(1).max(365).default(30),
    capCount: z.number().int().min(1).max(100).default(1),
    acceptUnknownConsent: z.boolean().default(false),
    unknownConsentDays: z.number().int().min(1).max(3650).default(180),
    smsSignature: z.string().max(20).default(''),
    smsOptOutText: z.string().min(1).max(20).default(DEFAULT_OPT_OUT_TEXT),
    smsPriceFen: z.number().int().min(0).max(1000).default(5),
    /** Where links in messages point (the redirect and unsubscribe pages are served there); default: where served. */
    publicUrl: z.url().default(() => defaultPublicUrl()),
  })
  .superRefine((s, c) => {
    if (!/回复\s*R/i.test(s.smsOptOutText))
      c.addIssue({
        code: 'custom',
        path: ['smsOptOutText'],
        message: 'must tell the reader to reply R (e.g. 拒收请回复R)',
      });
  });
export type MessagingSettings = z.infer<typeof messagingSettings>;

/**
 * What a change of the send rules may name (PUT /messaging/settings; the rest keep their value): the settings' own
 * keys, an unknown one refused by name, and a public address that is a web page's (http or https, at most 2,000
 * characters): javascript:… or a megabyte address was stored and put into every message's links.
 */
export const messagingSettingsChange = z
  .object({
    ...Object.fromEntries(Object.keys(messagingSettings.shape).map((k) => [k, z.unknown().optional()])),
    publicUrl: z
      .url({ protocol: /^https?$/ })
      .max(2000)
      .refine(
        (u) => {
          const url = URL.parse(u);
          return !url || (url.username === '' && url.password === '');
        },
        {
          message: 'the public URL cannot carry a user name or password (it goes into every message)',
          params: reason('messaging.publicUrlCredentials'),
        },
      )
      .optional(),
  })
  .strict();

/** The same warnings as codes, in the same order: what the console shows, in the reader's language. */
export function settingsWarningReasons(s: MessagingSettings): Reason[] {
  const w: Reason[] = [];
  if (isLocalUrl(s.publicUrl)) w.push(reason('messaging.localPublicUrl', { url: s.publicUrl }));
  if (s.acceptUnknownConsent) w.push(reason('messaging.unknownConsent', { days: s.unknownConsentDays }));
  for (const i of complianceIssues({ signature: s.smsSignature, optOutText: s.smsOptOutText }))
    w.push({ key: i.key, params: i.params });
  return w;
}

export function settingsWarnings(s: MessagingSettings): string[] {
  const w: string[] = [];
  if (isLocalUrl(s.publicUrl))
    w.push(`对外网址 ${s.publicUrl} 只有本机或内网能打开：消息里的链接、退订和问卷链接客户都打不开`);
  if (s.acceptUnknownConsent)
    w.push(
      `营销消息也会发给未明确授权（unknown）但 ${s.unknownConsentDays} 天内购买过的客户：请确认符合《个人信息保护法》及平台规则`,
    );
  w.push(...complianceProblems({ signature: s.smsSignature, optOutText: s.smsOptOutText }));
  return w;
}

/** What a message says; `text` is required, email may add a subject and HTML. */
export const contentSchema = z
  .object({
    subject: z.string().max(200).optional(),
    text: z.string().min(1).max(2000),
    html: z.string().max(100_000).optional(),
  })
  // A key it does not know is named (a misspelt "subjet" was dropped, the mail went out without its subject).
  .strict()
  .superRefine((c, ctx) => {
    for (const [field, value] of [
      ['text', c.text],
      ['subject', c.subject],
      ['html', c.html],
    ] as const) {
      if (value === undefined) continue;
      for (const p of templateIssues(value).filter((x) => field === 'text' || x.why.key !== 'template.empty'))
        ctx.addIssue({ code: 'custom', path: [field], message: p.message, params: p.why });
    }
  });
export type Content = z.infer<typeof contentSchema>;

export const messageView = z.object({
  id: z.string(),
  sourceType: z.string(),
  sourceId: z.string(),
  customerId: z.string(),
  channelId: z.string(),
  kind: z.string(),
  medium: z.string(),
  variant: z.string().nullable(),
  status: z.string(),
  reason: z.string().nullable(),
  reasonLabel: z.string().nullable(),
  detail: z.string().nullable(),
  contact: z.string().nullable(),
  subject: z.string().nullable(),
  body: z.string().nullable(),
  parts: z.number(),
  costFen: z.number(),
  sendAt: z.string().nullable(),
  sentAt: z.string().nullable(),
  attempts: z.number(),
  error: z.string().nullable(),
  /** The handset's receipt: delivered or failed (null: no receipt, or none yet). */
  delivery: z.enum(['delivered', 'failed']).nullable(),
  deliveredAt: z.string().nullable(),
  deliveryError: z.string().nullable(),
  clicks: z.number(),
  createdAt: z.string(),
});
export type MessageView = z.infer<typeof messageView>;
