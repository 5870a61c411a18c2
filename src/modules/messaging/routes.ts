import { reason } from '../../core/reasons.js';
import { brokenPath, brokenTextError } from '../input-guard.js';
import { parseInput, timeThisCentury } from '../../core/validation.js';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../../core/ids.js';
import { Invalid, Unauthorized } from '../../core/errors.js';
import { roleAllows } from '../auth/permissions.js';
import { errorBody, idParams, principalOf, reasonView, type ModuleRoutes } from '../http.js';
import type { AppContext } from '../context.js';
import { channelRow, webhookSecret } from './channels.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from './providers.js';
import { applyReceipts, applyReplies, hookAnswer, hookChannel, readReceipts, readReplies } from './receipts.js';
import { receiveWecomCallback, verifyWecomUrl, type WecomQuery } from './wecom-hooks.js';
import {
  channelInput,
  channelPatch,
  channelView,
  contentSchema,
  kindSchema,
  messageView,
  messagingSettings,
  messagingSettingsChange,
  settingsWarningReasons,
  settingsWarnings,
} from './schema.js';
import {
  createChannel,
  deleteChannel,
  followLink,
  getMessagingSettings,
  handleReply,
  listChannels,
  listMessages,
  previewMessage,
  setMessagingSettings,
  testSend,
  unsubscribe,
  updateChannel,
} from './service.js';

const settingsOutput = z.object({
  settings: messagingSettings,
  warnings: z.array(z.string()),
  /** The warnings as keys of core/reasons.ts with parameters, in the same order (what the console shows). */
  warningReasons: z.array(reasonView),
});
const replyInput = z.strictObject({
  from: z.string().min(1).max(200),
  text: z.string().max(2000),
  receivedAt: timeThisCentury().optional(),
});
const replyOutput = z.object({ optOut: z.boolean(), customerIds: z.array(z.string()) });

export const messagingRoutes: ModuleRoutes = async (app, { ctx }) => {
  const tags = ['messaging'];
  app.get(
    '/messaging/channels',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary: 'Channels (credentials are never returned)',
        response: { 200: z.object({ items: z.array(channelView) }) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return { items: await listChannels(ctx, p.workspaceId, { showHooks: roleAllows(p.role, 'settings:write') }) };
    },
  );
  app.post(
    '/messaging/channels',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary:
          'Add a channel: outbox, email (SMTP), signed webhook or platform hand-off; credentials need HUIKE_SECRET_KEY',
        body: channelInput,
        response: { 201: channelView, 400: errorBody, 403: errorBody, 409: errorBody },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      reply.code(201);
      return createChannel(ctx, p.workspaceId, req.body);
    },
  );
  app.patch(
    '/messaging/channels/:id',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary:
          'Edit a channel: name, settings (merged into the current ones), credentials (replaced, stored encrypted)',
        params: idParams,
        body: channelPatch,
        response: { 200: channelView, 400: errorBody, 403: errorBody, 404: errorBody, 409: errorBody },
      },
    },
    async (req) => updateChannel(ctx, principalOf(req).workspaceId, req.params.id, req.body),
  );
  app.delete(
    '/messaging/channels/:id',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary: 'Remove a channel that has never been used',
        params: idParams,
        response: { 204: z.null() },
      },
    },
    async (req, reply) => {
      await deleteChannel(ctx, principalOf(req).workspaceId, req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/messaging/channels/:id/test',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary:
          'Send a test message to a member of staff now ' +
          '(Aliyun SMS: several numbers separated by commas go as one SendBatchSms)',
        params: idParams,
        body: z.object({
          to: z.string().min(3).max(200),
          text: z.string().min(1).max(2000),
          subject: z.string().max(200).optional(),
        }),
        response: { 200: z.object({ ok: z.literal(true), ref: z.string().nullable() }), 400: errorBody },
      },
    },
    async (req) => testSend(ctx, principalOf(req).workspaceId, req.params.id, req.body),
  );
  app.get(
    '/messaging/settings',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary: 'Send rules (windows, cap, consent policy) and SMS wording',
        response: { 200: settingsOutput },
      },
    },
    async (req) => {
      const s = await getMessagingSettings(ctx, principalOf(req).workspaceId);
      return { settings: s, warnings: settingsWarnings(s), warningReasons: settingsWarningReasons(s) };
    },
  );
  app.put(
    '/messaging/settings',
    {
      config: { permission: 'settings:write' },
      schema: {
        tags,
        summary: 'Change send rules (fields not given keep their value)',
        body: messagingSettingsChange,
        response: { 200: settingsOutput, 400: errorBody, 403: errorBody },
      },
    },
    async (req) => setMessagingSettings(ctx, principalOf(req).workspaceId, req.body),
  );
  app.get(
    '/messages',
    {
      config: { permission: 'campaigns:read' },
      schema: {
        tags,
        summary: 'Messages newest first (the outbox: ?channelId=), with every hold and its reason',
        querystring: z.object({
          channelId: z.string().optional(),
          customerId: z.string().optional(),
          sourceType: z.string().optional(),
          sourceId: z.string().optional(),
          status: z.enum(['queued', 'sent', 'failed', 'skipped', 'cancelled']).optional(),
          before: z.string().regex(ID_PATTERN, 'a message id (nextBefore of the page before)').optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
        }),
        response: { 200: z.object({ items: z.array(messageView), nextBefore: z.string().nullable() }) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return listMessages(ctx, p.workspaceId, req.query, p.role);
    },
  );
  app.post(
    '/messaging/preview',
    {
      config: { permission: 'campaigns:write' },
      schema: {
        tags,
        summary: 'What one customer would receive: text, SMS parts and cost, and the send decision now',
        body: z.object({
          channelId: z.string(),
          kind: kindSchema,
          content: contentSchema,
          customerId: z.string(),
          /** The coupon the campaign issues with the message: #优惠券# and #优惠券金额# are its (a sample code). */
          couponTemplateId: z.string().optional(),
        }),
        response: {
          200: z.object({
            text: z.string(),
            subject: z.string().nullable(),
            missing: z.array(z.string()),
            chars: z.number(),
            parts: z.number(),
            costFen: z.number(),
            problems: z.array(z.string()),
            decision: z.object({
              action: z.enum(['send', 'defer', 'skip']),
              reason: z.string().nullable(),
              reasonLabel: z.string().nullable(),
              at: z.string().nullable(),
            }),
          }),
          400: errorBody,
          404: errorBody,
        },
      },
    },
    async (req) => previewMessage(ctx, principalOf(req).workspaceId, req.body, principalOf(req).role),
  );
  app.post(
    '/messaging/channels/:id/replies',
    {
      config: { permission: 'customers:write' },
      schema: {
        tags,
        summary: 'Record an inbound reply (R, T, TD, N or 退订 opts the sender out of the channel)',
        params: idParams,
        body: replyInput,
        response: { 200: replyOutput },
      },
    },
    async (req) => handleReply(ctx, principalOf(req).workspaceId, { channelId: req.params.id, ...req.body }),
  );
};

const PAGE = (title: string, body: string) =>
  '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
  `<title>${title}</title><body style="font-family:sans-serif;max-width:32em;margin:3em auto">${body}</body></html>`;

/**
 * Routes reached from outside without a login: the click redirect, the unsubscribe page and the
 * signed inbound-reply webhook. They sit outside /api/, where the session check applies.
 */
export function messagingPublicRoutes(ctx: AppContext): FastifyPluginAsync {
  return async (app) => {
    const hidden = { hide: true };
    app.get<{ Params: { code: string } }>(
      '/r/:code',
      { config: { permission: 'public' }, schema: hidden },
      async (req, reply) => {
        const url = await followLink(ctx, req.params.code);
        if (!url)
          return reply.code(404).type('text/html; charset=utf-8').send(PAGE('链接无效', '<p>链接不存在或已失效。</p>'));
        return reply.redirect(url, 302);
      },
    );
    app.get<{ Params: { code: string } }>(
      '/u/:code',
      { config: { permission: 'public' }, schema: hidden },
      async (req, reply) =>
        reply
          .type('text/html; charset=utf-8')
          .send(
            PAGE(
              '退订邮件',
              `<p>确定不再接收我们的营销邮件吗？</p><form method="post"><input type="hidden" ` +
                `name="List-Unsubscribe" value="One-Click"><button type="submit">退订</button></form>`,
            ),
          ),
    );
    app.register(async (scoped) => {
      // RFC 8058 clients POST "List-Unsubscribe=One-Click" as a form; any body will do.
      scoped.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) =>
        done(null, body),
      );
      scoped.post<{ Params: { code: string } }>(
        '/u/:code',
        { config: { permission: 'public' }, schema: hidden },
        async (req, reply) => {
          const ok = await unsubscribe(ctx, req.params.code);
          return reply
            .code(ok ? 200 : 404)
            .type('text/html; charset=utf-8')
            .send(
              ok
                ? PAGE('已退订', '<p>已退订，您将不再收到营销邮件。</p>')
                : PAGE('链接无效', '<p>链接不存在或已失效。</p>'),
            );
        },
      );
    });
    // Aliyun and Tencent SMS receipts and replies: unsigned by the providers, so the channel's token is in the URL.
    app.register(async (scoped) => {
      // The raw text for the signature, in place of the app's JSON parser (input-guard.ts).
      scoped.removeContentTypeParser('application/json');
      scoped.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => {
        try {
          done(null, JSON.parse(String(body)));
        } catch {
          done(new Invalid('the body is not JSON', reason('webhook.notJson')), undefined);
        }
      });
      type HookParams = { Params: { ws: string; id: string; token: string }; Body: unknown };
      scoped.post<HookParams>(
        '/hooks/:ws/channels/:id/receipts/:token',
        { schema: hidden, config: { permission: 'public' } },
        async (req) => {
          const channel = await hookChannel(ctx, req.params.ws, req.params.id, req.params.token);
          await applyReceipts(ctx, channel, readReceipts(channel.kind, req.body));
          return hookAnswer(channel.kind);
        },
      );
      scoped.post<HookParams>(
        '/hooks/:ws/channels/:id/replies/:token',
        { schema: hidden, config: { permission: 'public' } },
        async (req) => {
          const channel = await hookChannel(ctx, req.params.ws, req.params.id, req.params.token);
          await applyReplies(ctx, channel, readReplies(channel.kind, req.body));
          return hookAnswer(channel.kind);
        },
      );
    });
    app.register(async (scoped) => {
      // 企业微信 callback (接收事件服务器): GET is its URL check, POST an encrypted XML message. Every body is read
      // as the text it is, whatever its content type: a JSON one went through the app's parser, and an array nested
      // 50,000 deep overflowed the stack when turned back into text (a 500 on a route anyone may call).
      scoped.removeAllContentTypeParsers();
      scoped.addContentTypeParser('*', { parseAs: 'string' }, (_r, body, done) => done(null, body));
      type WecomHook = { Params: { ws: string; id: string }; Querystring: WecomQuery; Body: string };
      scoped.get<WecomHook>(
        '/hooks/:ws/channels/:id/wecom',
        { schema: hidden, config: { permission: 'public' } },
        async (req, reply) =>
          reply.type('text/plain').send(await verifyWecomUrl(ctx, req.params.ws, req.params.id, req.query)),
      );
      scoped.post<WecomHook>(
        '/hooks/:ws/channels/:id/wecom',
        { schema: hidden, config: { permission: 'public' } },
        async (req, reply) => {
          await receiveWecomCallback(ctx, req.params.ws, req.params.id, req.query, String(req.body ?? ''));
          return reply.type('text/plain').send('success');
        },
      );
    });
    app.register(async (scoped) => {
      // The signature covers the exact bytes: keep the body as text until it is verified.
      // The raw text for the signature, in place of the app's JSON parser (input-guard.ts).
      scoped.removeContentTypeParser('application/json');
      scoped.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => done(null, body));
      scoped.post<{ Params: { ws: string; id: string }; Body: string }>(
        '/hooks/:ws/channels/:id/replies',
        { config: { permission: 'public' }, schema: hidden },
        async (req) => {
          const channel = await channelRow(ctx, req.params.ws, req.params.id);
          const ok = verifySignature(
            webhookSecret(channel),
            {
              timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
              signature: req.headers[SIGNATURE_HEADER] as string | undefined,
            },
            String(req.body ?? ''),
            ctx.now(),
          );
          if (!ok)
            throw new Unauthorized(
              `bad or missing ${SIGNATURE_HEADER} / ${TIMESTAMP_HEADER} ` +
                `(HMAC-SHA256 of "timestamp.body", within 5 minutes)`,
              reason('webhook.signature', { header: SIGNATURE_HEADER }),
            );
          let json: unknown;
          try {
            json = JSON.parse(String(req.body));
          } catch {
            throw new Invalid('the body is not JSON: send {"from", "text"}', reason('webhook.replyNotJson'));
          }
          // The guard (input-guard.ts) saw the text before parsing, where a NUL is six characters: checked here.
          const broken = brokenPath(json, 'body');
          if (broken) throw brokenTextError(broken.path, broken.broken);
          const parsed = parseInput(replyInput, json, 'The reply');
          return handleReply(ctx, req.params.ws, { channelId: channel.id, ...parsed });
        },
      );
    });
  };
}
