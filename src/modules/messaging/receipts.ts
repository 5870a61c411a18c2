import { reason } from '../../core/reasons.js';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { Invalid, NotFound, Unauthorized } from '../../core/errors.js';
import { nowIso, type AppContext } from '../context.js';
import { type ChannelRow, channelRow } from './channels.js';
import { handleReply } from './replies.js';

/**
 * Delivery receipts (状态报告) and replies (上行短信) that Aliyun and Tencent Cloud post to us.
 * Neither signs its callbacks, so each SMS channel has its own random token in the URL it is given
 * (shown in 设置 → 渠道); a request without the right token is refused.
 *
 * Aliyun (HTTP 批量推送): SmsReport `[{phone_number, send_time, report_time, success, err_code,
 * err_msg, sms_size, biz_id, out_id}]`, SmsUp `[{phone_number, send_time, content, sign_name,
 * dest_code, sequence_id}]`, answered `{"code":0,"msg":"成功"}`.
 * Tencent: status `[{user_receive_time, nationcode, mobile, report_status, errmsg, description,
 * sid}]`, reply `{extend, mobile, nationcode, sign, text, time}` (or a list), answered
 * `{"result":0,"errmsg":"OK"}`.
 */

/** The channel, when the token in the URL is its own. */
export async function hookChannel(ctx: AppContext, ws: string, id: string, token: string): Promise<ChannelRow> {
  const channel = await channelRow(ctx, ws, id).catch(() => null);
  if (!channel?.hook_token) throw new NotFound('no such receipt address', reason('receipt.noAddress'));
  const a = Buffer.from(channel.hook_token);
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b))
    throw new Unauthorized('wrong token in the receipt address', reason('receipt.wrongToken'));
  return channel;
}

/** "2017-01-01 00:00:00" in China time (both providers' format) → UTC ISO; null when unreadable. */
export function chinaTime(s: unknown): string | null {
  if (typeof s === 'number') return new Date(s * 1000).toISOString();
  if (typeof s !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const d = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}+08:00`);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

const aliyunReport = z.looseObject({
  phone_number: z.string().optional(),
  report_time: z.string().optional(),
  success: z.union([z.boolean(), z.string()]),
  err_code: z.string().optional(),
  err_msg: z.string().optional(),
  biz_id: z.string().optional(),
  out_id: z.string().optional(),
});
const aliyunUp = z.looseObject({
  phone_number: z.string(),
  send_time: z.string().optional(),
  content: z.string(),
});
const tencentReport = z.looseObject({
  user_receive_time: z.string().optional(),
  mobile: z.string().optional(),
  report_status: z.string(),
  errmsg: z.string().optional(),
  description: z.string().optional(),
  sid: z.string(),
});
const tencentReply = z.looseObject({
  mobile: z.string(),
  nationcode: z.string().optional(),
  text: z.string(),
  time: z.number().optional(),
});

/**
 * 企业微信: the customer's messages as 微信客服 `kf/sync_msg` lists them (`msg_list` items, or the
 * whole answer), forwarded by whatever pulls them; text from the customer (origin 3) counts.
 */
const wecomMessage = z.looseObject({
  external_userid: z.string(),
  send_time: z.number().optional(),
  origin: z.number().optional(),
  msgtype: z.string(),
  text: z.looseObject({ content: z.string() }).optional(),
});

export interface Receipt {
  /** Our message id (Aliyun's out_id) or the provider's serial number (Tencent's sid, Aliyun's biz_id). */
  messageId: string | null;
  ref: string | null;
  delivered: boolean;
  error: string | null;
  at: string | null;
}

function parse<T extends z.ZodType>(schema: T, body: unknown, what: string): z.infer<T>[] {
  // Providers post a list; a single object is taken as a list of one.
  const r = z.array(schema).safeParse(Array.isArray(body) ? body : [body]);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Invalid(
      `this is not a ${what}: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'unreadable'}`,
      reason('receipt.unreadable', {
        what,
        field: issue ? issue.path.join('.') : '',
        problem: issue?.message ?? 'unreadable',
      }),
    );
  }
  return r.data as z.infer<T>[];
}

export function readReceipts(kind: string, body: unknown): Receipt[] {
  if (kind === 'aliyun_sms')
    return parse(aliyunReport, body, 'Aliyun SmsReport').map((r) => {
      const delivered = r.success === true || r.success === 'true';
      return {
        messageId: r.out_id || null,
        ref: r.biz_id || null,
        delivered,
        error: delivered ? null : [r.err_code, r.err_msg].filter(Boolean).join(' ') || 'undelivered',
        at: chinaTime(r.report_time),
      };
    });
  if (kind === 'tencent_sms')
    return parse(tencentReport, body, 'Tencent SMS status report').map((r) => {
      const delivered = r.report_status.toUpperCase() === 'SUCCESS';
      return {
        messageId: null,
        ref: r.sid,
        delivered,
        error: delivered ? null : [r.errmsg, r.description].filter(Boolean).join(' ') || 'undelivered',
        at: chinaTime(r.user_receive_time),
      };
    });
  if (kind === 'wecom')
    throw new Invalid(
      "企业微信 posts no delivery receipts: enter the channel's callback address (…/wecom) in 企业微信",
      reason('receipt.wecomNone'),
    );
  throw new Invalid(`a ${kind} channel gets no delivery receipts`, reason('receipt.noReceipts', { kind }));
}

export function readReplies(kind: string, body: unknown): { from: string; text: string; at: string | null }[] {
  if (kind === 'aliyun_sms')
    return parse(aliyunUp, body, 'Aliyun SmsUp').map((r) => ({
      from: r.phone_number,
      text: r.content,
      at: chinaTime(r.send_time),
    }));
  if (kind === 'tencent_sms')
    return parse(tencentReply, body, 'Tencent SMS reply').map((r) => ({
      from: r.nationcode && r.nationcode !== '86' ? `+${r.nationcode}${r.mobile}` : r.mobile,
      text: r.text,
      at: r.time ? chinaTime(r.time) : null,
    }));
  if (kind === 'wecom') {
    const list =
      body && typeof body === 'object' && 'msg_list' in body ? (body as { msg_list: unknown }).msg_list : body;
    return parse(wecomMessage, list, '企业微信 sync_msg message')
      .filter((m) => m.msgtype === 'text' && m.text && (m.origin === undefined || m.origin === 3))
      .map((m) => ({
        from: m.external_userid,
        text: m.text!.content,
        at: m.send_time ? chinaTime(m.send_time) : null,
      }));
  }
  throw new Invalid(`a ${kind} channel gets no replies`, reason('receipt.noReplies', { kind }));
}

/** The answer each provider expects, so it does not post the same callback again. */
export function hookAnswer(kind: string): Record<string, unknown> {
  if (kind === 'wecom') return { errcode: 0, errmsg: 'ok' };
  return kind === 'tencent_sms' ? { result: 0, errmsg: 'OK' } : { code: 0, msg: '成功' };
}

/**
 * Records receipts on their messages: delivered or failed at the handset. A receipt for a message
 * still waiting after an attempt that got no answer shows the provider took it: it counts as sent,
 * and the waiting retry finds nothing left to do.
 */
export async function applyReceipts(ctx: AppContext, channel: ChannelRow, receipts: Receipt[]): Promise<number> {
  const ws = channel.workspace_id;
  let matched = 0;
  await ctx.db.kysely.transaction().execute(async (trx) => {
    for (const r of receipts) {
      if (!r.messageId && !r.ref) continue;
      let q = trx
        .selectFrom('messages')
        .select(['id', 'status', 'sent_at'])
        .where('workspace_id', '=', ws)
        .where('channel_id', '=', channel.id);
      q = r.messageId ? q.where('id', '=', r.messageId) : q.where('provider_ref', '=', r.ref);
      const msg = await q.executeTakeFirst();
      if (!msg || (msg.status !== 'sent' && msg.status !== 'queued')) continue;
      const at = r.at ?? nowIso(ctx);
      await trx
        .updateTable('messages')
        .set({
          status: 'sent',
          sent_at: msg.sent_at ?? at,
          ...(msg.status === 'queued' && r.ref ? { provider_ref: r.ref } : {}),
          delivery: r.delivered ? 'delivered' : 'failed',
          delivered_at: at,
          delivery_error: r.error?.slice(0, 500) ?? null,
          updated_at: nowIso(ctx),
        })
        .where('workspace_id', '=', ws)
        .where('id', '=', msg.id)
        .execute();
      matched += 1;
    }
  });
  return matched;
}

export async function applyReplies(
  ctx: AppContext,
  channel: ChannelRow,
  replies: { from: string; text: string; at: string | null }[],
): Promise<number> {
  let optOuts = 0;
  for (const r of replies) {
    const res = await handleReply(ctx, channel.workspace_id, {
      channelId: channel.id,
      from: r.from,
      text: r.text,
      ...(r.at ? { receivedAt: r.at } : {}),
    });
    if (res.optOut) optOuts += res.customerIds.length;
  }
  return optOuts;
}
