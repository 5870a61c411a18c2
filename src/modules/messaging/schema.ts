import { z } from 'zod';
import { templateProblems } from '../../core/messaging/templates.js';
import { complianceProblems, DEFAULT_OPT_OUT_TEXT } from '../../core/messaging/sms.js';
import { DEFAULT_WINDOWS, windowProblems } from '../../core/messaging/windows.js';

export const mediumSchema = z.enum(['sms', 'email', 'wechat', 'platform']);
export const kindSchema = z.enum(['marketing', 'care']);

const outboxConfig = z.object({ medium: z.enum(['sms', 'email', 'wechat']).default('sms') }).strict();
const emailConfig = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    secure: z.boolean().default(false),
    user: z.string().min(1).optional(),
    from: z.string().min(3),
    replyTo: z.string().optional(),
  })
  .strict();
const webhookConfig = z
  .object({ url: z.url({ protocol: /^https?$/ }), medium: z.enum(['sms', 'email', 'wechat']).default('sms') })
  .strict();

/** A channel as created: kind, its settings, and credentials (stored encrypted, never shown again). */
export const channelInput = z.discriminatedUnion('kind', [
  z.object({
    name: z.string().min(1).max(60),
    kind: z.literal('outbox'),
    config: outboxConfig.default({ medium: 'sms' }),
  }),
  z.object({
    name: z.string().min(1).max(60),
    kind: z.literal('email'),
    config: emailConfig,
    credentials: z
      .object({ password: z.string().min(1) })
      .strict()
      .optional(),
  }),
  z.object({
    name: z.string().min(1).max(60),
    kind: z.literal('webhook'),
    config: webhookConfig,
    credentials: z.object({ signingSecret: z.string().min(16) }).strict(),
  }),
  z.object({ name: z.string().min(1).max(60), kind: z.literal('platform'), config: z.object({}).strict().default({}) }),
]);
export type ChannelInput = z.infer<typeof channelInput>;
export type ChannelKind = ChannelInput['kind'];
export type EmailConfig = z.infer<typeof emailConfig>;
export type WebhookConfig = z.infer<typeof webhookConfig>;

export const channelView = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['outbox', 'email', 'webhook', 'platform']),
  medium: mediumSchema,
  config: z.record(z.string(), z.unknown()),
  hasCredentials: z.boolean(),
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
    /** Where links in messages point (the redirect and unsubscribe pages are served there). */
    publicUrl: z.url().default('http://127.0.0.1:3000'),
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

export function settingsWarnings(s: MessagingSettings): string[] {
  const w: string[] = [];
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
  .superRefine((c, ctx) => {
    for (const [field, value] of [
      ['text', c.text],
      ['subject', c.subject],
      ['html', c.html],
    ] as const) {
      if (value === undefined) continue;
      for (const p of templateProblems(value).filter((x) => field === 'text' || !x.includes('empty')))
        ctx.addIssue({ code: 'custom', path: [field], message: p });
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
  clicks: z.number(),
  createdAt: z.string(),
});
export type MessageView = z.infer<typeof messageView>;
